/** A small HTTPS client for the webhook's tests, fuzz test and bench (keep-alive, trusts one CA). */
import https from 'node:https';
import type { PeerCertificate } from 'node:tls';

export interface Reply {
  status: number;
  body: string;
  peer?: PeerCertificate;
}

export function webhookClient(port: number, caPem: string, opts: { maxSockets?: number; keepAlive?: boolean } = {}) {
  const agent = new https.Agent({ keepAlive: opts.keepAlive ?? true, maxSockets: opts.maxSockets ?? 8, ca: caPem });
  const request = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json', ...headers }, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        const sock = res.socket as import('node:tls').TLSSocket | null;
        const peer = sock?.getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(peer ? { peer } : {}) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', reject);
      req.end(body);
    });
  return {
    post: (path: string, body: string | Buffer, headers?: Record<string, string>) => request('POST', path, body, headers),
    get: (path: string) => request('GET', path),
    request,
    close: () => agent.destroy(),
  };
}
