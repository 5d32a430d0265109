/**
 * SmartLimiter `response.retryAfter` on a global limit (ADR 0111): the rendered RateLimit filter
 * on the real Envoy 1.40 asks the real envoyproxy/ratelimit (with Redis, on loopback, loading the
 * rendered ConfigMap); the limited reply carries the Retry-After Envoy computes from the service's
 * `duration_until_reset`. Skipped without the binaries (npm run setup; scripts/build-ratelimit.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderObjects } from './harness.js';
import { RATELIMIT_BIN, redisServerPath, startRateLimitService } from './rls.js';
import { envoyBinary, serveEnvoy } from '../../operator/src/validate/envoy-traffic.testkit.js';
import { ENVOY_BOUNDARIES } from '../../operator/src/versions/boundaries.js';
import { istioOfEnvoy } from '../../operator/src/versions/table.js';
import { existsSync } from 'node:fs';

const bin = envoyBinary(ENVOY_BOUNDARIES.retryAfterHeader);
const missing = [bin === undefined ? `Envoy ${ENVOY_BOUNDARIES.retryAfterHeader}` : '', RATELIMIT_BIN, redisServerPath()].filter((p) => p !== '' && !existsSync(p));
const skip = process.env.MESHWARDEN_E2E_REQUIRE === '1' || missing.length === 0 ? false : `missing ${missing.join(', ')} (npm run setup; scripts/build-ratelimit.sh)`;

const limiter = `
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: productpage, namespace: bookinfo}
spec:
  target: {service: productpage}
  rateLimitService: {host: ratelimit.rls.svc.cluster.local, port: 8081, timeout: 2s}
  limits:
  - name: shared
    strategy: global
    rate: {requests: 1, per: 1h}
    response: {retryAfter: true}
---
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo}
spec:
  selector: {app: productpage}
  ports: [{name: http, port: 9080, targetPort: 9080}]
`;

test('global limit with retryAfter: the second request is 429 with Retry-After = seconds to the next hour window', { skip, timeout: 120_000 }, async () => {
  const objects = renderObjects(limiter, { istioVersions: [istioOfEnvoy(ENVOY_BOUNDARIES.retryAfterHeader)!] });
  const ef = objects.find((o) => o.kind === 'EnvoyFilter')!;
  const cm = objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
  const filter = (ef.spec as { configPatches: Array<{ applyTo: string; patch: { value: Record<string, unknown> } }> }).configPatches.find((p) => p.applyTo === 'HTTP_FILTER')!.patch.value;
  assert.equal((filter['typed_config'] as Record<string, unknown>)['enable_retry_after_header'], true);
  const cluster = /"cluster_name":"(outbound\|\d+\|\|[^"]+)"/.exec(JSON.stringify(filter))![1]!;
  const rls = await startRateLimitService(cm.data);
  try {
    const envoy = await serveEnvoy(bin!, { httpFilters: [filter], grpcClusters: { [cluster]: rls.grpcPort }, upstream: true });
    try {
      assert.equal((await envoy.get('/')).status, 200);
      const limited = await envoy.get('/');
      assert.equal(limited.status, 429);
      const secondsToHour = 3600 - (Math.floor(Date.now() / 1000) % 3600);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter >= 1 && Math.abs(retryAfter - secondsToHour) <= 5, `Retry-After ${String(limited.headers['retry-after'])}, expected about ${secondsToHour}`);
    } finally {
      await envoy.stop();
    }
  } finally {
    await rls.stop();
  }
});
