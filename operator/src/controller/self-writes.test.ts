import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelfWrites } from './self-writes.js';

const ef = (rv: string) => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'a', namespace: 'n', resourceVersion: rv } });

test("our own write is consumed once; someone else's edit (another resourceVersion) is not", () => {
  const s = new SelfWrites(2);
  s.record(ef('5'));
  assert.equal(s.consume(ef('6')), false);
  assert.equal(s.consume(ef('5')), true);
  assert.equal(s.consume(ef('5')), false);
  s.record(ef('7'));
  s.record(ef('8'));
  s.record(ef('9'));
  assert.equal(s.size, 2, 'bounded');
  assert.equal(s.consume(ef('7')), false, 'oldest evicted');
});
