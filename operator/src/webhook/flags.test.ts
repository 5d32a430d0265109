import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { defaultCertDir, webhookFlagOptions, webhookOptionsFromFlags } from './flags.js';

const parse = (args: string[]) => parseArgs({ args, options: webhookFlagOptions }).values;

test('defaults follow controller-runtime', () => {
  assert.deepEqual(webhookOptionsFromFlags(parse([])), { port: 9443, host: '0.0.0.0', certDir: defaultCertDir() });
});

test('flags become createWebhookServer options', () => {
  const o = webhookOptionsFromFlags(
    parse(['--webhook-port', '0', '--cert-dir', '/certs', '--webhook-service', 'meshwarden-webhook.meshwarden-system', '--webhook-request-timeout', '3s', '--webhook-bind-address', '127.0.0.1']),
  );
  assert.equal(o.port, 0);
  assert.equal(o.host, '127.0.0.1');
  assert.equal(o.certDir, '/certs');
  assert.equal(o.requestTimeoutMs, 3000);
  assert.deepEqual(o.dnsNames, ['meshwarden-webhook', 'meshwarden-webhook.meshwarden-system', 'meshwarden-webhook.meshwarden-system.svc', 'meshwarden-webhook.meshwarden-system.svc.cluster.local']);
});

test('bad values are usage errors', () => {
  assert.throws(() => webhookOptionsFromFlags(parse(['--webhook-port', '70000'])), /--webhook-port/);
  assert.throws(() => webhookOptionsFromFlags(parse(['--webhook-service', 'just-a-name'])), /NAME\.NAMESPACE/);
  assert.throws(() => webhookOptionsFromFlags(parse(['--webhook-request-timeout', '5'])), /duration/);
});
