import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSchema, closest } from './schema.js';

test('an unknown field suggests the known field it is a typo of, and nothing for a stranger', () => {
  assert.equal(closest('mtach', ['match', 'rate', 'burst']), 'match');
  assert.equal(closest('stratgy', ['strategy', 'mode']), 'strategy');
  assert.equal(closest('Burst', ['burst']), 'burst');
  assert.equal(closest('zzzzzz', ['match', 'rate']), undefined);
  const obj = {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'SmartLimiter',
    metadata: { name: 'a' },
    spec: { target: { service: 'api' }, limits: [{ name: 'a', rate: { requests: 1, per: '1s' }, stratgy: 'average' }] },
  } as { kind?: unknown };
  const findings = checkSchema(obj);
  assert.deepEqual(
    findings.map((f) => [f.rule, f.path, f.hint]),
    [['MW101', 'spec.limits[0].stratgy', 'did you mean "strategy"?']],
  );
});
