/**
 * Test helper: a minimal static Envoy bootstrap with one HCM whose HTTP filter / per-route config
 * is under test, and `envoy --mode validate` on it. Used by semantic.oracle.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION_TABLE, type EnvoyMinor } from '../../versions/table.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../.tools/bin');
/**
 * The Envoys the MW3xx oracle runs, from the version table: the oldest fetched wheel and the two
 * newest (the latest boundaries sit there; a new row moves the pair along).
 */
const fetched = VERSION_TABLE.filter((r) => r.wheelFetched);
export const ORACLE_ENVOYS: readonly EnvoyMinor[] = [...new Set([fetched[0]!, ...fetched.slice(-2)].map((r) => r.envoy))];
export const ENVOYS: Readonly<Record<string, string>> = Object.fromEntries(fetched.filter((r) => ORACLE_ENVOYS.includes(r.envoy)).map((r) => [r.envoy, join(BIN, `envoy-${r.envoyWheel}`)]));
/** Every oracle binary is there (scripts/fetch-envoy.sh). */
export const haveEnvoy = Object.values(ENVOYS).every((p) => existsSync(p));

export const FILTER_NAMES: Record<string, string> = {
  'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit': 'envoy.filters.http.local_ratelimit',
  'envoy.extensions.filters.http.ratelimit.v3.RateLimit': 'envoy.filters.http.ratelimit',
  'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute': 'envoy.filters.http.ratelimit',
  'envoy.extensions.filters.http.lua.v3.Lua': 'envoy.filters.http.lua',
  'envoy.extensions.filters.http.lua.v3.LuaPerRoute': 'envoy.filters.http.lua',
};

const T = (n: string) => `type.googleapis.com/${n}`;
const addr = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });

export interface OracleInput {
  /** HTTP filter typed_config (with `@type`). */
  filter?: Record<string, unknown>;
  /** Per-route typed config (with `@type`) for the filter's name. */
  perRoute?: Record<string, unknown>;
  /** Route-level rate_limits (envoy.config.route.v3.RateLimit list) on the route action. */
  routeRateLimits?: unknown[];
  /** A whole listener (`@type` allowed) instead of the HCM above. */
  listener?: Record<string, unknown>;
}

/**
 * `listener` with a QUIC transport socket (TLS with `cert`/`key`, ALPN h3) on every filter chain
 * of a QUIC listener that has none: Envoy refuses a QUIC listener without one, or without a
 * certificate, before it looks at the HCM.
 */
export function withQuicTls(listener: Record<string, unknown>, cert: string, key: string): Record<string, unknown> {
  const udp = listener['udp_listener_config'] as { quic_options?: unknown } | undefined;
  if (udp?.quic_options === undefined) return listener;
  const socket = {
    name: 'envoy.transport_sockets.quic',
    typed_config: {
      '@type': T('envoy.extensions.transport_sockets.quic.v3.QuicDownstreamTransport'),
      downstream_tls_context: { common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: cert }, private_key: { inline_string: key } }], alpn_protocols: ['h3'] } },
    },
  };
  const chains = (listener['filter_chains'] as Array<Record<string, unknown>> | undefined) ?? [];
  return { ...listener, filter_chains: chains.map((c) => ('transport_socket' in c ? c : { ...c, transport_socket: socket })) };
}

export function bootstrap(input: OracleInput): unknown {
  const filterType = String((input.filter ?? input.perRoute)?.['@type'] ?? '');
  const name = FILTER_NAMES[filterType.slice(filterType.lastIndexOf('/') + 1)] ?? 'envoy.filters.http.local_ratelimit';
  const httpFilters: unknown[] = [];
  if (input.filter) httpFilters.push({ name, typed_config: input.filter });
  else if (input.perRoute) {
    // A placeholder filter of the same extension, so the per-route config has a filter to belong to.
    const placeholder: Record<string, Record<string, unknown>> = {
      'envoy.filters.http.local_ratelimit': { '@type': T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'), stat_prefix: 'p' },
      'envoy.filters.http.lua': { '@type': T('envoy.extensions.filters.http.lua.v3.Lua') },
      'envoy.filters.http.ratelimit': {
        '@type': T('envoy.extensions.filters.http.ratelimit.v3.RateLimit'),
        domain: 'd',
        rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'backend' } }, transport_api_version: 'V3' },
      },
    };
    httpFilters.push({ name, typed_config: placeholder[name] });
  }
  httpFilters.push({ name: 'envoy.filters.http.router', typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } });
  const route: Record<string, unknown> = { match: { prefix: '/' }, route: { cluster: 'backend', ...(input.routeRateLimits ? { rate_limits: input.routeRateLimits } : {}) } };
  if (input.perRoute) route['typed_per_filter_config'] = { [name]: input.perRoute };
  const { '@type': _type, ...wholeListener } = input.listener ?? {};
  return {
    node: { id: 'oracle', cluster: 'oracle' },
    static_resources: {
      listeners: input.listener
        ? [wholeListener]
        : [
            {
              name: 'http',
              address: addr(10080),
              filter_chains: [
                {
                  filters: [
                    {
                      name: 'envoy.filters.network.http_connection_manager',
                      typed_config: {
                        '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
                        stat_prefix: 'oracle',
                        route_config: { name: 'local', virtual_hosts: [{ name: 'b', domains: ['*'], routes: [route] }] },
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
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': T('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: addr(18080) } }] }] },
        },
      ],
    },
    admin: { address: addr(0) },
  };
}

export function envoyValidate(version: string, cfg: unknown): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw3-oracle-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(cfg));
    const bin = ENVOYS[version];
    if (bin === undefined) throw new Error(`no oracle Envoy ${version} (ORACLE_ENVOYS: ${ORACLE_ENVOYS.join(', ')})`);
    const r = spawnSync(bin, ['--mode', 'validate', '-c', file, '-l', 'critical'], { timeout: 60_000 });
    return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
