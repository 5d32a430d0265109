import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './serve.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('extra servers (the webhook seam): started on start, part of /readyz, closed on SIGTERM after the queues', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-serve-'));
  const kubeconfig = join(dir, 'kubeconfig');
  // An API server that is not there: informers keep retrying, the probes still answer.
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  const port = await freePort();
  const events: string[] = [];
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((r) => (exited = r));
  void serve(['--kubeconfig', kubeconfig, '--health-probe-bind-address', `127.0.0.1:${port}`, '--metrics-bind-address', `127.0.0.1:${port}`, '--log-level', 'silent', '--leader-elect=false'], {
    extraServers: [
      async (ctx) => {
        events.push(`start caches=${typeof ctx.caches.Pod.list} registry=${typeof ctx.metrics.registry.metrics}`);
        assert.deepEqual(ctx.evaluationContext().services, []);
        return { name: 'webhook', ready: () => 'certificate not loaded', close: async () => void events.push('close') };
      },
    ],
    exit: (code) => exited(code),
  });
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    for (let i = 0; i < 50; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: r.status, body: await r.text() };
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('probe server did not start');
  };
  assert.equal((await get('/healthz')).status, 200);
  const ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.match(ready.body, /\[-\]webhook failed: certificate not loaded/);
  assert.match(ready.body, /\[-\]informers failed: caches not synced/);
  assert.match((await get('/metrics')).body, /controller_runtime_max_concurrent_reconciles\{controller="smartlimiter"\} 4/);
  assert.deepEqual(events, ['start caches=function registry=function']);
  process.kill(process.pid, 'SIGTERM');
  assert.equal(await exit, 0);
  assert.deepEqual(events, ['start caches=function registry=function', 'close']);
});
