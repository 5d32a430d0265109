import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
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

  test('/healthz, /readyz and /metrics with controller-runtime webhook series', async () => {
    assert.equal((await client.get('/healthz')).body, 'ok\n');
    assert.equal((await client.get('/readyz')).status, 200);
    const m = await client.get('/metrics');
    assert.equal(m.status, 200);
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
