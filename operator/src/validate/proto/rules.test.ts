import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { allRules } from '../catalogue.js';
import { checkPatchValue, loadProtoSchema } from './index.js';
import { fixtures } from './fixtures.js';

before(() => {
  loadProtoSchema('1.36');
  loadProtoSchema('1.39');
});

test('MW2xx catalogue: every rule has a title, a source link, the proto layer and a fixture', () => {
  const mw2 = allRules().filter((r) => r.code.startsWith('MW2'));
  assert.deepEqual(
    mw2.map((r) => r.code),
    ['MW201', 'MW202', 'MW203', 'MW204', 'MW205', 'MW206', 'MW207', 'MW208', 'MW209', 'MW210', 'MW211'],
  );
  for (const r of mw2) {
    assert.equal(r.layer, 'proto', r.code);
    assert.ok(r.title.length > 10 && !r.title.includes('\n'), r.code);
    assert.match(r.sources[0] ?? '', /^https:\/\//, r.code);
    if (r.code !== 'MW209')
      assert.ok(
        fixtures.some((f) => f.rule === r.code),
        `${r.code} has no fixture`,
      );
  }
  const covered = new Set(mw2.flatMap((r) => r.failureModes ?? []));
  for (const fm of [6, 10, 11, 12, 13, 25, 32]) assert.ok(covered.has(fm), `failure mode ${fm}`);
});

for (const version of ['1.36', '1.39'] as const) {
  test(`MW2xx fixtures on Envoy ${version}: good is clean, bad gives the rule at its path`, () => {
    for (const fx of fixtures.filter((f) => (f.versions ?? [version]).includes(version))) {
      const opts = { ...(fx.operation ? { operation: fx.operation } : {}), ...(fx.targetFilterName ? { targetFilterName: fx.targetFilterName } : {}) };
      assert.deepEqual(checkPatchValue(fx.applyTo, fx.good, version, opts), [], `${fx.rule} good`);
      const bad = checkPatchValue(fx.applyTo, fx.bad, version, opts).filter((f) => f.rule === fx.rule);
      assert.ok(bad.length > 0, `${fx.rule} bad: no finding`);
      assert.equal(bad[0]!.path, fx.path, `${fx.rule} path`);
      assert.equal(bad[0]!.severity, fx.severity ?? 'error', `${fx.rule} severity`);
    }
  });
}
