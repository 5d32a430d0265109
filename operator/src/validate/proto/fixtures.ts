/**
 * One good and one bad EnvoyFilter `patch.value` per MW2xx rule. `envoy` says what Envoy
 * 1.36.2/1.39.3 `--mode validate` does with the bad one placed in a static bootstrap ('reject' or
 * 'accept'); absent when Envoy cannot judge it (istiod-only behaviour: MERGE, dialect, istio-proxy
 * types). Shared by rules.test.ts and oracle.test.ts.
 */
import type { RuleFixture } from '../rule.js';

const T = (n: string) => `type.googleapis.com/${n}`;
export const LRL = T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit');
const HCM = T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
const TCP = T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
const TLS_INSPECTOR = T('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector');
const LUA = T('envoy.extensions.filters.http.lua.v3.Lua');

const tb = (extra: Record<string, unknown> = {}) => ({ max_tokens: 10, tokens_per_fill: 10, fill_interval: '1s', ...extra });
const lrl = (extra: Record<string, unknown> = {}) => ({ '@type': LRL, stat_prefix: 'mw', token_bucket: tb(), ...extra });
const httpFilter = (typedConfig: unknown) => ({ name: 'envoy.filters.http.local_ratelimit', typed_config: typedConfig });
const cluster = (extra: Record<string, unknown> = {}) => ({
  name: 'fixture',
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: { cluster_name: 'fixture', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9 } } } }] }] },
  ...extra,
});

export interface Fixture extends RuleFixture {
  applyTo: 'HTTP_FILTER' | 'NETWORK_FILTER' | 'LISTENER_FILTER' | 'CLUSTER' | 'VIRTUAL_HOST' | 'HTTP_ROUTE';
  operation?: string;
  targetFilterName?: string;
}

