/**
 * Hand-written EnvoyFilter fixtures: each bad one names the findings it must produce
 * (`# expect: CODE` for errors, `# expect-warning: CODE`), through evaluate() and the CLI.
 * With the Envoy binaries present (npm test fetches them), the validator's verdict must
 * agree with real Envoy 1.36 (Istio 1.28) and 1.39 (Istio 1.31) on every fixture and every
 * example, except for the known gaps listed with their reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../src/diagnostics.js';
import { evaluate } from '../src/evaluate.js';
import { emptyContext } from '../src/render/context.js';
import { oracleFindings } from '../src/oracle/oracle.js';
import { packageRoot } from '../src/util/package-root.js';
import type { K8sObject } from '../src/k8s-object.js';
import type { EnvoyFilterObject } from '../src/validate/istio/index.js';
import { runCli } from './cli-harness.js';

const dir = join(packageRoot, 'operator', 'test', 'fixtures', 'envoyfilter');
const fixtures = readdirSync(dir)
  .filter((f) => /^(good|bad)-.*\.yaml$/.test(f))
  .sort();
const knownGaps = parse(readFileSync(join(dir, 'known-gaps.yaml'), 'utf8')) as Record<string, string>;

const expected = (text: string, kind: 'expect' | 'expect-warning') => [...text.matchAll(new RegExp(`^# ${kind}: (MW\\d{3})$`, 'gm'))].map((m) => m[1]!).sort();
const rulesOf = (ds: Array<{ rule: string; severity: string }>, severity: string) => [...new Set(ds.filter((d) => d.severity === severity).map((d) => d.rule))].sort();

for (const file of fixtures) {
  test(`EnvoyFilter fixture ${file}: expected findings through evaluate() and the CLI`, async () => {
    const text = readFileSync(join(dir, file), 'utf8');
    const obj = parse(text) as K8sObject;
    const errors = expected(text, 'expect');
    const warnings = expected(text, 'expect-warning');
    if (file.startsWith('bad-')) assert.ok(errors.length + warnings.length > 0, 'a bad fixture says what it expects');
    const verdict = evaluate(obj, emptyContext).diagnostics;
    assert.deepEqual(rulesOf(verdict, 'error'), errors, 'errors from evaluate()');
    for (const w of warnings) assert.ok(rulesOf(verdict, 'warning').includes(w), `warning ${w}`);
    const run = await runCli(['lint', '-o', 'json', join(dir, file)]);
    assert.deepEqual(rulesOf(JSON.parse(run.stdout) as Diagnostic[], 'error'), errors, 'errors from the CLI');
    assert.equal(run.code, errors.length > 0 ? 1 : 0);
  });
}

const binaries: Array<[string, string]> = [
  ['envoy-1.36.2', '1.28'],
  ['envoy-1.39.3', '1.31'],
];

for (const [binary, istioVersion] of binaries) {
  const envoy = join(packageRoot, '.tools', 'bin', binary);
  const skip = existsSync(envoy) ? false : `${envoy} not fetched (scripts/fetch-envoy.sh)`;

  test(`oracle: the validator and ${binary} agree on every EnvoyFilter fixture`, { skip }, () => {
    const disagreements: string[] = [];
    for (const file of fixtures) {
      const ef = parse(readFileSync(join(dir, file), 'utf8')) as EnvoyFilterObject;
      const envoyRejects = oracleFindings(ef, { envoy, istioVersion }).some((f) => f.rule === 'MW701');
      const validatorRejects = evaluate(ef, { ...emptyContext, istioVersions: [istioVersion] }).diagnostics.some((d) => d.severity === 'error');
      if (envoyRejects !== validatorRejects && !(file in knownGaps)) {
        disagreements.push(`${file}: Envoy ${envoyRejects ? 'rejects' : 'accepts'}, meshwarden ${validatorRejects ? 'rejects' : 'accepts'}`);
      }
    }
    assert.deepEqual(disagreements, []);
  });

  test(`oracle: ${binary} accepts every EnvoyFilter rendered from the examples`, { skip }, () => {
    const examples = join(packageRoot, 'examples');
    for (const name of readdirSync(examples)) {
      const rendered = join(examples, name, 'rendered.yaml');
      if (!existsSync(rendered)) continue;
      const objects = parseAllDocuments(readFileSync(rendered, 'utf8')).map((d) => d.toJS() as K8sObject);
      for (const ef of objects.filter((o) => o.kind === 'EnvoyFilter')) {
        const rejected = oracleFindings(ef as unknown as EnvoyFilterObject, { envoy, istioVersion }).filter((f) => f.rule === 'MW701');
        assert.deepEqual(
          rejected.map((f) => `${f.path}: ${f.message}`),
          [],
          `${name}/${ef.metadata.name}`,
        );
      }
    }
  });
}

test('across Istio versions a finding all report is given once, one only some report names them', () => {
  const ef = parse(readFileSync(join(dir, 'good-local-ratelimit.yaml'), 'utf8')) as { spec: { configPatches: Array<{ patch: { value: { typed_config: Record<string, unknown> } } }> } };
  Object.assign(ef.spec.configPatches[0]!.patch.value.typed_config, { stat_prefix: '', token_bucket: { max_tokens: 0, tokens_per_fill: 1, fill_interval: '1s' } });
  const messages = evaluate(ef, { ...emptyContext, istioVersions: ['1.28', '1.31'] })
    .diagnostics.filter((d) => d.rule === 'MW206')
    .map((d) => d.message)
    .sort();
  assert.deepEqual(messages, ['max_tokens: value must be greater than 0 (Istio 1.28)', 'stat_prefix: value length must be at least 1 characters']);
});
