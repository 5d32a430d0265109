/**
 * Against the real Envoy 1.36 and 1.39 API descriptor sets (built by scripts/build-protosets.sh).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { checkPatchValue, checkTypedConfig, decodeStrict, hasProtoset, loadProtoSchema, loadRoot, protosetFile, type EnvoyVersion } from './index.js';
import type { Finding } from '../rule.js';

const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const VERSIONS: EnvoyVersion[] = ['1.36', '1.39'];

const codes = (fs: Finding[]): string[] => fs.map((f) => f.rule);
const errors = (fs: Finding[]): Finding[] => fs.filter((f) => f.severity === 'error');

before(() => {
  for (const v of VERSIONS) {
    assert.ok(hasProtoset(v), `${protosetFile(v)} is missing: run \`npm run setup\` or \`bash scripts/build-protosets.sh\``);
    loadProtoSchema(v);
  }
});

/** A complete, valid local rate limit filter with descriptors. */
const goodLocalRateLimit = () => ({
  '@type': LRL,
  stat_prefix: 'http_local_rate_limiter',
  token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '60s' },
  filter_enabled: { runtime_key: 'local_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } },
  filter_enforced: { runtime_key: 'local_rate_limit_enforced', default_value: { numerator: 100, denominator: 'HUNDRED' } },
  response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: 'x-local-rate-limit', value: 'true' } }],
  descriptors: [
    { entries: [{ key: 'user', value: 'alice' }], token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' } },
    {
      entries: [
        { key: 'path', value: '/api' },
        { key: 'method', value: 'GET' },
      ],
      token_bucket: { max_tokens: 5, fill_interval: '0.5s' },
    },
  ],
  local_rate_limit_per_downstream_connection: false,
  enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
});

const httpFilter = (typedConfig: unknown) => ({ name: 'envoy.filters.http.local_ratelimit', typed_config: typedConfig });

