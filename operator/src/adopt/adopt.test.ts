/**
 * adopt on hand-written EnvoyFilters in the shapes of Istio's docs, and the round trip
 * adopt(render(cr)) over every example: each adoptable example is proposed back, rendered,
 * and found equivalent to what the example renders. The comparison itself must fail when
 * the behaviour differs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { loadYaml } from '../yaml/documents.js';
import { formatPath } from '../diagnostics.js';
import { evaluate } from '../evaluate.js';
import { contextFromInputs } from '../cli/facts.js';
import type { K8sObject } from '../k8s-object.js';
import { adopt, type Adoption } from './index.js';
import { compare } from './compare.js';
import { formatCidr, parseCidr } from '../render/cidr.js';

const version = '1.31.0';
const versions = ['1.28.0', '1.29.0', '1.30.0', '1.31.0'];
const fixtures = join(packageRoot, 'operator', 'test', 'fixtures', 'adopt');

function run(file: string): Adoption[] {
  const loaded = loadYaml(readFileSync(file, 'utf8'), file);
  assert.deepEqual(loaded.errors, []);
  return adopt(loaded.objects, versions);
}

const only = (file: string) => {
  const r = run(join(fixtures, file));
  assert.equal(r.length, 1);
  return r[0]!;
};

test("Istio's local rate limit shape (TypedStruct, INSERT_BEFORE without subFilter): proposed, and the move from first in the chain to before the router is found", () => {
  const a = only('local-ratelimit-first.yaml');
  assert.equal(a.pattern, 'HTTP local rate limit');
  assert.deepEqual(a.proposal!['spec'], {
    target: { workloadSelector: { matchLabels: { app: 'ratings' } } },
    priority: 0,
    limits: [{ name: 'local-ratelimit', rate: { requests: 4, per: '1m' }, response: { headers: { 'x-local-rate-limit': 'true' } } }],
  });
  assert.ok(a.differences.length > 0);
  assert.match(
    a.differences[0]!,
    /the original runs envoy\.extensions\.filters\.http\.local_ratelimit\.v3\.LocalRateLimit .* \(before istio\.metadata_exchange\), the proposal istiod's istio\.metadata_exchange/,
  );
  assert.deepEqual(
    a.notes.map((n) => `${n.kind} ${formatPath(n.path)}`),
    ['approximate spec.configPatches[0].patch.operation'],
  );
});

test('a bucket on one port, before the router, with burst and status: equivalent', () => {
  const a = only('local-ratelimit-port.yaml');
  assert.deepEqual((a.proposal!['spec'] as { limits: unknown }).limits, [{ name: 'local-ratelimit', port: 9080, rate: { requests: 10, per: '1s' }, burst: 5, response: { status: 503 } }]);
  assert.deepEqual(a.differences, []);
});

test("Istio's per-route shape (inert filter, bucket on inbound|http|9080 routes, enforced 0%): a shadow limit on port 9080, equivalent", () => {
  const a = only('local-ratelimit-route.yaml');
  assert.deepEqual((a.proposal!['spec'] as { limits: unknown }).limits, [{ name: 'local-ratelimit-route', port: 9080, rate: { requests: 4, per: '1m' }, mode: 'shadow' }]);
  assert.deepEqual(a.differences, []);
});

test('targetRefs to a Gateway: the gateway selected by its gateway-name label, the route limit kept, equivalent', () => {
  const a = only('gateway-targetrefs.yaml');
  assert.deepEqual(a.proposal!['spec'], {
    target: { gateway: { selector: { 'gateway.networking.k8s.io/gateway-name': 'shop-gateway' } } },
    priority: 0,
    limits: [{ name: 'local-ratelimit-api', host: 'shop.example.com', port: 80, route: 'api', rate: { requests: 100, per: '1s' } }],
  });
  assert.deepEqual(a.differences, []);
});

test('Lua (inlineCode, a deprecated name, a priority) and a native gateway filter: equivalent EnvoyPlugins', () => {
  const lua = only('lua.yaml');
  assert.deepEqual(lua.proposal!['spec'], {
    target: { workloadSelector: { matchLabels: { app: 'httpbin' } } },
    ports: [8080],
    priority: 5,
    plugins: [{ name: 'envoy-lua', lua: { code: 'function envoy_on_request(request_handle)\n  request_handle:headers():add("x-hello", "world")\nend\n' } }],
  });
  assert.deepEqual(lua.differences, []);
  const native = only('native-gateway.yaml');
  assert.equal(native.pattern, 'native filters before the router');
  assert.deepEqual((native.proposal!['spec'] as { ports: unknown }).ports, [80]);
  assert.deepEqual(native.differences, []);
});

test('a disabled Lua filter enabled by a LuaPerRoute on one outbound route: a route-scoped plugin with that config, equivalent', () => {
  const a = only('lua-route-scoped.yaml');
  assert.deepEqual((a.proposal!['spec'] as { plugins: unknown }).plugins, [
    {
      name: 'tag',
      lua: { code: 'function envoy_on_request(h) end' },
      routes: [{ host: 'reviews.bookinfo.svc.cluster.local', route: 'v2', config: { source_code: { inline_string: "function envoy_on_request(h) h:headers():add('x-v2', '1') end" } } }],
    },
  ]);
  assert.deepEqual(a.differences, []);
});

test('descriptors inside the filter config (Envoy 1.32+): one limit per descriptor, equivalent; a changed matcher or a limiting default bucket is caught', () => {
  const file = join(fixtures, 'local-ratelimit-descriptors.yaml');
  const a = only('local-ratelimit-descriptors.yaml');
  assert.deepEqual((a.proposal!['spec'] as { limits: unknown }).limits, [
    { name: 'local-ratelimit', port: 8080, match: { headers: [{ name: 'x-tier', exact: 'free' }] }, rate: { requests: 10, per: '1m' } },
    { name: 'local-ratelimit-2', port: 8080, match: { headers: [{ name: 'x-tenant', exact: 'acme' }] }, rate: { requests: 100, per: '1m' } },
  ]);
  assert.deepEqual(a.differences, []);

  const loaded = loadYaml(readFileSync(file, 'utf8'), 'f.yaml');
  const original = loaded.objects[0]!.value as K8sObject;
  const changed = structuredClone(a.proposal!);
  (changed['spec'] as { limits: Array<{ match: { headers: Array<{ exact: string }> } }> }).limits[1]!.match.headers[0]!.exact = 'other';
  const diff = compare(original, evaluate(changed, contextFromInputs([])).rendered, version).differences;
  assert.ok(
    diff.some((d) => /"exact":"acme"/.test(d) && /"exact":"other"/.test(d)),
    diff.join('\n'),
  );

  const finite = adopt(
    loadYaml(
      readFileSync(file, 'utf8').replace(
        'token_bucket: {max_tokens: 4294967295, tokens_per_fill: 4294967295, fill_interval: 1s}',
        'token_bucket: {max_tokens: 1000, tokens_per_fill: 1000, fill_interval: 1s}',
      ),
      'f.yaml',
    ).objects,
    versions,
  )[0]!;
  assert.equal(finite.proposal, undefined);
  assert.match(finite.notes[0]!.message, /a default bucket that limits the requests no descriptor selects/);
});

test("the route-level style (the route's rate_limits feed the per-route descriptors): a fixed client address is a source CIDR, equivalent", () => {
  const a = only('local-ratelimit-route-descriptors.yaml');
  assert.deepEqual((a.proposal!['spec'] as { limits: unknown }).limits, [
    { name: 'local-ratelimit-api', host: 'shop.example.com', port: 80, route: 'api', match: { sourceCIDRs: ['203.0.113.7/32'] }, rate: { requests: 20, per: '1s' } },
  ]);
  assert.deepEqual(a.differences, []);
});

test('descriptors under a limiting default bucket, context ANY and no selector are not adopted, each with its field', () => {
  const r = run(join(fixtures, 'unadoptable.yaml'));
  assert.deepEqual(
    r.map((a) => a.proposal),
    [undefined, undefined, undefined],
  );
  assert.deepEqual(
    r.map((a) => a.notes.map((n) => `${n.source.line}:${n.source.column} ${formatPath(n.path)}`)),
    [['52:13 spec.configPatches[2].patch.value.typed_per_filter_config["envoy.filters.http.local_ratelimit"].token_bucket'], ['68:7 spec.configPatches[0].match.context'], ['84:1 spec']],
  );
});

test('the comparison fails on a different rate, port or placement', () => {
  const loaded = loadYaml(readFileSync(join(fixtures, 'local-ratelimit-port.yaml'), 'utf8'), 'f.yaml');
  const original = loaded.objects[0]!.value as K8sObject;
  const proposal = adopt(loaded.objects, versions)[0]!.proposal!;
  const renderWith = (mutate: (spec: { limits: Array<Record<string, unknown>> }) => void) => {
    const copy = structuredClone(proposal);
    mutate(copy['spec'] as { limits: Array<Record<string, unknown>> });
    return evaluate(copy, contextFromInputs([])).rendered;
  };
  assert.deepEqual(
    compare(
      original,
      renderWith(() => {}),
      version,
    ).differences,
    [],
  );
  const rate = compare(
    original,
    renderWith((s) => (s.limits[0]!['rate'] = { requests: 11, per: '1s' })),
    version,
  ).differences;
  assert.ok(
    rate.some((d) => /"tokens_per_fill":10/.test(d) && /"tokens_per_fill":11/.test(d)),
    rate.join('\n'),
  );
  const port = compare(
    original,
    renderWith((s) => delete s.limits[0]!['port']),
    version,
  ).differences;
  assert.ok(
    port.some((d) => /catchall/.test(d)),
    `every port is more than port 9080:\n${port.join('\n')}`,
  );
  const shadow = compare(
    original,
    renderWith((s) => (s.limits[0]!['mode'] = 'shadow')),
    version,
  ).differences;
  assert.ok(
    shadow.some((d) => /"filter_enforced":0/.test(d)),
    shadow.join('\n'),
  );
});

// ---- round trip: adopt(render(cr)) over the examples ----

const examplesDir = join(packageRoot, 'examples');
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
/** Examples whose rendering is a pattern adopt knows; the raw patch is not one (it stays an EnvoyFilter). */
const adoptable = new Set(examples.filter((e) => e !== 'envoyplugin-raw-patch'));

