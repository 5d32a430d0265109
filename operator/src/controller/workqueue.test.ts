import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExponentialBackoff, WorkQueue } from './workqueue.js';

test('backoff doubles from 5 ms and caps at 1000 s (client-go defaults)', () => {
  const b = new ExponentialBackoff();
  assert.deepEqual([b.when('a'), b.when('a'), b.when('a'), b.when('a')], [5, 10, 20, 40]);
  assert.equal(b.when('b'), 5, 'per key');
  for (let i = 0; i < 40; i++) b.when('a');
  assert.equal(b.when('a'), 1_000_000);
  b.forget('a');
  assert.equal(b.when('a'), 5);
});

test('a key is queued once however often it is added', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
});

test('a key added while processing is handed out again only after done', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  q.add('a');
  assert.equal(q.length, 0, 'not queued while processing');
  q.done(k!);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'a');
});

test('waiting workers get keys as they arrive; shutDown releases them', async () => {
  const q = new WorkQueue();
  const p1 = q.get();
  q.add('x');
  assert.equal(await p1, 'x');
  const p2 = q.get();
  q.shutDown();
  assert.equal(await p2, undefined);
  q.add('y');
  assert.equal(q.length, 0, 'no adds after shutdown');
});

test('drain waits for in-flight keys', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  let drained = false;
  const d = q.drain().then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  q.done(k!);
  await d;
  assert.equal(drained, true);
});

test('addAfter keeps the earliest time; addRateLimited counts retries', async () => {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (h: unknown) => ((h as { cancelled: boolean }).cancelled = true),
  };
  let retries = 0;
  const q = new WorkQueue(undefined, { retry: () => retries++ }, clock);
  q.addAfter('a', 100);
  q.addAfter('a', 50);
  q.addAfter('a', 200);
  assert.equal(timers.filter((t) => !t.cancelled).length, 1);
  now = 50;
  timers.filter((t) => !t.cancelled && t.at <= now).forEach((t) => t.fn());
  assert.equal(q.length, 1);
  q.addRateLimited('b');
  q.addRateLimited('b');
  assert.equal(retries, 2);
  assert.equal(q.numRequeues('b'), 2);
  q.forget('b');
  assert.equal(q.numRequeues('b'), 0);
});
