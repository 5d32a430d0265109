/**
 * MW3xx: Envoy's C++ semantic checks (config-load exceptions that NACK an xDS update) and the
 * silent no-ops of the rate-limit and Lua filters, on plain JSON typed configs. Rules that are
 * pure protoc-gen-validate constraints (e.g. LuaPerRoute `disabled: false`, header_value_match
 * without descriptor_value) or deprecations (`inline_code`) belong to MW2xx and are not repeated.
 * "[tested]" in a title means Envoy 1.36.2 and 1.39.3 `--mode validate` agree with the verdict
 * (operator/src/validate/semantic/oracle.test.ts).
 */
import { defineRule } from '../rule.js';

const ENVOY = 'https://github.com/envoyproxy/envoy/blob/main/';
const LRL_IMPL = `${ENVOY}source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc`;
const LRL_FILTER = `${ENVOY}source/extensions/filters/http/local_ratelimit/local_ratelimit.cc`;
const LRL_PROTO = `${ENVOY}api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto`;
const RL_PROTO = `${ENVOY}api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto`;
const ROUTE_PROTO = `${ENVOY}api/envoy/config/route/v3/route_components.proto`;
const LUA_FILTER = `${ENVOY}source/extensions/filters/http/lua/lua_filter.cc`;

// ------------------------------------------------------------ local_ratelimit (MW301-MW319)

export const MW301 = defineRule({
  code: 'MW301', layer: 'semantic', severity: 'error',
  title: 'local_ratelimit token bucket fill_interval below 50ms (filter or descriptor bucket): config-load error, LDS/RDS NACK [tested]',
  source: LRL_IMPL,
  failureModes: [15],
});
export const MW302 = defineRule({
  code: 'MW302', layer: 'semantic', severity: 'error',
  title: 'local_ratelimit descriptor listed twice (same entries in the same order): "duplicate descriptor", NACK [tested]',
  source: LRL_IMPL,
  failureModes: [15],
});
export const MW303 = defineRule({
  code: 'MW303', layer: 'semantic', severity: 'error',
  title: 'Per-route LocalRateLimit without token_bucket: "token bucket must be set for per filter configs", NACK [tested]',
  source: LRL_FILTER,
  failureModes: [16],
});
export const MW304 = defineRule({
  code: 'MW304', layer: 'semantic', severity: 'warning',
  title: 'local_ratelimit filter_enabled/filter_enforced unset or 0%: the limiter never runs or never enforces (both default to 0%)',
  source: LRL_PROTO,
  failureModes: [14],
});
export const MW305 = defineRule({
  code: 'MW305', layer: 'semantic', severity: 'error',
  title: "local_cluster_rate_limit set: Istio's bootstrap has no local_cluster_name, so Envoy rejects the config [tested]",
  source: LRL_FILTER,
  failureModes: [17],
});
export const MW306 = defineRule({
  code: 'MW306', layer: 'semantic', severity: 'warning',
  title: 'local_ratelimit rate_limits without descriptors: descriptors are only computed when descriptors is non-empty, so rate_limits never apply',
  source: LRL_FILTER,
  failureModes: [14],
});
export const MW307 = defineRule({
  code: 'MW307', layer: 'semantic', severity: 'warning',
  title: "local_ratelimit descriptor that no rate_limits entry can generate (keys, order or fixed values differ): its bucket never matches",
  source: `${ENVOY}source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc (DynamicDescriptorMap::matchDescriptorEntries)`,
  failureModes: [14],
});
export const MW308 = defineRule({
  code: 'MW308', layer: 'semantic', severity: 'error',
  title: "Filter-level rate_limits entry uses stage, disable_key, the dynamic_metadata action, or limit (local filter; global filter before 1.39): not supported there, NACK [tested]",
  source: `${ENVOY}source/common/router/router_ratelimit.cc; ${LRL_PROTO}; ${RL_PROTO}`,
});
export const MW309 = defineRule({
  code: 'MW309', layer: 'semantic', severity: 'warning',
  title: 'Wildcard (empty value) descriptor with local_rate_limit_per_downstream_connection: wildcards only work for instance-level limiting (Envoy accepts it [tested])',
  source: LRL_PROTO,
  failureModes: [14],
});
export const MW310 = defineRule({
  code: 'MW310', layer: 'semantic', severity: 'warning',
  title: 'Wildcard descriptor without max_dynamic_descriptors: Envoy keeps 20 values, an evicted value comes back with a fresh full bucket',
  source: LRL_PROTO,
  failureModes: [14],
});
export const MW311 = defineRule({
  code: 'MW311', layer: 'semantic', severity: 'warning',
  title: 'Rate-limit status code below 400: Envoy replies 429 instead',
  source: `${LRL_PROTO}; ${RL_PROTO}`,
});
export const MW312 = defineRule({
  code: 'MW312', layer: 'semantic', severity: 'info',
  title: "local_ratelimit descriptors without the filter's own rate_limits: descriptors come from route/vhost rate_limits (Envoy warns this will be ignored in the future)",
  source: LRL_FILTER,
});
export const MW313 = defineRule({
  code: 'MW313', layer: 'semantic', severity: 'warning',
  title: "local_ratelimit descriptor with a fixed value for a request_headers ':path' entry: the value includes the query string, so /a?x=1 does not match /a [tested]",
  source: `${ROUTE_PROTO} (RequestHeaders); docs/envoy-semantics.md §7`,
  failureModes: [14],
});

