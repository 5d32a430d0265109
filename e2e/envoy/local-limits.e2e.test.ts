/**
 * Local rate limits through a real Envoy (1.36.2 for Istio 1.28, 1.39.3 for Istio 1.31):
 * each SmartLimiter is rendered by the real renderer, its EnvoyFilter applied to istiod's
 * baseline, and the resulting HTTP connection manager served on 127.0.0.1 in front of a
 * Node backend (harness.ts). Buckets refill continuously, so limits under test use `per: 1h`
 * (one token every 36 s or slower): a short loop sees exactly `requests + burst` pass.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENVOYS, renderEnvoyFilter, skipReason, startTraffic } from './harness.js';
import type { EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';

/** The stat_prefix values of the LocalRateLimit filters the EnvoyFilter inserts. */
const statPrefixes = (ef: EnvoyFilterObject) => [...new Set([...JSON.stringify(ef).matchAll(/"stat_prefix":"([^"]+)"/g)].map((m) => m[1]!))];
const repeat = (n: number, v: number) => Array<number>(n).fill(v);

const skip = skipReason();
const inbound = { side: 'inbound', port: 8080 } as const;

const service = `
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 8080}]
`;

const limiter = (limits: string, target = 'target: {service: reviews}') => `
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: reviews, namespace: bookinfo}
spec:
  ${target}
  limits:
${limits}
${service}`;

for (const build of ENVOYS) {
  describe(`local limits on Envoy ${build.envoy} (Istio ${build.istio})`, { skip, timeout: 240_000 }, () => {
    test('perPod: exactly requests + burst pass, then the configured status, body and headers', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: per-pod
    port: 9080
    rate: {requests: 8, per: 1h}
    burst: 4
    response:
      status: 503
      body: '{"error": "slow down"}'
      headers: {retry-after: "60", x-limited-by: meshwarden}`),
      );
      const control = await startTraffic(build, ef, inbound, { withoutPatches: true });
      try {
        assert.deepEqual(await control.burst(16, '/reviews/1'), repeat(16, 200), 'the same baseline without the patches never limits');
      } finally {
        await control.stop();
      }
      const t = await startTraffic(build, ef, inbound);
      try {
        const codes = await t.burst(16, '/reviews/1');
        assert.deepEqual(codes, [...Array(12).fill(200), ...Array(4).fill(503)], codes.join(','));
        const r = await t.send('/reviews/1');
        assert.equal(r.status, 503);
        assert.equal(r.body, '{"error": "slow down"}');
        assert.equal(r.headers['retry-after'], '60');
        assert.equal(r.headers['x-limited-by'], 'meshwarden');
        assert.equal(t.backend.seen, 12, 'limited requests never reach the backend');
      } finally {
        await t.stop();
      }
    });

    /** A limit of 2 per hour with `match`; `hit` requests are limited after 2, `miss` requests never. */
    const matchCases: Array<{
      name: string;
      match: string;
      hit: { path: string; method?: string; headers?: Record<string, string> };
      miss: Array<{ path: string; method?: string; headers?: Record<string, string> }>;
    }> = [
      { name: 'header', match: '{headers: [{name: x-tier, exact: free}]}', hit: { path: '/', headers: { 'x-tier': 'free' } }, miss: [{ path: '/', headers: { 'x-tier': 'paid' } }, { path: '/' }] },
      { name: 'query', match: '{query: [{name: region, regex: "eu-[a-z]+"}]}', hit: { path: '/orders?region=eu-west' }, miss: [{ path: '/orders?region=us-east' }, { path: '/orders' }] },
      { name: 'path prefix', match: '{path: {prefix: /api}}', hit: { path: '/api/items' }, miss: [{ path: '/static/app.js' }] },
      { name: 'path exact', match: '{path: {exact: /orders}}', hit: { path: '/orders' }, miss: [{ path: '/orders/1' }] },
      {
        name: 'method',
        match: '{methods: [POST, PUT]}',
        hit: { path: '/orders', method: 'POST' },
        miss: [
          { path: '/orders', method: 'GET' },
          { path: '/orders', method: 'DELETE' },
        ],
      },
      { name: 'source CIDR containing 127.0.0.1', match: '{sourceCIDRs: [127.0.0.0/8]}', hit: { path: '/' }, miss: [] },
    ];
    for (const c of matchCases) {
      test(`${c.name} match limits only matching requests`, async () => {
        const ef = renderEnvoyFilter(
          limiter(`
  - name: matched
    port: 9080
    match: ${c.match}
    rate: {requests: 2, per: 1h}`),
        );
        const t = await startTraffic(build, ef, inbound);
        try {
          for (const m of c.miss) assert.deepEqual(await t.burst(4, m.path, m), repeat(4, 200), `not matching: ${JSON.stringify(m)}`);
          assert.deepEqual(await t.burst(4, c.hit.path, c.hit), [200, 200, 429, 429], `matching: ${JSON.stringify(c.hit)}`);
          for (const m of c.miss) assert.deepEqual(await t.burst(2, m.path, m), [200, 200], `not matching after the bucket ran dry: ${JSON.stringify(m)}`);
        } finally {
          await t.stop();
        }
      });
    }

    test('source CIDR not containing 127.0.0.1 never limits loopback clients (but XFF inside it does)', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: partners
    port: 9080
    match: {sourceCIDRs: [10.0.0.0/8, "2001:db8::/32"]}
    rate: {requests: 2, per: 1h}`),
      );
      const t = await startTraffic(build, ef, inbound);
      try {
        assert.deepEqual(await t.burst(6, '/'), repeat(6, 200));
        // On the inbound HCM (use_remote_address: false) the source is the last XFF entry.
        assert.deepEqual(await t.burst(3, '/', { headers: { 'x-forwarded-for': '10.1.2.3' } }), [200, 200, 429], 'a client named by XFF inside the CIDR is limited');
      } finally {
        await t.stop();
      }
    });

    test('distinctBy header: one bucket per value, requests without the header share one', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: per-user
    port: 9080
    distinctBy: {header: X-User-Id}
    rate: {requests: 2, per: 1h}`),
      );
      const t = await startTraffic(build, ef, inbound);
      try {
        assert.deepEqual(await t.burst(3, '/', { headers: { 'x-user-id': 'alice' } }), [200, 200, 429], 'alice');
        assert.deepEqual(await t.burst(3, '/', { headers: { 'x-user-id': 'bob' } }), [200, 200, 429], 'bob has his own bucket');
        assert.deepEqual(await t.burst(3, '/'), [200, 200, 429], 'no header: one shared bucket');
        assert.deepEqual(await t.burst(1, '/'), [429], 'still shared');
        assert.deepEqual(await t.burst(2, '/', { headers: { 'x-user-id': 'carol' } }), [200, 200], 'carol is untouched by the others');
        assert.deepEqual(await t.burst(1, '/', { headers: { 'x-user-id': 'alice' } }), [429], 'alice is still limited');
      } finally {
        await t.stop();
      }
    });

    test('distinctBy query parameter and source IP: one bucket per value', async () => {
      const byQuery = renderEnvoyFilter(
        limiter(`
  - name: per-tenant
    port: 9080
    distinctBy: {query: tenant}
    rate: {requests: 1, per: 1h}`),
      );
      const t = await startTraffic(build, byQuery, inbound);
      try {
        assert.deepEqual(await t.burst(2, '/?tenant=a'), [200, 429]);
        assert.deepEqual(await t.burst(2, '/?tenant=b'), [200, 429], 'tenant b has its own bucket');
      } finally {
        await t.stop();
      }
      const bySource = renderEnvoyFilter(
        limiter(`
  - name: per-client
    port: 9080
    distinctBy: {sourceIP: true}
    rate: {requests: 2, per: 1h}`),
      );
      const u = await startTraffic(build, bySource, inbound);
      try {
        assert.deepEqual(await u.burst(3, '/'), [200, 200, 429], 'the loopback client 127.0.0.1');
        // istiod's inbound HCM has use_remote_address: false, so Envoy takes the client address
        // from the last X-Forwarded-For entry: each XFF value is its own source.
        assert.deepEqual(await u.burst(3, '/', { headers: { 'x-forwarded-for': '10.0.0.2' } }), [200, 200, 429], 'XFF 10.0.0.2');
        assert.deepEqual(await u.burst(1, '/', { headers: { 'x-forwarded-for': '10.0.0.9, 10.0.0.3' } }), [200], 'the last XFF entry counts');
      } finally {
        await u.stop();
      }
    });

    test('shadow mode never rejects but counts rate_limited in /stats', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: trial
    port: 9080
    rate: {requests: 2, per: 1h}
    mode: shadow`),
      );
      const [prefix] = statPrefixes(ef);
      assert.ok(prefix);
      const t = await startTraffic(build, ef, inbound);
      try {
        assert.deepEqual(await t.burst(6, '/'), repeat(6, 200));
        const stats = await t.envoy.stats(`${prefix}.http_local_rate_limit`);
        assert.equal(stats[`${prefix}.http_local_rate_limit.rate_limited`], 4, JSON.stringify(stats));
        assert.equal(stats[`${prefix}.http_local_rate_limit.ok`], 2, JSON.stringify(stats));
        assert.equal(stats[`${prefix}.http_local_rate_limit.enforced`] ?? 0, 0, JSON.stringify(stats));
        assert.equal(t.backend.seen, 6);
      } finally {
        await t.stop();
      }
    });

    test('two limits on one route both apply', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: all
    port: 9080
    rate: {requests: 4, per: 1h}
  - name: writes
    port: 9080
    match: {methods: [POST]}
    rate: {requests: 1, per: 1h}`),
      );
      assert.equal(statPrefixes(ef).length, 2, 'one filter per limit');
      const t = await startTraffic(build, ef, inbound);
      try {
        assert.deepEqual(await t.burst(2, '/', { method: 'POST' }), [200, 429], 'the writes limit applies');
        const gets = await t.burst(5, '/');
        // Both POSTs took a token from "all" (its filter runs first, in limit order, and the
        // second POST passed it before "writes" refused it), so two GETs are left.
        assert.deepEqual(gets, [200, 200, 429, 429, 429], `the all limit applies: ${gets.join(',')}`);
      } finally {
        await t.stop();
      }
    });

    test('average with 3 replicas: each pod gets its share', async () => {
      const ef = renderEnvoyFilter(
        limiter(`
  - name: shared
    port: 9080
    rate: {requests: 30, per: 1h}
    strategy: average`),
        { replicas: 3 },
      );
      const t = await startTraffic(build, ef, inbound);
      try {
        const codes = await t.burst(14, '/');
        assert.deepEqual(codes, [...repeat(10, 200), ...repeat(4, 429)], codes.join(','));
      } finally {
        await t.stop();
      }
    });

    test('outbound: the limit applies to calls to the named host from the client sidecar', async () => {
      const ef = renderEnvoyFilter(
        limiter(
          `
  - name: ratings
    direction: outbound
    host: ratings.bookinfo.svc.cluster.local
    port: 9080
    rate: {requests: 3, per: 1h}`,
          'target: {workloadSelector: {matchLabels: {app: productpage}}}',
        ),
      );
      const t = await startTraffic(build, ef, { side: 'outbound', port: 9080 });
      try {
        const host = { host: 'ratings.bookinfo.svc.cluster.local' };
        assert.deepEqual(await t.burst(5, '/ratings/1', { headers: host }), [200, 200, 200, 429, 429]);
        assert.deepEqual(await t.burst(4, '/reviews/1', { headers: { host: 'reviews.default.svc.cluster.local' } }), repeat(4, 200), 'calls to another host on the port are not limited');
      } finally {
        await t.stop();
      }
    });

    test('gateway: host and route limits on the ingress gateway listener', async () => {
      const ef = renderEnvoyFilter(`
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: ingress, namespace: istio-system}
spec:
  target:
    gateway:
      selector: {istio: ingressgateway}
  limits:
  - name: bookinfo-host
    port: 80
    host: bookinfo.example.com
    rate: {requests: 6, per: 1h}
  - name: login
    port: 80
    host: bookinfo.example.com
    route: login
    rate: {requests: 2, per: 1h}
`);
      const t = await startTraffic(build, ef, { side: 'gateway', port: 8080 });
      try {
        const host = { host: 'bookinfo.example.com' };
        assert.deepEqual(await t.burst(3, '/login', { headers: host }), [200, 200, 429], 'the route limit');
        const rest = await t.burst(6, '/productpage', { headers: host });
        // The three /login requests also took tokens from the host bucket (its filter runs first): 6 - 3 left.
        assert.deepEqual(rest, [200, 200, 200, 429, 429, 429], `the host limit: ${rest.join(',')}`);
      } finally {
        await t.stop();
      }
    });
  });
}
