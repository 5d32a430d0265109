import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvoyFilterSemantics, checkEnvoySemantics, checkEnvoySemanticsIn, checkLuaPerRoute, semanticTypes, semanticRules, semanticVersionClass } from './index.js';
import { fixtures, grl, LRL, LUA, LUAPR, lrl } from './fixtures.js';
import type { Finding } from '../rule.js';
import type { EnvoyMinor } from '../../versions/table.js';

const check = (type: string, cfg: unknown, perRoute = false, envoyVersion: EnvoyMinor = '1.36') => checkEnvoySemantics(type, cfg, { perRoute, envoyVersion });
const codes = (fs: Finding[]) => fs.map((f) => f.rule);

test('every MW3xx rule has a good and a bad fixture (or a dedicated test)', () => {
  const covered = new Set([...fixtures.map((f) => f.rule), 'MW324', 'MW331', 'MW340']);
  for (const r of Object.values(semanticRules)) assert.ok(covered.has(r.code), `${r.code} has no fixture`);
});

for (const [i, fx] of fixtures.entries()) {
  test(`${fx.rule} #${i}: good is silent, bad is reported at ${JSON.stringify(fx.path)}`, () => {
    // A fixture pinned to versions is judged on the first of them (the rule may not apply elsewhere).
    const version = fx.versions?.[0];
    const good = check(fx.type, fx.good, fx.perRoute, version);
    assert.deepEqual(
      good.filter((f) => f.rule === fx.rule),
      [],
      JSON.stringify(good),
    );
    const bad = check(fx.type, fx.bad, fx.perRoute, version).filter((f) => f.rule === fx.rule);
    assert.ok(bad.length > 0, `no ${fx.rule} for bad fixture`);
    assert.equal(bad[0]!.path, fx.path);
    if (fx.severity) assert.equal(bad[0]!.severity, fx.severity);
    if (fx.envoyText && fx.envoy === 'reject') assert.ok(bad[0]!.message.includes(fx.envoyText) || fx.rule === 'MW320', bad[0]!.message);
  });
}

test('good fixtures are entirely quiet (no warnings from any rule)', () => {
  for (const fx of fixtures) {
    const fs = check(fx.type, fx.good, fx.perRoute).filter((f) => f.severity !== 'info');
    assert.deepEqual(fs, [], `${fx.rule}: ${JSON.stringify(fs)}`);
  }
});

test('camelCase proto JSON is read like snake_case', () => {
  const camel = {
    '@type': LRL,
    statPrefix: 'mw',
    tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: '0.010s' },
    filterEnabled: { defaultValue: { numerator: 100 } },
    filterEnforced: { defaultValue: { numerator: 100 } },
  };
  const fs = check(LRL, camel);
  assert.deepEqual(codes(fs), ['MW301']);
  assert.equal(fs[0]!.path, 'tokenBucket.fillInterval');
});

test('MW301: {seconds, nanos} durations; max_tokens 0 descriptor skipped on 1.39 only', () => {
  assert.deepEqual(codes(check(LRL, lrl({ token_bucket: { max_tokens: 1, fill_interval: { nanos: 10_000_000 } } }))), ['MW301']);
  const cfg = lrl({
    descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '0.010s' } }],
    rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }],
  });
  assert.ok(codes(check(LRL, cfg, false, '1.36')).includes('MW301'));
  assert.ok(!codes(check(LRL, cfg, false, '1.39')).includes('MW301'));
  const filterZero = lrl({ token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '0.010s' } });
  assert.ok(codes(check(LRL, filterZero, false, '1.36')).includes('MW301'));
  assert.ok(!codes(check(LRL, filterZero, false, '1.39')).includes('MW301'));
});

test('MW304: shadow mode is info, placeholder filter is info, per-route without filter_enabled warns', () => {
  const shadow = check(LRL, lrl({ filter_enforced: { default_value: { numerator: 0 } } }));
  assert.deepEqual(
    shadow.map((f) => [f.rule, f.severity]),
    [['MW304', 'info']],
  );
  const placeholder = check(LRL, { '@type': LRL, stat_prefix: 'mw' });
  assert.deepEqual(
    placeholder.map((f) => [f.rule, f.severity]),
    [['MW304', 'info']],
  );
  const noEnforced = check(LRL, { ...lrl(), filter_enforced: undefined });
  assert.deepEqual(
    noEnforced.map((f) => [f.rule, f.severity]),
    [['MW304', 'warning']],
  );
  const pr = check(LRL, { '@type': LRL, stat_prefix: 'mw', token_bucket: { max_tokens: 1, fill_interval: '1s' } }, true);
  assert.deepEqual(
    pr.map((f) => [f.rule, f.severity]),
    [['MW304', 'warning']],
  );
});

