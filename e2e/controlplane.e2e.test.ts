/**
 * Proves the real control plane works: etcd + kube-apiserver + kube-controller-manager.
 * Needs `.tools/bin/kube-controlplane` (scripts/setup-e2e.sh). Skipped when it is missing,
 * unless MESHWARDEN_E2E_REQUIRE=1 (CI), in which case the test fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from './harness/controlplane.js';

const skip = controlPlaneAvailable() || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/kube-controlplane not built: run scripts/setup-e2e.sh';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function httpCode(e: unknown): number | undefined {
  const err = e as { code?: unknown; statusCode?: unknown };
  return typeof err.code === 'number' ? err.code : typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('real control plane', { skip, timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  const ns = `cp-e2e-${process.pid}`;

  before(async () => {
    cp = await startControlPlane({ log: (m) => console.error(`[controlplane] ${m}`) });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });

  after(async () => {
    await cp?.stop();
  });

  const kc0 = (): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    return kc;
  };

  test('serves the built Kubernetes version', async () => {
    const r = await cp.get('/version');
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body) as { gitVersion: string; major: string; minor: string };
    assert.match(v.gitVersion, /^v1\.34\.\d+$/);
    assert.equal(v.major, '1');
    assert.equal(v.minor, '34');
  });

  test('kubectl talks to it', async () => {
    const r = await cp.kubectl(['create', 'namespace', ns]);
    assert.equal(r.code, 0, r.stderr);
    const got = await cp.kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}']);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, 'Active');
  });

  test('garbage collector deletes a ConfigMap whose owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    assert.ok(owner.metadata?.uid);
    const dependent: V1ConfigMap = {
      metadata: {
        name: 'dependent',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }],
      },
      data: { role: 'dependent' },
    };
    await core.createNamespacedConfigMap({ namespace: ns, body: dependent });

    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns, propagationPolicy: 'Background' });
    await eventually('the dependent ConfigMap to be garbage collected', 60_000, async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'dependent', namespace: ns });
        return false;
      } catch (e) {
        if (httpCode(e) === 404) return true;
        throw e;
      }
    });
  });

  test('service-account controllers create the default ServiceAccount and kube-root-ca.crt', async () => {
    await eventually('default ServiceAccount and kube-root-ca.crt in the test namespace', 60_000, async () => {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: ns });
        const cm = await core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: ns });
        return (cm.data?.['ca.crt'] ?? '').trim() === cp.caPem.trim();
      } catch (e) {
        if (httpCode(e) === 404) return false;
        throw e;
      }
    });
  });

  test('apiserver restart keeps the data in etcd', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'survivor' }, data: { a: '1' } } });
    await cp.restartApiServer();
    const cm = await core.readNamespacedConfigMap({ name: 'survivor', namespace: ns });
    assert.deepEqual(cm.data, { a: '1' });
    console.error(`[controlplane] kube-apiserver start times (ms): ${cp.apiServerStartMs.join(', ')}`);
  });

  test('garbage collection still works after the apiserver restart', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner2' } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'dependent2',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner.metadata!.uid! }],
        },
      },
    });
    const del = await cp.kubectl(['delete', 'configmap', 'owner2', '-n', ns, '--wait=true']);
    assert.equal(del.code, 0, del.stderr);
    await eventually('dependent2 to be garbage collected', 60_000, async () => {
      const r = await cp.kubectl(['get', 'configmap', 'dependent2', '-n', ns, '--ignore-not-found', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim() === '';
    });
  });

  test('RBAC applies to other users (kubeconfigFor)', async () => {
    const alice = new KubeConfig();
    alice.loadFromFile(await cp.kubeconfigFor('alice', ['e2e-readers']));
    const aliceCore = alice.makeApiClient(CoreV1Api);
    await assert.rejects(aliceCore.listNamespacedConfigMap({ namespace: ns }), (e) => httpCode(e) === 403);
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'cm-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'e2e-readers' }],
      },
    });
    await eventually('alice to be allowed to list ConfigMaps', 10_000, async () => {
      try {
        await aliceCore.listNamespacedConfigMap({ namespace: ns });
        return true;
      } catch (e) {
        if (httpCode(e) === 403) return false;
        throw e;
      }
    });
  });

  test('the apiserver calls a validating webhook on 127.0.0.1 (issueCert + caBundle)', async () => {
    const cert = await cp.issueCert('webhook', { usage: 'server' });
    const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const review = JSON.parse(body) as {
          request: { uid: string; object?: { metadata?: { labels?: Record<string, string> } } };
        };
        const deny = review.request.object?.metadata?.labels?.['e2e-deny'] === 'true';
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, allowed: !deny, ...(deny ? { status: { code: 403, message: 'denied by e2e webhook' } } : {}) },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const kc = new KubeConfig();
      kc.loadFromFile(cp.kubeconfigPath);
      await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
        body: {
          metadata: { name: 'e2e-deny' },
          webhooks: [
            {
              name: 'deny.e2e.meshwarden.dev',
              clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: Buffer.from(cp.caPem).toString('base64') },
              rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              failurePolicy: 'Fail',
              timeoutSeconds: 5,
            },
          ],
        },
      });
      // The webhook configuration reaches the admission plugin asynchronously.
      await eventually('the webhook to deny a labelled ConfigMap', 20_000, async () => {
        try {
          await core.createNamespacedConfigMap({
            namespace: ns,
            body: { metadata: { generateName: 'denied-', labels: { 'e2e-deny': 'true' } } },
          });
          return false;
        } catch (e) {
          if (httpCode(e) !== 403) throw e;
          assert.match(String((e as { body?: unknown }).body ?? e), /denied by e2e webhook/);
          return true;
        }
      });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'allowed' } } });
    } finally {
      await kc0()
        .makeApiClient(AdmissionregistrationV1Api)
        .deleteValidatingWebhookConfiguration({ name: 'e2e-deny' })
        .catch(() => {});
      server.close();
    }
  });

  test('namespace controller finalizes a deleted namespace', async () => {
    const r = await cp.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
    const got = await cp.kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']);
    assert.equal(got.stdout.trim(), '');
  });
});
