import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { toYaml } from './emit.js';

test('strings YAML 1.1 reads as booleans are quoted, so kubectl reads back what was written', () => {
  const value = { headers: { 'x-debug': 'yes', flag: 'n', mode: 'on', off: 'OFF' }, n: 1 };
  const text = toYaml(value);
  assert.deepEqual(parse(text, { version: '1.1' }), value);
  assert.doesNotMatch(text, /: yes$/m);
});