for (const v of VERSIONS) {
  test(`${v}: a valid full LocalRateLimit with descriptors decodes without findings`, () => {
    assert.deepEqual(checkPatchValue('HTTP_FILTER', httpFilter(goodLocalRateLimit()), v), []);
  });

  test(`${v}: MW201 misspelled fill_intervall, with the closest field suggested`, () => {
    const cfg = goodLocalRateLimit();
    cfg.token_bucket = { max_tokens: 10, tokens_per_fill: 10, fill_intervall: '60s' } as never;
    const f = checkPatchValue('HTTP_FILTER', httpFilter(cfg), v);
    const unknown = f.find((x) => x.rule === 'MW201');
    assert.ok(unknown, JSON.stringify(f));
    assert.equal(unknown.path, 'typed_config.token_bucket.fill_intervall');
    assert.match(unknown.message, /unknown field "fill_intervall" in envoy\.type\.v3\.TokenBucket/);
    assert.equal(unknown.hint, 'did you mean "fill_interval"?');
    // ...and because the real field is now absent, PGV's required rule fires as Envoy would.
    const req = f.find((x) => x.rule === 'MW206');
    assert.equal(req?.path, 'typed_config.token_bucket.fill_interval');
    assert.equal(req?.message, 'fill_interval: value is required');
  });

  test(`${v}: MW202 v2 type URL, with the v3 name as hint`, () => {
    const f = checkPatchValue('HTTP_FILTER', { name: 'envoy.lua', typed_config: { '@type': 'type.googleapis.com/envoy.config.filter.http.lua.v2.Lua', inline_code: 'x' } }, v);
    assert.deepEqual(codes(f), ['MW202']);
    assert.equal(f[0]!.path, 'typed_config["@type"]');
    assert.match(f[0]!.message, /v2 API type/);
    assert.equal(f[0]!.hint, 'use the v3 type "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"');
  });

  test(`${v}: MW206 stat_prefix: "" (PGV min_len)`, () => {
    const f = checkPatchValue('HTTP_FILTER', httpFilter({ ...goodLocalRateLimit(), stat_prefix: '' }), v);
    assert.deepEqual(codes(f), ['MW206']);
    assert.equal(f[0]!.path, 'typed_config.stat_prefix');
    assert.equal(f[0]!.message, 'stat_prefix: value length must be at least 1 characters');
    assert.match(f[0]!.hint ?? '', /LocalRateLimitValidationError\.StatPrefix/);
  });

  test(`${v}: MW203 a TcpProxy under LISTENER_FILTER`, () => {
    const f = checkPatchValue(
      'LISTENER_FILTER',
      { name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tcp', cluster: 'x' } },
      v,
    );
    assert.deepEqual(codes(f), ['MW203']);
    assert.match(f[0]!.message, /TcpProxy is a network filter, but a listener filter is expected here \(applyTo: LISTENER_FILTER\)/);
    assert.match(f[0]!.hint ?? '', /NETWORK_FILTER/);
    // The same config where it belongs is fine.
    assert.deepEqual(
      checkPatchValue('NETWORK_FILTER', { name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tcp', cluster: 'x' } }, v),
      [],
    );
  });

  test(`${v}: MW205 two members of a oneof (HCM rds and route_config)`, () => {
    const f = checkTypedConfig(
      HCM,
      {
        stat_prefix: 'in',
        rds: { route_config_name: 'r', config_source: { ads: {}, resource_api_version: 'V3' } },
        route_config: { name: 'r' },
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
      },
      v,
    );
    assert.deepEqual(codes(f), ['MW205']);
    assert.equal(f[0]!.path, 'route_config');
    assert.match(f[0]!.message, /oneof "route_specifier"/);
  });

  test(`${v}: MW207 + MW201 TypedStruct-wrapped LocalRateLimit: the bad field is found after unwrapping`, () => {
    for (const ts of ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']) {
      const f = checkPatchValue(
        'HTTP_FILTER',
        httpFilter({
          '@type': `type.googleapis.com/${ts}`,
          type_url: LRL,
          value: { stat_prefix: 'x', token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '1s' }, filter_enabld: {} },
        }),
        v,
      );
      assert.deepEqual(codes(f).sort(), ['MW201', 'MW207'], JSON.stringify(f));
      const ts207 = f.find((x) => x.rule === 'MW207')!;
      assert.equal(ts207.severity, 'warning');
      assert.equal(ts207.path, 'typed_config');
      const u = f.find((x) => x.rule === 'MW201')!;
      assert.equal(u.path, 'typed_config.value.filter_enabld');
      assert.equal(u.hint, 'did you mean "filter_enabled"?');
    }
  });

  test(`${v}: a valid HCM with RDS, router and a per-route-capable filter chain`, () => {
    const f = checkPatchValue(
      'NETWORK_FILTER',
      {
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': HCM,
          stat_prefix: 'inbound_0.0.0.0_8080',
          codec_type: 'AUTO',
          use_remote_address: false,
          normalize_path: true,
          stream_idle_timeout: '300s',
          rds: { route_config_name: 'inbound|8080||', config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } },
          http_filters: [
            { name: 'lrl', typed_config: goodLocalRateLimit() },
            { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
          ],
          access_log: [
            {
              name: 'envoy.access_loggers.file',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
                path: '/dev/stdout',
                log_format: { json_format: { start: '%START_TIME%', code: '%RESPONSE_CODE%' } },
              },
            },
          ],
          upgrade_configs: [{ upgrade_type: 'websocket' }],
        },
      },
      v,
    );
    assert.deepEqual(f, []);
  });

  test(`${v}: a valid Cluster (STRICT_DNS, endpoints, TLS, circuit breakers)`, () => {
    const f = checkPatchValue(
      'CLUSTER',
      {
        name: 'outbound|8081||ratelimit.rls.svc.cluster.local',
        type: 'STRICT_DNS',
        connect_timeout: '0.25s',
        lb_policy: 'ROUND_ROBIN',
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        load_assignment: {
          cluster_name: 'ratelimit',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'ratelimit.rls.svc.cluster.local', port_value: 8081 } } } }] }],
        },
        circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 1000, max_requests: 1000 }] },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            sni: 'ratelimit.rls.svc.cluster.local',
          },
        },
      },
      v,
    );
    assert.deepEqual(f, []);
  });

  test(`${v}: JSON names (lowerCamelCase) are accepted like proto names`, () => {
    const f = checkTypedConfig(LRL, { statPrefix: 'x', tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillInterval: '1s' }, filterEnabled: { runtimeKey: 'k', defaultValue: { numerator: 1 } } }, v);
    assert.deepEqual(f, []);
    const twice = checkTypedConfig(LRL, { statPrefix: 'x', stat_prefix: 'y' }, v);
    assert.deepEqual(codes(twice), ['MW204']);
    assert.match(twice[0]!.message, /set twice/);
  });
}