/** JSON with sorted keys: key order is not meaning. */
function stable(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

function loadExample(name: string) {
  const dir = join(examplesDir, name);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const load = (f: string) => loadYaml(readFileSync(join(dir, f), 'utf8'), f).objects;
  return { cr: files.filter((f) => f !== 'rendered.yaml').flatMap(load), rendered: load('rendered.yaml') };
}

for (const name of examples) {
  test(`round trip of example ${name}: ${adoptable.has(name) ? 'adopted back, equivalent' : 'not adopted, with a reason'}`, () => {
    const { cr, rendered } = loadExample(name);
    const efs = adopt(rendered, versions);
    assert.ok(efs.length >= 1, 'the example renders an EnvoyFilter');
    for (const a of efs) {
      if (!adoptable.has(name)) {
        assert.equal(a.proposal, undefined);
        assert.ok(
          a.notes.some((n) => n.kind === 'dropped' && n.hint),
          'says why and what to do',
        );
        continue;
      }
      assert.ok(a.proposal, a.notes.map((n) => n.message).join('\n'));
      assert.deepEqual(a.differences, [], 'render(adopt(render(cr))) behaves as render(cr)');
      assert.deepEqual(
        a.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      // ≈ cr: the original resource's fields come back where the rendering keeps them.
      const original = cr.map((o) => o.value as K8sObject).find((o) => o.kind === a.proposal!.kind);
      if (!original) continue; // a SmartLimiter with global limits renders native filters: adopted as an EnvoyPlugin
      const spec = original['spec'] as { target: { service?: string }; limits?: Array<Record<string, unknown>>; plugins?: Array<Record<string, unknown>> };
      const got = a.proposal['spec'] as typeof spec;
      // A Service target renders its container ports: adopt sees those, not the Service.
      if (spec.target.service) continue;
      assert.deepEqual(got.target, spec.target);
      if (spec.limits && spec.limits.every((l) => (l['strategy'] ?? 'perPod') === 'perPod')) {
        // Status 429 is the default, written or not.
        const response = (r: unknown) => {
          const { status, ...rest } = (r ?? {}) as { status?: number };
          return status === 429 || status === undefined ? rest : { status, ...rest };
        };
        // The renderer lowercases header names and masks CIDRs to their network, as Envoy compares them.
        const distinct = (d: unknown) => {
          const { maxValues, header, ...rest } = (d ?? {}) as { maxValues?: number; header?: string };
          return { ...rest, ...(header ? { header: header.toLowerCase() } : {}), ...(maxValues !== undefined && maxValues !== 10000 ? { maxValues } : {}) };
        };
        const m = (l: Record<string, unknown>) => (l['match'] as { sourceCIDRs?: string[] } | undefined)?.sourceCIDRs?.map((c) => formatCidr(parseCidr(c)!));
        const shape = (l: Record<string, unknown>) => stable([l['rate'], l['burst'], l['mode'], response(l['response']), l['host'], l['route'], l['direction'], distinct(l['distinctBy']), m(l)]);
        assert.deepEqual(got.limits!.map(shape).sort(), spec.limits.map(shape).sort());
      }
      if (spec.plugins) {
        const body = (p: Record<string, unknown>) => stable([p['lua'], p['native'], p['routes']]);
        assert.deepEqual(got.plugins!.map(body), spec.plugins.filter((p) => !p['wasm']).map(body));
      }
    }
  });
}
