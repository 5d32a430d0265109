/**
 * One good and one bad typed config per MW3xx rule. `envoy` says what Envoy 1.36.2/1.39.3
 * `--mode validate` does with the bad one ('reject' or 'accept'); absent when Envoy cannot judge
 * it (a cross-config check). Shared by semantic.test.ts and oracle.test.ts.
 */
import type { RuleFixture } from '../rule.js';
const T = (n: string) => `type.googleapis.com/${n}`;
export const LRL = T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit');
export const RL = T('envoy.extensions.filters.http.ratelimit.v3.RateLimit');
export const RLPR = T('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute');
export const LUA = T('envoy.extensions.filters.http.lua.v3.Lua');
export const LUAPR = T('envoy.extensions.filters.http.lua.v3.LuaPerRoute');

const pct = (n: number) => ({ default_value: { numerator: n, denominator: 'HUNDRED' } });
const tb = (fill = '1s', max = 10) => ({ max_tokens: max, tokens_per_fill: max, fill_interval: fill });
/** A complete, quiet LocalRateLimit. */
export const lrl = (extra: Record<string, unknown> = {}) => ({ '@type': LRL, stat_prefix: 'mw', token_bucket: tb(), filter_enabled: pct(100), filter_enforced: pct(100), ...extra });
const userAction = { request_headers: { header_name: 'x-user', descriptor_key: 'user' } };
const tenantAction = { request_headers: { header_name: 'x-tenant', descriptor_key: 'tenant' } };
const pathAction = { request_headers: { header_name: ':path', descriptor_key: 'path' } };
const rlsV3 = { grpc_service: { envoy_grpc: { cluster_name: 'backend' } }, transport_api_version: 'V3' };
export const grl = (extra: Record<string, unknown> = {}) => ({ '@type': RL, domain: 'mw', timeout: '0.05s', rate_limit_service: rlsV3, ...extra });

export const LISTENER = 'envoy.config.listener.v3.Listener';
const HCM = T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
const hcm = (extra: Record<string, unknown> = {}) => ({
  '@type': HCM,
  stat_prefix: 'mw',
  route_config: { name: 'r' },
  http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } }],
  ...extra,
});
/**
 * A listener with one HCM: TCP, or QUIC (UDP with quic_options). A QUIC listener also needs a QUIC
 * transport socket with a certificate, which the oracle test adds (oracle.testkit.ts withQuicTls).
 */
const listener = (hcmConfig: Record<string, unknown>, quic: boolean) => ({
  '@type': T(LISTENER),
  name: 'l',
  address: { socket_address: { address: '127.0.0.1', port_value: 10443, ...(quic ? { protocol: 'UDP' } : {}) } },
  ...(quic ? { udp_listener_config: { quic_options: {} } } : {}),
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcmConfig }] }],
});

export interface Fixture extends RuleFixture {
  /** Type name of the config the fixtures are. */
  type: string;
  perRoute?: boolean;
}

