import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { K8sObject } from '../k8s-object.js';
import type { Pod, Service } from '../render/context.js';
import { FlagError, parseServeFlags } from '../serve/flags.js';
import type { ProxySync, XdsTypeStatus } from '../xds/syncz.js';
import { effectiveCondition, indexProxies, judgeProxy, lastWriteMs, selectedProxyIds, settledAcceptances, xdsTypeUrls, type EffectiveInput } from './effective.js';
import { EffectiveTracker, discoveredIstiods } from './effective-tracker.js';
import type { Cache } from './informers.js';
import type { Caches } from './caches.js';

class MapCache<T extends K8sObject> implements Cache<T> {
  constructor(public items: T[] = []) {}
  get(name: string, namespace?: string): T | undefined {
    return this.items.find((o) => o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  }
  list(namespace?: string): readonly T[] {
    return this.items.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }
}

const pod = (ns: string, name: string, labels: Record<string, string>, phase = 'Running'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, status: { phase } });
const svc = (ns: string, name: string, selector: Record<string, string>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector } });
const limiter = (ns: string, name: string, target: Record<string, unknown>, uid = `uid-${name}`): K8sObject => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name, namespace: ns, uid, generation: 1 },
  spec: { target },
});

const W = 1_000_000;
const t = (type: keyof typeof xdsTypeUrls, status: XdsTypeStatus['status'], lastSentMs?: number, error?: string): XdsTypeStatus => ({
  typeUrl: xdsTypeUrls[type],
  status,
  ...(lastSentMs !== undefined ? { lastSentMs } : {}),
  ...(error ? { error: { details: error, atMs: lastSentMs ?? 0 } } : {}),
});
const proxy = (id: string, ...types: XdsTypeStatus[]): ProxySync => ({ id, istiod: '127.0.0.1:15010', types });

test('selection: the target selector (and subset) in the namespace; Services resolve; the root namespace selects everywhere; finished pods have no proxy', () => {
  const pods = new MapCache<Pod>([
    pod('shop', 'reviews-1', { app: 'reviews', v: '1' }),
    pod('shop', 'reviews-2', { app: 'reviews', v: '2' }),
    pod('shop', 'reviews-done', { app: 'reviews' }, 'Succeeded'),
    pod('other', 'reviews-x', { app: 'reviews' }),
    pod('istio-system', 'gw-1', { istio: 'ingressgateway' }),
    pod('edge', 'gw-2', { istio: 'ingressgateway' }),
  ]);
  const services = new MapCache<Service>([svc('shop', 'reviews', { app: 'reviews' })]);
  const ids = (cr: K8sObject): string[] => selectedProxyIds(cr, pods, services, 'istio-system');
  assert.deepEqual(ids(limiter('shop', 'a', { workloadSelector: { matchLabels: { app: 'reviews' } } })), ['reviews-1.shop', 'reviews-2.shop']);
  assert.deepEqual(ids(limiter('shop', 'b', { service: 'reviews' })), ['reviews-1.shop', 'reviews-2.shop']);
  assert.deepEqual(ids({ ...limiter('shop', 'c', { service: 'reviews' }), spec: { target: { service: 'reviews' }, subset: { v: '2' } } }), ['reviews-2.shop']);
  assert.deepEqual(ids(limiter('shop', 'd', { service: 'missing' })), []);
  assert.deepEqual(ids(limiter('istio-system', 'e', { gateway: { selector: { istio: 'ingressgateway' } } })), ['gw-1.istio-system', 'gw-2.edge']);
  assert.deepEqual(ids(limiter('edge', 'f', { gateway: { selector: { istio: 'ingressgateway' } } })), ['gw-2.edge']);
});

