/**
 * Global limits with the real rate limit service: envoyproxy/ratelimit (built from its Go
 * module, scripts/build-ratelimit.sh) with Redis on loopback loads the ConfigMap the renderer
 * produced; Envoys serving the rendered EnvoyFilter (the RLS cluster
 * `outbound|8081||ratelimit...` pointed at the service's gRPC port over HTTP/2) share one counter.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVOYS, REPO_ROOT, renderObjects, skipReason, startTraffic, type EnvoyBuild } from './harness.js';
import { RATELIMIT_BIN, redisServerPath, startRateLimitService } from './rls.js';
import type { EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';

const skip = skipReason([RATELIMIT_BIN, redisServerPath()]);
const entry = { side: 'inbound', port: 9080 } as const;

function rendered(text: string) {
  const objects = renderObjects(text);
  const ef = objects.find((o) => o.kind === 'EnvoyFilter') as unknown as EnvoyFilterObject;
  const cm = objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
  assert.ok(ef && cm, 'the renderer produced an EnvoyFilter and a ConfigMap');
  const cluster = /"cluster_name":"(outbound\|\d+\|\|[^"]+)"/.exec(JSON.stringify(ef))?.[1];
  assert.ok(cluster, 'the EnvoyFilter names the RLS cluster');
  return { ef, data: cm.data, cluster };
}

const limiter = `
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: productpage, namespace: bookinfo}
spec:
  target: {service: productpage}
  rateLimitService:
    host: ratelimit.rls.svc.cluster.local
    port: 8081
    failureMode: deny
    timeout: 2s
  limits:
  - name: shared
    match: {path: {prefix: /api}}
    rate: {requests: 6, per: 1h}
    strategy: global
  - name: per-user
    match: {path: {prefix: /users}}
    distinctBy: {header: x-user-id}
    rate: {requests: 2, per: 1h}
    strategy: global
---
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo}
spec:
  selector: {app: productpage}
  ports: [{name: http, port: 9080}]
`;

/** Two Envoys (any builds) on one rate limit service. */
async function withTwoEnvoys(a: EnvoyBuild, b: EnvoyBuild, text: string, body: (x: Awaited<ReturnType<typeof startTraffic>>, y: Awaited<ReturnType<typeof startTraffic>>) => Promise<void>) {
  const { ef, data, cluster } = rendered(text);
  const rls = await startRateLimitService(data);
  try {
    const x = await startTraffic(a, ef, entry, { grpcPorts: { [cluster]: rls.grpcPort } });
    try {
      const y = await startTraffic(b, ef, entry, { grpcPorts: { [cluster]: rls.grpcPort } });
      try {
        await body(x, y);
      } finally {
        await y.stop();
      }
    } finally {
      await x.stop();
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ratelimit output:\n${rls.output().slice(-3000)}`, { cause: e });
  } finally {
    await rls.stop();
  }
}

// Fixed hourly windows (the service's `unit: hour`): a run that crosses the hour would see a
// reset; the loops below take well under a second.
for (const build of ENVOYS) {
  describe(`global limits on Envoy ${build.envoy} (Istio ${build.istio}) with envoyproxy/ratelimit`, { skip, timeout: 120_000 }, () => {
    test('two Envoys share one counter', async () => {
      await withTwoEnvoys(build, build, limiter, async (x, y) => {
        assert.deepEqual(await x.burst(3, '/api/a'), [200, 200, 200], 'first Envoy');
        assert.deepEqual(await y.burst(3, '/api/b'), [200, 200, 200], 'second Envoy, same counter');
        assert.deepEqual(await x.burst(2, '/api/a'), [429, 429], 'the shared counter is spent for the first Envoy');
        assert.deepEqual(await y.burst(2, '/api/b'), [429, 429], 'and for the second');
        assert.deepEqual(await x.burst(2, '/home'), [200, 200], 'requests outside both matches are not limited');
        // distinctBy: one shared counter per header value across Envoys.
        assert.deepEqual(await x.burst(2, '/users/me', { headers: { 'x-user-id': 'alice' } }), [200, 200]);
        assert.deepEqual(await y.burst(1, '/users/me', { headers: { 'x-user-id': 'alice' } }), [429], 'alice is limited on the other Envoy too');
        assert.deepEqual(await y.burst(2, '/users/me', { headers: { 'x-user-id': 'bob' } }), [200, 200], 'bob has his own counter');
        const stats = await y.envoy.stats('ratelimit');
        const overLimit = Object.entries(stats)
          .filter(([k]) => k.endsWith('.ratelimit.over_limit'))
          .reduce((n, [, v]) => n + v, 0);
        assert.equal(overLimit, 3, `Envoy counted the service's OVER_LIMIT answers: ${JSON.stringify(stats)}`);
      });
    });
  });
}

describe('global limits across Envoy versions', { skip, timeout: 120_000 }, () => {
  test('Envoy 1.36.2 and 1.39.3 share one counter', async () => {
    await withTwoEnvoys(ENVOYS[0], ENVOYS[1], limiter, async (x, y) => {
      assert.deepEqual([...(await x.burst(4, '/api')), ...(await y.burst(4, '/api'))], [200, 200, 200, 200, 200, 200, 429, 429]);
    });
  });

  test('a ConfigMap update (kubelet-style ..data swap) reaches the service without a restart', async () => {
    const before = rendered(limiter);
    const after = rendered(limiter.replace('rate: {requests: 6, per: 1h}', 'rate: {requests: 2, per: 1h}'));
    assert.deepEqual(after.ef, before.ef, 'only the ConfigMap changes with the rate');
    const rls = await startRateLimitService(before.data);
    try {
      assert.match(await rls.rlconfig(), /requests_per_unit=6\b/);
      rls.update(after.data);
      const deadline = Date.now() + 20_000;
      while (!/requests_per_unit=2\b/.test(await rls.rlconfig())) {
        assert.ok(Date.now() < deadline, `the service did not reload within 20 s:\n${await rls.rlconfig()}\n${rls.output().slice(-2000)}`);
        await new Promise((ok) => setTimeout(ok, 200));
      }
      const x = await startTraffic(ENVOYS[1], after.ef, entry, { grpcPorts: { [after.cluster]: rls.grpcPort } });
      try {
        assert.deepEqual(await x.burst(3, '/api'), [200, 200, 429], 'the new limit applies');
      } finally {
        await x.stop();
      }
    } finally {
      await rls.stop();
    }
  });

  test('the example smartlimiter-global: its ConfigMap loads and its limits are consulted', async () => {
    const text = readFileSync(join(REPO_ROOT, 'examples', 'smartlimiter-global', 'manifests.yaml'), 'utf8');
    await withTwoEnvoys(ENVOYS[0], ENVOYS[1], text, async (x, y) => {
      assert.deepEqual(await x.burst(3, '/api/products', { headers: { 'x-user-id': 'u1' } }), [200, 200, 200]);
      assert.deepEqual(await y.burst(3, '/api/products'), [200, 200, 200]);
      for (const e of [x, y]) {
        const stats = await e.envoy.stats('ratelimit');
        const ok = Object.entries(stats)
          .filter(([k]) => k.endsWith('.ratelimit.ok'))
          .reduce((n, [, v]) => n + v, 0);
        const errors = Object.entries(stats)
          .filter(([k]) => k.endsWith('.ratelimit.error') || k.endsWith('.ratelimit.failure_mode_allowed'))
          .reduce((n, [, v]) => n + v, 0);
        assert.equal(ok, 6, `two filters x three requests answered OK by the service: ${JSON.stringify(stats)}`);
        assert.equal(errors, 0);
      }
    });
  });
});
