/** adopt of Envoy 1.40's enable_retry_after_header (ADR 0111): proposed as response.retryAfter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { loadYaml } from '../yaml/documents.js';
import { adopt } from './index.js';

const original = readFileSync(join(packageRoot, 'operator', 'test', 'fixtures', 'adopt', 'local-ratelimit-port.yaml'), 'utf8').replace('status: {code: 503}', 'enable_retry_after_header: true');

test('a local limit with enable_retry_after_header: response.retryAfter on Istio 1.32, equivalent', () => {
  const loaded = loadYaml(original, 'retry.yaml');
  assert.deepEqual(loaded.errors, []);
  const [a] = adopt(loaded.objects, ['1.32.0']);
  assert.deepEqual((a!.proposal!['spec'] as { limits: unknown }).limits, [{ name: 'local-ratelimit', port: 9080, rate: { requests: 10, per: '1s' }, burst: 5, response: { retryAfter: true } }]);
  assert.deepEqual(a!.differences, []);
});

test('the same for Istio 1.31 too: no proposal, MW613 says the SmartLimiter cannot carry it there', () => {
  const [a] = adopt(loadYaml(original, 'retry.yaml').objects, ['1.31.0', '1.32.0']);
  assert.equal(a!.proposal, undefined);
  assert.deepEqual(
    a!.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.rule} ${d.path}`),
    ['MW613 spec.limits[0].response.retryAfter'],
  );
});
