/**
 * `lint --changed-since REF` against a real git repository in a temporary directory: only the
 * files changed since REF are reported (added, modified, renamed, untracked; deleted ones have
 * nothing to lint), the unchanged files still serve as context, and a bad ref or a directory
 * outside git is one clear error with exit code 2 (docs/adr/0119-changed-since-and-ci-integrations.md).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-harness.js';

const limiter = (name: string, requests: number, extra = '') => `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: ${name}, namespace: shop}
spec:
  target: {workloadSelector: {matchLabels: {app: api}}}
  limits:
  - name: a
    rate: {requests: ${requests}, per: 1s}
${extra}`;
const service = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`;
/** Port 81 is not a port of Service api (MW602): known only with the Service as context. */
const onPort81 = `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: port81, namespace: shop}
spec:
  target: {service: api}
  limits:
  - name: a
    port: 81
    rate: {requests: 1, per: 1s}
`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
}

interface JsonFinding {
  rule: string;
  source?: { file: string };
}
const filesOf = (stdout: string) => [...new Set((JSON.parse(stdout) as JsonFinding[]).map((f) => `${f.source?.file} ${f.rule}`))].sort();

describe('lint --changed-since', () => {
  let repo: string;
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'mw-changed-'));
    git(repo, 'init', '-q', '-b', 'main');
    mkdirSync(join(repo, 'manifests'));
    mkdirSync(join(repo, 'other'));
    writeFileSync(join(repo, 'manifests', 'service.yaml'), service);
    writeFileSync(join(repo, 'manifests', 'unchanged-bad.yaml'), limiter('old', 0));
    writeFileSync(join(repo, 'manifests', 'modified.yaml'), limiter('mod', 5));
    writeFileSync(join(repo, 'manifests', 'renamed-from.yaml'), limiter('ren', 0));
    writeFileSync(join(repo, 'manifests', 'deleted.yaml'), limiter('del', 0));
    writeFileSync(join(repo, 'other', 'outside-paths.yaml'), limiter('out', 5));
    writeFileSync(join(repo, '.gitignore'), 'ignored.yaml\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'base');
    git(repo, 'tag', 'base');
    // After the base: a modified file (staged), a rename, a deletion, a new committed file,
    // an untracked file, an ignored file, and a change outside the linted path.
    writeFileSync(join(repo, 'manifests', 'modified.yaml'), limiter('mod', 0));
    git(repo, 'add', 'manifests/modified.yaml');
    renameSync(join(repo, 'manifests', 'renamed-from.yaml'), join(repo, 'manifests', 'renamed-to.yaml'));
    rmSync(join(repo, 'manifests', 'deleted.yaml'));
    git(repo, 'add', '-A', 'manifests');
    writeFileSync(join(repo, 'manifests', 'port81.yaml'), onPort81);
    git(repo, 'add', 'manifests/port81.yaml');
    git(repo, 'commit', '-q', '-m', 'change');
    writeFileSync(join(repo, 'manifests', 'untracked.yaml'), limiter('new', 0));
    writeFileSync(join(repo, 'manifests', 'ignored.yaml'), limiter('ign', 0));
    writeFileSync(join(repo, 'other', 'outside-paths.yaml'), limiter('out', 0));
  });

  test('reports only the files changed since the ref, with the unchanged ones as context', async () => {
    const r = await runCli(['lint', '--istio-version', '1.31', '-o', 'json', '--changed-since', 'base', join(repo, 'manifests')], '', repo);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(filesOf(r.stdout), [
      'manifests/modified.yaml MW103',
      // MW602 needs Service api, which is in an unchanged file: context is still read.
      'manifests/port81.yaml MW602',
      'manifests/renamed-to.yaml MW103',
      'manifests/untracked.yaml MW103',
    ]);
  });

  test('without the flag every file is reported (the same findings plus the unchanged ones)', async () => {
    const r = await runCli(['lint', '--istio-version', '1.31', '-o', 'json', join(repo, 'manifests')], '', repo);
    assert.equal(r.code, 1, r.stderr);
    const all = filesOf(r.stdout);
    assert.ok(all.includes('manifests/unchanged-bad.yaml MW103') && all.includes('manifests/ignored.yaml MW103'), all.join('\n'));
  });

  test('nothing changed under the paths: exit 0 and a note on standard error', async () => {
    const r = await runCli(['lint', '--istio-version', '1.31', '--changed-since', 'HEAD', join(repo, 'manifests', 'service.yaml')], '', repo);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no manifest under .*manifests\/service\.yaml changed since HEAD/);
  });

  test('run from a subdirectory, the names git gives (relative to the top level) still match', async () => {
    const r = await runCli(['lint', '--istio-version', '1.31', '-o', 'json', '--changed-since', 'base', join(repo, 'other')], '', join(repo, 'other'));
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(filesOf(r.stdout), ['outside-paths.yaml MW103']);
  });

  test('asks the git of the paths, not of the current directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'mw-nogit-cwd-'));
    const r = await runCli(
      ['lint', '--istio-version', '1.31', '-o', 'json', '--changed-since', 'base', join(repo, 'manifests', 'modified.yaml'), join(repo, 'manifests', 'service.yaml')],
      '',
      elsewhere,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(filesOf(r.stdout), [`${join(repo, 'manifests', 'modified.yaml')} MW103`]);
  });

  test('an unknown ref, an option-like ref, stdin, or a directory outside git: one line, exit 2', async () => {
    const unknown = await runCli(['lint', '--changed-since', 'no-such-branch', join(repo, 'manifests')], '', repo);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^meshwarden: --changed-since: "no-such-branch" is not a commit of the repository at .*fetch-depth: 0\)\n$/);
    const optionLike = await runCli(['lint', '--changed-since=--output=/tmp/x', join(repo, 'manifests')], '', repo);
    assert.equal(optionLike.code, 2);
    assert.match(optionLike.stderr, /^meshwarden: --changed-since needs a git ref/);
    const stdin = await runCli(['lint', '--changed-since', 'base', '-'], limiter('x', 0), repo);
    assert.equal(stdin.code, 2);
    assert.match(stdin.stderr, /standard input \(-\) has no history/);
    const outside = mkdtempSync(join(tmpdir(), 'mw-nogit-'));
    writeFileSync(join(outside, 'a.yaml'), limiter('a', 0));
    const noRepo = await runCli(['lint', '--changed-since', 'main', outside], '', outside);
    assert.equal(noRepo.code, 2);
    assert.match(noRepo.stderr, /^meshwarden: --changed-since: .* is not inside a git work tree \(git: fatal: not a git repository/);
    assert.equal(noRepo.stderr.split('\n').length, 2, 'one line');
  });
});