test('max_tokens: 0 is a PGV error in Envoy 1.36 (gt: 0) but allowed by 1.39 (gte: 0)', () => {
  const cfg = { stat_prefix: 'x', token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '1s' } };
  const f36 = checkTypedConfig(LRL, cfg, '1.36');
  assert.deepEqual(codes(f36), ['MW206']);
  assert.equal(f36[0]!.path, 'token_bucket.max_tokens');
  assert.equal(f36[0]!.message, 'max_tokens: value must be greater than 0');
  assert.deepEqual(checkTypedConfig(LRL, cfg, '1.39'), []);
});

test('LocalRateLimitDescriptor.shadow_mode exists in 1.39 only: accepted by 1.39, MW201 in 1.36 with a version hint', () => {
  const cfg = {
    stat_prefix: 'x',
    token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' },
    descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 1, fill_interval: '60s' }, shadow_mode: true }],
  };
  assert.deepEqual(checkTypedConfig(LRL, cfg, '1.39'), []);
  const f = checkTypedConfig(LRL, cfg, '1.36');
  assert.deepEqual(codes(f), ['MW201']);
  assert.equal(f[0]!.path, 'descriptors[0].shadow_mode');
  assert.match(f[0]!.hint ?? '', /exists in the Envoy .*1\.39.* API but not in the Envoy 1\.36 API/);
});

test('MW204: wrong JSON types, enums by name or number, durations', () => {
  const f = checkTypedConfig(
    LRL,
    {
      stat_prefix: 5,
      token_bucket: { max_tokens: 'ten', tokens_per_fill: 1.5, fill_interval: '1d' },
      local_rate_limit_per_downstream_connection: 'true',
      enable_x_ratelimit_headers: 'DRAFT_VERSION_3',
      vh_rate_limits: 42,
      descriptors: {},
    },
    '1.39',
  );
  const byPath = Object.fromEntries(f.map((x) => [x.path, x]));
  assert.deepEqual(
    codes(f).every((c) => c === 'MW204'),
    true,
    JSON.stringify(f),
  );
  assert.match(byPath['stat_prefix']!.message, /expected a string, got the number 5/);
  assert.match(byPath['token_bucket.max_tokens']!.message, /expected an integer \(uint32\)/);
  assert.match(byPath['token_bucket.tokens_per_fill']!.message, /expected an integer/);
  assert.equal(byPath['token_bucket.fill_interval']!.hint, 'Go durations have no "d" unit: write "24h"');
  assert.match(byPath['local_rate_limit_per_downstream_connection']!.message, /expected true or false/);
  assert.equal(byPath['enable_x_ratelimit_headers']!.hint?.startsWith('did you mean "DRAFT_VERSION_03"?'), true);
  assert.match(byPath['vh_rate_limits']!.message, /42 is not a value of enum/);
  assert.match(byPath['descriptors']!.message, /expected a list/);
  // Enum numbers, quoted integers and Go durations (istiod's jsonpb uses time.ParseDuration) are accepted.
  for (const d of ['60s', '1m', '1m30s', '500ms', '.5s', '1.5s', '0.05s']) {
    assert.deepEqual(checkTypedConfig(LRL, { stat_prefix: 'x', enable_x_ratelimit_headers: 1, token_bucket: { max_tokens: '10', fill_interval: d } }, '1.39'), [], d);
  }
});

