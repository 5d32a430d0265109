import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from './catalogue.js';
import { failureModeCount, uncoveredFailureModes } from './coverage.js';
import { packageRoot } from '../util/package-root.js';

test('the failure-mode catalogue the rules cite is in the repository, rows 1..failureModeCount', () => {
  const doc = readFileSync(join(packageRoot, 'docs', 'failure-modes.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    rows,
    Array.from({ length: failureModeCount }, (_, i) => i + 1),
  );
});

test('every failure mode of the catalogue is caught by a rule, or the reason it is not is stated', () => {
  const rules = allRules();
  const missing: number[] = [];
  for (let i = 1; i <= failureModeCount; i++) {
    const covered = rules.some((r) => r.failureModes?.includes(i));
    if (!covered && uncoveredFailureModes[i] === undefined) missing.push(i);
    if (covered) assert.equal(uncoveredFailureModes[i], undefined, `failure mode ${i} is covered: drop its gap reason`);
  }
  assert.deepEqual(missing, [], 'failure modes with neither a rule nor a reason');
});

test('rule codes are unique, titled and sourced', () => {
  for (const r of allRules()) {
    assert.ok(r.title.length > 10, `${r.code} has a title`);
    assert.match(r.sources[0] ?? '', /^https:\/\//, `${r.code} links its source`);
  }
});
