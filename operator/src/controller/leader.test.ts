import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { decide, LeaderElector, microTime, type Lease } from './leader.js';
import { ApiError, type Kube } from './kube.js';

test('microTime has six fractional digits', () => {
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
});

test('no lease: create it as holder with zero transitions', () => {
  const d = decide(undefined, 0, 1000, 'a', 15_000);
  assert.equal(d.action, 'create');
  assert.deepEqual(d.action === 'create' && { h: d.spec.holderIdentity, t: d.spec.leaseTransitions, s: d.spec.leaseDurationSeconds }, { h: 'a', t: 0, s: 15 });
});

test('a lease held by another is respected until leaseDuration after it was last observed to change', () => {
  const held = { holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 3 };
  assert.deepEqual(decide(held, 10_000, 24_999, 'a', 15_000), { action: 'wait', holder: 'b' });
  const d = decide(held, 10_000, 25_001, 'a', 15_000);
  assert.equal(d.action, 'update');
  assert.equal(d.action === 'update' && d.spec.leaseTransitions, 4);
  assert.equal(d.action === 'update' && d.spec.holderIdentity, 'a');
});

test('a released lease (empty holder) is taken at once; own lease is renewed without a transition', () => {
  const released = { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 };
  const d = decide(released, 10_000, 10_001, 'a', 15_000);
  assert.equal(d.action === 'update' && d.spec.leaseTransitions, 3);
  const own = { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 3, acquireTime: 'x' };
  const r = decide(own, 10_000, 10_001, 'a', 15_000);
  assert.equal(r.action === 'update' && r.spec.leaseTransitions, 3);
  assert.equal(r.action === 'update' && r.spec.acquireTime, 'x');
});

/** An in-memory apiserver for one Lease with optimistic concurrency. */
function fakeKube(): Kube & { lease?: Lease } {
  let rv = 0;
  const k: Kube & { lease?: Lease } = {
    async request<T>(method: string, _path: string, opts: { body?: unknown } = {}): Promise<T> {
      if (method === 'GET') {
        if (!k.lease) throw new ApiError(404, 'NotFound', 'not found');
        return structuredClone(k.lease) as T;
      }
      const body = structuredClone(opts.body) as Lease;
      if (method === 'POST') {
        if (k.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
      } else if (body.metadata.resourceVersion !== k.lease?.metadata.resourceVersion) {
        throw new ApiError(409, 'Conflict', 'conflict');
      }
      body.metadata.resourceVersion = String(++rv);
      k.lease = body;
      return structuredClone(body) as T;
    },
  };
  return k;
}

test('two candidates: one leads, the other takes over after release', async () => {
  const kube = fakeKube();
  let now = 1000;
  const cfg = { namespace: 'ns', name: 'l', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
  const log = pino({ level: 'silent' });
  const cb = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
  const a = new LeaderElector(kube, { ...cfg, identity: 'a' }, cb, log, () => now);
  const b = new LeaderElector(kube, { ...cfg, identity: 'b' }, cb, log, () => now);
  assert.equal(await a.tryAcquireOrRenew(), true);
  assert.equal(await b.tryAcquireOrRenew(), false);
  now += 5_000;
  assert.equal(await a.tryAcquireOrRenew(), true, 'renew');
  assert.equal(await b.tryAcquireOrRenew(), false);
  // a stops renewing: b takes over leaseDuration after it last saw the record change.
  now += 14_000;
  assert.equal(await b.tryAcquireOrRenew(), false);
  now += 2_000;
  assert.equal(await b.tryAcquireOrRenew(), true);
  assert.equal(kube.lease?.spec?.leaseTransitions, 1);
  assert.equal(kube.lease?.spec?.holderIdentity, 'b');
});
