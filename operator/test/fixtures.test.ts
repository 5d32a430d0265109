/**
 * One verdict everywhere: every schema fixture gives the same findings through the schema
 * layer, through evaluate() (what the controller and the webhook call) and through
 * `meshwarden lint`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadYaml } from '../src/yaml/documents.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { emptyContext } from '../src/render/context.js';
import { evaluate } from '../src/evaluate.js';
import { checkSchema } from '../src/validate/schema.js';
import { packageRoot } from '../src/util/package-root.js';
import { runCli } from './cli-harness.js';

const dir = join(packageRoot, 'operator', 'test', 'fixtures', 'schema');
const files = (sub: string) =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, sub, f));
/** The object as kubectl (YAML 1.1) reads the fixture. */
const kubectlReads = (text: string, file: string) => loadYaml(text, file).objects[0]!.value as { kind?: unknown };
const key = (d: { rule: string; path: string }) => `${d.rule} ${d.path}`;
const errorsOf = (ds: Array<{ rule: string; path: string; severity: string }>) =>
  ds
    .filter((d) => d.severity === 'error')
    .map(key)
    .sort();

for (const file of files('valid')) {
  test(`valid fixture ${file.split('/').pop()} passes everywhere`, async () => {
    const obj = kubectlReads(readFileSync(file, 'utf8'), file);
    assert.deepEqual(checkSchema(obj), []);
    assert.deepEqual(errorsOf(evaluate(obj, emptyContext).diagnostics), []);
    const run = await runCli(['lint', '-o', 'json', file]);
    assert.deepEqual(errorsOf(JSON.parse(run.stdout) as Diagnostic[]), []);
    assert.equal(run.code, 0);
  });
}

for (const file of files('invalid')) {
  test(`invalid fixture ${file.split('/').pop()} is refused everywhere with the expected findings`, async () => {
    const text = readFileSync(file, 'utf8');
    const expected = [...text.matchAll(/^# expect: (MW\d{3}) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    assert.ok(expected.length > 0, 'the fixture declares what it expects');
    const obj = kubectlReads(text, file);
    assert.deepEqual(errorsOf(checkSchema(obj)), expected, 'schema layer');
    assert.deepEqual(errorsOf(evaluate(obj, emptyContext).diagnostics), expected, 'evaluate()');
    const json = await runCli(['lint', '-o', 'json', file]);
    assert.equal(json.code, 1);
    const diags = JSON.parse(json.stdout) as Diagnostic[];
    assert.deepEqual(errorsOf(diags), expected, 'CLI');
    for (const d of diags) {
      assert.ok(d.source && d.source.line > 1 && d.source.column >= 1, `${key(d)} has a position in the file`);
      assert.ok(d.hint || d.message.length > 20, `${key(d)} says how to fix it`);
    }
  });
}
