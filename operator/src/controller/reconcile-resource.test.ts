import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { K8sObject } from '../k8s-object.js';
import { ApiError, type Kube } from './kube.js';
import type { Cache } from './informers.js';
import { ResourceReconciler } from './reconcile-resource.js';

class MapCache<T extends K8sObject> implements Cache<T> {
  items: T[] = [];
  get(name: string, ns?: string): T | undefined {
    return this.items.find((o) => o.metadata.name === name && o.metadata.namespace === ns);
  }
  list(ns?: string): readonly T[] {
    return ns ? this.items.filter((o) => o.metadata.namespace === ns) : this.items;
  }
  put(o: T): void {
    this.items = [...this.items.filter((x) => !(x.metadata.name === o.metadata.name && x.metadata.namespace === o.metadata.namespace)), o];
  }
}

function world() {
  const caches = {
    SmartLimiter: new MapCache(),
    EnvoyPlugin: new MapCache(),
    EnvoyFilter: new MapCache(),
    WasmPlugin: new MapCache(),
    Service: new MapCache(),
    Pod: new MapCache(),
  };
  const calls: string[] = [];
  const kube: Kube = {
    async request<T>(method: string, path: string, opts: { body?: unknown; contentType?: string } = {}): Promise<T> {
      calls.push(`${method} ${path}${opts.contentType?.includes('apply') ? ' (apply)' : ''}`);
      if (method === 'GET') throw new ApiError(404, 'NotFound', 'not found');
      if (path.endsWith('/status')) {
        const sl = caches.SmartLimiter.items[0]!;
        const next = { ...sl, status: { ...(sl as { status?: object }).status, ...(opts.body as { status: object }).status } };
        caches.SmartLimiter.put(next);
        return next as T;
      }
      return opts.body as T;
    },
  };
  caches.Service.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: 'ns' }, spec: { selector: { app: 'a' }, ports: [{ name: 'http', port: 9080 }] } });
  return { caches, calls, kube };
}

const sl = (requests: number, port?: number): K8sObject => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name: 'r', namespace: 'ns', uid: 'u1', generation: 1 },
  spec: { target: { service: 'app' }, limits: [{ name: 'x', rate: { requests, per: '1m' }, ...(port ? { port } : {}) }] },
});

const log = pino({ level: 'silent' });

test('first visit: create, then one status write with every condition; a second run writes nothing', async () => {
  const { caches, calls, kube } = world();
  caches.SmartLimiter.put(sl(100));
  const r = new ResourceReconciler('SmartLimiter', kube, caches, undefined, undefined);
  const first = await r.reconcile('ns', 'r', log);
  assert.deepEqual(calls, [
    'GET /apis/networking.istio.io/v1alpha3/namespaces/ns/envoyfilters/r-ratelimit',
    'PATCH /apis/networking.istio.io/v1alpha3/namespaces/ns/envoyfilters/r-ratelimit (apply)',
    'PATCH /apis/meshwarden.io/v1alpha1/namespaces/ns/smartlimiters/r/status',
  ]);
  assert.equal(first.writes, 2);
  const status = (caches.SmartLimiter.items[0] as unknown as { status: { conditions: Array<{ type: string; status: string }>; observedGeneration: number } }).status;
  assert.deepEqual(
    status.conditions.map((c) => `${c.type}=${c.status}`),
    ['Accepted=True', 'Programmed=True', 'Ready=True'],
  );
  assert.equal(status.observedGeneration, 1);

  // The watch brings the EnvoyFilter into the cache; nothing changed since: no request at all.
  const { evaluate } = await import('../evaluate.js');
  caches.EnvoyFilter.put(evaluate(caches.SmartLimiter.items[0]!, r.context(caches.SmartLimiter.items[0]!)).rendered[0]!);
  calls.length = 0;
  assert.equal((await r.reconcile('ns', 'r', log)).writes, 0);
  assert.deepEqual(calls, []);
});

test('a cache that has not seen our status write yet does not cause a second write', async () => {
  const { caches, calls, kube } = world();
  const original = { ...sl(100), metadata: { ...sl(100).metadata, resourceVersion: '1' } };
  caches.SmartLimiter.put(original);
  const r = new ResourceReconciler('SmartLimiter', kube, caches, undefined, undefined);
  await r.reconcile('ns', 'r', log);
  const { evaluate } = await import('../evaluate.js');
  caches.EnvoyFilter.put(evaluate(caches.SmartLimiter.items[0]!, r.context(caches.SmartLimiter.items[0]!)).rendered[0]!);
  caches.SmartLimiter.put(original); // the watch event of our status write has not arrived
  calls.length = 0;
  await r.reconcile('ns', 'r', log);
  assert.deepEqual(calls, []);
});

test('an invalid spec writes only status', async () => {
  const { caches, calls, kube } = world();
  caches.SmartLimiter.put(sl(100, 1234));
  await new ResourceReconciler('SmartLimiter', kube, caches, undefined, undefined).reconcile('ns', 'r', log);
  assert.ok(
    calls.every((c) => c.endsWith('/status')),
    calls.join('\n'),
  );
  const c = (caches.SmartLimiter.items[0] as unknown as { status: { conditions: Array<{ type: string; reason: string }> } }).status.conditions;
  assert.equal(c.find((x) => x.type === 'Ready')?.reason, 'ValidationFailed');
});
