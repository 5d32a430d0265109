import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createWebhookServer, type WebhookServer } from './server.js';
import { generateCertificates, ensureServingCertificate } from './certs.js';
import { webhookClient } from './client.testkit.js';
import * as f from './fixtures.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook server', () => {
  let dir: string;
  let wh: WebhookServer;
  let client: ReturnType<typeof webhookClient>;
  let caPem: string;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-webhook-'));
    wh = createWebhookServer({ port: 0, host: '127.0.0.1', certDir: join(dir, 'certs'), logger: silent, istioVersions: ['1.31'], maxBodyBytes: 64 * 1024 });
    assert.equal(wh.ready(), false);
    const started = await wh.start();
    port = started.port;
    caPem = started.caPem ?? '';
    client = webhookClient(port, caPem);
  });
  after(async () => {
    client?.close();
    await wh?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('generates a CA and a serving certificate for 127.0.0.1 and localhost in an empty cert dir', async () => {
    assert.deepEqual((await readdir(join(dir, 'certs'))).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const cert = new X509Certificate(await readFile(join(dir, 'certs', 'tls.crt')));
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(cert.verify(new X509Certificate(caPem).publicKey));
    assert.equal(wh.ready(), true);
  });

  test('POST /validate answers AdmissionReviews over HTTPS', async () => {
    const good = await client.post('/validate', JSON.stringify(f.admissionReview(f.goodEnvoyFilter(2), { uid: 'u1' })));
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(good.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true } });
    const bad = JSON.parse((await client.post('/validate', JSON.stringify(f.admissionReview(f.badSmartLimiter(), { uid: 'u2' })))).body);
    assert.equal(bad.response.uid, 'u2');
    assert.equal(bad.response.allowed, false);
    assert.equal(bad.response.status.code, 422);
    assert.match(bad.response.status.message, /MW103 spec\.limits\[0\]\.rate\.requests/);
  });

  test('malformed bodies get a clean 400, oversized ones 413, other paths 404/405', async () => {
    const r1 = await client.post('/validate', '{"apiVersion": ');
    assert.equal(r1.status, 400);
    assert.match(JSON.parse(r1.body).error, /malformed JSON/);
    const r2 = await client.post('/validate', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(r2.status, 400);
    assert.match(JSON.parse(r2.body).error, /not an AdmissionReview v1: kind is "Pod"/);
    const r3 = await client.post('/validate', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }));
    assert.equal(r3.status, 400);
    const big = JSON.stringify(f.admissionReview(f.envoyFilter('x', 'shop', [{ pad: 'x'.repeat(100 * 1024) }])));
    assert.equal((await client.post('/validate', big)).status, 413);
    // Without a content-length (chunked), the limit still holds while reading.
    assert.equal((await client.post('/validate', big, { 'transfer-encoding': 'chunked' })).status, 413);
    assert.equal((await client.get('/nope')).status, 404);
    assert.equal((await client.get('/validate')).status, 405);
    assert.equal((await client.post('/healthz', '')).status, 405);
    // Still serving.
    assert.equal((await client.get('/healthz')).status, 200);
  });

  test('/healthz and /readyz; the controller-runtime webhook series are registered but not served on the webhook port', async () => {
    assert.equal((await client.get('/healthz')).body, 'ok\n');
    assert.equal((await client.get('/readyz')).status, 200);
    // Unauthenticated on the port the API server calls: the operator's metrics port serves the registry instead.
    assert.equal((await client.get('/metrics')).status, 404);
    const m = { body: await wh.metrics.registry.metrics() };
    assert.match(m.body, /controller_runtime_webhook_requests_total\{code="200",webhook="\/validate"\} \d+/);
    assert.match(m.body, /controller_runtime_webhook_requests_total\{code="400",webhook="\/validate"\} \d+/);
    assert.match(m.body, /controller_runtime_webhook_latency_seconds_bucket\{le="0.005",webhook="\/validate"\}/);
    assert.match(m.body, /controller_runtime_webhook_requests_in_flight\{webhook="\/validate"\} 0/);
    assert.match(m.body, /meshwarden_webhook_admissions_total\{kind="SmartLimiter",operation="CREATE",allowed="false"\} 1/);
    assert.match(m.body, /process_cpu_user_seconds_total/);
  });

  test('reloads tls.crt/tls.key when they change, without dropping the listener', async () => {
    const before = (await client.get('/healthz')).peer?.fingerprint256;
    const next = await generateCertificates({});
    // Write the new pair the way a Secret volume update would: new files, renamed into place.
    await writeFile(join(dir, 'certs', '.k'), next.key);
    await writeFile(join(dir, 'certs', '.c'), next.cert);
    await rename(join(dir, 'certs', '.k'), join(dir, 'certs', 'tls.key'));
    await rename(join(dir, 'certs', '.c'), join(dir, 'certs', 'tls.crt'));
    const c2 = webhookClient(port, next.caCert, { keepAlive: false });
    let fp: string | undefined;
    for (let i = 0; i < 50 && fp === undefined; i++) {
      await sleep(100);
      try {
        fp = (await c2.get('/healthz')).peer?.fingerprint256;
      } catch {
        /* old certificate still served: the new CA does not trust it yet */
      }
    }
    c2.close();
    assert.ok(fp, 'the new certificate was not served within 5 s');
    assert.notEqual(fp, before);
    assert.equal(fp, new X509Certificate(next.cert).fingerprint256);
    caPem = next.caCert;
  });
});

