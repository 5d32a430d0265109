/**
 * The CLI contract of `adopt`: equivalent proposals on stdout, per EnvoyFilter the pattern and
 * "equivalent", the differences or why not on stderr at file:line:col; exit codes 0 (all
 * adopted equivalently), 1 (one not adopted or different), 2 (usage, I/O, YAML).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../util/package-root.js';
import { runCli } from '../../test/cli-harness.js';

const adoptDir = join(packageRoot, 'operator', 'test', 'fixtures', 'adopt');
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS({ version: '1.1' }) as { kind: string; metadata: { name: string } });

test('adopt: equivalent proposals on stdout and "equivalent" on stderr, exit 0', async () => {
  const run = await runCli(['adopt', join(adoptDir, 'lua.yaml'), join(adoptDir, 'local-ratelimit-port.yaml')], '', adoptDir);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    docs(run.stdout).map((d) => `${d.kind}/${d.metadata.name}`),
    ['EnvoyPlugin/httpbin-lua', 'SmartLimiter/reviews-limit'],
  );
  assert.match(run.stderr, /^lua\.yaml:2:1: EnvoyFilter default\/httpbin-lua: matches "Lua filter before the router"; proposed EnvoyPlugin default\/httpbin-lua: equivalent$/m);
});

test('adopt: a differing proposal is listed, not printed, exit 1; --allow-differences prints it and exits 0', async () => {
  const run = await runCli(['adopt', join(adoptDir, 'local-ratelimit-first.yaml')], '', adoptDir);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /not proposed SmartLimiter bookinfo\/ratings-local-ratelimit: differs from the original:\n {2}- sidecar listener /);
  assert.match(run.stderr, /^local-ratelimit-first\.yaml:21:7: approximate spec\.configPatches\[0\]\.patch\.operation: /m);
  const allowed = await runCli(['adopt', '--allow-differences', join(adoptDir, 'local-ratelimit-first.yaml')], '', adoptDir);
  assert.equal(allowed.code, 0);
  assert.deepEqual(
    docs(allowed.stdout).map((d) => d.kind),
    ['SmartLimiter'],
  );
});

test('adopt: an EnvoyFilter of no known pattern says why at file:line:col and exits 1; usage exits 2', async () => {
  const run = await runCli(['adopt', join(adoptDir, 'unadoptable.yaml')], '', adoptDir);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^unadoptable\.yaml:68:7: dropped spec\.configPatches\[0\]\.match\.context: context ANY \(the default\)/m);
  assert.equal((await runCli(['adopt'])).code, 2);
  assert.equal((await runCli(['adopt', '--istio-version', '1.20', '-'], '')).code, 2);
  assert.equal((await runCli(['adopt', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n')).code, 1);
});