test('MW305: per-connection variant has its own Envoy text', () => {
  const fs = check(LRL, lrl({ local_cluster_rate_limit: {}, local_rate_limit_per_downstream_connection: true }));
  assert.match(fs.find((f) => f.rule === 'MW305')!.message, /local_rate_limit_per_downstream_connection is set to true/);
});

test('MW307: fixed values, wildcard, skip_if_absent shapes and extension actions', () => {
  const gk = { generic_key: { descriptor_value: 'a' } };
  const d = (entries: unknown[]) =>
    lrl({
      descriptors: [{ entries, token_bucket: { max_tokens: 1, fill_interval: '1s' } }],
      rate_limits: [{ actions: [gk, { request_headers: { header_name: 'x', descriptor_key: 'x', skip_if_absent: true } }] }],
      max_dynamic_descriptors: 5,
    });
  assert.ok(!codes(check(LRL, d([{ key: 'generic_key', value: 'a' }]))).includes('MW307'), 'x skipped');
  assert.ok(
    !codes(
      check(
        LRL,
        d([
          { key: 'generic_key', value: 'a' },
          { key: 'x', value: '1' },
        ]),
      ),
    ).includes('MW307'),
  );
  assert.ok(!codes(check(LRL, d([{ key: 'generic_key' }, { key: 'x' }]))).includes('MW307'));
  assert.ok(codes(check(LRL, d([{ key: 'generic_key', value: 'b' }]))).includes('MW307'), 'fixed value differs');
  assert.ok(codes(check(LRL, d([{ key: 'x', value: '1' }]))).includes('MW307'), 'generic_key is not optional');
  const ext = lrl({ descriptors: [{ entries: [{ key: 'any', value: 'v' }], token_bucket: { max_tokens: 1, fill_interval: '1s' } }], rate_limits: [{ actions: [{ extension: { name: 'e' } }] }] });
  assert.ok(!codes(check(LRL, ext)).includes('MW307'), 'extension keys are unknown');
});

