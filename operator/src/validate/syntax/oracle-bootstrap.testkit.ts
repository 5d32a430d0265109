/**
 * The smallest static Envoy bootstrap that makes `envoy --mode validate` judge one Lua filter
 * (it runs the top level) and one `safe_regex` route (it compiles the regex under Istio's
 * program-size limit). Shared by the unit oracle (envoy-oracle.test.ts) and the hostile-input
 * oracle (e2e/envoy/lua-hostile.e2e.test.ts).
 */
export function luaRegexBootstrap(opts: { lua?: string; regex?: string; errorLevel?: number }): unknown {
  const routes: unknown[] = [];
  if (opts.regex !== undefined) routes.push({ match: { safe_regex: { regex: opts.regex } }, route: { cluster: 'backend' } });
  routes.push({ match: { prefix: '/' }, route: { cluster: 'backend' } });
  const httpFilters: unknown[] = [];
  if (opts.lua !== undefined) {
    httpFilters.push({
      name: 'envoy.filters.http.lua',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
        default_source_code: { inline_string: opts.lua },
      },
    });
  }
  httpFilters.push({ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } });
  const addr = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    node: { id: 'oracle', cluster: 'oracle' },
    layered_runtime: { layers: [{ name: 'static', static_layer: { 're2.max_program_size.error_level': opts.errorLevel ?? 32768 } }] },
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: addr(10080),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'oracle',
                    route_config: { name: 'local', virtual_hosts: [{ name: 'b', domains: ['*'], routes }] },
                    http_filters: httpFilters,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'backend',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: addr(18080) } }] }] },
        },
      ],
    },
    admin: { address: addr(0) },
  };
}