test("dialects: istiod (EnvoyFilter values) vs Envoy's own loader, as checked against istiod's jsonpb and envoy --mode validate", () => {
  const lenient = {
    stat_prefix: 'x',
    token_bucket: { max_tokens: 1, tokens_per_fill: { value: 1 }, fill_interval: { seconds: 1, nanos: 500000000 } },
    local_rate_limit_per_downstream_connection: 'true',
    enable_x_ratelimit_headers: 'draft_version_03',
  };
  // Envoy's loader accepts all of these...
  assert.deepEqual(checkTypedConfig(LRL, lenient, '1.39', { dialect: 'envoy' }), []);
  // ...istiod rejects each (and an unknown enum name would be dropped silently were it lenient).
  const f = checkTypedConfig(LRL, lenient, '1.39');
  assert.deepEqual(f.map((x) => [x.rule, x.path]).sort(), [
    ['MW204', 'enable_x_ratelimit_headers'],
    ['MW204', 'local_rate_limit_per_downstream_connection'],
    ['MW204', 'token_bucket.fill_interval'],
    ['MW204', 'token_bucket.tokens_per_fill'],
  ]);
  assert.equal(f.find((x) => x.path === 'token_bucket.fill_interval')!.hint, 'write "1.5s"');
  // Envoy's loader wants protobuf Duration text: "1m" and ".5s" fail there.
  const m = checkTypedConfig(LRL, { stat_prefix: 'x', token_bucket: { max_tokens: 1, fill_interval: '1m' } }, '1.39', { dialect: 'envoy' });
  assert.deepEqual(codes(m), ['MW204']);
  assert.equal(m[0]!.hint, 'protobuf Durations are seconds with an "s" suffix: write "60s"');
  // A field written under both names: both parsers keep one silently.
  const twice = checkTypedConfig(LRL, { statPrefix: 'x', stat_prefix: 'y' }, '1.39');
  assert.deepEqual(
    twice.map((x) => [x.rule, x.severity]),
    [['MW204', 'warning']],
  );
});

