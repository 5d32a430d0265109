import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allRules } from '../catalogue.js';

test('MW5xx catalogue: every rule has a title, a source link and the syntax layer', () => {
  const mw5 = allRules().filter((r) => r.code.startsWith('MW5'));
  assert.ok(mw5.length >= 18);
  for (const r of mw5) {
    assert.equal(r.layer, 'syntax', r.code);
    assert.ok(r.title.length > 10, r.code);
    assert.match(r.sources[0] ?? '', /^https:\/\/github\.com\/(envoyproxy|istio)\//, r.code);
  }
  const covered = new Set(mw5.flatMap((r) => r.failureModes ?? []));
  for (const fm of [24, 25, 33, 34, 36, 37]) assert.ok(covered.has(fm), `failure mode ${fm}`);
});
