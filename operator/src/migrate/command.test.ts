/**
 * The CLI contract of `migrate`: YAML on stdout, located explanations on stderr, exit codes
 * 0 (done), 1 (something dropped, an invalid output, or nothing to do), 2 (usage, I/O, YAML).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../util/package-root.js';
import { runCli } from '../../test/cli-harness.js';

const migrateDir = join(packageRoot, 'operator', 'test', 'fixtures', 'migrate');
const adoptDir = join(packageRoot, 'operator', 'test', 'fixtures', 'adopt');
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS({ version: '1.1' }) as { kind: string; metadata: { name: string } });

test('migrate: a clean conversion prints YAML kubectl reads back as written, a summary, and exits 0', async () => {
  const run = await runCli(['migrate', join(migrateDir, 'smartlimiter-local.yaml')], '', migrateDir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /x-limited: "yes"/, 'YAML 1.1 booleans are quoted');
  const out = parseAllDocuments(run.stdout, { version: '1.1' }).map((d) => d.toJS() as { spec: { limits: Array<{ response: { headers: Record<string, unknown> } }> } });
  assert.equal(out[0]!.spec.limits[0]!.response.headers['x-limited'], 'yes');
  assert.equal(run.stderr, 'migrate: 1 Slime object(s) → 1 meshwarden resource(s); 0 dropped, 0 approximate; validation: 0 error(s), 0 warning(s)\n');
});

test('migrate: dropped fields are listed at file:line:col with a by-hand line, and exit 1 unless --allow-dropped', async () => {
  const run = await runCli(['migrate', join(migrateDir, 'smartlimiter-lossy.yaml')], '', migrateDir);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^smartlimiter-lossy\.yaml:10:9: dropped spec\.sets\._base\.descriptor\[0\]\.condition: condition "\{\{\._base\.cpu\.sum\}\}>100" is evaluated by Slime from metrics .* \[SmartLimiter bookinfo\/ratings\]\n {2}by hand: /m,
  );
  assert.match(run.stderr, /4 dropped, 1 approximate/);
  assert.deepEqual(
    docs(run.stdout).map((d) => d.metadata.name),
    ['ratings'],
    'what could be converted is still printed',
  );
  const allowed = await runCli(['migrate', '--allow-dropped', join(migrateDir, 'smartlimiter-lossy.yaml')], '', migrateDir);
  assert.equal(allowed.code, 0);
});

test('migrate: an output the validator rejects exits 1 even with --allow-dropped', async () => {
  const text = `apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: api, namespace: shop}
spec:
  workloadSelector: {app: api}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "5", strategy: single, headers_to_add: [{key: "bad header", value: x}]}
        condition: "true"
        target: {port: 8080}
`;
  const run = await runCli(['migrate', '--allow-dropped', '-'], text);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^<stdin>:1:1: error spec\.limits\[0\]\.response\.headers: migrated SmartLimiter: .*\[MW103 SmartLimiter shop\/api\]$/m);
});

test('migrate: usage, unreadable input, YAML errors exit 2; no Slime object exits 1', async () => {
  assert.equal((await runCli(['migrate'])).code, 2);
  const bad = await runCli(['migrate', '--rate-limit-service', 'nope', '-'], '');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rate-limit-service must be HOST:PORT/);
  assert.equal((await runCli(['migrate', join(migrateDir, 'missing.yaml')], '', migrateDir)).code, 2);
  const yaml = await runCli(['migrate', '-'], 'a: [\n');
  assert.equal(yaml.code, 2);
  assert.match(yaml.stderr, /^<stdin>:\d+:\d+: /);
  const none = await runCli(['migrate', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no Slime object/);
  const help = await runCli(['migrate', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: meshwarden migrate /);
});

test('the installed binary runs migrate and adopt with their exit codes', () => {
  const bin = join(packageRoot, 'bin', 'meshwarden.js');
  const ok = spawnSync(process.execPath, [bin, 'migrate', join(migrateDir, 'smartlimiter-gateway.yaml')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /kind: SmartLimiter/);
  const lossy = spawnSync(process.execPath, [bin, 'adopt', join(adoptDir, 'unadoptable.yaml')], { encoding: 'utf8' });
  assert.equal(lossy.status, 1);
});