describe('webhook server with given certificates', () => {
  test('uses tls.crt/tls.key from the cert dir and does not generate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mw-webhook-given-'));
    try {
      const made = await generateCertificates({ dnsNames: ['meshwarden-webhook.meshwarden-system.svc'] });
      await writeFile(join(dir, 'tls.crt'), made.cert);
      await writeFile(join(dir, 'tls.key'), made.key);
      const sc = await ensureServingCertificate(dir);
      assert.equal(sc.generated, false);
      assert.match(new X509Certificate(sc.cert).subjectAltName ?? '', /DNS:meshwarden-webhook\.meshwarden-system\.svc/);
      const wh = createWebhookServer({ port: 0, host: '127.0.0.1', certDir: dir, logger: silent, isReady: () => false });
      const { port, caPem } = await wh.start();
      assert.equal(caPem, undefined);
      const c = webhookClient(port, made.caCert);
      assert.equal((await c.get('/readyz')).status, 503, 'isReady() false keeps /readyz at 503');
      assert.equal((await c.get('/healthz')).status, 200);
      c.close();
      await wh.stop();
      assert.deepEqual((await readdir(dir)).sort(), ['tls.crt', 'tls.key']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a request whose body does not arrive within the request timeout is cut off, the server goes on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mw-webhook-slow-'));
    const wh = createWebhookServer({ port: 0, host: '127.0.0.1', certDir: dir, logger: silent, requestTimeoutMs: 500, istioVersions: ['1.31'] });
    try {
      const { port, caPem } = await wh.start();
      const tls = await import('node:tls');
      const t0 = Date.now();
      const closed = await new Promise<string>((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => {
          // Headers promise 100 bytes; only 10 ever come.
          sock.write('POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"apiVersi');
        });
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('close', () => resolve(got));
        sock.on('error', reject);
      });
      const ms = Date.now() - t0;
      assert.ok(ms < 3_000, `cut off after ${ms} ms`);
      assert.match(closed, /^(HTTP\/1\.1 408|$)/);
      const c = webhookClient(port, caPem ?? '');
      const next = await c.post('/validate', JSON.stringify(f.admissionReview(f.goodEnvoyFilter(1), { uid: 'after' })));
      assert.equal(JSON.parse(next.body).response.allowed, true);
      c.close();
    } finally {
      await wh.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a certificate without its key is an error, not a silent self-signed replacement', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mw-webhook-half-'));
    try {
      await writeFile(join(dir, 'tls.crt'), (await generateCertificates()).cert);
      await assert.rejects(ensureServingCertificate(dir), /has tls\.crt but not tls\.key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A server whose evaluations run in eval-worker.testkit.ts: `spin` never ends, everything else is
 * judged at once. Each normal object has its own name: the verdict cache answers a repeated one
 * without a worker.
 */
describe('webhook server with a hostile evaluation in flight', () => {
  const testWorker = new URL(`./eval-worker.testkit${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const spin = () => ({ ...f.goodEnvoyFilter(1, 'spin'), metadata: { name: 'spin', namespace: 'shop' } });
  let dir: string;
  let wh: WebhookServer;
  let client: ReturnType<typeof webhookClient>;
  let port: number;
  let caPem: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-webhook-hostile-'));
    wh = createWebhookServer({
      port: 0,
      host: '127.0.0.1',
      certDir: dir,
      logger: silent,
      istioVersions: ['1.31'],
      maxConnections: 16,
      handshakeTimeoutMs: 500,
      evaluation: { size: 2, timeoutMs: 1_000, maxQueue: 1, queueTimeoutMs: 600, workerUrl: testWorker },
    });
    ({ port, caPem = '' } = await wh.start());
    client = webhookClient(port, caPem, { maxSockets: 16 });
  });
  after(async () => {
    client?.close();
    await wh?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
    const t0 = performance.now();
    const value = await p;
    return { value, ms: performance.now() - t0 };
  };

  test('probes and other admissions answer within 200 ms while one is being judged; the hostile one is denied naming the budget', async () => {
    const t0 = performance.now();
    const hostile = client.post('/validate', JSON.stringify(f.admissionReview(spin(), { uid: 'hostile' })));
    await sleep(100);
    for (let i = 0; i < 5; i++) {
      for (const path of ['/healthz', '/readyz']) {
        const r = await timed(client.get(path));
        assert.equal(r.value.status, 200, path);
        assert.ok(r.ms < 200, `${path} took ${Math.round(r.ms)} ms during a hostile evaluation`);
      }
      const normal = await timed(client.post('/validate', JSON.stringify(f.admissionReview(f.goodSmartLimiter(`normal-${i}`), { uid: `n${i}` }))));
      assert.equal(JSON.parse(normal.value.body).response.allowed, true);
      assert.ok(normal.ms < 200, `an admission took ${Math.round(normal.ms)} ms during a hostile evaluation`);
      await sleep(100);
    }
    const denied = JSON.parse((await hostile).body).response;
    const ms = performance.now() - t0;
    assert.equal(denied.allowed, false);
    assert.equal(denied.status.code, 422);
    assert.match(denied.status.message, /^EnvoyFilter shop\/spin: evaluation exceeded its budget \(1 s of wall-clock time\) and was stopped; it was not admitted\. Simplify the Lua code/);
    assert.ok(ms < 2_500, `hostile request answered after ${Math.round(ms)} ms (budget 1 s)`);
    // Its worker was replaced: two of them judge again.
    const after = JSON.parse((await client.post('/validate', JSON.stringify(f.admissionReview(f.goodSmartLimiter('after'), { uid: 'after' })))).body).response;
    assert.equal(after.allowed, true);
    assert.ok(wh.pool.stats().replaced >= 1);
  });

  test('every worker busy and the queue full: denied as overloaded at once, /healthz still answers', async () => {
    // The worker replaced in the test before must be warm again.
    for (let i = 0; i < 100 && wh.pool.stats().ready < 2; i++) await sleep(50);
    assert.equal(wh.pool.stats().ready, 2);
    const hostile = [1, 2].map((i) => client.post('/validate', JSON.stringify(f.admissionReview(spin(), { uid: `h${i}` }))));
    await sleep(150);
    const queued = client.post('/validate', JSON.stringify(f.admissionReview(f.goodSmartLimiter('queued'), { uid: 'queued' })));
    await sleep(50);
    const full = await timed(client.post('/validate', JSON.stringify(f.admissionReview(f.goodSmartLimiter('full'), { uid: 'full' }))));
    const r = JSON.parse(full.value.body).response;
    assert.equal(r.allowed, false);
    assert.equal(r.status.code, 429);
    assert.match(r.status.message, /webhook overloaded \(1 evaluations are already waiting\), retry/);
    assert.ok(full.ms < 200);
    assert.ok((await timed(client.get('/healthz'))).ms < 200);
    assert.match(JSON.parse((await queued).body).response.status.message, /webhook overloaded \(no evaluation worker was free within 0\.6 s\), retry/);
    for (const h of hostile) assert.match(JSON.parse((await h).body).response.status.message, /evaluation exceeded its budget/);
  });

  test('the TLS handshake has a short deadline, and connections are capped', async () => {
    const net = await import('node:net');
    // A client that connects and never says hello is dropped after handshakeTimeoutMs (Node's default is 120 s).
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('close', () => resolve());
      s.on('error', reject);
      setTimeout(() => reject(new Error('idle handshake not dropped within 3 s')), 3_000).unref();
    });
    assert.ok(Date.now() - t0 < 2_500, `dropped after ${Date.now() - t0} ms`);
    // 16 idle connections fill the cap; the 17th is closed by the listener at once.
    client.close();
    const idle = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<import('node:net').Socket>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    await sleep(50);
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('close', () => resolve(true));
      s.on('error', () => resolve(true));
      setTimeout(() => resolve(false), 400).unref();
    });
    for (const s of idle) s.destroy();
    assert.equal(closed, true, 'a connection over maxConnections was kept');
    await sleep(100);
    client = webhookClient(port, caPem, { maxSockets: 16 });
    assert.equal((await client.get('/healthz')).status, 200);
  });

  test('stop() returns promptly while a hostile request is being judged, which is answered "shutting down, retry"', async () => {
    const hostile = client.post('/validate', JSON.stringify(f.admissionReview(spin(), { uid: 'at-stop' })));
    await sleep(150);
    const t0 = Date.now();
    await wh.stop();
    assert.ok(Date.now() - t0 < 1_000, `stop took ${Date.now() - t0} ms`);
    const r = JSON.parse((await hostile).body).response;
    assert.equal(r.allowed, false);
    assert.match(r.status.message, /webhook shutting down, retry/);
    assert.ok(Date.now() - t0 < 1_000, `stopped, with the keep-alive connection of the answered request closed, after ${Date.now() - t0} ms`);
  });
});
