/**
 * istiod in the loop (issue 9, item 2): SmartLimiter → operator → EnvoyFilter → real istiod pushes →
 * the wheel's Envoy (as an ingress gateway) ACKs → requests beyond the quota get 429.
 * And the other way: a hand-written EnvoyFilter that bypasses our webhook and that Envoy rejects is
 * seen as a NACK (istiod /debug/syncz lastError, Envoy's update_rejected stat), and the gateway keeps
 * serving its last good listener.
 * One control plane; per Istio minor one istiod, one operator, one gateway Envoy, one Node backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend, request } from '../envoy/harness.js';
import { eventually, startEnv, startOperator, type Env, type Operator, waitCondition } from '../operator/helpers.js';
import { freePort } from '../harness/controlplane.js';
import {
  dumpListenerErrors,
  dumpRoutes,
  httpFilterNames,
  installIstio,
  ISTIOD_MINOR_LIST,
  istiodSkipReason,
  meshWidePlaintext,
  registerPod,
  serviceYaml,
  startEnvoyProxy,
  startIstiod,
  type EnvoyProxy,
  type Istiod,
  type SyncStatus,
} from '../harness/istiod.js';

const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';

/**
 * The gateway's routing: Gateway :80 for shop.example.com and deals.example.com → one VirtualService
 * for both → ServiceEntry → the Node backend on loopback. istiod merges the two hosts' vhosts into
 * one named after the first, deals.example.com:80 (route collapse, ADR 0077): the SmartLimiter on
 * shop.example.com only works because it matches the vhost by domain (and then covers both hosts).
 */
function routingYaml(backendPort: number, gwPort: number): string {
  return [
    meshWidePlaintext,
    serviceYaml('istio-system', 'istio-ingressgateway', { istio: 'ingressgateway' }, [{ name: 'http2', port: 80, targetPort: gwPort }]),
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com, deals.example.com]
`,
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: istio-system}
spec:
  hosts: [backend.example.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${backendPort}}}]
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: istio-system}
spec:
  hosts: [shop.example.com, deals.example.com]
  gateways: [istio-system/gw]
  http:
  - name: all
    route: [{destination: {host: backend.example.internal, port: {number: 80}}}]
`,
  ].join('---\n');
}

const limiter = (requests: number) => `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: shop, namespace: istio-system}
spec:
  target:
    gateway:
      selector: {istio: ingressgateway}
  limits:
  - name: shop-host
    port: 80
    host: shop.example.com
    rate: {requests: ${requests}, per: 1m}
`;

/** An EnvoyFilter our webhook would refuse: a local_ratelimit without its required stat_prefix. */
const badFilter = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: hand-written-bad, namespace: istio-system}
spec:
  workloadSelector: {labels: {istio: ingressgateway}}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: hand.written.bad
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
          token_bucket: {max_tokens: 1, fill_interval: 1s}