export const fixtures: Fixture[] = [
  // Envoy 1.40 (ADR 0111). MW314 is a traffic behaviour, so Envoy accepts both configs
  // (semantic/traffic-oracle.test.ts shows what they do); shadow_mode exists from 1.39.
  {
    rule: 'MW314',
    type: LRL,
    good: lrl({
      descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb('60s', 1), shadow_mode: true }],
      always_consume_default_token_bucket: false,
      rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }],
    }),
    bad: lrl({
      descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb('60s', 1), shadow_mode: true }],
      rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }],
    }),
    path: 'descriptors[0].shadow_mode',
    envoy: 'accept',
    versions: ['1.39'],
  },
  {
    rule: 'MW315',
    type: LRL,
    good: lrl({ enable_retry_after_header: true }),
    bad: lrl({ enable_retry_after_header: true, status: { code: 503 } }),
    path: 'enable_retry_after_header',
    envoy: 'accept',
    versions: ['1.40'],
  },
  {
    rule: 'MW315',
    type: RL,
    good: grl({ enable_retry_after_header: true, rate_limited_status: { code: 429 } }),
    bad: grl({ enable_retry_after_header: true, response_headers_to_add: [{ header: { key: 'Retry-After', value: '60' } }] }),
    path: 'response_headers_to_add[0].header',
    envoy: 'accept',
    versions: ['1.40'],
  },
  {
    rule: 'MW301',
    type: LRL,
    good: lrl({ token_bucket: tb('0.05s') }),
    bad: lrl({ token_bucket: tb('0.049s') }),
    path: 'token_bucket.fill_interval',
    envoy: 'reject',
    envoyText: 'local rate limit token bucket fill timer must be >= 50ms',
  },
  {
    rule: 'MW301',
    type: LRL,
    good: lrl({ descriptors: [{ entries: [{ key: 'user', value: 'a' }], token_bucket: tb('0.05s') }], rate_limits: [{ actions: [userAction] }], max_dynamic_descriptors: 100 }),
    bad: lrl({ descriptors: [{ entries: [{ key: 'user', value: 'a' }], token_bucket: tb('0.010s') }], rate_limits: [{ actions: [userAction] }] }),
    path: 'descriptors[0].token_bucket.fill_interval',
    envoy: 'reject',
    envoyText: 'local rate limit descriptor token bucket fill timer must be >= 50ms',
  },
  {
    rule: 'MW302',
    type: LRL,
    good: lrl({
      descriptors: [
        { entries: [{ key: 'user', value: 'a' }], token_bucket: tb() },
        { entries: [{ key: 'user', value: 'b' }], token_bucket: tb() },
      ],
      rate_limits: [{ actions: [userAction] }],
    }),
    bad: lrl({
      descriptors: [
        { entries: [{ key: 'user', value: 'a' }], token_bucket: tb() },
        { entries: [{ key: 'user', value: 'a' }], token_bucket: tb('2s') },
      ],
      rate_limits: [{ actions: [userAction] }],
    }),
    path: 'descriptors[1]',
    envoy: 'reject',
    envoyText: 'duplicate descriptor in the local rate descriptor: user=a',
  },
  {
    rule: 'MW303',
    type: LRL,
    perRoute: true,
    good: lrl(),
    bad: { '@type': LRL, stat_prefix: 'mw', filter_enabled: pct(100), filter_enforced: pct(100) },
    path: '',
    envoy: 'reject',
    envoyText: 'local rate limit token bucket must be set for per filter configs',
  },
  { rule: 'MW304', type: LRL, good: lrl(), bad: { '@type': LRL, stat_prefix: 'mw', token_bucket: tb() }, path: '', severity: 'warning', envoy: 'accept' },
  {
    rule: 'MW305',
    type: LRL,
    good: lrl(),
    bad: lrl({ local_cluster_rate_limit: {} }),
    path: 'local_cluster_rate_limit',
    envoy: 'reject',
    envoyText: 'local_cluster_rate_limit is set but no local cluster name is present',
  },
  {
    rule: 'MW306',
    type: LRL,
    good: lrl({ descriptors: [{ entries: [{ key: 'user', value: 'a' }], token_bucket: tb() }], rate_limits: [{ actions: [userAction] }] }),
    bad: lrl({ rate_limits: [{ actions: [userAction] }] }),
    path: 'rate_limits',
    envoy: 'accept',
  },
  {
    rule: 'MW307',
    type: LRL,
    good: lrl({
      descriptors: [{ entries: [{ key: 'tenant', value: 'acme' }, { key: 'user' }], token_bucket: tb() }],
      rate_limits: [{ actions: [tenantAction, userAction] }],
      max_dynamic_descriptors: 100,
    }),
    bad: lrl({
      descriptors: [{ entries: [{ key: 'user' }, { key: 'tenant', value: 'acme' }], token_bucket: tb() }],
      rate_limits: [{ actions: [tenantAction, userAction] }],
      max_dynamic_descriptors: 100,
    }),
    path: 'descriptors[0].entries',
    envoy: 'accept',
  },
  {
    rule: 'MW308',
    type: LRL,
    good: lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb() }], rate_limits: [{ actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }] }),
    bad: lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb() }], rate_limits: [{ stage: 0, actions: [{ generic_key: { descriptor_key: 'k', descriptor_value: 'v' } }] }] }),
    path: 'rate_limits[0].stage',
    envoy: 'reject',
    envoyText: "'stage' field and 'disable_key' field are not supported",
  },
  {
    rule: 'MW308',
    type: RLPR,
    perRoute: true,
    good: { '@type': RLPR, rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'v' } }] }] },
    bad: { '@type': RLPR, rate_limits: [{ limit: { dynamic_metadata: { metadata_key: { key: 'a', path: [{ key: 'b' }] } } }, actions: [{ generic_key: { descriptor_value: 'v' } }] }] },
    path: 'rate_limits[0].limit',
    envoy: 'reject',
    envoyText: "'limit' field is not supported",
    versions: ['1.36'],
  },
  {
    rule: 'MW309',
    type: LRL,
    good: lrl({ descriptors: [{ entries: [{ key: 'user' }], token_bucket: tb() }], rate_limits: [{ actions: [userAction] }], max_dynamic_descriptors: 100 }),
    bad: lrl({
      local_rate_limit_per_downstream_connection: true,
      descriptors: [{ entries: [{ key: 'user' }], token_bucket: tb() }],
      rate_limits: [{ actions: [userAction] }],
      max_dynamic_descriptors: 100,
    }),
    path: 'descriptors[0]',
    envoy: 'accept',
  },
  {
    rule: 'MW310',
    type: LRL,
    good: lrl({ descriptors: [{ entries: [{ key: 'user' }], token_bucket: tb() }], rate_limits: [{ actions: [userAction] }], maxDynamicDescriptors: 100 }),
    bad: lrl({ descriptors: [{ entries: [{ key: 'user' }], token_bucket: tb() }], rate_limits: [{ actions: [userAction] }] }),
    path: 'descriptors[0]',
    envoy: 'accept',
  },
  {
    rule: 'MW313',
    type: LRL,
    good: lrl({
      descriptors: [{ entries: [{ key: 'path', value: '/a' }], token_bucket: tb() }],
      rate_limits: [{ actions: [{ header_value_match: { descriptor_key: 'path', descriptor_value: '/a', headers: [{ name: ':path', string_match: { prefix: '/a' } }] } }] }],
    }),
    bad: lrl({ descriptors: [{ entries: [{ key: 'path', value: '/a' }], token_bucket: tb() }], rate_limits: [{ actions: [pathAction] }] }),
    path: 'descriptors[0].entries[0]',
    envoy: 'accept',
  },
  { rule: 'MW311', type: LRL, good: lrl({ status: { code: 503 } }), bad: lrl({ status: { code: 200 } }), path: 'status.code', envoy: 'accept' },
  { rule: 'MW312', type: LRL, good: lrl(), bad: lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb() }] }), path: 'descriptors', severity: 'info', envoy: 'accept' },
  {
    rule: 'MW320',
    type: RL,
    good: grl(),
    bad: grl({ rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'backend' } } } }),
    path: 'rate_limit_service',
    severity: 'warning',
    envoy: 'accept',
  },
  {
    rule: 'MW320',
    type: RL,
    good: grl(),
    bad: grl({ rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'backend' } }, transport_api_version: 'V2' } }),
    path: 'rate_limit_service.transport_api_version',
    severity: 'error',
    envoy: 'reject',
    envoyText: 'V2 xDS transport protocol version is deprecated',
  },
  { rule: 'MW321', type: RL, good: grl({ failure_mode_deny: false }), bad: grl({ failure_mode_deny: true }), path: 'failure_mode_deny', envoy: 'accept' },
  { rule: 'MW322', type: RL, good: grl(), bad: { '@type': RL, domain: 'mw', rate_limit_service: rlsV3 }, path: '', envoy: 'accept' },
  {
    rule: 'MW323',
    type: RL,
    good: grl({ rate_limits: [{ actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user', skip_if_absent: true } }] }] }),
    bad: grl({ rateLimits: [{ actions: [{ requestHeaders: { headerName: 'x-user', descriptorKey: 'user' } }] }] }),
    path: 'rateLimits[0].actions[0].requestHeaders',
    envoy: 'accept',
  },
  {
    rule: 'MW330',
    type: LUA,
    good: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' } },
    bad: { '@type': LUA, inline_code: 'function envoy_on_request(h) end', default_source_code: { inline_string: 'function envoy_on_request(h) end' } },
    path: 'inline_code',
    envoy: 'reject',
    envoyText: 'Only one of `inline_code` or `default_source_code` can be set',
  },
  {
    rule: 'MW350',
    type: LISTENER,
    good: listener(hcm({ codec_type: 'AUTO' }), false),
    bad: listener(hcm({ codec_type: 'HTTP3' }), false),
    path: 'filter_chains[0].filters[0].typed_config.codec_type',
    envoy: 'reject',
    envoyText: 'HTTP/3 codec configured on non-QUIC listener.',
  },
  {
    rule: 'MW351',
    type: LISTENER,
    good: listener(hcm({ codec_type: 'HTTP3' }), true),
    bad: listener(hcm(), true),
    path: 'filter_chains[0].filters[0].typed_config',
    envoy: 'reject',
    envoyText: 'Non-HTTP/3 codec configured on QUIC listener.',
  },
  {
    rule: 'MW351',
    type: LISTENER,
    good: listener(hcm({ codecType: 3 }), true),
    bad: listener(hcm({ codecType: 'HTTP2' }), true),
    path: 'filter_chains[0].filters[0].typed_config.codecType',
    envoy: 'reject',
    envoyText: 'Non-HTTP/3 codec configured on QUIC listener.',
  },
];