test('judgeProxy: a NACK after the write rejects; in flight or not pushed since is pending; acknowledged since is accepted', () => {
  assert.deepEqual(judgeProxy(proxy('p', t('CDS', 'SYNCED', W + 100), t('LDS', 'ERROR', W + 120, 'bad listener')), W), { state: 'rejected', type: 'LDS', details: 'bad listener', atMs: W + 120 });
  // An older NACK (before our write) does not count against us; a later ACK of a pushed type does.
  assert.deepEqual(judgeProxy(proxy('p', t('CDS', 'ERROR', W - 5000, 'old'), t('LDS', 'SYNCED', W + 130)), W), { state: 'accepted', lastSentMs: W + 130 });
  assert.equal(judgeProxy(proxy('p', t('CDS', 'SYNCED', W + 100), t('LDS', 'STALE', W + 120)), W).state, 'pending');
  assert.deepEqual(judgeProxy(proxy('p', t('CDS', 'SYNCED', W - 10), t('LDS', 'SYNCED', W - 10)), W), { state: 'pending' }, 'not pushed since the write');
  // EDS and other types are not ours to judge.
  const eds: XdsTypeStatus = { typeUrl: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', status: 'ERROR', lastSentMs: W + 500, error: { details: 'eds', atMs: W + 500 } };
  assert.equal(judgeProxy(proxy('p', eds, t('LDS', 'SYNCED', W + 130)), W).state, 'accepted');
});

const input = (over: Partial<EffectiveInput>): EffectiveInput => ({ selected: [], proxies: new Map(), unreachable: [], writtenAtMs: W, nowMs: W + 10_000, quietMs: 500, ...over });

test("effectiveCondition: True, False with Envoy's text, and each Unknown reason", () => {
  const ok = proxy('a.shop', t('LDS', 'SYNCED', W + 100));
  const bad = proxy('b.shop', t('LDS', 'ERROR', W + 150, "Error adding/updating listener(s) virtualInbound: Didn't find a registered implementation"));
  assert.deepEqual(effectiveCondition(input({})).condition.reason, 'NoProxies');
  assert.equal(effectiveCondition(input({})).next, 'stop');

  const unreachable = effectiveCondition(input({ selected: ['a.shop'], unreachable: [{ address: '10.0.0.1:15010', error: 'UNAVAILABLE' }] }));
  assert.deepEqual([unreachable.condition.status, unreachable.condition.reason, unreachable.next], ['Unknown', 'IstiodUnreachable', 'slow']);
  assert.match(unreachable.condition.message, /10\.0\.0\.1:15010: UNAVAILABLE/);

  const notConnected = effectiveCondition(input({ selected: ['a.shop'] }));
  assert.deepEqual([notConnected.condition.reason, notConnected.next], ['NoProxies', 'soon']);

  const rejected = effectiveCondition(input({ selected: ['a.shop', 'b.shop'], proxies: indexProxies([ok, bad]) }));
  assert.deepEqual([rejected.condition.status, rejected.condition.reason, rejected.next], ['False', 'Rejected', 'slow']);
  assert.match(rejected.condition.message, /^proxy b\.shop rejected the LDS update .*: Error adding\/updating listener\(s\) virtualInbound: Didn't find/);

  // Accepted, but the push ended only 200 ms ago: wait for the quiet period.
  const early = effectiveCondition(input({ selected: ['a.shop'], proxies: indexProxies([ok]), nowMs: W + 300 }));
  assert.deepEqual([early.condition.status, early.condition.reason, early.next], ['Unknown', 'Pending', 'soon']);
  const accepted = effectiveCondition(input({ selected: ['a.shop'], proxies: indexProxies([ok]) }));
  assert.deepEqual([accepted.condition.status, accepted.condition.reason, accepted.next], ['True', 'Accepted', 'stop']);
  assert.equal(accepted.condition.message, `all 1 connected selected proxies accepted the configuration written at ${new Date(W).toISOString()}`);

  // A selected pod without a proxy: True for those connected, said so, and looked at again later.
  const partial = effectiveCondition(input({ selected: ['a.shop', 'c.shop'], proxies: indexProxies([ok]) }));
  assert.deepEqual([partial.condition.status, partial.next], ['True', 'slow']);
  assert.match(partial.condition.message, /1 selected pods have no proxy connected/);

  // The pending message does not change while proxies progress (no status write per step).
  const p1 = effectiveCondition(input({ selected: ['a.shop', 'b.shop'], proxies: indexProxies([ok, proxy('b.shop', t('LDS', 'STALE', W + 90))]) }));
  const p2 = effectiveCondition(input({ selected: ['a.shop', 'b.shop'], proxies: indexProxies([proxy('a.shop', t('LDS', 'STALE', W + 90)), proxy('b.shop', t('LDS', 'SYNCED', W - 1))]) }));
  assert.equal(p1.condition.message, p2.condition.message);
});

test("a proxy that accepted since the write is not blamed for a later NACK (someone else's push); acceptance is final only once the push is quiet", () => {
  const nackLater = indexProxies([proxy('a.shop', t('CDS', 'SYNCED', W + 100), t('LDS', 'ERROR', W + 60_000, 'another EnvoyFilter'))]);
  assert.equal(effectiveCondition(input({ selected: ['a.shop'], proxies: nackLater, nowMs: W + 70_000 })).condition.status, 'False');
  assert.equal(effectiveCondition(input({ selected: ['a.shop'], proxies: nackLater, nowMs: W + 70_000, acceptedBefore: new Set(['a.shop']) })).condition.status, 'True');
  // Mid-push: CDS acknowledged, LDS not yet sent: not settled.
  const midPush = indexProxies([proxy('a.shop', t('CDS', 'SYNCED', W + 100), t('LDS', 'SYNCED', W - 10))]);
  assert.deepEqual(settledAcceptances(input({ selected: ['a.shop'], proxies: midPush, nowMs: W + 200 })), []);
  assert.deepEqual(settledAcceptances(input({ selected: ['a.shop'], proxies: midPush, nowMs: W + 700 })), ['a.shop']);
});

test('indexProxies keeps the newest report of a proxy seen by two istiods', () => {
  const old = { ...proxy('a.shop', t('LDS', 'ERROR', W, 'x')), istiod: 'old' };
  const cur = { ...proxy('a.shop', t('LDS', 'SYNCED', W + 50)), istiod: 'new' };
  assert.equal(indexProxies([cur, old]).get('a.shop')?.istiod, 'new');
  assert.equal(indexProxies([old, cur]).get('a.shop')?.istiod, 'new');
});

test('lastWriteMs: the newest meshwarden managedFields time', () => {
  const ef = (entries: Array<{ manager: string; time: string }>): K8sObject => ({ apiVersion: 'v1', kind: 'EnvoyFilter', metadata: { name: 'x', managedFields: entries } as K8sObject['metadata'] });
  assert.equal(
    lastWriteMs([
      ef([
        { manager: 'meshwarden', time: '2026-01-01T00:00:01Z' },
        { manager: 'kubectl', time: '2026-01-01T00:00:09Z' },
      ]),
      ef([{ manager: 'meshwarden', time: '2026-01-01T00:00:03Z' }]),
    ]),
    Date.parse('2026-01-01T00:00:03Z'),
  );
  assert.equal(lastWriteMs([ef([])]), undefined);
});

test('flags: istiod addresses are HOST:PORT, discovery and credentials are optional, nothing by default', () => {
  const none = parseServeFlags([], {});
  assert.deepEqual([none.istiodAddresses, none.istiodDiscovery, none.istiodTokenFile], [[], false, undefined]);
  const f = parseServeFlags(
    ['--istiod-address', 'istiod.istio-system.svc:15012', '--istiod-address', '[::1]:15010', '--istiod-discovery=true', '--istiod-token-file', '/t', '--istiod-ca-file', '/ca'],
    {},
  );
  assert.deepEqual([f.istiodAddresses, f.istiodDiscovery, f.istiodTokenFile, f.istiodCaFile], [['istiod.istio-system.svc:15012', '[::1]:15010'], true, '/t', '/ca']);
  assert.throws(
    () => parseServeFlags(['--istiod-address', 'istiod'], {}),
    (e: Error) => e instanceof FlagError && /HOST:PORT/.test(e.message),
  );
});

test('discovery: running istiod pods of every revision in the namespace, by pod IP and named xDS port', () => {
  const istiod = (name: string, rev: string, ip: string | undefined, phase = 'Running', ports?: Array<{ name: string; containerPort: number }>): Pod => ({
    ...pod('istio-system', name, { app: 'istiod', 'istio.io/rev': rev }, phase),
    ...(ports ? { spec: { containers: [{ ports }] } } : {}),
    status: { phase, ...(ip ? { podIP: ip } : {}) },
  });
  const ports = [
    { name: 'grpc-xds', containerPort: 25010 },
    { name: 'tls-xds', containerPort: 25012 },
  ];
  const pods = new MapCache<Pod>([
    istiod('istiod-1', 'default', '10.0.0.1', 'Running', ports),
    istiod('istiod-canary-1', 'canary', 'fd00::2'),
    istiod('istiod-2', 'default', undefined, 'Pending'),
    pod('istio-system', 'gw', { app: 'gw' }),
  ]);
  assert.deepEqual(discoveredIstiods(pods, 'istio-system', false)(), ['10.0.0.1:25010', '[fd00::2]:15010']);
  assert.deepEqual(discoveredIstiods(pods, 'istio-system', true)(), ['10.0.0.1:25012', '[fd00::2]:15012']);
});

/** The tracker's scheduling with a scripted istiod (the real one is in e2e/istiod/effective.e2e.test.ts). */
test('tracker: one syncz query per istiod per round for any number of resources; a verdict change enqueues; settled resources stop polling; a write restarts', async () => {
  let now = W;
  const pods = new MapCache<Pod>([]);
  const crs = new MapCache<K8sObject>([]);
  for (let i = 0; i < 20; i++) {
    pods.items.push(pod('shop', `app${i}-0`, { app: `app${i}` }));
    crs.items.push(limiter('shop', `l${i}`, { workloadSelector: { matchLabels: { app: `app${i}` } } }));
  }
  const caches = { SmartLimiter: crs, EnvoyPlugin: new MapCache(), EnvoyFilter: new MapCache(), WasmPlugin: new MapCache(), Service: new MapCache<Service>(), Pod: pods } as unknown as Caches;
  let report: ProxySync[] = [];
  const queries: string[] = [];
  const enqueued: string[] = [];
  const tracker = new EffectiveTracker({
    caches,
    istiods: () => ['istiod-a:15010', 'istiod-b:15010'],
    syncz: {
      fetch: async (a) => {
        queries.push(a);
        return a === 'istiod-a:15010' ? report.slice(0, 10) : report.slice(10);
      },
    },
    enqueue: (_k, ns, name) => enqueued.push(`${ns}/${name}`),
    rootNamespace: 'istio-system',
    log: pino({ level: 'silent' }),
    now: () => now,
  });
  const generated = [{ kind: 'EnvoyFilter', name: 'x' }];
  for (const cr of crs.items) {
    const c = tracker.observe('SmartLimiter', cr, { startedMs: W, wrote: true, generated });
    assert.deepEqual([c?.status, c?.reason], ['Unknown', 'Pending']);
  }
  assert.deepEqual(tracker.size, { tracked: 20, polling: 20 });
  // Pushed and acknowledged 100 ms after the write, on two istiods.
  report = crs.items.map((_, i) => proxy(`app${i}-0.shop`, t('CDS', 'SYNCED', W + 100), t('LDS', 'SYNCED', W + 110)));
  now = W + 300;
  await tracker.round();
  assert.deepEqual(queries, ['istiod-a:15010', 'istiod-b:15010'], 'one query per istiod for 20 resources');
  assert.deepEqual(enqueued, [], 'still in the quiet period: Pending unchanged, no reconcile');
  now = W + 1000;
  await tracker.round();
  assert.equal(queries.length, 4);
  assert.equal(enqueued.length, 20, 'every resource turned True');
  assert.deepEqual(tracker.size, { tracked: 20, polling: 0 }, 'settled: no more polling');
  const c = tracker.observe('SmartLimiter', crs.items[0]!, { startedMs: now, wrote: false, generated });
  assert.equal(c?.status, 'True');

  // A new write: Pending again, polled again; Envoy NACKs → False with its text.
  const w2 = now;
  assert.equal(tracker.observe('SmartLimiter', crs.items[0]!, { startedMs: w2, wrote: true, generated })?.reason, 'Pending');
  report[0] = proxy('app0-0.shop', t('CDS', 'SYNCED', w2 + 100), t('LDS', 'ERROR', w2 + 110, 'Proto constraint validation failed'));
  now = w2 + 400;
  await tracker.round();
  assert.deepEqual(tracker.size, { tracked: 20, polling: 1 });
  const rejected = tracker.observe('SmartLimiter', crs.items[0]!, { startedMs: now, wrote: false, generated });
  assert.deepEqual([rejected?.status, rejected?.reason], ['False', 'Rejected']);
  assert.match(rejected?.message ?? '', /Proto constraint validation failed/);

  // A resource that generates nothing a proxy applies has no Effective condition; a deleted one is forgotten.
  assert.equal(tracker.observe('SmartLimiter', crs.items[1]!, { startedMs: now, wrote: false, generated: [{ kind: 'ConfigMap', name: 'rl' }] }), undefined);
  crs.items.splice(2, 1);
  await tracker.stop();
});

test('tracker after a restart: the condition in status stands when the first verdict agrees (no status write per resource); a different verdict replaces it', async () => {
  const now = W + 60_000;
  const pods = new MapCache<Pod>([pod('shop', 'a-0', { app: 'a' }), pod('shop', 'b-0', { app: 'b' })]);
  const written = new Date(W).toISOString();
  const ef = (name: string): K8sObject =>
    ({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name, namespace: 'shop', managedFields: [{ manager: 'meshwarden', time: new Date(Math.floor(W / 1000) * 1000).toISOString() }] },
    }) as K8sObject;
  const prior = {
    type: 'Effective',
    status: 'True' as const,
    reason: 'Accepted',
    message: `all 1 connected selected proxies accepted the configuration written at ${written}`,
    lastTransitionTime: written,
  };
  const withStatus = (cr: K8sObject): K8sObject & { status: { conditions: (typeof prior)[] } } => ({ ...cr, status: { conditions: [prior] } });
  const a = withStatus(limiter('shop', 'a', { workloadSelector: { matchLabels: { app: 'a' } } }));
  const b = withStatus(limiter('shop', 'b', { workloadSelector: { matchLabels: { app: 'b' } } }));
  const caches = {
    SmartLimiter: new MapCache([a, b]),
    EnvoyPlugin: new MapCache(),
    EnvoyFilter: new MapCache([ef('a'), ef('b')]),
    WasmPlugin: new MapCache(),
    Service: new MapCache<Service>(),
    Pod: pods,
  } as unknown as Caches;
  const enqueued: string[] = [];
  const tracker = new EffectiveTracker({
    caches,
    istiods: () => ['istiod:15010'],
    // a-0 still runs what it accepted; b-0 NACKed a push after the write.
    syncz: { fetch: async () => [proxy('a-0.shop', t('LDS', 'SYNCED', W + 120)), proxy('b-0.shop', t('LDS', 'ERROR', W + 130, 'bad'))] },
    enqueue: (_k, ns, name) => enqueued.push(`${ns}/${name}`),
    rootNamespace: 'istio-system',
    log: pino({ level: 'silent' }),
    now: () => now,
  });
  for (const [cr, name] of [
    [a, 'a'],
    [b, 'b'],
  ] as const) {
    assert.deepEqual(tracker.observe('SmartLimiter', cr, { startedMs: now, wrote: false, generated: [{ kind: 'EnvoyFilter', name }] }), { status: 'True', reason: 'Accepted', message: prior.message });
  }
  await tracker.round();
  assert.deepEqual(enqueued, ['shop/b'], 'only the resource whose verdict changed is reconciled');
  assert.equal(tracker.observe('SmartLimiter', a, { startedMs: now, wrote: false, generated: [{ kind: 'EnvoyFilter', name: 'a' }] })?.message, prior.message);
  assert.equal(tracker.observe('SmartLimiter', b, { startedMs: now, wrote: false, generated: [{ kind: 'EnvoyFilter', name: 'b' }] })?.status, 'False');
  await tracker.stop();
});

test('tracker: a timed round that throws is logged and the next round still runs, not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const pods = new MapCache<Pod>([pod('shop', 'app-0', { app: 'app' })]);
  const crs = new MapCache<K8sObject>([limiter('shop', 'l', { workloadSelector: { matchLabels: { app: 'app' } } })]);
  const caches = { SmartLimiter: crs, EnvoyPlugin: new MapCache(), EnvoyFilter: new MapCache(), WasmPlugin: new MapCache(), Service: new MapCache<Service>(), Pod: pods } as unknown as Caches;
  let discoveries = 0;
  const queries: string[] = [];
  const errors: string[] = [];
  const log = pino({ level: 'silent' });
  log.error = ((_o: unknown, msg: string) => void errors.push(msg)) as typeof log.error;
  const tracker = new EffectiveTracker({
    caches,
    istiods: () => {
      if (++discoveries === 1) throw new Error('discovery failed');
      return ['istiod:15010'];
    },
    syncz: {
      fetch: async (a) => {
        queries.push(a);
        return [];
      },
    },
    enqueue: () => {},
    rootNamespace: 'istio-system',
    log,
    timing: { firstMs: 1, minRoundMs: 1 },
  });
  try {
    tracker.observe('SmartLimiter', crs.items[0]!, { startedMs: Date.now(), wrote: true, generated: [{ kind: 'EnvoyFilter', name: 'x' }] });
    const deadline = Date.now() + 5_000;
    while (queries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.deepEqual(errors, ['Effective: polling round failed; the next one is scheduled']);
    assert.equal(queries[0], 'istiod:15010', 'the round after the failed one queried istiod');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await tracker.stop();
  }
});
