/** The CLI contract: inputs, positions, output and exit codes (0 ok, 1 findings, 2 usage/I-O/YAML). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../src/util/package-root.js';
import { runCli } from './cli-harness.js';

const good = `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: ok, namespace: shop}
spec:
  target: {workloadSelector: {matchLabels: {app: api}}}
  limits:
  - name: a
    rate: {requests: 5, per: 1s}
`;
const bad = `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: bad, namespace: shop}
spec:
  target: {workloadSelector: {matchLabels: {app: api}}}
  limits:
  - name: a
    rate: {requests: 5, per: 1s}
  - name: b
    rate: {requests: 0, per: 1s}
`;

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
  mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'good.yaml'), good);
  writeFileSync(join(dir, 'nested', 'deeper', 'bad.yml'), bad);
  writeFileSync(join(dir, 'nested', 'notes.txt'), 'not a manifest: ignored');
  return dir;
}

test('render prints the generated objects as a YAML stream', async () => {
  const run = await runCli(['render', '-'], good);
  assert.equal(run.code, 0);
  const docs = parseAllDocuments(run.stdout).map((d) => d.toJS());
  assert.deepEqual(
    docs.map((d) => `${d.kind}/${d.metadata.name}`),
    ['EnvoyFilter/ok-ratelimit'],
  );
});

test('an invalid resource: exit 1 and every problem as file:line:col path: message, with a hint', async () => {
  const dir = tree();
  const run = await runCli(['render', join(dir, 'nested')], '', dir);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^nested\/deeper\/bad\.yml:10:22: error spec\.limits\[1\]\.rate\.requests: must be >= 1 \[MW103 SmartLimiter shop\/bad\]\n {2}hint: use a number of at least 1\n$/);
});

test('lint walks directories recursively and reads only manifests', async () => {
  const dir = tree();
  const run = await runCli(['lint', '-o', 'json', dir], '', dir);
  assert.equal(run.code, 1);
  const diags = JSON.parse(run.stdout) as Array<{ source: { file: string } }>;
  assert.deepEqual(
    diags.map((d) => d.source.file),
    ['nested/deeper/bad.yml'],
  );
});

test('lint of clean input prints nothing and exits 0', async () => {
  const run = await runCli(['lint', '-'], good);
  assert.deepEqual(run, { code: 0, stdout: '', stderr: '' });
});

test('--fail-on warning turns warnings into a failing exit code', async () => {
  const average = good.replace('per: 1s}', 'per: 1s}\n    strategy: average');
  assert.equal((await runCli(['lint', '-'], average)).code, 0);
  const strict = await runCli(['lint', '--fail-on', 'warning', '-'], average);
  assert.equal(strict.code, 1);
  assert.match(strict.stdout, /warning spec\.limits\[0\]\.strategy/);
});

test('objects inside kind: List are located inside the list', async () => {
  const list = `apiVersion: v1\nkind: List\nitems:\n${bad.replace(/^/gm, '  ').replace(/^ {2}/, '- ')}`;
  const run = await runCli(['lint', '-'], list);
  assert.match(run.stdout, /^<stdin>:13:24: error spec\.limits\[1\]\.rate\.requests/);
});

test('YAML syntax errors, missing files and usage errors exit 2', async () => {
  const yamlError = await runCli(['lint', '-'], 'a: [1, 2\n');
  assert.equal(yamlError.code, 2);
  assert.match(yamlError.stderr, /^<stdin>:\d+:\d+: /);
  const missing = await runCli(['lint', '/nonexistent/x.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or directory/);
  for (const args of [[], ['frobnicate'], ['lint'], ['lint', '--fail-on', 'info', '-'], ['render', '--replicas', 'many', '-'], ['lint', '--nope', '-']]) {
    const run = await runCli(args, good);
    assert.equal(run.code, 2, `${args.join(' ')} is a usage error`);
    assert.match(run.stderr, /Usage: meshwarden/);
  }
});

test('a YAML error costs only its document: the rest is linted, the error is a result of every machine format, the exit code is 2', async () => {
  const dir = tree();
  writeFileSync(join(dir, 'broken.yaml'), `${good}---\nkind: [unclosed\n---\n${bad.replace('name: bad', 'name: bad2')}`);
  writeFileSync(join(dir, 'empty-key.yaml'), 'a: 1\na: 2\n');
  const text = await runCli(['lint', dir], '', dir);
  assert.equal(text.code, 2, 'an input error wins over findings');
  assert.match(text.stderr, /^broken\.yaml:10:\d+: .*\nempty-key\.yaml:2:1: Map keys must be unique\n$/);
  // Both the document after the error and the other files are judged.
  assert.deepEqual(
    [...text.stdout.matchAll(/^(\S+): error .*\[MW103 SmartLimiter shop\/(\w+)\]$/gm)].map((m) => `${m[1]} ${m[2]}`),
    ['broken.yaml:21:22 bad2', 'nested/deeper/bad.yml:10:22 bad'],
  );
  assert.doesNotMatch(text.stdout, /MW108/, 'text prints the input errors once, on standard error');

  const json = await runCli(['lint', '-o', 'json', dir], '', dir);
  assert.equal(json.code, 2);
  const diags = JSON.parse(json.stdout) as Array<{ rule: string; source: { file: string; line: number } }>;
  assert.deepEqual(
    diags.map((d) => `${d.rule} ${d.source.file}:${d.source.line}`),
    ['MW108 broken.yaml:10', 'MW108 empty-key.yaml:2', 'MW103 broken.yaml:21', 'MW103 nested/deeper/bad.yml:10'],
  );
  const sarif = JSON.parse((await runCli(['lint', '-o', 'sarif', dir], '', dir)).stdout) as {
    runs: Array<{ invocations: Array<{ exitCode: number }>; results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { region?: { startLine: number } } }> }> }>;
  };
  assert.equal(sarif.runs[0]!.invocations[0]!.exitCode, 2);
  assert.deepEqual(
    sarif.runs[0]!.results.filter((r) => r.ruleId === 'MW108').map((r) => r.locations[0]!.physicalLocation.region?.startLine),
    [10, 2],
  );
  const junit = (await runCli(['lint', '-o', 'junit', dir], '', dir)).stdout;
  assert.match(junit, /<testcase classname="broken\.yaml" name="Document at line 10">\n\s+<failure type="MW108"/);
  assert.match((await runCli(['lint', '-o', 'github', dir], '', dir)).stdout, /^::error file=broken\.yaml,line=10,col=\d+,title=MW108 /m);

  // A path that cannot be read has no position; the other paths are still linted.
  const missing = await runCli(['lint', '-o', 'sarif', '/nonexistent/x.yaml', join(dir, 'nested')], '', dir);
  assert.equal(missing.code, 2);
  const results = (JSON.parse(missing.stdout) as typeof sarif).runs[0]!.results;
  assert.deepEqual(
    results.map((r) => [r.ruleId, r.locations[0]!.physicalLocation.region?.startLine]),
    [
      ['MW108', undefined],
      ['MW103', 10],
    ],
  );
  // render refuses any input error outright: half a rendering is never printed.
  const render = await runCli(['render', join(dir, 'broken.yaml')], '', dir);
  assert.deepEqual([render.code, render.stdout], [2, '']);
});

test('the rules command lists the catalogue', async () => {
  const run = await runCli(['rules', '-o', 'json']);
  const rules = JSON.parse(run.stdout) as Array<{ code: string }>;
  assert.ok(rules.some((r) => r.code === 'MW101'));
  assert.deepEqual(
    rules.map((r) => r.code),
    [...rules.map((r) => r.code)].sort(),
  );
});

test('the installed bin runs the CLI as a process with the same exit codes', () => {
  const bin = join(packageRoot, 'bin', 'meshwarden.js');
  const ok = spawnSync(process.execPath, [bin, 'render', '-'], { input: good, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /kind: EnvoyFilter/);
  const invalid = spawnSync(process.execPath, [bin, 'lint', '-'], { input: bad, encoding: 'utf8' });
  assert.equal(invalid.status, 1);
  assert.equal(spawnSync(process.execPath, [bin], { encoding: 'utf8' }).status, 2);
});