test('MW323 is not reported for the local filter (per-value buckets rely on it) but is for route rate_limits', () => {
  const local = lrl({
    descriptors: [{ entries: [{ key: 'user' }], token_bucket: { max_tokens: 1, fill_interval: '1s' } }],
    rate_limits: [{ actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user' } }] }],
    max_dynamic_descriptors: 9,
  });
  assert.deepEqual(check(LRL, local), []);
  const route = check('envoy.config.route.v3.RateLimit', { stage: 1, actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user' } }] });
  assert.deepEqual(
    route.map((f) => [f.rule, f.path]),
    [['MW323', 'actions[0].request_headers']],
    'stage is allowed on route rate_limits',
  );
  assert.deepEqual(check('envoy.config.route.v3.RateLimit', { actions: [{ metadata: { descriptor_key: 'k', metadata_key: { key: 'a', path: [{ key: 'b' }] }, default_value: 'x' } }] }), []);
});

test('MW331: LuaPerRoute name must be in the filter source_codes', () => {
  const filter = { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, source_codes: { hello: { inline_string: 'function envoy_on_request(h) end' } } };
  assert.deepEqual(checkLuaPerRoute({ '@type': LUAPR, name: 'hello' }, filter), []);
  const bad = checkLuaPerRoute({ '@type': LUAPR, name: 'helo' }, filter);
  assert.deepEqual(
    bad.map((f) => [f.rule, f.path, f.severity]),
    [['MW331', 'name', 'error']],
  );
  assert.deepEqual(checkLuaPerRoute({ '@type': LUAPR, source_code: { inline_string: 'x' } }, filter), []);
});

test('MW340: FilterConfig wrapper without config nor disabled; its config is checked per-route', () => {
  const FC = 'envoy.config.route.v3.FilterConfig';
  assert.deepEqual(codes(check(FC, { '@type': `type.googleapis.com/${FC}` }, true)), ['MW340']);
  assert.deepEqual(check(FC, { disabled: true }, true), []);
  assert.deepEqual(check(FC, { config: {} }, true), []);
  // The enable marker istiod can decode: the inner FilterConfig is not checked as a wrapper.
  assert.deepEqual(check(FC, { config: { '@type': `type.googleapis.com/${FC}` }, is_optional: true }, true), []);
  const fs = check(FC, { config: { '@type': LRL, stat_prefix: 'x', filter_enabled: { default_value: { numerator: 100 } }, filter_enforced: { default_value: { numerator: 100 } } } }, true);
  assert.deepEqual(
    fs.map((f) => [f.rule, f.path]),
    [['MW303', 'config']],
  );
});

test('TypedStruct is unwrapped; unknown types give nothing; semanticTypes lists the dispatch set', () => {
  const fs = check('udpa.type.v1.TypedStruct', {
    type_url: LRL,
    value: {
      stat_prefix: 'x',
      token_bucket: { max_tokens: 1, fill_interval: '0.001s' },
      filter_enabled: { default_value: { numerator: 100 } },
      filter_enforced: { default_value: { numerator: 100 } },
    },
  });
  assert.deepEqual(
    fs.map((f) => [f.rule, f.path]),
    [['MW301', 'value.token_bucket.fill_interval']],
  );
  assert.deepEqual(check('envoy.extensions.filters.http.router.v3.Router', {}), []);
  for (const t of ['envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', 'envoy.config.route.v3.FilterConfig', 'xds.type.v3.TypedStruct']) assert.ok(semanticTypes.has(t));
});

test('checkEnvoySemanticsIn walks an HCM: filters, per-route configs (wrapped or not), route rate_limits, Lua names', () => {
  const hcm = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    http_filters: [
      { name: 'envoy.filters.http.local_ratelimit', typed_config: lrl({ token_bucket: { max_tokens: 1, fill_interval: '0.01s' } }) },
      { name: 'lua', typed_config: { '@type': LUA, source_codes: { a: { inline_string: '' } } } },
      { name: 'envoy.filters.http.ratelimit', typed_config: grl() },
    ],
    route_config: {
      virtual_hosts: [
        {
          name: 'v',
          rate_limits: [{ actions: [{ request_headers: { header_name: 'x', descriptor_key: 'x' } }] }],
          routes: [
            {
              typed_per_filter_config: {
                'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'p' },
                lua: { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', config: { '@type': LUAPR, name: 'b' } },
              },
            },
          ],
        },
      ],
    },
  };
  const fs = checkEnvoySemanticsIn(hcm, { envoyVersion: '1.36' });
  const got = fs.map((f) => `${f.rule} ${f.path}`).sort();
  assert.deepEqual(got, [
    'MW301 http_filters[0].typed_config.token_bucket.fill_interval',
    'MW303 route_config.virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.local_ratelimit"]',
    'MW304 route_config.virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.local_ratelimit"]',
    'MW323 route_config.virtual_hosts[0].rate_limits[0].actions[0].request_headers',
    'MW331 route_config.virtual_hosts[0].routes[0].typed_per_filter_config.lua.config.name',
  ]);
});

test('speed: a typical LocalRateLimit', () => {
  const cfg = lrl({
    descriptors: [
      { entries: [{ key: 'user' }], token_bucket: { max_tokens: 5, fill_interval: '1s' } },
      { entries: [{ key: 'path', value: '/a' }], token_bucket: { max_tokens: 5, fill_interval: '1s' } },
    ],
    rate_limits: [{ actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user' } }] }, { actions: [{ request_headers: { header_name: ':path', descriptor_key: 'path' } }] }],
    max_dynamic_descriptors: 100,
  });
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) check(LRL, cfg);
  const perSec = n / ((performance.now() - t0) / 1000);
  console.log(`# MW3xx LocalRateLimit: ${Math.round(perSec)} checks/s`);
  assert.ok(perSec > 1000);
});

test('MW308: limit in the global filter rate_limits is rejected before 1.39 only; always for local', () => {
  const lim = { dynamic_metadata: { metadata_key: { key: 'a', path: [{ key: 'b' }] } } };
  const g = grl({ rate_limits: [{ limit: lim, actions: [{ generic_key: { descriptor_value: 'v' } }] }] });
  assert.ok(codes(check('envoy.extensions.filters.http.ratelimit.v3.RateLimit', g, false, '1.36')).includes('MW308'));
  assert.ok(!codes(check('envoy.extensions.filters.http.ratelimit.v3.RateLimit', g, false, '1.39')).includes('MW308'));
  const l = lrl({
    descriptors: [{ entries: [{ key: 'generic_key', value: 'v' }], token_bucket: { max_tokens: 1, fill_interval: '1s' } }],
    rate_limits: [{ limit: lim, actions: [{ generic_key: { descriptor_value: 'v' } }] }],
  });
  assert.ok(codes(check(LRL, l, false, '1.39')).includes('MW308'));
});

test('checkEnvoyFilterSemantics: paths from the object, MERGE values partial, Lua names across patches', () => {
  const HCM = 'envoy.filters.network.http_connection_manager';
  const listener = { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } } };
  const ef = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'x', namespace: 'shop' },
    spec: {
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: listener,
          patch: { operation: 'INSERT_BEFORE', value: { name: 'mw.lua', typed_config: { '@type': LUA, source_codes: { a: { inline_string: 'function envoy_on_request(h) end' } } } } },
        },
        // MERGE into the existing local_ratelimit filter: only the bucket is given, that is fine.
        {
          applyTo: 'HTTP_FILTER',
          match: { ...listener, listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.local_ratelimit' } } } } },
          patch: { operation: 'MERGE', value: { typed_config: { '@type': LRL, token_bucket: { max_tokens: 5, fill_interval: '0.02s' } } } },
        },
        {
          applyTo: 'HTTP_ROUTE',
          match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|8080' } } },
          patch: { operation: 'MERGE', value: { typed_per_filter_config: { 'mw.lua': { '@type': LUAPR, name: 'b' }, 'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'r' } } } },
        },
        { applyTo: 'HTTP_FILTER', match: listener, patch: { operation: 'REMOVE' } },
      ],
    },
  };
  const got = checkEnvoyFilterSemantics(ef, { envoyVersion: '1.36' })
    .map((f) => `${f.rule} ${f.path}`)
    .sort();
  assert.deepEqual(got, [
    'MW301 spec.configPatches[1].patch.value.typed_config.token_bucket.fill_interval',
    'MW303 spec.configPatches[2].patch.value.typed_per_filter_config["envoy.filters.http.local_ratelimit"]',
    'MW304 spec.configPatches[2].patch.value.typed_per_filter_config["envoy.filters.http.local_ratelimit"]',
    'MW331 spec.configPatches[2].patch.value.typed_per_filter_config["mw.lua"].name',
  ]);
});

test('partial (MERGE) skips absence rules but keeps explicit mistakes', () => {
  const merge = { '@type': LRL, filter_enabled: { default_value: { numerator: 0 } } };
  assert.deepEqual(codes(checkEnvoySemantics(LRL, merge, { perRoute: false, envoyVersion: '1.36', partial: true })), ['MW304']);
  assert.deepEqual(checkEnvoySemantics(LRL, { '@type': LRL, stat_prefix: 'x' }, { perRoute: true, envoyVersion: '1.36', partial: true }), []);
  assert.deepEqual(checkEnvoySemantics('envoy.extensions.filters.http.ratelimit.v3.RateLimit', { failure_mode_deny: false }, { perRoute: false, envoyVersion: '1.36', partial: true }), []);
});

test('MW323 is not reported when another entry handles the absent header (header_value_match on it)', () => {
  const rls = [
    { actions: [{ generic_key: { descriptor_value: 'u' } }, { request_headers: { header_name: 'x-user-id', descriptor_key: 'x-user-id' } }] },
    { actions: [{ generic_key: { descriptor_value: 'u' } }, { header_value_match: { descriptor_value: 'absent', headers: [{ name: 'X-User-Id', present_match: true, invert_match: true }] } }] },
  ];
  assert.deepEqual(check('envoy.extensions.filters.http.ratelimit.v3.RateLimit', grl({ rate_limits: rls })), []);
  assert.deepEqual(codes(check('envoy.extensions.filters.http.ratelimit.v3.RateLimit', grl({ rate_limits: [rls[0]] }))), ['MW323']);
});

test('MW324: rate limit filter without rate_limits and no route rate_limits in the EnvoyFilter', () => {
  const HCM = 'envoy.filters.network.http_connection_manager';
  const m = { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } } };
  const ef = (patches: unknown[]) => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'x' }, spec: { configPatches: patches } });
  const filter = { applyTo: 'HTTP_FILTER', match: m, patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.ratelimit', typed_config: grl() } } };
  const bad = checkEnvoyFilterSemantics(ef([filter]), { envoyVersion: '1.36' }).filter((f) => f.rule === 'MW324');
  assert.deepEqual(
    bad.map((f) => f.path),
    ['spec.configPatches[0].patch.value.typed_config'],
  );
  const vh = {
    applyTo: 'VIRTUAL_HOST',
    match: { routeConfiguration: { vhost: { name: 'v' } } },
    patch: { operation: 'MERGE', value: { rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'x' } }] }] } },
  };
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([filter, vh]), { envoyVersion: '1.36' }).filter((f) => f.rule === 'MW324'),
    [],
  );
  const own = {
    ...filter,
    patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.ratelimit', typed_config: grl({ rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'x' } }] }] }) } },
  };
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([own]), { envoyVersion: '1.36' }).filter((f) => f.rule === 'MW324'),
    [],
  );
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([filter]), { envoyVersion: '1.36', routeRateLimitsElsewhere: true }).filter((f) => f.rule === 'MW324'),
    [],
  );
  const local = {
    ...filter,
    patch: {
      operation: 'INSERT_BEFORE',
      value: { name: 'envoy.filters.http.local_ratelimit', typed_config: lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 1, fill_interval: '1s' } }] }) },
    },
  };
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([local]), { envoyVersion: '1.36' }).map((f) => f.rule),
    ['MW324'],
    'MW312 folded into MW324',
  );
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([{ ...filter, patch: { operation: 'INSERT_BEFORE', value: { name: 'l', typed_config: lrl() } } }]), { envoyVersion: '1.36' }).filter((f) => f.rule === 'MW324'),
    [],
  );
});

