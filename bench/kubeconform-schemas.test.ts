/**
 * The schemas written for kubeconform make it judge as the apiserver would: the corpus passes,
 * and a misspelt field, a wrong type and a bad enum value are each refused; where the CRD says
 * x-kubernetes-preserve-unknown-fields (an EnvoyFilter's patch value, Istio's status blocks)
 * unknown fields are kept.
 * Needs .tools/bin/kubeconform (scripts/build-kubeconform.sh) and Istio's CRDs; skipped without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../e2e/harness/controlplane.js';
import { corpus } from './corpus.js';
import { kubeconformSchemas, schemaTemplate } from './kubeconform-schemas.js';

const bin = join(REPO_ROOT, '.tools', 'bin', 'kubeconform');
const crds = join(REPO_ROOT, '.tools', 'istio', '1.31', 'crd-all.gen.yaml');
const skip = existsSync(bin) && existsSync(crds) ? false : 'needs .tools/bin/kubeconform (scripts/build-kubeconform.sh) and .tools/istio/1.31 (scripts/fetch-istio-crds.sh 1.31)';

function kubeconform(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-kc-test-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      return execFileSync(bin, ['-strict', '-summary', '-schema-location', schemaTemplate(kubeconformSchemas('1.31').dir), dir], { encoding: 'utf8' });
    } catch (e) {
      return (e as { stdout: string }).stdout; // exit 1: something invalid
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the corpus is valid, every document checked against a schema', { skip }, () => {
  const docs = corpus(12);
  const out = kubeconform({ 'all.yaml': docs.join('---\n') });
  assert.match(out, /12 resources found in 1 file - Valid: 12, Invalid: 0, Errors: 0, Skipped: 0/);
});

test('misspelt field, wrong type and bad enum are refused; preserved fields keep unknown fields', { skip }, () => {
  const [svc, limiter, , , , , , ef] = corpus(8);
  assert.ok(ef!.includes('kind: EnvoyFilter') && ef!.includes('token_bucket'), 'the 8th corpus document is the hand-written EnvoyFilter');
  const out = kubeconform({
    'typo.yaml': limiter!.replace('rate:', 'ratee:'),
    'type.yaml': svc!.replace('port: 80', 'port: "x"'),
    'enum.yaml': ef!.replace('applyTo: HTTP_FILTER', 'applyTo: HTTP_FILTERS'),
    'unknown-in-patch.yaml': ef!.replace(/^( *)stat_prefix:/m, '$1not_a_proto_field: 1\n$1stat_prefix:'),
    'unknown-in-status.yaml': `${ef!.trimEnd()}\nstatus:\n  observedGeneration: 1\n  somethingNew: 1\n`,
  });
  assert.match(out, /typo\.yaml - SmartLimiter .*additional properties 'ratee' not allowed/);
  assert.match(out, /type\.yaml - Service .*\/spec\/ports\/0\/port.*want integer/);
  assert.match(out, /enum\.yaml - EnvoyFilter .*applyTo.*value must be one of/);
  assert.match(out, /5 resources found in 5 files - Valid: 2, Invalid: 3/);
});
