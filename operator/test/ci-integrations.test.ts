/**
 * The CI integrations (docs/ci.md, docs/adr/0119-changed-since-and-ci-integrations.md), exercised
 * without GitHub or pre-commit: action.yml's shape, then its shell steps run here as the runner
 * runs them (bash -eo pipefail, inputs through env, GITHUB_OUTPUT) against a fixture workspace,
 * checking the SARIF file, the annotations and the verdict; .pre-commit-hooks.yaml's hook, and its
 * entry run on the files a commit stages.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../src/util/package-root.js';

interface Step {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}
interface Hook {
  id: string;
  entry: string;
  language: string;
  files: string;
  pass_filenames: boolean;
  require_serial?: boolean;
}

const action = parse(readFileSync(join(packageRoot, 'action.yml'), 'utf8')) as Action;
const hooks = parse(readFileSync(join(packageRoot, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];
const node = process.execPath;

/** MW103 (a rate of 0 requests) at line 8, column 21 of its file. */
const bad = `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: bad, namespace: shop}
spec:
  target: {workloadSelector: {matchLabels: {app: api}}}
  limits:
  - name: a
    rate: {requests: 0, per: 1s}
`;
const good = bad.replace('name: bad', 'name: good').replace('requests: 0', 'requests: 5');

describe('action.yml', () => {
  test('a composite action with the inputs docs/ci.md documents', () => {
    assert.equal(action.runs.using, 'composite');
    assert.deepEqual(Object.keys(action.inputs).sort(), ['annotate', 'changed-since', 'fail-on', 'istio-version', 'node-version', 'paths', 'sarif-category', 'upload-sarif', 'version']);
    for (const [name, input] of Object.entries(action.inputs)) assert.ok(input.description.length > 20 && input.required !== true, `input ${name}: described, optional`);
    const docs = readFileSync(join(packageRoot, 'docs', 'ci.md'), 'utf8');
    for (const name of Object.keys(action.inputs)) assert.match(docs, new RegExp(`\`${name}\``), `docs/ci.md documents input ${name}`);
  });

  test('uploads the SARIF with upload-sarif even when lint found something, and fails the job only after', () => {
    const ids = action.runs.steps.map((s) => s.id ?? s.name);
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    assert.ok(upload, 'an upload-sarif step');
    assert.match(upload.if ?? '', /always\(\)/);
    assert.match(upload.if ?? '', /inputs\.upload-sarif == 'true'/);
    assert.equal(upload.with?.['sarif_file'], '${{ steps.lint.outputs.sarif-file }}');
    assert.ok(ids.indexOf('lint') < ids.indexOf(upload.name) && ids.indexOf(upload.name) < ids.indexOf('Verdict'), ids.join(', '));
  });

  test('no input is spliced into a script: every ${{ }} is in env, with or if', () => {
    for (const s of action.runs.steps) if (s.run !== undefined) assert.doesNotMatch(s.run, /\$\{\{/, `step "${s.name}"`);
  });

  describe('its shell steps, run here against a fixture workspace', () => {
    let workspace: string;
    let runnerTemp: string;
    const outputs: Record<string, Record<string, string>> = {};
    const results: Record<string, { code: number; stdout: string; stderr: string }> = {};

    before(() => {
      workspace = mkdtempSync(join(tmpdir(), 'mw-action-ws-'));
      runnerTemp = mkdtempSync(join(tmpdir(), 'mw-action-tmp-'));
      writeFileSync(join(workspace, 'bad.yaml'), bad);
      writeFileSync(join(workspace, 'good.yaml'), good);
      const given: Record<string, string> = { version: 'checkout', paths: 'bad.yaml\ngood.yaml', 'istio-version': '1.31' };
      const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, given[k] ?? v.default ?? '']));
      // The expressions action.yml may use; any other one fails here (this runner would not know it).
      const evaluate = (text: string) =>
        text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
          const input = /^inputs\.([\w-]+)$/.exec(expr);
          if (input) return inputs[input[1]!] ?? assert.fail(`unknown input ${expr}`);
          if (expr === 'github.action_path') return packageRoot;
          const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
          if (output) return outputs[output[1]!]?.[output[2]!] ?? '';
          return assert.fail(`expression ${expr} is not understood by this test`);
        });
      for (const step of action.runs.steps) {
        if (step.run === undefined) continue;
        assert.equal(step.shell, 'bash', `step "${step.name}" runs in bash`);
        const githubOutput = join(runnerTemp, `output-${step.id ?? 'x'}`);
        writeFileSync(githubOutput, '');
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluate(v)]));
        // What the runner runs for `shell: bash`.
        const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
          cwd: workspace,
          env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', RUNNER_TEMP: runnerTemp, GITHUB_OUTPUT: githubOutput, ...env },
          encoding: 'utf8',
          timeout: 120_000,
        });
        results[step.id ?? step.name] = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
        if (step.id)
          outputs[step.id] = Object.fromEntries(
            readFileSync(githubOutput, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
          );
      }
    });

    test('install resolves the checkout; lint writes SARIF with the finding at its file:line:col', () => {
      assert.equal(results['install']?.code, 0, results['install']?.stderr);
      assert.equal(outputs['install']?.['entry'], join(packageRoot, 'bin', 'meshwarden.js'));
      assert.equal(results['lint']?.code, 0, `the lint step succeeds so the upload runs: ${results['lint']?.stderr}`);
      assert.equal(outputs['lint']?.['exit-code'], '1');
      const sarifFile = outputs['lint']?.['sarif-file'];
      assert.equal(sarifFile, join(runnerTemp, 'meshwarden.sarif'));
      const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as {
        runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }> }> }>;
      };
      const found = sarif.runs[0]!.results.map((r) => `${r.ruleId} ${r.locations[0]?.physicalLocation.artifactLocation.uri}:${r.locations[0]?.physicalLocation.region?.startLine}`);
      assert.deepEqual(found, ['MW103 bad.yaml:8']);
    });

    test('annotations are GitHub workflow commands at the file and line, relative to the workspace', () => {
      const annotations = (results['lint']?.stdout ?? '').split('\n').filter((l) => l.startsWith('::'));
      assert.equal(annotations.length, 1, results['lint']?.stdout);
      assert.match(annotations[0]!, /^::error file=bad\.yaml,line=8,col=\d+,title=MW103 SmartLimiter bad::spec\.limits\[0\]\.rate\.requests: /);
    });

    test('the verdict fails the job with findings at or above fail-on', () => {
      assert.equal(results['Verdict']?.code, 1);
      assert.match(results['Verdict']?.stdout ?? '', /^::error title=meshwarden::findings at or above error/);
    });
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const hook = hooks.find((h) => h.id === 'meshwarden-lint');

  test('one node hook, meshwarden lint on the YAML files pre-commit passes, in one process', () => {
    assert.ok(hook, 'hook meshwarden-lint');
    assert.equal(hook.language, 'node');
    assert.equal(hook.entry, 'meshwarden lint');
    assert.equal(hook.pass_filenames, true);
    assert.equal(hook.require_serial, true);
    // pre-commit's `files` is a Python regex; this one means the same in JavaScript.
    const files = new RegExp(hook.files);
    assert.deepEqual(
      ['a.yaml', 'dir/b.yml', 'c.json', 'd.yaml.txt', 'README.md'].filter((f) => files.test(f)),
      ['a.yaml', 'dir/b.yml'],
    );
  });

  test('its entry, given the staged YAML files as pre-commit gives them, reports those files only', () => {
    assert.ok(hook);
    const repo = mkdtempSync(join(tmpdir(), 'mw-precommit-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    writeFileSync(join(repo, 'staged-bad.yaml'), bad);
    writeFileSync(join(repo, 'staged-good.yml'), good);
    writeFileSync(join(repo, 'unstaged-bad.yaml'), bad.replace('name: bad', 'name: other'));
    writeFileSync(join(repo, 'notes.txt'), 'not a manifest');
    git('add', 'staged-bad.yaml', 'staged-good.yml', 'notes.txt');
    // What pre-commit passes: the staged files (added, copied, modified, renamed) its `files` matches.
    const staged = git('diff', '--cached', '--name-only', '-z', '--diff-filter=ACMR')
      .split('\0')
      .filter((f) => f !== '' && new RegExp(hook.files).test(f));
    assert.deepEqual(staged, ['staged-bad.yaml', 'staged-good.yml']);
    // `meshwarden` is the package's bin (bin/meshwarden.js), as pre-commit's node environment installs it.
    const [command, ...args] = hook.entry.split(' ');
    assert.equal(command, 'meshwarden');
    const r = spawnSync(node, [join(packageRoot, 'bin', 'meshwarden.js'), ...args, '--istio-version', '1.31', ...staged], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^staged-bad\.yaml:8:\d+: error .*\[MW103 SmartLimiter shop\/bad\]/m);
    assert.doesNotMatch(r.stdout, /unstaged|staged-good/);
  });
});
