/**
 * The `Effective` condition against real istiod and Envoy (issue 9, item 5; ADR 0085): the operator
 * asks istiod's syncz (gRPC, istio.io/debug/syncz) whether the proxies a resource selects accepted
 * the configuration built with its objects.
 *
 *   - a good SmartLimiter → Effective=True once the gateway ACKed;
 *   - an EnvoyPlugin our validator passes but Envoy NACKs (a second websocket upgrade config merged
 *     into the HCM, which already has one: Envoy checks duplicates in code, not in the proto rules;
 *     the operator's verdict does not run Envoy) → Effective=False with Envoy's error text, while
 *     the SmartLimiter stays True;
 *   - the EnvoyPlugin fixed → Effective=True again;
 *   - the operator restarted, finding istiod through its pods (--istiod-discovery) → the same
 *     verdicts, no status rewritten.
 *
 * Two gateway replicas (the wheel's Envoy as `router` gw-0 and gw-1 in istio-system), each connected
 * to an istiod of another revision (default, canary), and one address where nothing answers: the
 * operator asks all three. Pod objects of those names (never scheduled: there are no nodes; their
 * status set as a kubelet would) are what the operator selects. istiod runs with
 * ENABLE_DEBUG_ENDPOINT_AUTH=false: on its plaintext port it answers debug types only then
 * (statusgen.go; in a cluster the operator uses 15012 with a token, see syncz.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../harness/controlplane.js';
import {
  httpFilterNames,
  installIstio,
  ISTIOD_MINOR_LIST,
  istiodSkipReason,
  listenerNames,
  meshWidePlaintext,
  serviceYaml,
  startEnvoyProxy,
  startIstiod,
  type EnvoyProxy,
  type Istiod,
} from '../harness/istiod.js';
import { eventually, startEnv, startOperator, waitCondition, type Env, type Operator } from '../operator/helpers.js';

/** Two gateway replicas, each connected to the istiod of another revision (both bind the port: Envoy sets SO_REUSEPORT). */
const gateways = [
  { name: 'gw-0', revision: 'default' },
  { name: 'gw-1', revision: 'canary' },
] as const;

/** The gateway's routing: Gateway :80 → VirtualService → a ServiceEntry (no traffic is sent). */
function routingYaml(gwPort: number): string {
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
    hosts: [shop.example.com]
`,
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: istio-system}
spec:
  hosts: [backend.example.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: 9}}]
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: istio-system}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{destination: {host: backend.example.internal, port: {number: 80}}}]
`,
    // What the operator selects: the gateways' pods (labels as the proxies' node metadata says).
    ...gateways.map(
      (g) => `apiVersion: v1
kind: Pod
metadata: {name: ${g.name}, namespace: istio-system, labels: {istio: ingressgateway}}
spec:
  containers: [{name: istio-proxy, image: proxy, ports: [{containerPort: ${gwPort}}]}]
`,
    ),
  ].join('---\n');
}

const podStatus = { status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] } };

const limiter = `apiVersion: meshwarden.io/v1alpha1
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
    rate: {requests: 100, per: 1m}
`;

/** A raw patch: MERGE into the gateway's HTTP connection manager. */
const plugin = (hcmFields: string): string => `apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: hcm, namespace: istio-system}
spec:
  target:
    gateway:
      selector: {istio: ingressgateway}
  patches:
  - applyTo: NETWORK_FILTER
    match:
      context: GATEWAY
      listener:
        filterChain:
          filter: {name: envoy.filters.network.http_connection_manager}
    patch:
      operation: MERGE
      value:
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
${hcmFields}`;

interface Cond {
  status: string;
  reason: string;
  message: string;
}

/** When the operator logged the Effective verdict of a resource (pino `time`, ms), after `since`. */
function loggedAt(op: Operator, resource: string, status: string, since: number): number | undefined {
  for (const line of op.log().split('\n')) {
    if (!line.includes('effective condition changed') || !line.includes(`"resource":"${resource}"`) || !line.includes(`"status":"${status}"`)) continue;
    const t = (JSON.parse(line) as { time: number }).time;
    if (t >= since) return t;
  }
  return undefined;
}

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

