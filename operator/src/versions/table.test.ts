import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../util/package-root.js';
import { supportedIstioVersions } from '../validate/index.js';
import { DEFAULT_ISTIO_MINORS } from '../validate/istio-schema/index.js';
import { BASELINE_MINORS } from '../validate/istio/versions.js';
import { ENVOY_VERSIONS, ISTIO_TO_ENVOY } from '../validate/proto/load.js';
import { SEMANTIC_VERSION_BOUNDARIES, semanticVersionClass } from '../validate/semantic/index.js';
import { ENVOY_BOUNDARIES } from './boundaries.js';
import { versionsEnv, VERSIONS_ENV_PATH } from './env.js';
import { checkIstioVersion, endOfLifeWarning, nearestIstioMinor, selectIstioVersions, UnknownIstioVersionError } from './select.js';
import { compareVersions, defaultIstioMinors, envoyMinors, envoyOf, istioMinors, istioOfEnvoy, rowOf, since, supportStatus, TABLE_REVIEWED, until, VERSION_TABLE } from './table.js';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

test("the default set is Istio's support window on the day the table was reviewed: 1.30–1.32, end-of-life minors out (ADR 0110)", () => {
  const reviewed = day(TABLE_REVIEWED);
  for (const r of VERSION_TABLE) assert.equal(r.inDefaultSet, supportStatus(r, reviewed) === 'supported', `${r.istio}: in the default set exactly when supported on ${TABLE_REVIEWED}`);
  assert.deepEqual(defaultIstioMinors(), ['1.30', '1.31', '1.32']);
  assert.deepEqual(
    istioMinors().filter((m) => !defaultIstioMinors().includes(m)),
    ['1.28', '1.29'],
  );
  assert.equal(defaultIstioMinors().at(-1), istioMinors().at(-1), 'the newest minor is always checked by default');
});

test('Istio 1.32 ↔ Envoy 1.40: go-control-plane/envoy v1.40.0, CRDs from istio.io/api v1.32.0, the 1.40.0 wheel fetched, baseline derived from the 1.31 capture', () => {
  const r = rowOf('1.32.1')!;
  assert.equal(r.envoy, '1.40');
  assert.equal(envoyOf('1.32'), '1.40');
  assert.equal(istioOfEnvoy('1.40.0'), '1.32');
  assert.equal(r.goControlPlane, 'v1.40.0');
  assert.deepEqual(r.crdSources, ['istio.io/api@v1.32.0:kubernetes/customresourcedefinitions.gen.yaml']);
  assert.deepEqual([r.envoyWheel, r.wheelFetched], ['1.40.0', true]);
  assert.equal(r.baseline, 'derived');
  assert.equal(supportStatus(r, day(TABLE_REVIEWED)), 'supported');
  assert.ok(since('1.40', '1.39') && until('1.39', '1.40'), 'the new row is newer than every other');
  assert.equal(checkIstioVersion('1.32.0'), '1.32.0');
});

test('every version list of the validator derives from the table', () => {
  assert.deepEqual(supportedIstioVersions, defaultIstioMinors());
  assert.deepEqual(DEFAULT_ISTIO_MINORS, defaultIstioMinors());
  assert.deepEqual(BASELINE_MINORS, istioMinors());
  assert.deepEqual(ENVOY_VERSIONS, envoyMinors());
  assert.deepEqual(ISTIO_TO_ENVOY, Object.fromEntries(VERSION_TABLE.map((r) => [r.istio, r.envoy])));
  assert.deepEqual(SEMANTIC_VERSION_BOUNDARIES, [...new Set(Object.values(ENVOY_BOUNDARIES))]);
});

test('rows are in release order, one Envoy minor per Istio minor, both strictly increasing', () => {
  const num = (v: string) => v.split('.').map(Number) as [number, number];
  for (let i = 1; i < VERSION_TABLE.length; i++) {
    const [a, b] = [VERSION_TABLE[i - 1]!, VERSION_TABLE[i]!];
    for (const k of ['istio', 'envoy'] as const) {
      const [am, an] = num(a[k]);
      const [bm, bn] = num(b[k]);
      assert.ok(bm > am || (bm === am && bn > an), `${k} ${b[k]} after ${a[k]}`);
    }
    assert.ok(b.released > a.released, `${b.istio} released after ${a.istio}`);
  }
  for (const r of VERSION_TABLE) {
    assert.match(r.envoyWheel, new RegExp(`^${r.envoy.replace('.', '\\.')}\\.\\d+$`), `${r.istio}: the wheel is an Envoy ${r.envoy} patch`);
    assert.equal(r.goControlPlane, `v${r.envoy}.0`, `${r.istio}: descriptor set from the Envoy ${r.envoy} tag`);
    assert.ok(r.crdSources.length > 0 && r.crdSources.every((s) => /^istio\.io\/(api|istio)@v[\w.-]+:[\w./-]+\.yaml$/.test(s)), `${r.istio}: CRD sources are module@version:path`);
  }
});

