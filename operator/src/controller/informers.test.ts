import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { ResilientInformer, slim } from './informers.js';
import { KubeClient, resources } from './kube.js';
import { lastWriteMs } from './effective.js';
import type { K8sObject } from '../k8s-object.js';

test('slim: managedFields keep who wrote when, not the field sets; the last-applied copy goes; the rest stays', () => {
  const o = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: {
      name: 'a',
      namespace: 'n',
      labels: { app: 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', keep: 'me' },
      managedFields: [
        { manager: 'meshwarden', operation: 'Apply', apiVersion: 'networking.istio.io/v1alpha3', time: '2026-11-25T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
        { manager: 'kubectl', operation: 'Update', time: '2026-11-25T00:00:00Z', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } },
      ],
    },
    spec: { configPatches: [{ applyTo: 'HTTP_FILTER' }] },
  };
  const spec = o.spec;
  slim(o as unknown as Parameters<typeof slim>[0]); // raw JSON from the API: times are strings
  assert.deepEqual(o.metadata.managedFields, [
    { manager: 'meshwarden', operation: 'Apply', apiVersion: 'networking.istio.io/v1alpha3', time: '2026-11-25T00:00:01Z' },
    { manager: 'kubectl', operation: 'Update', time: '2026-11-25T00:00:00Z', subresource: 'status' },
  ]);
  assert.deepEqual(o.metadata.annotations, { keep: 'me' });
  assert.deepEqual(o.metadata.labels, { app: 'x' });
  assert.equal(o.spec, spec);
  // What the Effective condition reads of managedFields survives.
  assert.equal(lastWriteMs([o as unknown as K8sObject]), Date.parse('2026-11-25T00:00:01Z'));
});

/**
 * A loopback stand-in for the API server's list and watch (the real one is in e2e/chart, where
 * the audit log shows the same requests): each list answers from `objects`, each watch stays
 * open until the informer stops. `refuseFirst` namespaces answer their first list with 403.
 */
