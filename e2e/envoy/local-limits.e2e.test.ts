/**
 * Local rate limits through a real Envoy (1.36.2 for Istio 1.28, 1.39.3 for Istio 1.31):
 * each SmartLimiter is rendered by the real renderer, its EnvoyFilter applied to istiod's
 * baseline, and the resulting HTTP connection manager served on 127.0.0.1 in front of a
 * Node backend (harness.ts). Buckets refill continuously, so limits under test use `per: 1h`
 * (one token every 36 s or slower): a short loop sees exactly `requests + burst` pass.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { count, ENVOYS, renderEnvoyFilter, skipReason, startTraffic } from './harness.js';

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
  });
}
