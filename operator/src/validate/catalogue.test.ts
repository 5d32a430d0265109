/**
 * The catalogue is the one list of rules (docs/adr/0113-rule-catalogue.md): every code the
 * source names is in it, and every entry is reported from somewhere, so no rule is dead and
 * none lives outside it. Reads operator/src as text: fast, no validator loaded.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../util/package-root.js';
import { allRules, codesTagged, ruleOf, rules } from './catalogue.js';
import type { Layer } from './rule.js';

const SRC = join(packageRoot, 'operator', 'src');
const testOnly = /\.test\.ts$|\.testkit\.ts$|(^|\/)fixtures\.ts$|(^|\/)bench-[^/]*\.ts$|\.d\.ts$/;

function sources(dir: string, out: Array<{ file: string; text: string }> = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !testOnly.test(relative(SRC, p))) out.push({ file: relative(SRC, p), text: readFileSync(p, 'utf8') });
  }
  return out;
}

const files = sources(SRC).filter((f) => f.file !== join('validate', 'catalogue.ts'));

const layerOfRange: Record<string, Layer> = { '1': 'schema', '2': 'proto', '3': 'semantic', '4': 'patch', '5': 'syntax', '6': 'cross', '7': 'oracle' };

test('every entry has a well-formed code in its layer range, a title, a hint and a source', () => {
  for (const r of allRules()) {
    assert.match(r.code, /^MW[1-7]\d\d$/, r.code);
    assert.equal(r.layer, layerOfRange[r.code[2]!], `${r.code} is in the ${layerOfRange[r.code[2]!]} range`);
    assert.ok(r.title.length > 10 && !r.title.includes('\n'), `${r.code} title`);
    assert.ok(r.hint.length > 5, `${r.code} hint`);
    assert.ok(r.sources.length > 0 && r.sources.every((s) => s.length > 5), `${r.code} sources`);
    if (r.duplicateOf !== undefined) assert.equal(ruleOf(r.duplicateOf)?.layer, 'patch', `${r.code} duplicateOf names a patch-layer rule`);
  }
});

test('every code named in operator/src is in the catalogue', () => {
  const unknown = files.flatMap((f) => [...f.text.matchAll(/(?<![-–])\bMW\d{3}\b/g)].filter((m) => ruleOf(m[0]) === undefined).map((m) => `${f.file}: ${m[0]}`));
  assert.deepEqual(unknown, []);
});

test("code outside the catalogue names a rule through it, not as a string (rules.MW413.code, not 'MW413')", () => {
  const literals = files.flatMap((f) => [...f.text.matchAll(/['"]MW\d{3}['"]/g)].map((m) => `${f.file}: ${m[0]}`));
  assert.deepEqual(literals, []);
});

test('every entry is reported from somewhere: no dead rule, no unused alias', () => {
  const text = files.map((f) => f.text).join('\n');
  const dead = allRules()
    .filter((r) => !new RegExp(`\\brules\\.${r.code}\\b`).test(text))
    .map((r) => r.code);
  assert.deepEqual(dead, [], 'entries no module takes with rules.MWnnn');
  // A layer's alias (`export const LUA_SYNTAX = rules.MW501;`) counts only if something uses the alias.
  const unusedAliases = files.flatMap((f) =>
    [...f.text.matchAll(/export const (\w+) = rules\.(MW\d{3});/g)]
      .filter(([, name]) => files.every((g) => (g.text.match(new RegExp(`\\b${name}\\b`, 'g')) ?? []).length <= (g === f ? 1 : 0)))
      .map(([, name, code]) => `${f.file}: ${name} (${code})`),
  );
  assert.deepEqual(unusedAliases, []);
});

test('the sets the shells read are the ones they had as literals', () => {
  // The webhook, migrate, status, the CLI and the validator's neighbour filter read these tags.
  assert.deepEqual([...codesTagged('clusterObjects')], ['MW601', 'MW602', 'MW603']);
  assert.deepEqual([...codesTagged('offlineFacts')], ['MW601', 'MW603', 'MW604', 'MW605']);
  assert.deepEqual([...codesTagged('targetNotFound')], ['MW601']);
  assert.deepEqual([...codesTagged('locateAtKey')], ['MW101']);
  assert.deepEqual([...codesTagged('istioShape')], ['MW111', 'MW112']);
  assert.deepEqual([...codesTagged('istiodRejects')], ['MW111', 'MW112', 'MW113', 'MW120', 'MW121', 'MW122', 'MW123', 'MW124', 'MW125', 'MW133', 'MW134']);
  assert.deepEqual(
    allRules().flatMap((r) => (r.duplicateOf ? [`${r.code}>${r.duplicateOf}`] : [])),
    ['MW126>MW423', 'MW127>MW420', 'MW129>MW421', 'MW303>MW418'],
  );
});

test('a rule builds findings with its code and severity, and its hint unless the check gives one', () => {
  assert.deepEqual(rules.MW301.finding('token_bucket.fill_interval', 'too short'), {
    rule: 'MW301',
    severity: 'error',
    message: 'too short',
    path: 'token_bucket.fill_interval',
    hint: rules.MW301.hint,
  });
  assert.equal(rules.MW301.finding('', 'm', 'do this').hint, 'do this');
  assert.equal(rules.MW301.finding('', 'm', undefined, 'warning').severity, 'warning');
});