async function fakeApi(objects: Record<string, string[]>, refuseFirst: string[] = []): Promise<{ kc: KubeConfig; kube: KubeClient; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const open = new Set<ServerResponse>();
  const refused = new Set<string>();
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const ns = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps$/.exec(url.pathname)?.[1];
    const byName = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
    if (ns === undefined) return void res.writeHead(404).end();
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      open.add(res);
      return;
    }
    if (refuseFirst.includes(ns) && !refused.has(ns)) {
      refused.add(ns);
      return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'forbidden' }));
    }
    const items = (objects[ns] ?? []).filter((name) => byName === undefined || name === byName).map((name) => ({ metadata: { name, namespace: ns, resourceVersion: '1' } }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return {
    kc,
    kube: new KubeClient(kc),
    requests,
    close: async () => {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const silent = pino({ level: 'silent' });

test('per-namespace scope: one list+watch in each namespace, never all namespaces; the cache is their union', async () => {
  const api = await fakeApi({ rls: ['ratelimit-config'], shared: ['other-config'] }, ['shared']);
  const inf = new ResilientInformer<K8sObject>(api.kc, api.kube, 'ConfigMap', resources.ConfigMap, silent, {
    labelSelector: 'app.kubernetes.io/managed-by=meshwarden',
    namespaces: ['rls', 'shared', 'rls'],
  });
  const added: string[] = [];
  inf.onAdd((o) => added.push(`${o.metadata.namespace}/${o.metadata.name}`));
  try {
    await inf.start();
    // 'shared' was refused once: the informer is not synced until its retry (500 ms backoff) lists it.
    await inf.waitForSync(AbortSignal.timeout(5_000));
    assert.equal(inf.errors, 1);
    assert.deepEqual(added.sort(), ['rls/ratelimit-config', 'shared/other-config']);
    assert.deepEqual(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['other-config', 'ratelimit-config'],
    );
    assert.deepEqual(
      inf.list('rls').map((o) => o.metadata.name),
      ['ratelimit-config'],
    );
    assert.deepEqual(inf.list('elsewhere'), []);
    assert.equal(inf.get('other-config', 'shared')?.metadata.namespace, 'shared');
    assert.equal(inf.get('other-config', 'rls'), undefined);
    assert.equal(inf.get('ratelimit-config', 'rls')?.kind, 'ConfigMap', 'list items get their kind');
  } finally {
    await inf.stop();
    await api.close();
  }
  const paths = api.requests.map((r) => new URL(r, 'http://x'));
  const lists = (ns: string) => paths.filter((u) => u.pathname.includes(`/${ns}/`) && u.searchParams.get('watch') !== 'true').length;
  const watches = (ns: string) => paths.filter((u) => u.pathname.includes(`/${ns}/`) && u.searchParams.get('watch') === 'true').length;
  // 'rls' twice in the scope, one list (and at most one watch); for 'shared' the refused list and
  // its retry. The watch after a list may or may not have been sent when stop() ran: not counted.
  assert.equal(lists('rls'), 1, api.requests.join('\n'));
  assert.equal(lists('shared'), 2, api.requests.join('\n'));
  assert.ok(watches('rls') <= 1 && watches('shared') <= 1, api.requests.join('\n'));
  assert.deepEqual([...new Set(paths.map((u) => u.pathname))].sort(), ['/api/v1/namespaces/rls/configmaps', '/api/v1/namespaces/shared/configmaps']);
  for (const u of paths) assert.equal(u.searchParams.get('labelSelector'), 'app.kubernetes.io/managed-by=meshwarden', u.href);
});

test('per-name scope: one list+watch per namespace and name, by field selector (which RBAC resourceNames can authorize)', async () => {
  const api = await fakeApi({ rls: ['ratelimit-config', 'canary', 'unrelated'], shared: ['ratelimit-config', 'unrelated'] });
  const inf = new ResilientInformer<K8sObject>(api.kc, api.kube, 'ConfigMap', resources.ConfigMap, silent, { namespaces: ['rls', 'shared'], names: ['ratelimit-config', 'canary'] });
  try {
    await inf.start();
    await inf.waitForSync(AbortSignal.timeout(5_000));
    assert.deepEqual(
      inf
        .list()
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
      ['rls/canary', 'rls/ratelimit-config', 'shared/ratelimit-config'],
    );
    assert.deepEqual(
      inf.list('shared').map((o) => o.metadata.name),
      ['ratelimit-config'],
    );
    assert.equal(inf.get('canary', 'rls')?.metadata.name, 'canary');
    assert.equal(inf.get('unrelated', 'rls'), undefined);
  } finally {
    await inf.stop();
    await api.close();
  }
  const watches = new Set(
    api.requests.map((r) => {
      const u = new URL(r, 'http://x');
      return `${u.pathname} ${u.searchParams.get('fieldSelector')}`;
    }),
  );
  assert.deepEqual([...watches].sort(), [
    '/api/v1/namespaces/rls/configmaps metadata.name=canary',
    '/api/v1/namespaces/rls/configmaps metadata.name=ratelimit-config',
    '/api/v1/namespaces/shared/configmaps metadata.name=canary',
    '/api/v1/namespaces/shared/configmaps metadata.name=ratelimit-config',
  ]);
});

test('an empty namespace list watches nothing and is synced at once; a cluster-scoped kind cannot be watched per namespace', async () => {
  const api = await fakeApi({});
  try {
    const inf = new ResilientInformer<K8sObject>(api.kc, api.kube, 'ConfigMap', resources.ConfigMap, silent, { namespaces: [] });
    await inf.start();
    assert.equal(inf.synced, true);
    assert.deepEqual(inf.list(), []);
    await inf.stop();
    assert.deepEqual(api.requests, []);
    assert.throws(
      () => new ResilientInformer(api.kc, api.kube, 'Thing', { group: 'x.io', version: 'v1', plural: 'things', namespaced: false }, silent, { namespaces: ['a'] }),
      /Thing is not namespaced/,
    );
  } finally {
    await api.close();
  }
});

test('a restart whose start() rejects (here: an event handler throws) counts as one more watch failure and is retried, not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  // The first list is refused, so the informer restarts; during the restart's relist the handler throws once.
  const api = await fakeApi({ rls: ['ratelimit-config'] }, ['rls']);
  const inf = new ResilientInformer<K8sObject>(api.kc, api.kube, 'ConfigMap', resources.ConfigMap, silent, { namespaces: ['rls'] });
  let calls = 0;
  inf.onAdd(() => {
    if (++calls === 1) throw new Error('handler failed');
  });
  const watching = (): boolean => api.requests.some((r) => new URL(r, 'http://x').searchParams.get('watch') === 'true');
  try {
    await inf.start();
    // Refused list, then (after 500 ms) the relist whose handler throws, then (after 1 s) a relist
    // and, at last, the watch. Without the retry the informer stays dead: no watch is ever sent.
    const deadline = Date.now() + 5_000;
    while (!watching() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.equal(watching(), true, api.requests.join('\n'));
    assert.equal(inf.errors, 2, 'the refused list and the rejected start()');
    assert.deepEqual(
      inf.list().map((o) => o.metadata.name),
      ['ratelimit-config'],
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await inf.stop();
    await api.close();
  }
});