for (const minor of ISTIOD_MINOR_LIST) {
  describe(`Effective condition, istiod ${minor} + Envoy gateways and a sidecar`, { skip: istiodSkipReason(minor), timeout: 600_000 }, () => {
    let env: Env;
    const istiods: Istiod[] = [];
    const gws: EnvoyProxy[] = [];
    let op: Operator;
    let gwPort: number;

    before(async () => {
      env = await startEnv();
      await installIstio(env.cp, minor);
      gwPort = await freePort();
      await env.apply(routingYaml(gwPort));
      // As the kubelet would report it: istiod finds the proxy's pod by name and reads its IP.
      for (const g of gateways) {
        await env.kubectl(['patch', 'pod', g.name, '-n', 'istio-system', '--subresource=status', '--type=merge', '-p', JSON.stringify(podStatus)]);
        const istiod = await startIstiod(env.cp, { minor, env: { ENABLE_DEBUG_ENDPOINT_AUTH: 'false', REVISION: g.revision }, log: (m) => console.error(`[istiod] ${m}`) });
        istiods.push(istiod);
        const gw = await startEnvoyProxy(istiod, { kind: 'router', name: g.name, namespace: 'istio-system', labels: { istio: 'ingressgateway' } });
        gws.push(gw);
        let seen: string[] = [];
        await eventually(`${g.name}: listener 0.0.0.0_${gwPort}`, 30_000, async () => {
          const d = await gw.configDump();
          seen = listenerNames(d);
          return httpFilterNames(d, `0.0.0.0_${gwPort}`).length > 0;
        }).catch((e: Error) => assert.fail(`${e.message}; listeners: ${seen.join(', ')}; istiod log:\n${istiod.logTail(30)}`));
      }
      // Plus an address where no istiod answers: the others' reports must still count.
      const dead = `127.0.0.1:${await freePort()}`;
      op = await startOperator(env, [
        '--leader-elect=false',
        '--log-level',
        process.env.MESHWARDEN_E2E_LOG_LEVEL ?? 'info',
        '--istio-version',
        minor,
        ...[...istiods.map((i) => i.xdsAddress), dead].flatMap((a) => ['--istiod-address', a]),
      ]);
    });

    after(async () => {
      await op?.stop();
      for (const g of gws) await g.stop();
      for (const i of istiods) await i.stop();
      await env?.stop();
    });

    test('a good SmartLimiter: Effective=True once both gateways (two istiod revisions) acknowledged the push', async () => {
      const t0 = Date.now();
      await env.apply(limiter);
      const c = (await waitCondition(env, 'smartlimiter', 'istio-system', 'shop', 'Effective', 'True', 'Accepted', 60_000)) as Cond;
      assert.match(c.message, /^all 2 connected selected proxies accepted the configuration written at /);
      // It is really there: the filter is in the listener each Envoy runs.
      for (const gw of gws) assert.ok(httpFilterNames(await gw.configDump(), `0.0.0.0_${gwPort}`).includes('meshwarden.ratelimit.istio-system.shop.shop-host'));
      const at = loggedAt(op, 'SmartLimiter/istio-system/shop', 'True', t0);
      const written = Date.parse(/written at (\S+)$/.exec(c.message)?.[1] ?? '');
      console.error(
        `[effective] ${minor}: SmartLimiter applied → Effective=True decided in ${at ? at - t0 : '?'} ms, ${at ? at - written : '?'} ms after the EnvoyFilter write (operator log); visible to kubectl within ${Date.now() - t0} ms`,
      );
    });

    test("an EnvoyPlugin the validator passes and Envoy NACKs: Effective=False with Envoy's error; the SmartLimiter stays True", async () => {
      const t0 = Date.now();
      await env.apply(plugin('          upgrade_configs: [{upgrade_type: websocket}]\n'));
      await waitCondition(env, 'envoyplugin', 'istio-system', 'hcm', 'Accepted', 'True', undefined, 60_000);
      const c = (await waitCondition(env, 'envoyplugin', 'istio-system', 'hcm', 'Effective', 'False', 'Rejected', 60_000)) as Cond;
      assert.match(
        c.message,
        /^proxy gw-0\.istio-system rejected the LDS update istiod pushed after this resource's objects were written \(2 of 2 proxies rejected it: gw-0\.istio-system, gw-1\.istio-system\): .*multiple upgrade configs with the same name: 'websocket'/,
      );
      const at = loggedAt(op, 'EnvoyPlugin/istio-system/hcm', 'False', t0);
      console.error(`[effective] ${minor}: EnvoyPlugin applied → Effective=False decided in ${at ? at - t0 : '?'} ms; message: ${c.message}`);
      // The gateway still runs the SmartLimiter's filter (its last good listener): that resource stays True.
      for (const gw of gws) assert.ok(httpFilterNames(await gw.configDump(), `0.0.0.0_${gwPort}`).includes('meshwarden.ratelimit.istio-system.shop.shop-host'));
      const sl = await env.getJson<{ status: { conditions: Array<Cond & { type: string }> } }>('smartlimiter', 'istio-system', 'shop');
      assert.equal(sl?.status.conditions.find((x) => x.type === 'Effective')?.status, 'True');
      // An Event tells the user too.
      await eventually('a Warning event for the NACK', 30_000, async () => {
        const ev = await env.kubectl(['get', 'events.events.k8s.io', '-n', 'istio-system', '-o', 'json']);
        return (JSON.parse(ev) as { items: Array<{ regarding?: { name?: string }; note?: string; type?: string }> }).items.some(
          (e) => e.regarding?.name === 'hcm' && e.type === 'Warning' && /Effective=False/.test(e.note ?? ''),
        );
      });
    });

    test('the EnvoyPlugin fixed: Effective=True again; the cost of it all in syncz queries', async () => {
      const t0 = Date.now();
      await env.apply(plugin('          stream_idle_timeout: 30s\n'));
      const fixed = (await waitCondition(env, 'envoyplugin', 'istio-system', 'hcm', 'Effective', 'True', 'Accepted', 60_000)) as Cond;
      const at = loggedAt(op, 'EnvoyPlugin/istio-system/hcm', 'True', t0);
      const written = Date.parse(/written at (\S+)$/.exec(fixed.message)?.[1] ?? '');
      console.error(`[effective] ${minor}: EnvoyPlugin fixed (warm operator) → Effective=True decided in ${at ? at - t0 : '?'} ms, ${at ? at - written : '?'} ms after the EnvoyFilter write`);
      const m = await op.metrics();
      const ok = metric(m, 'meshwarden_syncz_queries_total', 'result="success"');
      const failed = metric(m, 'meshwarden_syncz_queries_total', 'result="error"');
      const sum = metric(m, 'meshwarden_syncz_query_seconds_sum');
      console.error(`[effective] ${minor}: ${ok + failed} syncz queries (${failed} to the dead address) for 3 changes of 2 resources, mean ${((sum / (ok + failed)) * 1000).toFixed(1)} ms`);
      // Every round asks each of the three addresses once; the dead one fails every time.
      assert.ok(ok > 0 && failed * 2 === ok, `two istiods answered ${ok}, the dead address failed ${failed}`);
      assert.ok(ok + failed < 60, `polling is bounded: ${ok + failed} queries`);
      // Both verdicts final: nothing is polled any more.
      await eventually('both resources settled', 10_000, async () => {
        const x = await op.metrics();
        return metric(x, 'meshwarden_effective_resources', 'state="settled"') === 2 && metric(x, 'meshwarden_effective_resources', 'state="polling"') === 0;
      });
    });

    test("a sidecar: a SmartLimiter on a Service selects its pod's proxy, Effective=True once it ACKed", async () => {
      await env.apply(`apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
${serviceYaml('shop', 'reviews', { app: 'reviews' }, [{ name: 'http', port: 9080, targetPort: 8080 }])}---
apiVersion: v1
kind: Pod
metadata: {name: reviews-0, namespace: shop, labels: {app: reviews}}
spec:
  containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]
`);
      await env.kubectl(['patch', 'pod', 'reviews-0', '-n', 'shop', '--subresource=status', '--type=merge', '-p', JSON.stringify(podStatus)]);
      const sidecar = await startEnvoyProxy(istiods[0]!, { kind: 'sidecar', name: 'reviews-0', namespace: 'shop', labels: { app: 'reviews' } });
      try {
        await eventually("the sidecar's inbound listener", 30_000, async () => listenerNames(await sidecar.configDump()).includes('virtualInbound'));
        await env.apply(`apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: reviews, namespace: shop}
spec:
  target: {service: reviews}
  limits:
  - name: all
    port: 9080
    rate: {requests: 100, per: 1m}
`);
        const c = (await waitCondition(env, 'smartlimiter', 'shop', 'reviews', 'Effective', 'True', 'Accepted', 60_000)) as Cond;
        assert.match(c.message, /^all 1 connected selected proxies accepted/);
        const inbound = JSON.stringify((await sidecar.configDump()).configs);
        assert.ok(inbound.includes('meshwarden.ratelimit.shop.reviews.all'), 'the filter is in the sidecar');
      } finally {
        await sidecar.stop();
      }
    });

    test('an operator restart, now finding istiod by its pods, keeps the verdicts without rewriting them', async () => {
      const rv = async (): Promise<string[]> =>
        Promise.all(
          [
            ['smartlimiter', 'shop'],
            ['envoyplugin', 'hcm'],
          ].map(async ([k, n]) => (await env.getJson<{ metadata: { resourceVersion: string } }>(k!, 'istio-system', n!))!.metadata.resourceVersion),
        );
      // The sidecar is gone, its pod stays: that resource may turn NoProxies; the gateway's must not move.
      const before = await rv();
      await op.stop();
      // The istiod pods as a cluster has them (chart labels and port names), at their real addresses.
      for (const [i, istiod] of istiods.entries()) {
        const name = `istiod-${gateways[i]!.revision}-0`;
        await env.apply(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: istio-system, labels: {app: istiod, istio: pilot, istio.io/rev: ${gateways[i]!.revision}}}
spec:
  containers: [{name: discovery, image: pilot, ports: [{name: grpc-xds, containerPort: ${istiod.xdsPort}}, {name: http-debug, containerPort: 8080}]}]
`);
        await env.kubectl(['patch', 'pod', name, '-n', 'istio-system', '--subresource=status', '--type=merge', '-p', JSON.stringify(podStatus)]);
      }
      op = await startOperator(env, ['--leader-elect=false', '--istio-version', minor, '--istiod-discovery']);
      await eventually('the new operator judged both resources', 30_000, async () => {
        const m = await op.metrics();
        return metric(m, 'meshwarden_syncz_queries_total', 'result="success"') >= istiods.length && metric(m, 'controller_runtime_reconcile_total', 'controller="envoyplugin",result="success"') >= 1;
      });
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await rv(), before, 'no status write: same verdicts, same messages');
    });
  });
}
