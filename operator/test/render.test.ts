/** Renderer behaviour beyond the examples: findings at the resource's own field paths, names, ownership. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvoyPlugin, Limit, SmartLimiter } from '../src/api/types.gen.js';
import type { K8sObject } from '../src/k8s-object.js';
import { render } from '../src/render/index.js';
import type { Pod, RenderContext, Service, ServicePort } from '../src/render/context.js';

const service = (ports: ServicePort[]): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { selector: { app: 'api' }, ports },
});
const ctx = (over: Partial<RenderContext> = {}): RenderContext => ({ services: [service([{ name: 'http', port: 80, targetPort: 8080 }])], pods: [], ...over });

function limiter(spec: Partial<SmartLimiter['spec']>, meta: Partial<SmartLimiter['metadata']> = {}): SmartLimiter {
  return {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'SmartLimiter',
    metadata: { name: 'lim', namespace: 'shop', ...meta },
    spec: { target: { service: 'api' }, limits: [{ name: 'a', rate: { requests: 10, per: '1s' } }], ...spec },
  };
}

function plugin(spec: Partial<EnvoyPlugin['spec']>): EnvoyPlugin {
  return { apiVersion: 'meshwarden.io/v1alpha1', kind: 'EnvoyPlugin', metadata: { name: 'plug', namespace: 'shop' }, spec: { target: { service: 'api' }, ...spec } };
}

const rules = (r: { findings: Array<{ rule: string; path: string }> }) => r.findings.map((f) => `${f.rule} ${f.path}`);
const patchesOf = (o: K8sObject) => (o.spec as { configPatches: Array<Record<string, any>> }).configPatches;

test('a missing Service is reported at spec.target.service', () => {
  assert.deepEqual(rules(render(limiter({}), ctx({ services: [] }))), ['MW601 spec.target.service']);
});

test('a port the Service lacks is reported with the ports it has', () => {
  const r = render(limiter({ limits: [{ name: 'a', port: 81, rate: { requests: 1, per: '1s' } }] }), ctx());
  assert.deepEqual(rules(r), ['MW602 spec.limits[0].port']);
  assert.match(r.findings[0]!.hint!, /80 \(http\)/);
});

test('a non-HTTP Service port is refused; omitting the port skips non-HTTP ports', () => {
  const c = ctx({
    services: [
      service([
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'tcp-db', port: 5432 },
      ]),
    ],
  });
  assert.deepEqual(rules(render(limiter({ limits: [{ name: 'a', port: 5432, rate: { requests: 1, per: '1s' } }] }), c)), ['MW602 spec.limits[0].port']);
  const all = render(limiter({}), c);
  assert.deepEqual(
    patchesOf(all.objects[0]!).map((p) => p.match.listener.portNumber),
    [8080],
  );
});

test('a named targetPort resolves through the Pods, or is reported', () => {
  const c = ctx({ services: [service([{ name: 'http', port: 80, targetPort: 'web' }])] });
  assert.deepEqual(rules(render(limiter({}), c)), ['MW603 spec.limits[0]']);
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', labels: { app: 'api' } }, spec: { containers: [{ ports: [{ name: 'web', containerPort: 9000 }] }] } };
  const r = render(limiter({}), { ...c, pods: [pod] });
  assert.deepEqual(
    patchesOf(r.objects[0]!).map((p) => p.match.listener.portNumber),
    [9000],
  );
});

test('a global limit without any rate limit service is refused', () => {
  assert.deepEqual(rules(render(limiter({ limits: [{ name: 'a', strategy: 'global', rate: { requests: 1, per: '1s' } }] }), ctx())), ['MW604 spec.limits[0].strategy']);
});

test('the operator-wide rate limit service is the default', () => {
  const r = render(limiter({ limits: [{ name: 'a', strategy: 'global', rate: { requests: 1, per: '1s' } }] }), ctx({ rateLimitService: { host: 'rl.infra.svc.cluster.local', port: 8081 } }));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(
    r.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
    ['EnvoyFilter shop/lim-ratelimit', 'ConfigMap infra/ratelimit-config'],
  );
});

test('average without replica information warns and gives each pod the whole rate', () => {
  const r = render(limiter({ limits: [{ name: 'a', strategy: 'average', rate: { requests: 10, per: '1s' } }] }), ctx());
  assert.deepEqual(rules(r), ['MW605 spec.limits[0].strategy']);
  assert.equal(r.findings[0]!.severity, 'warning');
  assert.deepEqual(r.effective, [{ limit: 'a', strategy: 'average', replicas: 1, perPodRequests: 10, per: '1s' }]);
});

test('average follows the replica count it is given', () => {
  const r = render(limiter({ limits: [{ name: 'a', strategy: 'average', rate: { requests: 10, per: '1s' } }] }), ctx({ replicas: 4 }));
  assert.deepEqual(r.effective, [{ limit: 'a', strategy: 'average', replicas: 4, perPodRequests: 2, per: '1s' }]);
});

test('two limits asking different bodies for one port and status are refused', () => {
  const r = render(
    limiter({
      limits: [
        { name: 'a', rate: { requests: 1, per: '1s' }, response: { body: 'one' } },
        { name: 'b', rate: { requests: 1, per: '1m' }, response: { body: 'two' } },
        { name: 'c', rate: { requests: 1, per: '1h' }, response: { body: 'three', status: 503 } },
      ],
    }),
    ctx(),
  );
  assert.deepEqual(rules(r), ['MW606 spec.limits[1].response.body']);
});

test('a Wasm plugin listed after a Lua filter, or out of phase order, is refused', () => {
  const r = render(
    plugin({
      plugins: [
        { name: 'stats', wasm: { url: 'oci://r/s:1', phase: 'STATS' } },
        { name: 'authn', wasm: { url: 'oci://r/a:1', phase: 'AUTHN' } },
        { name: 'lua', lua: { code: 'function envoy_on_request(h) end' } },
        { name: 'late', wasm: { url: 'oci://r/l:1' } },
      ],
    }),
    ctx(),
  );
  assert.deepEqual(rules(r), ['MW607 spec.plugins[1].wasm.phase', 'MW607 spec.plugins[3]']);
});

test('per-route config of an unknown native filter needs an @type', () => {
  const r = render(plugin({ plugins: [{ name: 'x', native: { type: 'envoy.extensions.filters.http.unknown.v3.X' }, routes: [{ route: 'default', config: { a: 1 } }] }] }), ctx());
  assert.deepEqual(rules(r), ['MW608 spec.plugins[0].routes[0].config']);
});

test('several resources on one workload get distinct filter instance names', () => {
  const names = ['one', 'two'].flatMap((n) => patchesOf(render(limiter({}, { name: n }), ctx()).objects[0]!).map((p) => p.patch.value.name as string));
  assert.deepEqual(names, ['meshwarden.ratelimit.shop.one.a', 'meshwarden.ratelimit.shop.two.a']);
});

test('the istio.io/rev label passes through; owner references need the owner uid', () => {
  const offline = render(limiter({}, { labels: { 'istio.io/rev': 'canary' } }), ctx()).objects[0]!;
  assert.equal(offline.metadata.labels!['istio.io/rev'], 'canary');
  assert.equal(offline.metadata.ownerReferences, undefined);
  const live = render(limiter({}, { uid: 'u-1' }), ctx()).objects[0]!;
  assert.deepEqual(live.metadata.ownerReferences, [{ apiVersion: 'meshwarden.io/v1alpha1', kind: 'SmartLimiter', name: 'lim', uid: 'u-1', controller: true, blockOwnerDeletion: true }]);
});

test('the generated EnvoyFilter always sets a priority; spec.priority overrides it', () => {
  assert.equal((render(limiter({}), ctx()).objects[0]!.spec as { priority: number }).priority, 10);
  assert.equal((render(limiter({ priority: -3 }), ctx()).objects[0]!.spec as { priority: number }).priority, -3);
  assert.equal((render(plugin({ plugins: [{ name: 'l', lua: { code: 'x = 1' } }] }), ctx()).objects[0]!.spec as { priority: number }).priority, 20);
});

test('plugins are inserted before the router in list order', () => {
  const r = render(plugin({ plugins: ['a', 'b', 'c'].map((name) => ({ name, lua: { code: 'x = 1' } })) }), ctx());
  const inserted = patchesOf(r.objects[0]!).filter((p) => p.patch.operation === 'INSERT_BEFORE');
  assert.deepEqual(
    inserted.map((p) => p.patch.value.name),
    ['meshwarden.shop.plug.a', 'meshwarden.shop.plug.b', 'meshwarden.shop.plug.c'],
  );
  assert.ok(inserted.every((p) => p.match.listener.filterChain.filter.subFilter.name === 'envoy.filters.http.router'));
});

test('a limit by client address on sidecar inbound warns that X-Forwarded-For decides it; on a gateway it does not', () => {
  const byCidr: Limit = { name: 'a', rate: { requests: 1, per: '1s' }, match: { sourceCIDRs: ['10.0.0.0/8'] } };
  const sidecar = render(limiter({ limits: [byCidr] }), ctx());
  assert.deepEqual(rules(sidecar), ['MW612 spec.limits[0].match.sourceCIDRs']);
  assert.equal(sidecar.findings[0]!.severity, 'warning');
  const perIp = render(limiter({ limits: [{ name: 'a', rate: { requests: 1, per: '1s' }, distinctBy: { sourceIP: true } }] }), ctx());
  assert.deepEqual(rules(perIp), ['MW612 spec.limits[0].distinctBy.sourceIP']);
  const gateway = render(limiter({ target: { gateway: { selector: { istio: 'ingressgateway' } } }, limits: [byCidr] }), ctx());
  assert.deepEqual(rules(gateway), []);
});
