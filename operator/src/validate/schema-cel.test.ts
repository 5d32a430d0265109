import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { addKubernetesKeywords, withSharedCel } from './schema.js';

/** A CEL "compiler" for two rule texts, counting evaluations. */
function counting() {
  const calls: string[] = [];
  const compile = (rule: string) => (vars: { self: unknown }) => {
    calls.push(rule);
    const self = vars.self as { min?: number; max?: number };
    if (rule === 'self.min <= self.max') return (self.min ?? 0) <= (self.max ?? 0);
    throw new Error('no such field'); // the API server skips rules whose inputs have the wrong type
  };
  return { calls, compile };
}

const rules = [{ rule: 'self.min <= self.max', message: 'min must not exceed max' }, { rule: 'self.missing' }];
const schema = (extra: Record<string, unknown>) => ({
  type: 'object',
  properties: { range: { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' }, ...extra }, 'x-kubernetes-validations': rules } },
});

test('withSharedCel: one evaluation per rule and object across schema versions, with the same verdicts', () => {
  const { calls, compile } = counting();
  const ajv = new Ajv({ allErrors: true, strict: false });
  addKubernetesKeywords(ajv, compile);
  const older = ajv.compile(schema({}));
  const newer = ajv.compile(schema({ step: { type: 'integer' } }));
  const bad = { range: { min: 5, max: 1 } };
  const alone = [older(bad), newer(bad)];
  assert.deepEqual(alone, [false, false]);
  assert.equal(calls.length, 4, 'two rules, two schemas');
  calls.length = 0;
  const shared = withSharedCel(() => [older(bad), older.errors?.map((e) => e.message), newer(bad), newer.errors?.map((e) => e.message)]);
  assert.deepEqual(shared, [false, ['min must not exceed max'], false, ['min must not exceed max']]);
  assert.equal(calls.length, 2, 'each rule once, the skipped one included');
  // Another object (or the same content as another object) is evaluated on its own.
  calls.length = 0;
  assert.deepEqual(
    withSharedCel(() => [older({ range: { min: 1, max: 5 } }), newer(bad)]),
    [true, false],
  );
  assert.equal(calls.length, 4);
});
