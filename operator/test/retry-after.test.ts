/**
 * SmartLimiter `response.retryAfter` (ADR 0111): rendered as `enable_retry_after_header` only when
 * every targeted Istio runs Envoy 1.40 or newer (else MW613 at the field), and what the rendered
 * config does on the real Envoy 1.40 (skipped without .tools/bin/envoy-1.40.0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmartLimiter } from '../src/api/types.gen.js';
import type { K8sObject } from '../src/k8s-object.js';
import { render } from '../src/render/index.js';
import type { RenderContext } from '../src/render/context.js';
import { evaluate } from '../src/evaluate.js';
import { envoyBinary, serveEnvoy } from '../src/validate/envoy-traffic.testkit.js';
import { ENVOY_BOUNDARIES } from '../src/versions/boundaries.js';
import { istioOfEnvoy } from '../src/versions/table.js';

const newest = istioOfEnvoy(ENVOY_BOUNDARIES.retryAfterHeader)!;
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
const ctx = (istioVersions?: string[]): RenderContext => ({
  services: [service],
  pods: [],
  ...(istioVersions ? { istioVersions } : {}),
  rateLimitService: { host: 'rls.infra.svc.cluster.local', port: 8081 },
});
const limiter = (limit: Record<string, unknown>): SmartLimiter =>
  ({
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'SmartLimiter',
    metadata: { name: 'lim', namespace: 'shop' },
    spec: { target: { service: 'api' }, limits: [{ name: 'a', rate: { requests: 1, per: '1h' }, response: { retryAfter: true }, ...limit }] },
  }) as unknown as SmartLimiter;

/** The typed configs of the filters a rendered EnvoyFilter inserts, and of its per-route patches. */
function typedConfigs(o: K8sObject): Array<Record<string, unknown>> {
  const patches = (o.spec as { configPatches: Array<{ patch: { value: Record<string, any> } }> }).configPatches;
  return patches
    .flatMap((p) => [p.patch.value['typed_config'], ...Object.values(p.patch.value['typed_per_filter_config'] ?? {})])
    .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null);
}

test(`retryAfter on Istio ${newest}: enable_retry_after_header in the local and the global filter`, () => {
  for (const strategy of ['perPod', 'global']) {
    const r = render(limiter({ strategy, rate: { requests: 1, per: strategy === 'global' ? '1h' : '1h' } }), ctx([newest]));
    assert.deepEqual(r.findings, []);
    const configs = typedConfigs(r.objects.find((o) => o.kind === 'EnvoyFilter')!);
    assert.ok(
      configs.some((c) => c['enable_retry_after_header'] === true),
      `${strategy}: ${JSON.stringify(configs)}`,
    );
  }
});

test('retryAfter with an older Istio among the targets: MW613 at response.retryAfter naming them, and no field rendered', () => {
  for (const versions of [undefined, ['1.31', newest]]) {
    const r = render(limiter({}), ctx(versions));
    const f = r.findings.filter((x) => x.rule === 'MW613');
    assert.equal(f.length, 1, JSON.stringify(r.findings));
    assert.equal(f[0]!.path, 'spec.limits[0].response.retryAfter');
    assert.equal(f[0]!.severity, 'error');
    assert.match(f[0]!.message, /Istio (1\.30, )?1\.31 /);
    assert.ok(!JSON.stringify(r.objects).includes('enable_retry_after_header'));
  }
});

test('evaluate: retryAfter with status 503 or a fixed retry-after header is refused by the CRD rules (MW104)', () => {
  for (const response of [
    { retryAfter: true, status: 503 },
    { retryAfter: true, headers: { 'retry-after': '60' } },
  ]) {
    const v = evaluate(limiter({ response }), { ...ctx([newest]) });
    assert.ok(
      v.diagnostics.some((d) => d.rule === 'MW104' && d.severity === 'error' && /retryAfter/.test(d.path + d.message)),
      JSON.stringify(v.diagnostics),
    );
  }
  const ok = evaluate(limiter({}), { ...ctx([newest]) });
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity !== 'info'),
    [],
  );
});

const bin = envoyBinary(ENVOY_BOUNDARIES.retryAfterHeader);
test(
  'the rendered local limit on the real Envoy: the second request is 429 with the computed Retry-After (port-wide and route-scoped)',
  { skip: bin ? false : `no Envoy ${ENVOY_BOUNDARIES.retryAfterHeader} in .tools/bin (scripts/fetch-envoy.sh)`, timeout: 60_000 },
  async () => {
    for (const limit of [{}, { route: 'api' }]) {
      const r = render(limiter(limit), ctx([newest]));
      assert.deepEqual(r.findings, []);
      const ef = r.objects.find((o) => o.kind === 'EnvoyFilter')!;
      const patches = (ef.spec as { configPatches: Array<{ applyTo: string; patch: { value: Record<string, any> } }> }).configPatches;
      const filter = patches.find((p) => p.applyTo === 'HTTP_FILTER')!.patch.value;
      const perRoute = patches.find((p) => p.applyTo === 'HTTP_ROUTE')?.patch.value['typed_per_filter_config'];
      const envoy = await serveEnvoy(bin!, { httpFilters: [filter], ...(perRoute ? { perRoute } : {}) });
      try {
        assert.equal((await envoy.get('/')).status, 200);
        const limited = await envoy.get('/');
        assert.equal(limited.status, 429, JSON.stringify(limit));
        assert.ok(Number(limited.headers['retry-after']) > 1000, `Retry-After ${String(limited.headers['retry-after'])} (${JSON.stringify(limit)})`);
      } finally {
        await envoy.stop();
      }
    }
  },
);
