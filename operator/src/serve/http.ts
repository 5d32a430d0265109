/**
 * The probe and metrics HTTP server(s): `/healthz` (the process and its event loop are
 * alive), `/readyz` (every readiness check passes: caches synced, plus any extra server's
 * own check such as the webhook's TLS certificate), `/metrics` (prom-client).
 */
import http from 'node:http';
import type { Registry } from 'prom-client';

export type Check = () => boolean | string;

export interface ProbeServerOptions {
  host?: string;
  port: number;
  readiness: Map<string, Check>;
  registry?: Registry;
  probes: boolean;
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

function run(checks: Map<string, Check>): { ok: boolean; body: string } {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of checks) {
    const r = check();
    const pass = r === true;
    ok &&= pass;
    lines.push(`[${pass ? '+' : '-'}]${name} ${pass ? 'ok' : `failed${typeof r === 'string' ? `: ${r}` : ''}`}`);
  }
  return { ok, body: `${lines.join('\n')}\n${ok ? 'ok' : 'not ready'}\n` };
}

export async function startProbeServer(o: ProbeServerOptions): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (o.probes && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (o.probes && path === '/readyz') {
      const r = run(o.readiness);
      res.writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(r.body);
      return;
    }
    if (o.registry && path === '/metrics') {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry!.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
      return;
    }
    res.writeHead(404).end('not found');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