test('envoyOf / istioOfEnvoy pair the rows, patch numbers accepted; unknown gives undefined', () => {
  for (const r of VERSION_TABLE) {
    assert.equal(envoyOf(r.istio), r.envoy);
    assert.equal(envoyOf(`${r.istio}.3`), r.envoy);
    assert.equal(istioOfEnvoy(`${r.envoy}.2`), r.istio);
  }
  assert.equal(envoyOf('1.3'), undefined);
  assert.equal(envoyOf('latest'), undefined);
  assert.equal(istioOfEnvoy('1.3'), undefined);
});

test('since/until compare by the table order, within Istio or within Envoy minors', () => {
  const [first, second] = VERSION_TABLE;
  const last = VERSION_TABLE.at(-1)!;
  assert.equal(since(last.envoy, last.envoy), true);
  assert.equal(since(first.envoy, last.envoy), false);
  assert.equal(until(first.envoy, last.envoy), true);
  assert.equal(since(last.istio, first.istio), true);
  assert.equal(since(last.istio, first.istio, 'istio'), true);
  assert.equal(since(`${second.istio}.4`, second.istio), true, 'a patch is at its minor');
  assert.ok(compareVersions(first.istio, last.istio) < 0);
  // Not a string or float order ('1.100' < '1.99' as strings, 1.4 > 1.39 as floats): the table
  // decides, and refuses what it does not hold or what mixes kinds.
  assert.throws(() => since('1.99', first.envoy), /not both/);
  assert.throws(() => since(first.envoy, 'latest'), /not both/);
  assert.throws(() => since(last.istio, first.envoy), /not both/);
  assert.throws(() => since(first.istio, first.istio, 'envoy'), /not both envoy/);
});

test('semantic version classes follow the named boundaries: versions before a boundary share a class', () => {
  for (const r of VERSION_TABLE) {
    const reached = Object.values(ENVOY_BOUNDARIES).filter((b, i, all) => all.indexOf(b) === i && since(r.envoy, b)).length;
    assert.equal(semanticVersionClass(r.envoy), reached, r.envoy);
  }
});

test('support status: end of life from the stated date on; an expected date is still supported', () => {
  const r128 = rowOf('1.28')!;
  assert.equal(supportStatus(r128, day('2026-06-30')), 'supported');
  assert.equal(supportStatus(r128, day('2026-07-01')), 'end-of-life');
  assert.equal(supportStatus(rowOf('1.29')!, day('2026-12-06')), 'end-of-life');
  assert.equal(supportStatus(rowOf('1.31')!, day('2026-12-06')), 'supported');
  for (const r of VERSION_TABLE) {
    if ('date' in r.endOfLife) assert.match(r.endOfLife.date, /^\d{4}-\d{2}-\d{2}$/);
  }
});

test('unknown --istio-version: one error listing the supported minors and the nearest', () => {
  const all = istioMinors().join(', ');
  const newest = istioMinors().at(-1)!;
  for (const [given, hint] of [
    ['1.33', `nearest: ${newest}`],
    ['1.3', 'nearest: 1.30'],
    ['latest', `the newest is ${newest}`],
    ['1.31.x', 'nearest: 1.31'],
    ['1.40', '1.40 is an Envoy version; Istio 1.32 ships it'],
    ['1.39.3', '1.39 is an Envoy version; Istio 1.31 ships it'],
    ['', `the newest is ${newest}`],
  ] as const) {
    assert.throws(
      () => checkIstioVersion(given),
      (e: unknown) => e instanceof UnknownIstioVersionError && e.message.includes(`"${given}"`) && e.message.includes(all) && e.message.endsWith(hint),
      given,
    );
  }
  assert.equal(nearestIstioMinor('1.29.'), '1.29');
  assert.equal(nearestIstioMinor('x'.repeat(10_000)), undefined, 'long input: bounded, no suggestion');
  assert.equal(checkIstioVersion('1.31.2'), '1.31.2');
  assert.throws(() => selectIstioVersions(['1.31', 'nope']), UnknownIstioVersionError);
});

