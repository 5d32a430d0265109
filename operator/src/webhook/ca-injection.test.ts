/**
 * The shared-certificate logic with a scripted API (the real API server, the chart's RBAC and a
 * real caBundle patch are exercised by e2e/chart/chart.e2e.test.ts): which Secret contents are
 * reused, the race between two replicas, and the JSON patch's shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, type Kube, type RequestOptions } from '../controller/kube.js';
import { generateCertificates, serviceDnsNames } from './certs.js';
import { patchCaBundle, syncCertificateSecret, unusableReason } from './ca-injection.js';

const dnsNames = serviceDnsNames('meshwarden-webhook', 'meshwarden-system');
const ref = { namespace: 'meshwarden-system', name: 'meshwarden-webhook-tls' };

/** An API holding one Secret; `beforePut` runs before each PUT is judged (to simulate a concurrent writer). */
function fakeSecretApi(beforePut?: (stored: { data?: Record<string, string>; rv: number }) => void) {
  const stored: { data?: Record<string, string>; rv: number } = { rv: 1 };
  const calls: string[] = [];
  const kube: Kube = {
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      calls.push(`${method} ${path}`);
      assert.equal(path, '/api/v1/namespaces/meshwarden-system/secrets/meshwarden-webhook-tls');
      if (method === 'GET') return { metadata: { ...ref, resourceVersion: String(stored.rv) }, ...(stored.data ? { data: stored.data } : {}) } as T;
      if (method === 'PUT') {
        beforePut?.(stored);
        const body = opts.body as { metadata: { resourceVersion: string }; data: Record<string, string> };
        if (body.metadata.resourceVersion !== String(stored.rv)) throw new ApiError(409, 'Conflict', 'the object has been modified');
        stored.data = body.data;
        stored.rv++;
        return body as T;
      }
      throw new Error(`unexpected ${method}`);
    },
  };
  return { kube, stored, calls };
}

test('an empty Secret is filled once; the next replica reuses it and writes the same files', async () => {
  const api = fakeSecretApi();
  const dirA = await mkdtemp(join(tmpdir(), 'mw-ca-a-'));
  const dirB = await mkdtemp(join(tmpdir(), 'mw-ca-b-'));
  try {
    const a = await syncCertificateSecret(api.kube, ref, dirA, { dnsNames });
    assert.equal(a.generated, true);
    assert.equal(a.replaced, 'empty');
    const b = await syncCertificateSecret(api.kube, ref, dirB, { dnsNames });
    assert.equal(b.generated, false);
    assert.equal(b.caPem, a.caPem);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) assert.equal(await readFile(join(dirB, f), 'utf8'), await readFile(join(dirA, f), 'utf8'), f);
    assert.deepEqual(api.calls.filter((c) => c.startsWith('PUT')).length, 1);
    assert.equal(
      Object.keys(api.stored.data ?? {})
        .sort()
        .join(),
      'ca.crt,tls.crt,tls.key',
      'the CA key is not stored',
    );
  } finally {
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  }
});

