import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, formatDuration, podBucket, protoDuration, rlsUnit } from './rate.js';
import type { Limit } from '../api/types.gen.js';

const limit = (requests: number, per: string, extra: Partial<Limit> = {}): Limit => ({ name: 'l', rate: { requests, per }, ...extra });

test('durations parse and print', () => {
  assert.equal(durationMs('50ms'), 50);
  assert.equal(durationMs('1d'), 86_400_000);
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(protoDuration(60_000), '60s');
  assert.equal(protoDuration(50), '0.050s');
});

test('perPod passes requests + burst in a window, refilling requests per window', () => {
  assert.deepEqual(podBucket(limit(100, '1m', { burst: 20 }), 7), { maxTokens: 120, tokensPerFill: 100, fillIntervalMs: 60_000 });
});

test('average splits the rate across ready replicas, rounding down', () => {
  assert.deepEqual(podBucket(limit(100, '1m', { strategy: 'average' }), 3), { maxTokens: 33, tokensPerFill: 33, fillIntervalMs: 60_000 });
  assert.deepEqual(podBucket(limit(100, '1m', { strategy: 'average', burst: 10 }), 3), { maxTokens: 36, tokensPerFill: 33, fillIntervalMs: 60_000 });
  // No ready pods yet: a pod that becomes ready gets the whole rate until it is recomputed.
  assert.deepEqual(podBucket(limit(100, '1m', { strategy: 'average' }), 0), { maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 60_000 });
});

test('average below one request per pod per window stretches the window instead', () => {
  // 2 requests a minute over 3 pods: each gets 1 request per 90s, so the 3 pass 2 a minute.
  assert.deepEqual(podBucket(limit(2, '1m', { strategy: 'average' }), 3), { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 90_000 });
});

test('average never lets the pods together exceed the rate (every rate 1..120 and 1..25 replicas)', () => {
  for (const per of ['1s', '1m']) {
    for (let requests = 1; requests <= 120; requests++) {
      for (let n = 1; n <= 25; n++) {
        const b = podBucket(limit(requests, per, { strategy: 'average' }), n);
        const fleetPerMs = (n * b.tokensPerFill) / b.fillIntervalMs;
        assert.ok(fleetPerMs <= requests / durationMs(per) + 1e-12, `${requests}/${per} over ${n}: ${JSON.stringify(b)}`);
        assert.ok(b.tokensPerFill >= 1 && b.maxTokens >= b.tokensPerFill && b.fillIntervalMs >= 50);
      }
    }
  }
});

test('global units are the rate limit service units', () => {
  assert.equal(rlsUnit('1m'), 'minute');
  assert.throws(() => rlsUnit('2m'), /must be 1s, 1m, 1h or 1d/);
});