test('end-of-life minors named explicitly warn, once per minor; the default set never warns', () => {
  const today = day('2026-12-06');
  assert.deepEqual(selectIstioVersions(undefined, today), { versions: [...defaultIstioMinors()], warnings: [] });
  assert.deepEqual(selectIstioVersions([], today).warnings, []);
  const named = selectIstioVersions(['1.28', '1.28.2', '1.31'], today);
  assert.deepEqual(named.versions, ['1.28', '1.28.2', '1.31']);
  assert.equal(named.warnings.length, 1);
  assert.match(named.warnings[0]!, /^Istio 1\.28 reached end of life on 2026-07-01 \(https:\/\/istio\.io\//);
  const both = selectIstioVersions(['1.29.8', '1.28'], today);
  assert.deepEqual(both.versions, ['1.29.8', '1.28'], 'end-of-life minors named explicitly are still checked');
  assert.deepEqual(
    both.warnings.map((w) => /^Istio (\S+) reached end of life on (\S+) /.exec(w)?.slice(1)),
    [
      ['1.29', '2026-10-12'],
      ['1.28', '2026-07-01'],
    ],
  );
  assert.equal(endOfLifeWarning('1.29', day('2026-10-11')), undefined, 'before its date: no warning');
  for (const m of defaultIstioMinors()) assert.equal(endOfLifeWarning(m, today), undefined, `${m} is in the default set: no warning`);
  assert.deepEqual(selectIstioVersions([...defaultIstioMinors()], today).warnings, [], 'the default set named explicitly does not warn either');
});

test(`${VERSIONS_ENV_PATH} is generated from the table (regenerate: node bin/meshwarden.js versions -o env > ${VERSIONS_ENV_PATH})`, () => {
  assert.equal(readFileSync(join(packageRoot, VERSIONS_ENV_PATH), 'utf8'), versionsEnv());
});

test("the chart names the table's minors (values.schema.json enum of istioVersions, Chart.yaml annotation)", () => {
  const chart = join(packageRoot, 'charts', 'meshwarden');
  const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as { properties: { controller: { properties: { istioVersions: { items: { enum: string[] } } } } } };
  assert.deepEqual(schema.properties.controller.properties.istioVersions.items.enum, [...istioMinors()]);
  assert.match(readFileSync(join(chart, 'Chart.yaml'), 'utf8'), new RegExp(`meshwarden\\.io/istio-versions: "${istioMinors().join(', ').replace(/\./g, '\\.')}"`));
});

test("README, docs/install.md and the chart values name the default set's range; docs/versions.md has one matrix row per table row", () => {
  const read = (...p: string[]) => readFileSync(join(packageRoot, ...p), 'utf8');
  const defaults = defaultIstioMinors();
  const range = `${defaults[0]}–${defaults.at(-1)}`;
  const stale = /Istio (1\.\d+)[–-](1\.\d+)/g;
  for (const file of ['README.md', 'docs/install.md', 'charts/meshwarden/values.yaml']) {
    const text = read(file);
    assert.ok(text.includes(range), `${file} names the default set ${range}`);
    for (const [phrase, from, to] of text.matchAll(stale)) assert.equal(`${from}–${to}`, range, `${file}: "${phrase}" is not the default set`);
  }
  const docs = read('docs', 'versions.md');
  for (const r of VERSION_TABLE) {
    const row = new RegExp(`^\\| ${r.istio.replace('.', '\\.')} \\| ${r.envoy.replace('.', '\\.')} \\|(?:[^|\\n]*\\|){2} ${r.inDefaultSet ? 'yes' : 'no'} \\|`, 'm');
    assert.match(docs, row, `docs/versions.md: the matrix row of ${r.istio} (Envoy ${r.envoy}, in the default set: ${r.inDefaultSet})`);
  }
  assert.ok(docs.includes(`reviewed ${TABLE_REVIEWED}`), `docs/versions.md says when the table was reviewed (${TABLE_REVIEWED})`);
});