// ------------------------------------------------------------ global ratelimit (MW320-MW329)

export const MW320 = defineRule({
  code: 'MW320', layer: 'semantic', severity: 'warning',
  title: 'rate_limit_service.transport_api_version is not V3: V2 is a NACK [tested]; unset (AUTO) is accepted by Envoy 1.36/1.39 [tested] but was a NACK in older Envoy',
  source: `${ENVOY}source/common/config/utility.cc (checkTransportVersion); envoyproxy/envoy#36384`,
  failureModes: [19],
});
export const MW321 = defineRule({
  code: 'MW321', layer: 'semantic', severity: 'info',
  title: 'ratelimit failure_mode_deny: true: an RLS outage or timeout turns every request into a 500',
  source: RL_PROTO,
  failureModes: [20],
});
export const MW322 = defineRule({
  code: 'MW322', layer: 'semantic', severity: 'info',
  title: 'ratelimit timeout unset: RLS calls time out after 20ms and then fail open (or 500 with failure_mode_deny)',
  source: RL_PROTO,
  failureModes: [20],
});
export const MW323 = defineRule({
  code: 'MW323', layer: 'semantic', severity: 'warning',
  title: 'request_headers/query_parameters/metadata action without skip_if_absent: a request lacking it produces no descriptor and is never limited by this entry',
  source: ROUTE_PROTO,
  failureModes: [21],
});
export const MW324 = defineRule({
  code: 'MW324', layer: 'semantic', severity: 'warning',
  title: 'Rate limit HTTP filter added without its own rate_limits while the EnvoyFilter sets no route/vhost rate_limits: no descriptor is ever generated, the filter never limits (Istio routes carry none)',
  source: `${RL_PROTO}; ${LRL_PROTO}; ${ROUTE_PROTO}`,
  failureModes: [14, 21],
});

// ------------------------------------------------------------ Lua (MW330-MW339)

export const MW330 = defineRule({
  code: 'MW330', layer: 'semantic', severity: 'error',
  title: 'Lua filter sets both inline_code and default_source_code: "Only one of `inline_code` or `default_source_code` can be set", NACK [tested]',
  source: LUA_FILTER,
  failureModes: [25],
});
export const MW331 = defineRule({
  code: 'MW331', layer: 'semantic', severity: 'error',
  title: 'LuaPerRoute name not in the Lua filter\'s source_codes: Envoy accepts it [tested] but that route runs no script',
  source: LUA_FILTER,
  failureModes: [25],
});

// ------------------------------------------------------------ per-filter config wrappers (MW340-MW349)

export const MW340 = defineRule({
  code: 'MW340', layer: 'semantic', severity: 'error',
  title: 'FilterConfig wrapper with neither config nor disabled: true: "Empty route/virtual host per filter configuration", NACK [tested]',
  source: `${ENVOY}source/common/router/per_filter_config.cc`,
});

// ------------------------------------------------------------ HTTP connection manager (MW350-MW359)

const HCM_CONFIG = `${ENVOY}source/extensions/filters/network/http_connection_manager/config.cc`;

export const MW350 = defineRule({
  code: 'MW350', layer: 'semantic', severity: 'error',
  title: 'HTTP connection manager with codec_type HTTP3 on a listener without udp_listener_config.quic_options (e.g. MERGEd into a TCP listener\'s HCM): "HTTP/3 codec configured on non-QUIC listener.", LDS NACK [tested]',
  source: HCM_CONFIG,
});
export const MW351 = defineRule({
  code: 'MW351', layer: 'semantic', severity: 'error',
  title: 'HTTP connection manager with a codec other than HTTP3 (AUTO, the default, included) on a QUIC listener: "Non-HTTP/3 codec configured on QUIC listener.", LDS NACK [tested]',
  source: HCM_CONFIG,
});