test("two replicas racing: the loser of the update uses the winner's certificate", async () => {
  const winner = await generateCertificates({ dnsNames });
  let raced = false;
  const api = fakeSecretApi((stored) => {
    if (raced) return;
    raced = true;
    // The other replica's update lands between our GET and our PUT.
    stored.data = { 'ca.crt': Buffer.from(winner.caCert).toString('base64'), 'tls.crt': Buffer.from(winner.cert).toString('base64'), 'tls.key': Buffer.from(winner.key).toString('base64') };
    stored.rv++;
  });
  const dir = await mkdtemp(join(tmpdir(), 'mw-ca-race-'));
  try {
    const r = await syncCertificateSecret(api.kube, ref, dir, { dnsNames });
    assert.equal(r.generated, false);
    assert.equal(r.caPem, winner.caCert);
    assert.equal(await readFile(join(dir, 'tls.crt'), 'utf8'), winner.cert);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a Secret that is missing, about to expire, for other names or mismatched is not used', async () => {
  const good = await generateCertificates({ dnsNames });
  const other = await generateCertificates({ dnsNames });
  const files = { ca: good.caCert, cert: good.cert, key: good.key };
  assert.equal(await unusableReason(files, { dnsNames }), undefined);
  assert.equal(await unusableReason({ ...files, key: undefined }, { dnsNames }), 'empty');
  assert.match((await unusableReason(files, { dnsNames, now: () => Date.now() + 340 * 86_400_000 })) ?? '', /^expires /);
  assert.equal(await unusableReason(files, { dnsNames: [...dnsNames, 'meshwarden-webhook.other.svc'] }), 'does not cover meshwarden-webhook.other.svc');
  assert.equal(await unusableReason({ ...files, ca: other.caCert }, { dnsNames }), 'tls.crt is not signed by ca.crt');
  assert.match((await unusableReason({ ...files, cert: 'garbage' }, { dnsNames })) ?? '', /^unreadable: /);
});

test('renewal: a certificate near expiry is replaced, the bundle trusts old and new CA, and is reused afterwards', async () => {
  const api = fakeSecretApi();
  const dir = await mkdtemp(join(tmpdir(), 'mw-ca-renew-'));
  try {
    const first = await syncCertificateSecret(api.kube, ref, dir, { dnsNames, days: 20 });
    const renewed = await syncCertificateSecret(api.kube, ref, dir, { dnsNames });
    assert.equal(renewed.generated, true);
    assert.match(renewed.replaced ?? '', /^expires /);
    const bundle = renewed.caPem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    assert.equal(bundle.length, 2, 'new CA and the previous one');
    assert.ok(renewed.caPem.endsWith(first.caPem), 'the previous CA is kept after the new one');
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), renewed.caPem);
    const again = await syncCertificateSecret(api.kube, ref, dir, { dnsNames });
    assert.equal(again.generated, false, 'a bundle of two CAs is a usable Secret');
    // A third renewal drops the oldest CA: the bundle does not grow without end.
    const third = await syncCertificateSecret(api.kube, ref, dir, { dnsNames, now: () => Date.now() + 340 * 86_400_000 });
    assert.equal(third.generated, true);
    assert.equal((third.caPem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length, 2);
    assert.ok(!third.caPem.includes(first.caPem.trim()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing Secret is an error that says who creates it', async () => {
  const kube: Kube = { request: async () => Promise.reject(new ApiError(404, 'NotFound', 'not found')) };
  await assert.rejects(syncCertificateSecret(kube, ref, '/nonexistent', { dnsNames }), /meshwarden-system\/meshwarden-webhook-tls does not exist: create it empty \(the Helm chart does\)/);
});

test('caBundle: each webhook whose bundle differs gets a test-guarded add; equal bundles make no request', async () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const bundle = Buffer.from(ca).toString('base64');
  const webhooks = [
    { name: 'validate.meshwarden.io', clientConfig: { service: {} } },
    { name: 'istio.validate.meshwarden.io', clientConfig: { caBundle: bundle } },
  ];
  const patches: unknown[] = [];
  let patchStatus = 0;
  const kube: Kube = {
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      assert.equal(path, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/meshwarden');
      if (method === 'GET') return { webhooks } as T;
      assert.equal(opts.contentType, 'application/json-patch+json');
      patches.push(opts.body);
      if (patchStatus === 422) {
        patchStatus = 0;
        throw new ApiError(422, 'Invalid', 'test operation failed');
      }
      webhooks[0]!.clientConfig = { ...webhooks[0]!.clientConfig, caBundle: bundle } as never;
      return {} as T;
    },
  };
  patchStatus = 422; // first attempt loses to a concurrent edit, the second lands
  assert.equal(await patchCaBundle(kube, 'meshwarden', ca), 'patched');
  assert.equal(patches.length, 2);
  assert.deepEqual(patches[1], [
    { op: 'test', path: '/webhooks/0/name', value: 'validate.meshwarden.io' },
    { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: bundle },
  ]);
  assert.equal(await patchCaBundle(kube, 'meshwarden', ca), 'unchanged');
  assert.equal(patches.length, 2);
});
