import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { EventRecorder } from './events.js';
import type { Kube } from './kube.js';

function fake(): Kube & { calls: Array<{ method: string; path: string; body: unknown }> } {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  return {
    calls,
    async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
      calls.push({ method, path, body: opts.body });
      return {} as T;
    },
  };
}

const obj = { apiVersion: 'meshwarden.io/v1alpha1', kind: 'SmartLimiter', metadata: { name: 'r', namespace: 'ns', uid: 'u' } };

test('an events.k8s.io/v1 Event with CamelCase reason and MicroTime', async () => {
  const kube = fake();
  await new EventRecorder(kube, { controller: 'meshwarden.io/controller', instance: 'i' }, pino({ level: 'silent' })).record(obj, 'Normal', 'Applied', 'Ready=True');
  const [call] = kube.calls;
  assert.equal(call?.method, 'POST');
  assert.equal(call?.path, '/apis/events.k8s.io/v1/namespaces/ns/events');
  const ev = call?.body as { reason: string; eventTime: string; regarding: { uid: string }; reportingController: string };
  assert.equal(ev.reason, 'Applied');
  assert.match(ev.eventTime, /\.\d{6}Z$/);
  assert.equal(ev.regarding.uid, 'u');
});

test('repeats within the window extend the series; a different note is a new Event', async () => {
  const kube = fake();
  let now = 0;
  const r = new EventRecorder(kube, { controller: 'c', instance: 'i', windowMs: 1000 }, pino({ level: 'silent' }), () => now);
  await r.record(obj, 'Warning', 'ValidationFailed', 'x');
  await r.record(obj, 'Warning', 'ValidationFailed', 'x');
  await r.record(obj, 'Warning', 'ValidationFailed', 'x');
  assert.deepEqual(
    kube.calls.map((c) => c.method),
    ['POST', 'PATCH', 'PATCH'],
  );
  assert.equal((kube.calls[2]!.body as { series: { count: number } }).series.count, 3);
  await r.record(obj, 'Warning', 'ValidationFailed', 'y');
  now = 2000;
  await r.record(obj, 'Warning', 'ValidationFailed', 'x');
  assert.deepEqual(
    kube.calls.map((c) => c.method),
    ['POST', 'PATCH', 'PATCH', 'POST', 'POST'],
  );
});
