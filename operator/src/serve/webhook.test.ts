import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeFlags } from './flags.js';

test('serve runs the webhook beside the controller unless told otherwise', () => {
  assert.equal(parseServeFlags([]).webhook, 'on');
  assert.equal(parseServeFlags(['--webhook=false']).webhook, 'off');
  assert.equal(parseServeFlags(['--webhook-only']).webhook, 'only');
  assert.throws(() => parseServeFlags(['--webhook-only', '--webhook=false']), /contradict/);
  assert.deepEqual(parseServeFlags(['--webhook-port', '0', '--cert-dir', '/tmp/c']).webhookValues, {
    'webhook-port': '0',
    'webhook-bind-address': '0.0.0.0',
    'cert-dir': '/tmp/c',
  });
});