test('well-known types: Struct, Value, wrappers, Duration gt 0, Any inside Any', () => {
  const root = loadRoot('1.39');
  // Cluster metadata is a map of Struct; per_connection_buffer_limit_bytes is a UInt32Value.
  assert.deepEqual(
    decodeStrict(root, 'envoy.config.cluster.v3.Cluster', {
      name: 'c',
      metadata: { filter_metadata: { istio: { a: [1, 'x', { b: null }], c: true } } },
      per_connection_buffer_limit_bytes: 32768,
    }),
    [],
  );
  const wrapped = decodeStrict(root, 'envoy.config.cluster.v3.Cluster', { name: 'c', per_connection_buffer_limit_bytes: { value: 1 } });
  assert.deepEqual(codes(wrapped), ['MW204']);
  assert.match(wrapped[0]!.hint ?? '', /write 1 instead/);
  // TokenBucket.fill_interval has PGV duration {required, gt: 0s}.
  const zero = checkTypedConfig(LRL, { stat_prefix: 'x', token_bucket: { max_tokens: 1, fill_interval: '0s' } }, '1.39');
  assert.deepEqual(codes(zero), ['MW206']);
  assert.equal(zero[0]!.message, 'fill_interval: value must be greater than 0s');
  // Any inside a message inside an Any (access log in HCM) is decoded too.
  const nested = checkTypedConfig(
    HCM,
    {
      stat_prefix: 'x',
      rds: { route_config_name: 'r', config_source: { ads: {} } },
      access_log: [{ name: 'f', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', pathh: '/dev/stdout' } }],
    },
    '1.39',
  );
  assert.deepEqual(codes(nested), ['MW201', 'MW206']);
  assert.equal(nested[0]!.path, 'access_log[0].typed_config.pathh');
  assert.equal(nested[1]!.path, 'access_log[0].typed_config.path');
  assert.equal(nested[1]!.message, 'path: value length must be at least 1 characters');
});

test('MW206: repeated min_items, map values, required oneof, nameless cluster; MERGE values are partial', () => {
  const vh = checkPatchValue('VIRTUAL_HOST', { name: 'v', domains: [] }, '1.39');
  assert.deepEqual(codes(vh), ['MW206']);
  assert.equal(vh[0]!.message, 'domains: value must contain at least 1 item(s)');

  const route = checkPatchValue(
    'HTTP_ROUTE',
    {
      match: { prefix: '/' },
      route: { cluster: 'x' },
      typed_per_filter_config: {
        'envoy.filters.http.lua': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', name: '' },
      },
    },
    '1.39',
  );
  assert.deepEqual(codes(route), ['MW206']);
  assert.equal(route[0]!.path, 'typed_per_filter_config["envoy.filters.http.lua"].name');

  const hcm = checkTypedConfig(HCM, { stat_prefix: 'x' }, '1.39');
  assert.deepEqual(codes(hcm), ['MW206']);
  assert.match(hcm[0]!.message, /^route_specifier: value is required/);

  // INSERT_FIRST on CLUSTER adds a nameless cluster (failure mode 8); MERGE only patches fields.
  const value = { transport_socket: { name: 'envoy.transport_sockets.tls' } };
  // (The name-only socket is also MW202 when the cluster is added whole: proto/name-only.test.ts.)
  const insert = checkPatchValue('CLUSTER', value, '1.39', { operation: 'INSERT_FIRST' }).filter((f) => f.rule !== 'MW202');
  assert.deepEqual(codes(insert), ['MW206']);
  assert.equal(insert[0]!.message, 'name: value length must be at least 1 characters');
  assert.deepEqual(checkPatchValue('CLUSTER', value, '1.39', { operation: 'MERGE' }), []);
  assert.deepEqual(checkPatchValue('CLUSTER', value, '1.39', { operation: 'REMOVE' }), []);
});

test('MW203 inside a route: a network filter as per-route config', () => {
  const f = checkPatchValue(
    'HTTP_ROUTE',
    {
      match: { prefix: '/' },
      route: { cluster: 'x' },
      typed_per_filter_config: { x: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c' } },
    },
    '1.39',
  );
  assert.deepEqual(codes(f), ['MW203']);
  assert.equal(f[0]!.path, 'typed_per_filter_config.x["@type"]');
});

test('MW202: missing, malformed and unknown @type; MW210 for istio-proxy types', () => {
  const missingType = checkPatchValue('HTTP_FILTER', { name: 'x', typed_config: { stat_prefix: 'x' } }, '1.39');
  assert.deepEqual(codes(missingType), ['MW202']);
  assert.equal(missingType[0]!.path, 'typed_config');

  const noSlash = checkPatchValue('HTTP_FILTER', { name: 'x', typed_config: { '@type': 'envoy.extensions.filters.http.router.v3.Router' } }, '1.39');
  assert.deepEqual(codes(noSlash), ['MW202']);
  assert.equal(noSlash[0]!.hint, 'write "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"');

  const typo = checkPatchValue('HTTP_FILTER', httpFilter({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimits' }), '1.39');
  assert.deepEqual(codes(typo), ['MW202']);
  assert.equal(typo[0]!.hint, `did you mean "${LRL}"?`);

  const istio = checkPatchValue('HTTP_FILTER', { name: 'x', typed_config: { '@type': 'type.googleapis.com/io.istio.http.peer_metadata.Config' } }, '1.39');
  assert.deepEqual(codes(istio), ['MW210']);
  assert.equal(istio[0]!.severity, 'info');

  const v2Field = checkPatchValue('HTTP_FILTER', { name: 'envoy.lua', config: { inlineCode: 'x' } }, '1.39');
  assert.deepEqual(codes(v2Field), ['MW201']);
  assert.match(v2Field[0]!.hint ?? '', /use "typed_config"/);

  const v2Cluster = checkPatchValue('CLUSTER', { name: 'c', hosts: [{ socket_address: { address: 'a', port_value: 1 } }] }, '1.39');
  assert.deepEqual(codes(v2Cluster), ['MW201']);
  assert.match(v2Cluster[0]!.hint ?? '', /load_assignment/);
});

test('MW208: deprecated fields warn', () => {
  const f = checkPatchValue(
    'HTTP_FILTER',
    { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', inline_code: 'function envoy_on_request(h) end' } },
    '1.39',
  );
  assert.deepEqual(codes(f), ['MW208']);
  assert.equal(f[0]!.severity, 'warning');
  assert.equal(f[0]!.path, 'typed_config.inline_code');
  assert.equal(errors(f).length, 0);
});

test('EXTENSION_CONFIG: HTTP or network filter configs only', () => {
  assert.deepEqual(checkPatchValue('EXTENSION_CONFIG', { name: 'lrl', typed_config: goodLocalRateLimit() }, '1.39'), []);
  const f = checkPatchValue('EXTENSION_CONFIG', { name: 'tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }, '1.39');
  assert.deepEqual(codes(f), ['MW203']);
});

test('checkTypedConfig: an @type in the body must agree; unknown type names are reported', () => {
  assert.deepEqual(checkTypedConfig(LRL, { '@type': LRL, stat_prefix: 'x' }, '1.39'), []);
  const mismatch = checkTypedConfig(LRL, { '@type': HCM, stat_prefix: 'x' }, '1.39');
  assert.deepEqual(codes(mismatch), ['MW202']);
  const unknown = checkTypedConfig('envoy.config.filter.http.lua.v2.Lua', {}, '1.39');
  assert.deepEqual(codes(unknown), ['MW202']);
  assert.match(unknown[0]!.hint ?? '', /envoy\.extensions\.filters\.http\.lua\.v3\.Lua/);
});

test('filters need a typed_config (no lookup by name); an empty Any in a FilterConfig is Envoy-only (istiod drops the patch)', () => {
  const nameOnly = checkPatchValue('HTTP_FILTER', { name: 'envoy.filters.http.cors' }, '1.39', { operation: 'INSERT_BEFORE' });
  assert.deepEqual(codes(nameOnly), ['MW202']);
  assert.match(nameOnly[0]!.message, /has no typed_config/);
  assert.deepEqual(checkPatchValue('HTTP_FILTER', { name: 'envoy.filters.http.cors' }, '1.39', { operation: 'MERGE' }), []);
  const FC = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
  // istiod: "Any JSON doesn't have '@type'" → the whole VIRTUAL_HOST patch is dropped.
  const empty = checkPatchValue('VIRTUAL_HOST', { typed_per_filter_config: { 'my.filter': { '@type': FC, config: {} } } }, '1.39', { operation: 'MERGE' });
  assert.deepEqual(codes(empty), ['MW202']);
  assert.equal(empty[0]!.severity, 'error');
  assert.equal(empty[0]!.path, 'typed_per_filter_config["my.filter"].config');
  assert.match(empty[0]!.message, /istiod .* drops the whole patch/);
  assert.match(empty[0]!.hint ?? '', /envoy\.config\.route\.v3\.FilterConfig.*is_optional: true/);
  // The form istiod and Envoy both accept (docs/envoy-semantics.md §8).
  const marker = { '@type': FC, config: { '@type': FC }, is_optional: true };
  assert.deepEqual(checkPatchValue('VIRTUAL_HOST', { typed_per_filter_config: { 'my.filter': marker } }, '1.39', { operation: 'MERGE' }), []);
  // Without is_optional Envoy looks for an HTTP filter claiming the FilterConfig type and NACKs.
  const strict = checkPatchValue('VIRTUAL_HOST', { typed_per_filter_config: { 'my.filter': { ...marker, is_optional: false } } }, '1.39', { operation: 'MERGE' });
  assert.deepEqual(codes(strict), ['MW203']);
  // Envoy's own loader (static bootstrap) takes the empty Any.
  assert.deepEqual(checkTypedConfig(FC, { config: {} }, '1.39', { dialect: 'envoy' }), []);
  assert.deepEqual(codes(checkTypedConfig(FC, { config: {} }, '1.39')), ['MW202']);
  const emptyTyped = checkPatchValue('HTTP_FILTER', { name: 'x', typed_config: {} }, '1.39');
  assert.deepEqual(codes(emptyTyped), ['MW202']);
});

test("istio-proxy extensions in TypedStruct (istiod's own stats/metadata exchange) are not checked and not warned about", () => {
  const f = checkPatchValue(
    'NETWORK_FILTER',
    {
      name: 'istio.stats',
      typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: 'type.googleapis.com/stats.PluginConfig', value: {} },
    },
    '1.39',
  );
  assert.deepEqual(codes(f), ['MW210']);
});

test("istiod's own baseline listeners, routes and clusters decode without errors (Istio 1.28 ↔ Envoy 1.36, 1.31 ↔ 1.39)", async () => {
  const { loadBaseline } = await import('../istio/baseline.js');
  const pairs: Array<[string, EnvoyVersion]> = [
    ['1.28', '1.36'],
    ['1.31', '1.39'],
  ];
  for (const [istio, envoy] of pairs) {
    for (const kind of ['sidecar', 'gateway'] as const) {
      const x = loadBaseline(istio, kind) as unknown as Record<string, unknown[] | undefined>;
      const sets: Array<[string, unknown[]]> = [
        ['envoy.config.listener.v3.Listener', x['listeners'] ?? []],
        ['envoy.config.route.v3.RouteConfiguration', x['routes'] ?? []],
        ['envoy.config.cluster.v3.Cluster', x['clusters'] ?? []],
      ];
      let n = 0;
      for (const [type, list] of sets) {
        for (const o of list) {
          n++;
          assert.deepEqual(errors(checkTypedConfig(type, o, envoy)), [], `${istio} ${kind} ${type}`);
        }
      }
      assert.ok(n > 0);
    }
  }
});

test('hostile input never throws: prototype keys, wrong shapes everywhere', () => {
  assert.deepEqual(checkPatchValue('constructor', {}, '1.39'), []);
  const proto = checkTypedConfig('envoy.config.cluster.v3.Cluster', JSON.parse('{"name":"c","__proto__":{"x":1},"type":"toString"}'), '1.39');
  assert.deepEqual(codes(proto), ['MW201', 'MW204']);
  const shapes: unknown[] = [null, 0, -1, 1.5, 1e300, '', 'x', true, [], [null], {}, { '@type': 5 }, '99999999999999999999'];
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const leafPaths = (o: unknown, p: string[] = [], out: string[][] = []): string[][] => {
    if (p.length) out.push(p);
    if (o && typeof o === 'object') for (const k of Object.keys(o)) leafPaths((o as Record<string, unknown>)[k], [...p, k], out);
    return out;
  };
  for (let i = 0; i < 300; i++) {
    const o = httpFilter(goodLocalRateLimit()) as Record<string, unknown>;
    const ps = leafPaths(o);
    const p = ps[rnd(ps.length)]!;
    let t = o;
    for (const k of p.slice(0, -1)) t = t[k] as Record<string, unknown>;
    t[p[p.length - 1]!] = structuredClone(shapes[rnd(shapes.length)]);
    for (const applyTo of ['HTTP_FILTER', 'LISTENER_FILTER', 'CLUSTER']) checkPatchValue(applyTo, o, i % 2 ? '1.36' : '1.39');
  }
  for (const s of shapes) checkPatchValue('HTTP_FILTER', s, '1.39');
});

test('checkTypedConfig: category option, TypedStruct and Any names', () => {
  const ok = checkTypedConfig(LRL, { stat_prefix: 'x' }, '1.39', { categories: ['envoy.filters.http'] });
  assert.deepEqual(ok, []);
  const wrong = checkTypedConfig(LRL, { stat_prefix: 'x' }, '1.39', { categories: ['envoy.filters.listener'] });
  assert.deepEqual(codes(wrong), ['MW203']);
  assert.equal(wrong[0]!.path, '');
  const ts = checkTypedConfig('xds.type.v3.TypedStruct', { type_url: LRL, value: { stat_prefix: '' } }, '1.39');
  assert.deepEqual(codes(ts), ['MW207', 'MW206']);
  assert.equal(ts[1]!.path, 'value.stat_prefix');
  const any = checkTypedConfig('google.protobuf.Any', { '@type': LRL, stat_prefixx: 'x' }, '1.39');
  assert.deepEqual(codes(any), ['MW201', 'MW206']);
  assert.equal(any[0]!.hint, 'did you mean "stat_prefix"?');
});

test('paths into lists: descriptors[0].entries[1].key', () => {
  const f = checkTypedConfig(
    LRL,
    {
      stat_prefix: 'x',
      descriptors: [
        {
          entries: [
            { key: 'a', value: 'b' },
            { key: '', value: 'c' },
          ],
          token_bucket: { max_tokens: 1, fill_interval: '1s' },
        },
      ],
    },
    '1.36',
  );
  assert.deepEqual(
    f.map((x) => [x.rule, x.path, x.message]),
    [['MW206', 'descriptors[0].entries[1].key', 'key: value length must be at least 1 characters']],
  );
});

test('MW211: MERGE into a filter with a different @type than the filter it patches (failure mode 32)', () => {
  const lrlMerge = { typed_config: { '@type': LRL, stat_prefix: 'x' } };
  const bad = checkPatchValue('NETWORK_FILTER', lrlMerge, '1.39', { operation: 'MERGE', targetFilterName: 'envoy.filters.network.http_connection_manager' });
  assert.deepEqual(codes(bad), ['MW203', 'MW211']);
  const ok = checkPatchValue('NETWORK_FILTER', { typed_config: { '@type': HCM, normalize_path: true } }, '1.39', {
    operation: 'MERGE',
    targetFilterName: 'envoy.filters.network.http_connection_manager',
  });
  assert.deepEqual(ok, []);
  const ts = checkPatchValue('HTTP_FILTER', { typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: LRL, value: { stat_prefix: 'y' } } }, '1.39', {
    operation: 'MERGE',
    targetFilterName: 'envoy.filters.http.local_ratelimit',
  });
  assert.deepEqual(codes(ts), ['MW207', 'MW211']);
  // Istio's own filter names are not guessed.
  assert.deepEqual(codes(checkPatchValue('HTTP_FILTER', lrlMerge, '1.39', { operation: 'MERGE', targetFilterName: 'istio.stats' })), []);
});

test('MW201 hint: a field written one level too high', () => {
  const f = checkTypedConfig(LRL, { stat_prefix: 'x', max_tokens: 5, token_bucket: { max_tokens: 1, fill_interval: '1s' } }, '1.39');
  assert.deepEqual(codes(f), ['MW201']);
  assert.equal(f[0]!.hint, '"max_tokens" is a field of envoy.type.v3.TokenBucket: put it inside "token_bucket"');
});

test('ECDS: config_discovery type_urls must name types of this Envoy API', () => {
  const value = (url: string) => ({
    name: 'lrl',
    config_discovery: { config_source: { ads: {} }, type_urls: [LRL, url] },
  });
  assert.deepEqual(checkPatchValue('HTTP_FILTER', value(LRL), '1.39'), []);
  const f = checkPatchValue('HTTP_FILTER', value('type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimitt'), '1.39');
  assert.deepEqual(codes(f), ['MW202']);
  assert.equal(f[0]!.path, 'config_discovery.type_urls[1]');
});
