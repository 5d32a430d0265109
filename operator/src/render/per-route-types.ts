/**
 * Per-route config message of the HTTP filters whose per-route type differs from their
 * filter type (typed_per_filter_config must carry the per-route message). Each entry is
 * the `envoy.filters.http.*` extension's documented per-route config.
 */
const perRoute: Record<string, string> = {
  'envoy.extensions.filters.http.lua.v3.Lua': 'envoy.extensions.filters.http.lua.v3.LuaPerRoute',
  'envoy.extensions.filters.http.cors.v3.Cors': 'envoy.extensions.filters.http.cors.v3.CorsPolicy',
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz': 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute',
  'envoy.extensions.filters.http.ratelimit.v3.RateLimit': 'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute',
  'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit': 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  'envoy.extensions.filters.http.fault.v3.HTTPFault': 'envoy.extensions.filters.http.fault.v3.HTTPFault',
  'envoy.extensions.filters.http.buffer.v3.Buffer': 'envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
  'envoy.extensions.filters.http.compressor.v3.Compressor': 'envoy.extensions.filters.http.compressor.v3.CompressorPerRoute',
  'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation': 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute',
  'envoy.extensions.filters.http.rbac.v3.RBAC': 'envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication': 'envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig',
  'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor': 'envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
  'envoy.extensions.filters.http.csrf.v3.CsrfPolicy': 'envoy.extensions.filters.http.csrf.v3.CsrfPolicy',
  'envoy.extensions.filters.http.custom_response.v3.CustomResponse': 'envoy.extensions.filters.http.custom_response.v3.CustomResponse',
};

export function perRouteType(filterType: string): string | undefined {
  return perRoute[filterType];
}
