/**
 * Two operator replicas on one Lease: only the leader reconciles; SIGKILL on the leader
 * hands over within leaseDuration (+ retry), and SIGTERM releases the Lease at once.
 * Durations shortened by flags (client-go defaults 15s/10s/2s).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appYaml, eventually, skip, smartLimiter, startEnv, startOperator, waitCondition, type Env, type Operator } from './helpers.js';

const lease = ['--lease-duration', '6s', '--renew-deadline', '4s', '--retry-period', '1s'];

function reconciles(metrics: string): number {
  let n = 0;
  for (const m of metrics.matchAll(/^controller_runtime_reconcile_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

function isLeader(metrics: string): boolean {
  return /^leader_election_master_status\{[^}]*\} 1$/m.test(metrics);
}

type LeaseObj = { spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number; renewTime?: string } };

describe('leader election', { skip, timeout: 600_000 }, () => {
  let env: Env;
  let a: Operator;
  let b: Operator;

  before(async () => {
    env = await startEnv();
    await env.apply(appYaml('le'));
  });

  after(async () => {
    for (const o of [a, b]) if (o) await o.stop('SIGKILL');
    await env?.stop();
  });

  test('only the leader reconciles', async () => {
    a = await startOperator(env, [...lease, '--identity', 'replica-a'], { name: 'a' });
    await eventually('a leads', 20_000, async () => isLeader(await a.metrics()));
    b = await startOperator(env, [...lease, '--identity', 'replica-b'], { name: 'b' });
    await env.apply(smartLimiter('le', 'one', '  - name: x\n    rate: {requests: 10, per: 1s}\n'));
    await waitCondition(env, 'smartlimiter', 'le', 'one', 'Ready', 'True');
    const l = (await env.getJson<LeaseObj>('lease', 'default', 'meshwarden-controller'))!;
    assert.equal(l.spec.holderIdentity, 'replica-a');
    assert.match(l.spec.renewTime ?? '', /\.\d{6}Z$/, 'MicroTime');
    assert.ok(reconciles(await a.metrics()) > 0);
    assert.equal(reconciles(await b.metrics()), 0, 'the follower does not reconcile');
    assert.equal(isLeader(await b.metrics()), false);
    assert.equal(await b.ready(), true, 'the follower is ready (caches synced)');
  });

  test('killing the leader hands over in under 20 s; the new leader reconciles', async () => {
    const t0 = Date.now();
    await a.stop('SIGKILL');
    await eventually('b leads', 20_000, async () => isLeader(await b.metrics()), 100);
    const ms = Date.now() - t0;
    console.error(`[leader] handover after SIGKILL in ${ms} ms`);
    assert.ok(ms < 20_000);
    const l = (await env.getJson<LeaseObj>('lease', 'default', 'meshwarden-controller'))!;
    assert.equal(l.spec.holderIdentity, 'replica-b');
    assert.equal(l.spec.leaseTransitions, 1);
    await env.apply(smartLimiter('le', 'two', '  - name: x\n    rate: {requests: 10, per: 1s}\n'));
    await waitCondition(env, 'smartlimiter', 'le', 'two', 'Ready', 'True');
  });

  test('SIGTERM releases the Lease: the next replica takes over at once', async () => {
    a = await startOperator(env, [...lease, '--identity', 'replica-c'], { name: 'c' });
    const t0 = Date.now();
    assert.equal(await b.stop('SIGTERM'), 0, 'graceful exit');
    const released = (await env.getJson<LeaseObj>('lease', 'default', 'meshwarden-controller'))!;
    assert.ok(released.spec.holderIdentity === '' || released.spec.holderIdentity === 'replica-c');
    assert.match(b.log(), /released the lease/);
    assert.match(b.log(), /"msg":"shut down"/);
    await eventually('c leads', 10_000, async () => isLeader(await a.metrics()), 100);
    console.error(`[leader] handover after SIGTERM in ${Date.now() - t0} ms`);
    assert.equal((await env.getJson<LeaseObj>('lease', 'default', 'meshwarden-controller'))!.spec.leaseTransitions, 2);
  });
});