test('semantic version classes: versions of one class give the same findings on every fixture', () => {
  assert.equal(semanticVersionClass('1.36'), semanticVersionClass('1.37'));
  assert.notEqual(semanticVersionClass('1.38'), semanticVersionClass('1.39'));
  assert.notEqual(semanticVersionClass('1.39'), semanticVersionClass('1.40'));
  const versions = ['1.36', '1.37', '1.38', '1.39', '1.40'] as const;
  for (const fx of fixtures) {
    for (const config of [fx.good, fx.bad]) {
      const byClass = new Map<number, string>();
      for (const envoyVersion of versions) {
        const found = JSON.stringify(checkEnvoySemantics(fx.type, config, { perRoute: fx.perRoute ?? false, envoyVersion }));
        const cls = semanticVersionClass(envoyVersion);
        if (byClass.has(cls)) assert.equal(found, byClass.get(cls), `${fx.rule} on Envoy ${envoyVersion} differs within its class`);
        else byClass.set(cls, found);
      }
    }
  }
});

test('MW350/MW351 on the patched listener: a MERGE of codec_type into the HCM, a QUIC listener ADDed with another codec; blamed on the patch that wrote it', async () => {
  const { evaluate } = await import('../../evaluate.js');
  const { emptyContext } = await import('../../render/context.js');
  const HCM_T = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
  const ef = (configPatches: unknown[]) => ({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'h3', namespace: 'shop' },
    spec: { workloadSelector: { labels: { app: 'api' } }, configPatches },
  });
  const mergeCodec = (codec: string) => ({
    applyTo: 'NETWORK_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
    patch: { operation: 'MERGE', value: { typed_config: { '@type': HCM_T, codec_type: codec } } },
  });
  const lrlPatch = {
    applyTo: 'HTTP_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
    patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.local_ratelimit', typed_config: lrl() } },
  };
  const found = (o: unknown, rule: string) => evaluate(o as never, emptyContext).diagnostics.filter((d) => d.rule === rule);

  // The value alone is a partial HCM: only the merged one, on its TCP listener, is wrong.
  const bad = found(ef([mergeCodec('HTTP3'), lrlPatch]), 'MW350');
  assert.ok(bad.length > 0);
  assert.ok(
    bad.every((d) => d.path === 'spec.configPatches[0].patch.value.typed_config.codec_type' && d.severity === 'error'),
    JSON.stringify(bad),
  );
  assert.match(bad[0]!.message, /^listener virtualInbound, filter_chains\[\d+\]\.filters\[\d+\]\.typed_config\.codec_type: .*HTTP\/3 codec configured on non-QUIC listener\./);
  assert.deepEqual(found(ef([mergeCodec('HTTP2'), lrlPatch]), 'MW350'), []);
  assert.deepEqual(
    checkEnvoyFilterSemantics(ef([mergeCodec('HTTP3')]), { envoyVersion: '1.36' }).filter((f) => f.rule === 'MW350'),
    [],
    'the static pass does not guess the listener',
  );

  // A QUIC listener added whole: AUTO (unset) codec is MW351 on the listener's patch.
  const quic = (codec: Record<string, unknown>) => ({
    applyTo: 'LISTENER',
    match: { context: 'SIDECAR_INBOUND' },
    patch: {
      operation: 'ADD',
      value: {
        name: 'quic-8443',
        address: { socket_address: { address: '0.0.0.0', port_value: 8443, protocol: 'UDP' } },
        udp_listener_config: { quic_options: {} },
        filter_chains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: {
                  '@type': HCM_T,
                  stat_prefix: 'q',
                  route_config: { name: 'q' },
                  http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  ...codec,
                },
              },
            ],
          },
        ],
      },
    },
  });
  const q = found(ef([quic({})]), 'MW351');
  assert.deepEqual(
    q.map((d) => d.path),
    ['spec.configPatches[0].patch.value.udp_listener_config.quic_options'],
  );
  assert.match(q[0]!.message, /^listener quic-8443, filter_chains\[0\]\.filters\[0\]\.typed_config: codec_type AUTO \(unset\) on a QUIC listener/);
  assert.deepEqual(found(ef([quic({ codec_type: 'HTTP3' })]), 'MW351'), []);
});

