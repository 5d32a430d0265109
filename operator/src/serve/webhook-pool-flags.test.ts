import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webhookPoolFromFlags, WebhookPoolFlagError } from './webhook-pool-flags.js';
import { parseServeFlags } from './flags.js';

test('webhook pool flags: only what is given is set', () => {
  assert.deepEqual(webhookPoolFromFlags({}), {});
  assert.deepEqual(webhookPoolFromFlags({ 'webhook-eval-workers': '3', 'webhook-eval-timeout': '2500ms', 'webhook-eval-memory': '1Gi', 'webhook-eval-queue': '16', 'webhook-max-connections': '64' }), {
    evaluation: { size: 3, timeoutMs: 2500, rssMb: 1024, heapMb: 683, maxQueue: 16 },
    maxConnections: 64,
  });
  assert.deepEqual(parseServeFlags(['--webhook-eval-timeout', '4s'], {}).webhookPool, { evaluation: { timeoutMs: 4000 } });
});

test('webhook pool flags: out-of-range values are refused naming the flag', () => {
  assert.throws(() => webhookPoolFromFlags({ 'webhook-eval-timeout': '40s' }), /--webhook-eval-timeout must be a duration from 100ms to 25s/);
  assert.throws(() => webhookPoolFromFlags({ 'webhook-eval-workers': '0' }), WebhookPoolFlagError);
  assert.throws(() => webhookPoolFromFlags({ 'webhook-eval-memory': '100Mi' }), /--webhook-eval-memory must be a size from 256Mi/);
  assert.throws(() => webhookPoolFromFlags({ 'webhook-max-connections': 'many' }), /--webhook-max-connections must be a whole number/);
});
