/**
 * One verdict, API server included: the CRDs generated from schemas/ are installed in a
 * real kube-apiserver, and every schema fixture is applied with a server-side dry run.
 * Valid fixtures must be accepted and invalid ones refused — the same verdict as the
 * schema layer, evaluate() and the CLI give (operator/test/fixtures.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from './harness/controlplane.js';
import { REPO_ROOT } from './harness/controlplane.js';

const skip = controlPlaneAvailable() || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/kube-controlplane not built: run npm run setup';

const fixtures = join(REPO_ROOT, 'operator', 'test', 'fixtures', 'schema');
const files = (sub: string) =>
  readdirSync(join(fixtures, sub))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(fixtures, sub, f));

describe('the API server agrees with the schema fixtures', { skip, timeout: 300_000 }, () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane();
    const crds = await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds')]);
    assert.equal(crds.code, 0, `the generated CRDs are accepted by the API server: ${crds.stderr}`);
    const established = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/smartlimiters.meshwarden.io', 'crd/envoyplugins.meshwarden.io']);
    assert.equal(established.code, 0, established.stderr);
    for (const ns of ['shop', 'istio-system']) await cp.kubectl(['create', 'namespace', ns]);
  });

  after(async () => {
    await cp?.stop();
  });

  for (const file of files('valid')) {
    test(`accepts ${file.split('/').pop()}`, async () => {
      const run = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', file]);
      assert.equal(run.code, 0, run.stderr);
    });
  }

  for (const file of files('invalid')) {
    test(`refuses ${file.split('/').pop()}`, async () => {
      const run = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', file]);
      assert.notEqual(run.code, 0, `the API server accepted it: ${run.stdout}`);
      // The refusal names the same field the schema layer reports.
      const expectedPaths = [...readFileSync(file, 'utf8').matchAll(/^# expect: MW\d{3} (\S+)$/gm)].map((m) => m[1]!);
      const mentioned = expectedPaths.some(
        (p) =>
          run.stderr.includes(p.replace(/\[(\d+)\]/g, '[$1]')) ||
          run.stderr.includes(
            p
              .split('.')
              .pop()!
              .replace(/\[\d+\]$/, ''),
          ),
      );
      assert.ok(mentioned, `the error names one of ${expectedPaths.join(', ')}: ${run.stderr}`);
    });
  }
});