test('MW350/MW351 read enum numbers and camelCase; the default filter chain counts; other network filters do not', () => {
  const L = 'envoy.config.listener.v3.Listener';
  const h = (extra: Record<string, unknown>) => ({
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', ...extra },
  });
  assert.deepEqual(codes(check(L, { default_filter_chain: { filters: [h({ codecType: 3 })] } })), ['MW350']);
  assert.equal(check(L, { defaultFilterChain: { filters: [h({ codecType: 3 })] } })[0]!.path, 'defaultFilterChain.filters[0].typed_config.codecType');
  assert.deepEqual(codes(check(L, { udpListenerConfig: { quicOptions: {} }, filterChains: [{ filters: [h({ codec_type: 1 })] }] })), ['MW351']);
  assert.deepEqual(codes(check(L, { udp_listener_config: {}, filter_chains: [{ filters: [h({ codec_type: 'HTTP3' })] }] })), ['MW350'], 'UDP without quic_options is not QUIC');
  assert.deepEqual(
    check(L, {
      filter_chains: [
        { filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', codec_type: 'HTTP3' } }] },
      ],
    }),
    [],
  );
});

test('MW314 only where shadow_mode exists and still short-circuits (1.38, 1.39); enforced descriptors count like the default bucket', () => {
  const shadow = { entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' }, shadow_mode: true };
  const enforced = { entries: [{ key: 'k', value: 'w' }], token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' } };
  const rate_limits = [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }];
  const cfg = lrl({ descriptors: [enforced, shadow], rate_limits, always_consume_default_token_bucket: false });
  const on = (v: EnvoyMinor) => codes(check(LRL, cfg, false, v)).filter((c) => c === 'MW314').length;
  assert.deepEqual((['1.36', '1.37', '1.38', '1.39', '1.40'] as const).map(on), [0, 0, 1, 1, 0]);
  const f = check(LRL, cfg, false, '1.39').find((x) => x.rule === 'MW314')!;
  assert.equal(f.path, 'descriptors[1].shadow_mode');
  assert.match(f.message, /next to enforced descriptors/);
});
