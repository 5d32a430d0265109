/**
 * Slime → meshwarden on fixtures written in the shape of Slime's docs and samples: what is
 * converted (exactly), what is dropped or approximate (with its Slime field and position),
 * and that every output passes the validator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { loadYaml } from '../yaml/documents.js';
import { formatPath } from '../diagnostics.js';
import { migrate, type MigrationResult } from './index.js';
import { evaluate } from '../evaluate.js';
import { contextFromInputs } from '../cli/facts.js';
import { compare } from '../adopt/compare.js';
import type { K8sObject } from '../k8s-object.js';

const dir = join(packageRoot, 'operator', 'test', 'fixtures', 'migrate');

function run(file: string, opts: Parameters<typeof migrate>[1] = {}): MigrationResult {
  const loaded = loadYaml(readFileSync(join(dir, file), 'utf8'), file);
  assert.deepEqual(loaded.errors, []);
  return migrate(loaded.objects, opts);
}

function fromText(text: string, opts: Parameters<typeof migrate>[1] = {}): MigrationResult {
  return migrate(loadYaml(text, 'inline.yaml').objects, opts);
}

const specs = (r: MigrationResult) => r.outputs.map((o) => o.object['spec']);
const notesOf = (r: MigrationResult, kind: string) => r.notes.filter((n) => n.kind === kind).map((n) => `${n.source.line}:${n.source.column} ${formatPath(n.path)}`);
const errors = (r: MigrationResult) => r.diagnostics.filter((d) => d.severity === 'error');

test('a single limit with header matches keeps its target, port, rate, matchers and response headers', () => {
  const r = run('smartlimiter-local.yaml');
  assert.equal(r.outputs.length, 1);
  const out = r.outputs[0]!.object;
  assert.deepEqual(out.metadata, {
    name: 'productpage',
    namespace: 'bookinfo',
    labels: { team: 'web' },
    annotations: { owner: 'web-team', 'meshwarden.io/migrated-from': 'microservice.slime.io/v1alpha2 SmartLimiter bookinfo/productpage' },
  });
  assert.deepEqual(out['spec'], {
    target: { service: 'productpage' },
    limits: [
      {
        name: 'descriptor-0',
        port: 9080,
        match: {
          headers: [
            { name: 'foo', exact: 'bar' },
            { name: 'x-debug', present: true, invert: true },
          ],
        },
        rate: { requests: 5, per: '1m' },
        response: { headers: { 'x-limited': 'yes' } },
      },
    ],
  });
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.diagnostics, [], 'the Service is in the input, so the output is fully validated');
});

test('"N/{{._base.pod}}" with strategy average is a shared total; a subset set becomes spec.subset from its DestinationRule', () => {
  const r = run('smartlimiter-average.yaml');
  assert.deepEqual(
    r.outputs.map((o) => o.object.metadata.name),
    ['reviews', 'reviews-v2'],
  );
  assert.deepEqual(specs(r), [
    { target: { service: 'reviews' }, limits: [{ name: 'descriptor-0', port: 9080, rate: { requests: 100, per: '1m' }, strategy: 'average' }] },
    { target: { service: 'reviews' }, subset: { version: 'v2' }, limits: [{ name: 'descriptor-0', port: 9080, rate: { requests: 10, per: '1s' } }] },
  ]);
  assert.deepEqual(notesOf(r, 'dropped'), []);
  // Without Pods the replica count is a cluster fact: reported, not an error.
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.rule} ${d.severity}`),
    ['MW605 info'],
  );
});

test('a subset set without its DestinationRule is dropped, located at the set', () => {
  const text = readFileSync(join(dir, 'smartlimiter-average.yaml'), 'utf8').split('---')[0]!;
  const r = fromText(text);
  assert.deepEqual(
    r.outputs.map((o) => o.object.metadata.name),
    ['reviews'],
  );
  assert.deepEqual(notesOf(r, 'dropped'), ['12:5 spec.sets.v2']);
  assert.match(r.notes.find((n) => n.kind === 'dropped')!.hint!, /pass the DestinationRule of host reviews/);
});

test('global limits: query and header matchers ANDed, a comma list of source IPs as /32 CIDRs, the rate limit service from the flag', () => {
  const r = run('smartlimiter-global.yaml', { rateLimitService: { host: 'ratelimit.rls.svc.cluster.local', port: 8081 } });
  assert.deepEqual(specs(r), [
    {
      target: { workloadSelector: { matchLabels: { app: 'api' } } },
      rateLimitService: { host: 'ratelimit.rls.svc.cluster.local', port: 8081 },
      limits: [
        {
          name: 'descriptor-0',
          port: 8080,
          match: { headers: [{ name: ':method', exact: 'GET' }], query: [{ name: 'tier', exact: 'free' }] },
          rate: { requests: 1000, per: '1m' },
          strategy: 'global',
        },
        { name: 'descriptor-1', port: 8080, match: { sourceCIDRs: ['10.0.0.7/32', '10.0.0.8/32'] }, rate: { requests: 20, per: '1s' }, strategy: 'global' },
      ],
    },
  ]);
  // spec.target is shared by both descriptors: its approximation is said once.
  assert.deepEqual(notesOf(r, 'approximate'), ['7:12 spec.target.port']);
  assert.deepEqual(errors(r), []);
  assert.ok(!r.diagnostics.some((d) => d.rule === 'MW604'), 'the rate limit service is known');
});

test('gateway routes host:port/route and hosts with target.port become gateway limits', () => {
  const r = run('smartlimiter-gateway.yaml');
  assert.deepEqual(specs(r), [
    {
      target: { gateway: { selector: { gw_cluster: 'prod-gateway' } } },
      limits: [
        { name: 'descriptor-0', host: 'a.test.com', port: 80, route: 'r1', rate: { requests: 1, per: '1m' } },
        { name: 'descriptor-1', host: 'b.test.com', port: 80, rate: { requests: 2, per: '1m' } },
      ],
    },
  ]);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.diagnostics, []);
});

test('an outbound route becomes an outbound limit on the destination host, port and route', () => {
  const r = run('smartlimiter-outbound.yaml');
  assert.deepEqual((specs(r)[0] as { limits: unknown[] }).limits, [
    { name: 'descriptor-0', direction: 'outbound', host: 'reviews.default.svc.cluster.local', port: 80, route: 'default', rate: { requests: 2, per: '10s' } },
  ]);
  assert.deepEqual(errors(r), []);
});

test('what meshwarden cannot express is dropped whole, each at its Slime field, with what to do by hand', () => {
  const r = run('smartlimiter-lossy.yaml');
  assert.deepEqual(
    (specs(r)[0] as { limits: Array<{ name: string }> }).limits.map((l) => l.name),
    ['descriptor-4'],
  );
  assert.deepEqual(notesOf(r, 'dropped'), [
    '10:9 spec.sets._base.descriptor[0].condition', // adaptive condition
    '12:47 spec.sets._base.descriptor[1].action.quota', // metric expression
    '19:46 spec.sets._base.descriptor[2].match[0].matchSource', // JsonBodyMatch
    '22:9 spec.sets._base.descriptor[3].custom_key',
  ]);
  const typo = r.notes.find((n) => formatPath(n.path).endsWith('stragety'))!;
  assert.equal(typo.kind, 'info');
  assert.match(typo.hint!, /did you mean "strategy"/);
  for (const n of r.notes.filter((x) => x.kind === 'dropped')) assert.ok(n.hint && n.hint.length > 0, `${formatPath(n.path)} says what to do`);
});

test('jsonpb forms: lowerCamel names, enums by number, int32 as strings', () => {
  const r = fromText(`apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: api, namespace: shop}
spec:
  workloadSelector: {app: api}
  sets:
    _base:
      descriptor:
      - action: {fillInterval: {seconds: "2", nanos: 500000000}, quota: "3", strategy: single}
        condition: "true"
        target: {port: "8080"}
        match:
        - {name: q, prefixMatch: a, matchSource: 1}
        - {name: h, isExactMatchEmpty: true}
`);
  assert.deepEqual((specs(r)[0] as { limits: unknown[] }).limits, [
    { name: 'descriptor-0', port: 8080, match: { headers: [{ name: 'h', exact: '' }], query: [{ name: 'q', prefix: 'a' }] }, rate: { requests: 3, per: '2500ms' } },
  ]);
});

test('present_match_separate is one bucket per header value (distinctBy); a plain quota with average is per pod', () => {
  const r = fromText(`apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: api, namespace: shop}
spec:
  workloadSelector: {app: api}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 60}, quota: "10", strategy: global}
        condition: "true"
        target: {port: 8080}
        match: [{name: x-user, present_match_separate: true}]
      - action: {fill_interval: {seconds: 60}, quota: "10", strategy: average}
        condition: "true"
        target: {port: 8080}
`);
  const limits = (specs(r)[0] as { limits: Array<Record<string, unknown>> }).limits;
  assert.deepEqual(limits[0]!['distinctBy'], { header: 'x-user' });
  assert.equal(limits[1]!['strategy'], undefined, 'perPod is the default');
  assert.ok(r.notes.some((n) => n.kind === 'info' && /every pod allowed 10/.test(n.message)));
});

test('the output goes through the validator: a response header name Envoy refuses fails it', () => {
  const text = readFileSync(join(dir, 'smartlimiter-local.yaml'), 'utf8').replace('key: X-Limited', 'key: "X Limited"');
  const r = fromText(text);
  assert.equal(r.outputs.length, 1);
  assert.deepEqual([...new Set(errors(r).map((d) => `${d.rule} ${d.path}`))], ['MW103 spec.limits[0].response.headers']);
  assert.deepEqual(errors(r)[0]!.source, { file: 'inline.yaml', line: 2, column: 1 }, 'located at the Slime object');
});

test('a PluginManager: one EnvoyPlugin per listener type and port, Lua and native in order, Wasm first, rawPatch as a merged patch', () => {
  const r = run('pluginmanager.yaml');
  assert.deepEqual(
    r.outputs.map((o) => o.object.metadata.name),
    ['api-filters-inbound-8080', 'api-filters-outbound'],
  );
  const [inbound, outbound] = specs(r) as Array<Record<string, unknown>>;
  assert.deepEqual(inbound, {
    target: { workloadSelector: { matchLabels: { app: 'api' } } },
    direction: 'inbound',
    ports: [8080],
    priority: 5,
    plugins: [
      { name: 'waf', wasm: { url: 'oci://registry.example.com/filters/waf:1.0', pluginName: 'waf', pluginConfig: { mode: 'block' } } },
      { name: 'lua', lua: { code: 'function envoy_on_request(handle)\n  handle:headers():add("x-from", "slime")\nend\n' } },
      { name: 'strip-debug', native: { type: 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation', config: { mutations: { request_mutations: [{ remove: 'x-debug' }] } } } },
    ],
  });
  assert.deepEqual(outbound!['patches'], [
    {
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'SIDECAR_OUTBOUND',
        listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } }, portNumber: 9080 },
      },
      patch: {
        operation: 'INSERT_BEFORE',
        value: {
          name: 'envoy.filters.http.fault',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { http_status: 503, percentage: { numerator: 1, denominator: 'HUNDRED' } } },
        },
      },
    },
  ]);
  assert.deepEqual(notesOf(r, 'dropped'), ['44:5 spec.plugin[4].rider']);
  assert.deepEqual(notesOf(r, 'approximate'), ['30:5 spec.plugin[2]', '52:5 spec.plugin[5].rawPatch']);
  assert.ok(r.notes.some((n) => n.kind === 'info' && /com\.netease\.resty.*not enabled/.test(n.message)));
  assert.deepEqual(errors(r), []);
});

test("a Slime EnvoyPlugin becomes the per-route patches Slime generates; a virtual host without port is dropped (Slime's ':*')", () => {
  const r = run('envoyplugin.yaml');
  assert.deepEqual(specs(r), [
    {
      target: { gateway: { selector: { istio: 'ingressgateway' } } },
      priority: 0,
      patches: [
        {
          applyTo: 'HTTP_ROUTE',
          // Slime's vhost name shop.example.com:80 as domain and port (istiod merges a VirtualService's gateway vhosts).
          match: { context: 'GATEWAY', routeConfiguration: { portNumber: 80, vhost: { domainName: 'shop.example.com', route: { name: 'api' } } } },
          patch: {
            operation: 'MERGE',
            value: { typed_per_filter_config: { 'envoy.filters.http.lua': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', disabled: true } } },
          },
        },
      ],
    },
  ]);
  assert.deepEqual(notesOf(r, 'dropped'), ['9:10 spec.host[0]']);
  // The validator sees that no filter of that name runs on the gateway in this input.
  assert.deepEqual(
    r.diagnostics.map((d) => d.rule),
    ['MW412'],
  );
});

test('objects without a selector Slime would apply namespace-wide are dropped, not guessed', () => {
  const r = fromText(`apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: all, namespace: shop}
spec:
  plugin: [{name: x, enable: true, type_url: type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors}]
`);
  assert.equal(r.outputs.length, 0);
  assert.deepEqual(notesOf(r, 'dropped'), ['5:3 spec.workload_labels']);
});

test("a filter Slime inserts disabled and its EnvoyPlugin enables per route: one plugin with routes[], which behaves as Slime's generated EnvoyFilters", () => {
  const r = run('pluginmanager-routes.yaml');
  assert.deepEqual(
    r.outputs.map((o) => o.object.metadata.name),
    ['productpage-lua'],
    'the Slime EnvoyPlugin is merged, not converted to patches',
  );
  assert.deepEqual((specs(r)[0] as { plugins: unknown }).plugins, [
    {
      name: 'tag',
      lua: { code: 'function envoy_on_request(h) end' },
      routes: [{ host: 'reviews.bookinfo.svc.cluster.local', route: 'v2', config: { source_code: { inline_string: "function envoy_on_request(h) h:headers():add('x-v2', '1') end" } } }],
    },
  ]);
  assert.deepEqual(notesOf(r, 'dropped'), []);
  assert.deepEqual(r.diagnostics, []);
  // Slime's output for the same two objects (conversion.go), applied to Istio's generated config
  // and compared route by route with what meshwarden renders from the migrated resource.
  const slime = loadYaml(readFileSync(join(dir, 'pluginmanager-routes.slime-output.yaml'), 'utf8'), 'slime.yaml').objects[0]!.value as K8sObject;
  const rendered = evaluate(r.outputs[0]!.object, contextFromInputs([])).rendered;
  assert.deepEqual(compare(slime, rendered, '1.31.0').differences, []);
  // And the comparison notices when the route differs.
  const moved = structuredClone(r.outputs[0]!.object);
  (moved['spec'] as { plugins: Array<{ routes: Array<{ route: string }> }> }).plugins[0]!.routes[0]!.route = 'v1';
  assert.ok(compare(slime, evaluate(moved, contextFromInputs([])).rendered, '1.31.0').differences.length > 0);
});

test('without the Slime EnvoyPlugin that enables it, a disabled filter is dropped with what to do', () => {
  const text = readFileSync(join(dir, 'pluginmanager-routes.yaml'), 'utf8').split('---')[0]!;
  const r = fromText(text);
  assert.equal(r.outputs.length, 0);
  assert.deepEqual(notesOf(r, 'dropped'), ['13:5 spec.plugin[0].disable_on_filter_level']);
  assert.match(r.notes.find((n) => n.kind === 'dropped')!.hint!, /pass the Slime EnvoyPlugins with the input/);
});

test("a PluginManager's Lua and native filters behave as Slime's generated EnvoyFilter", () => {
  const r = run('pluginmanager.yaml');
  const slime = loadYaml(readFileSync(join(dir, 'pluginmanager.slime-output.yaml'), 'utf8'), 'slime.yaml').objects[0]!.value as K8sObject;
  const inbound = r.outputs.find((o) => o.object.metadata.name === 'api-filters-inbound-8080')!.object;
  const rendered = evaluate(inbound, contextFromInputs([])).rendered;
  assert.deepEqual(rendered.map((o) => o.kind).sort(), ['EnvoyFilter', 'WasmPlugin']);
  assert.deepEqual(compare(slime, rendered, '1.31.0').differences, []);
});
