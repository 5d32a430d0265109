/**
 * The newest row of the version table on the examples: `lint --istio-version <newest>` runs on
 * its own data (descriptor set, CRD schemas, baseline) and judges examples/ as the minor before it
 * does wherever no boundary between the two applies to them (issue 15: `lint --istio-version 1.32`
 * against Envoy 1.40's rules). A difference here must come from a named boundary and be expected.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../src/util/package-root.js';
import { istioMinors, rowOf } from '../src/versions/table.js';
import { runCli } from './cli-harness.js';

const examples = join(packageRoot, 'examples');
const [previous, newest] = istioMinors().slice(-2) as [string, string];

interface Result {
  rule: string;
  severity: string;
  message: string;
  path: string;
  object?: unknown;
  source?: unknown;
}

/** A finding with the versions of the run replaced, so the two runs compare by verdict. */
function verdict(f: Result, istio: string): string {
  const envoy = rowOf(istio)!.envoy;
  const message = f.message.replaceAll(istio, '<istio>').replaceAll(envoy, '<envoy>');
  return JSON.stringify({ rule: f.rule, severity: f.severity, path: f.path, object: f.object, source: f.source, message });
}

async function lint(istio: string): Promise<string[]> {
  const run = await runCli(['lint', '-o', 'json', '--istio-version', istio, examples]);
  assert.ok(run.code === 0 || run.code === 1, `lint --istio-version ${istio} examples/: exit ${run.code}: ${run.stderr}`);
  assert.equal(run.stderr, '', `lint --istio-version ${istio}: nothing missing, no warning`);
  return (JSON.parse(run.stdout) as Result[]).map((f) => verdict(f, istio)).sort();
}

test(`lint --istio-version ${newest} judges examples/ as ${previous} does`, async () => {
  const [a, b] = [await lint(previous), await lint(newest)];
  assert.ok(a.length > 0, 'the examples give findings to compare (warnings and hints at least)');
  assert.deepEqual(b, a);
});
