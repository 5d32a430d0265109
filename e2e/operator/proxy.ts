/** A fault-injecting proxy between the operator and the API server (plain HTTP in, admin client cert out). */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Env } from './helpers.js';

export /** A plain-HTTP proxy to the API server (admin client cert) that can answer the next watch with 410 Gone. */
async function startProxy(env: Env): Promise<{ port: number; expireNextWatch(resource: string): void; cutWatches(resource: string): void; expired: number; close(): void }> {
  const kc = JSON.parse(readFileSync(env.cp.kubeconfigPath, 'utf8')) as {
    users: Array<{ user: Record<string, string> }>;
  };
  const user = kc.users[0]!.user;
  const target = new URL(env.cp.server);
  const agent = new https.Agent({
    ca: env.cp.caPem,
    cert: Buffer.from(user['client-certificate-data']!, 'base64'),
    key: Buffer.from(user['client-key-data']!, 'base64'),
    keepAlive: true,
  });
  const armed = new Set<string>();
  const watches = new Set<{ resource: string; res: http.ServerResponse; up: http.ClientRequest }>();
  const state = { expired: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const resource = url.pathname.split('/').pop() ?? '';
    if (url.searchParams.get('watch') === 'true' && armed.has(resource)) {
      armed.delete(resource);
      state.expired++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 } }) + '\n');
      return;
    }
    const headers = { ...req.headers, host: target.host };
    delete headers['accept-encoding'];
    delete headers.connection;
    const up = https.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      res.flushHeaders();
      r.on('data', (c: Buffer) => res.write(c));
      r.on('end', () => res.end());
    });
    up.on('error', (e) => {
      console.error(`[proxy] ${req.method} ${req.url}: ${e.message}`);
      res.destroy();
    });
    if (url.searchParams.get('watch') === 'true') {
      const w = { resource, res, up };
      watches.add(w);
      res.on('close', () => watches.delete(w));
    }
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    expireNextWatch: (r) => armed.add(r),
    cutWatches: (r) => {
      for (const w of watches)
        if (w.resource === r) {
          w.up.destroy();
          w.res.end();
        }
    },
    get expired() {
      return state.expired;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