export const fixtures: Fixture[] = [
  {
    rule: 'MW201',
    applyTo: 'HTTP_FILTER',
    good: httpFilter(lrl()),
    bad: httpFilter(lrl({ token_bucket: { max_tokens: 10, fill_intervall: '1s', fill_interval: '1s' } })),
    path: 'typed_config.token_bucket.fill_intervall',
    envoy: 'reject',
    envoyText: 'fill_intervall',
  },
  {
    rule: 'MW201',
    applyTo: 'HTTP_FILTER',
    versions: ['1.36'],
    good: httpFilter(lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb() }] })),
    bad: httpFilter(lrl({ descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: tb(), shadow_mode: true }] })),
    path: 'typed_config.descriptors[0].shadow_mode',
    envoy: 'reject',
    envoyText: 'shadow_mode',
  },
  {
    rule: 'MW202',
    applyTo: 'HTTP_FILTER',
    good: { name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' } } },
    bad: { name: 'envoy.filters.http.lua', typed_config: { '@type': T('envoy.config.filter.http.lua.v2.Lua'), inline_code: 'function envoy_on_request(h) end' } },
    path: 'typed_config["@type"]',
    envoy: 'reject',
    envoyText: 'envoy.config.filter.http.lua.v2.Lua',
  },
  {
    rule: 'MW202',
    applyTo: 'HTTP_FILTER',
    good: httpFilter(lrl()),
    bad: { name: 'envoy.filters.http.cors' },
    path: 'typed_config',
    envoy: 'reject',
    envoyText: "Didn't find a registered implementation",
  },
  {
    rule: 'MW203',
    applyTo: 'LISTENER_FILTER',
    good: { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TLS_INSPECTOR } },
    bad: { name: 'tcp', typed_config: { '@type': TCP, stat_prefix: 'tcp', cluster: 'backend' } },
    path: 'typed_config["@type"]',
    envoy: 'reject',
    envoyText: "Didn't find a registered implementation",
  },
  {
    rule: 'MW204',
    applyTo: 'HTTP_FILTER',
    good: httpFilter(lrl()),
    bad: httpFilter(lrl({ token_bucket: tb({ max_tokens: 1.5 }) })),
    path: 'typed_config.token_bucket.max_tokens',
    envoy: 'reject',
  },
  {
    rule: 'MW204',
    applyTo: 'HTTP_FILTER',
    good: httpFilter(lrl({ enable_x_ratelimit_headers: 'DRAFT_VERSION_03' })),
    bad: httpFilter(lrl({ enable_x_ratelimit_headers: 'DRAFT_VERSION_3' })),
    path: 'typed_config.enable_x_ratelimit_headers',
    envoy: 'reject',
    envoyText: 'DRAFT_VERSION_3',
  },
  {
    rule: 'MW205',
    applyTo: 'CLUSTER',
    good: cluster(),
    bad: cluster({
      cluster_type: { name: 'envoy.clusters.aggregate', typed_config: { '@type': T('envoy.extensions.clusters.aggregate.v3.ClusterConfig'), clusters: ['a'] } },
      lb_policy: 'CLUSTER_PROVIDED',
    }),
    path: 'cluster_type',
    envoy: 'reject',
  },
  {
    rule: 'MW206',
    applyTo: 'HTTP_FILTER',
    good: httpFilter(lrl()),
    bad: httpFilter(lrl({ stat_prefix: '' })),
    path: 'typed_config.stat_prefix',
    envoy: 'reject',
    envoyText: 'LocalRateLimitValidationError.StatPrefix: value length must be at least 1 characters',
  },
  {
    rule: 'MW206',
    applyTo: 'HTTP_FILTER',
    versions: ['1.36'],
    good: httpFilter(lrl()),
    bad: httpFilter(lrl({ token_bucket: tb({ max_tokens: 0 }) })),
    path: 'typed_config.token_bucket.max_tokens',
    envoy: 'reject',
    envoyText: 'TokenBucketValidationError.MaxTokens: value must be greater than 0',
  },
  {
    rule: 'MW206',
    applyTo: 'VIRTUAL_HOST',
    good: { name: 'fixture', domains: ['fixture.example.com'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] },
    bad: { name: 'fixture', domains: [], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] },
    path: 'domains',
    envoy: 'reject',
    envoyText: 'VirtualHostValidationError.Domains: value must contain at least 1 item(s)',
  },
  {
    rule: 'MW206',
    applyTo: 'CLUSTER',
    good: cluster(),
    bad: cluster({ name: '' }),
    path: 'name',
    envoy: 'reject',
    envoyText: 'ClusterValidationError.Name: value length must be at least 1 characters',
  },
  {
    rule: 'MW207',
    applyTo: 'HTTP_FILTER',
    severity: 'warning',
    good: httpFilter(lrl()),
    bad: httpFilter({ '@type': T('udpa.type.v1.TypedStruct'), type_url: LRL, value: { stat_prefix: 'mw', token_bucket: tb() } }),
    path: 'typed_config',
    envoy: 'accept',
  },
  {
    rule: 'MW208',
    applyTo: 'HTTP_FILTER',
    severity: 'warning',
    good: { name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' } } },
    bad: { name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, inline_code: 'function envoy_on_request(h) end' } },
    path: 'typed_config.inline_code',
    envoy: 'accept',
  },
  {
    rule: 'MW210',
    applyTo: 'HTTP_FILTER',
    severity: 'info',
    good: httpFilter(lrl()),
    bad: { name: 'istio.alpn', typed_config: { '@type': T('istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig') } },
    path: 'typed_config["@type"]',
  },
  {
    rule: 'MW211',
    applyTo: 'NETWORK_FILTER',
    operation: 'MERGE',
    targetFilterName: 'envoy.filters.network.http_connection_manager',
    good: { typed_config: { '@type': HCM, normalize_path: true } },
    bad: { typed_config: { '@type': T('udpa.type.v1.TypedStruct'), type_url: HCM, value: { normalize_path: true } } },
    path: 'typed_config["@type"]',
  },
];