`;

const GATEWAY = { kind: 'router', name: 'gw-0', namespace: 'istio-system', labels: { istio: 'ingressgateway' } } as const;
const listenerStatus = (s: SyncStatus | undefined) => s?.resources?.[LISTENER_TYPE];

for (const minor of ISTIOD_MINOR_LIST) {
  describe(`istiod ${minor} + Envoy gateway`, { skip: istiodSkipReason(minor), timeout: 600_000 }, () => {
    let env: Env;
    let istiod: Istiod;
    let gw: EnvoyProxy;
    let op: Operator;
    let backend: Awaited<ReturnType<typeof startBackend>>;
    let gwPort: number;
    const host = { host: 'shop.example.com' };

    before(async () => {
      env = await startEnv();
      await installIstio(env.cp, minor);
      backend = await startBackend();
      gwPort = await freePort();
      await env.apply(routingYaml(backend.port, gwPort));
      await registerPod(env.cp, GATEWAY, [gwPort]);
      istiod = await startIstiod(env.cp, { minor, log: (m) => console.error(`[istiod] ${m}`) });
      console.error(`[istiod] ${minor} started in ${istiod.startMs} ms`);
      op = await startOperator(env, ['--leader-elect=false', '--istio-version', minor]);
      gw = await startEnvoyProxy(istiod, GATEWAY);
    });

    after(async () => {
      await gw?.stop();
      await op?.stop();
      await istiod?.stop();
      await backend?.close();
      await env?.stop();
    });

    test("the gateway ACKs istiod's config with no Istio-only filter left, and routes to the backend", async () => {
      const listener = `0.0.0.0_${gwPort}`;
      const filters = await gw.waitFor(`listener ${listener}`, (d) => {
        const f = httpFilterNames(d, listener);
        return f.length > 0 ? f : undefined;
      });
      assert.deepEqual(dumpListenerErrors(await gw.configDump()), []);
      assert.ok(!filters.some((f) => f.startsWith('istio.')), `no Istio-only filter: ${filters.join(', ')}`);
      assert.equal(filters.at(-1), 'envoy.filters.http.router');
      const r = await eventually('a 200 through the gateway', 30_000, async () => {
        const x = await request(gwPort, '/', { headers: host });
        return x.status === 200 ? x : undefined;
      });
      assert.match(r.body, /"host":"shop\.example\.com"/);
      const s = (await istiod.syncz()).find((x) => x.proxy === gw.proxyId);
      assert.ok(s, 'istiod lists the gateway in /debug/syncz');
      assert.equal(listenerStatus(s)?.lastError ?? '', '');
      assert.equal(listenerStatus(s)?.acked, listenerStatus(s)?.sent, 'listeners ACKed');
    });

    test('SmartLimiter → EnvoyFilter → istiod push → Envoy ACK → 429 after the quota', async () => {
      const t0 = Date.now();
      await env.apply(limiter(3));
      const name = 'meshwarden.ratelimit.istio-system.shop.shop-host';
      // Both clocks run from the apply: when the operator reports Ready, when Envoy holds the filter.
      const [ready, inEnvoy] = await Promise.all([
        waitCondition(env, 'smartlimiter', 'istio-system', 'shop', 'Ready', 'True').then(() => Date.now() - t0),
        gw.waitFor(`${name} in Envoy's listener`, (d) => httpFilterNames(d, `0.0.0.0_${gwPort}`).includes(name)).then(() => Date.now() - t0),
      ]);
      console.error(`[latency] ${minor}: SmartLimiter applied → Ready ${ready} ms; → filter in Envoy's config_dump ${inEnvoy} ms`);
      const s = listenerStatus((await istiod.syncz()).find((x) => x.proxy === gw.proxyId));
      assert.equal(s?.lastError ?? '', '', 'no NACK');
      // The token bucket holds 3; the route's per-filter config may land a moment after the listener.
      const codes = await eventually('a 429 through the gateway', 30_000, async () => {
        const c: number[] = [];
        for (let i = 0; i < 6; i++) c.push((await request(gwPort, '/', { headers: host })).status);
        return c.includes(429) ? c : undefined;
      });
      assert.ok(codes.filter((c) => c === 200).length <= 3, `at most 3 × 200 in ${codes.join(',')}`);
      // One vhost serves both hosts, named after deals.example.com: the limit found it by its domain,
      // and so applies to the whole vhost, deals.example.com included, with the same bucket (ADR 0077).
      const vhosts = dumpRoutes(await gw.configDump()).flatMap((rc) => (rc['virtual_hosts'] as Array<{ name: string; domains: string[] }> | undefined) ?? []);
      assert.deepEqual(
        vhosts.map((v) => [v.name, [...v.domains].sort()]),
        [['deals.example.com:80', ['deals.example.com', 'shop.example.com']]],
      );
      assert.equal((await request(gwPort, '/', { headers: { host: 'deals.example.com' } })).status, 429, 'the other host of the merged vhost shares the bucket');
      const stats = await gw.stats('meshwarden.istio-system.shop.shop-host');
      assert.ok(
        Object.entries(stats).some(([k, v]) => k.endsWith('http_local_rate_limit.rate_limited') && v > 0),
        JSON.stringify(stats),
      );
    });

    test('a bad hand-written EnvoyFilter (past the webhook) is NACKed; the gateway keeps its last good listener', async () => {
      const before = await gw.stats('listener_manager.lds.update_rejected');
      const t0 = Date.now();
      await env.apply(badFilter);
      const nack = await eventually(
        'istiod records the NACK',
        30_000,
        async () => {
          const e = listenerStatus((await istiod.syncz()).find((x) => x.proxy === gw.proxyId))?.lastError;
          return e ? e : undefined;
        },
        50,
      );
      console.error(`[latency] ${minor}: bad EnvoyFilter applied → NACK in syncz ${Date.now() - t0} ms: ${nack}`);
      assert.match(nack, /stat_prefix|StatPrefix/i, nack);
      const after = await gw.stats('listener_manager.lds.update_rejected');
      assert.ok((after['listener_manager.lds.update_rejected'] ?? 0) > (before['listener_manager.lds.update_rejected'] ?? 0), 'Envoy counted the rejected update');
      // The last good listener stays: still limited, still routed.
      const listenerFilters = httpFilterNames(await gw.configDump(), `0.0.0.0_${gwPort}`);
      assert.ok(!listenerFilters.includes('hand.written.bad'));
      assert.ok(listenerFilters.includes('meshwarden.ratelimit.istio-system.shop.shop-host'));

      // Push-to-ACK: a good EnvoyFilter written straight to the API server until Envoy holds it.
      await env.kubectl(['delete', 'envoyfilter', 'hand-written-bad', '-n', 'istio-system']);
      const t1 = Date.now();
      await env.apply(
        badFilter.replace('hand-written-bad', 'hand-written-good').replace('hand.written.bad', 'hand.written.good').replace('token_bucket:', 'stat_prefix: good\n          token_bucket:'),
      );
      await gw.waitFor('hand.written.good in Envoy', (d) => httpFilterNames(d, `0.0.0.0_${gwPort}`).includes('hand.written.good'), 30_000);
      console.error(`[latency] ${minor}: EnvoyFilter applied → in Envoy's config_dump ${Date.now() - t1} ms`);
      await env.kubectl(['delete', 'envoyfilter', 'hand-written-good', '-n', 'istio-system']);
      await eventually('the NACK clears after the next ACK', 30_000, async () => {
        const s = listenerStatus((await istiod.syncz()).find((x) => x.proxy === gw.proxyId));
        return !s?.lastError && s?.acked === s?.sent;
      });
    });
  });
}
