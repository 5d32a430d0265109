/**
 * Every rule of the catalogue, exercised: each case under operator/test/rules/MW###/ gives
 * exactly its declared findings through evaluate(), the admission webhook, the controller and
 * `meshwarden lint` (one verdict, ADR 0007), and every catalogue rule has a case that produces
 * it and one near it that does not — or a reasoned exemption (docs/adr/0114-rule-tester.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allRules, ruleOf } from '../src/validate/catalogue.js';
import { defaultIstioMinors } from '../src/versions/table.js';
import type { Diagnostic } from '../src/diagnostics.js';
import type { K8sObject } from '../src/k8s-object.js';
import { controllerProblems, declarationProblems, differences, envoyBinaryFor, judge, loadCases, parseCase, ruleDirectories, rulesDir, webhookProblems, type RuleCase } from './rule-tester.testkit.js';

const cases = loadCases();
const exemptions: Record<string, string> = (parse(readFileSync(join(rulesDir, 'exemptions.yaml'), 'utf8')) as Record<string, string> | null) ?? {};

const missingEnvoy = (c: RuleCase): string | false => {
  if (!c.needs.includes('envoy')) return false;
  const missing = (c.istio ?? [defaultIstioMinors().at(-1)!]).filter((v) => envoyBinaryFor(v) === undefined);
  return missing.length > 0 ? `no Envoy for Istio ${missing.join(', ')} in .tools/bin (scripts/fetch-envoy.sh)` : false;
};

for (const c of cases) {
  test(`${c.rule} ${c.name}: the declared findings, everywhere`, { skip: missingEnvoy(c) }, async () => {
    const { problems } = await judge(c);
    assert.deepEqual(problems, []);
  });
}

test('every catalogue rule has an invalid case that produces it and a valid case near it, or a reasoned exemption', () => {
  const catalogue = allRules().map((r) => r.code);
  const gaps: string[] = [];
  for (const code of catalogue) {
    const own = cases.filter((c) => c.rule === code);
    const fails = own.some((c) => !c.valid);
    const passes = own.some((c) => c.valid);
    if (code in exemptions) {
      if (own.length > 0) gaps.push(`${code} is exempt but has cases: drop the exemption`);
      continue;
    }
    if (!fails) gaps.push(`${code} has no invalid-*.yaml case`);
    if (!passes) gaps.push(`${code} has no valid-*.yaml case`);
  }
  for (const [code, reason] of Object.entries(exemptions)) {
    if (!catalogue.includes(code)) gaps.push(`exemption for ${code}, which is not in the catalogue`);
    if (typeof reason !== 'string' || reason.length < 40) gaps.push(`exemption for ${code} gives no reason`);
    // A rule evaluate() reports under its patch-layer duplicate is exercised by that rule's cases.
    const duplicate = ruleOf(code)?.duplicateOf;
    if (duplicate !== undefined && !cases.some((c) => c.rule === duplicate && !c.valid)) gaps.push(`${code} is exempt as a duplicate of ${duplicate}, which has no invalid case`);
  }
  for (const dir of ruleDirectories()) if (!catalogue.includes(dir)) gaps.push(`operator/test/rules/${dir}/ is not a catalogue rule`);
  assert.deepEqual(gaps, []);
});

test('the case files declare sound expectations', () => {
  assert.deepEqual(
    cases.flatMap((c) => declarationProblems(c).map((p) => `${c.rule}/${c.name}: ${p}`)),
    [],
  );
});

test('the harness fails a case whose declarations are wrong', async () => {
  const invalid = cases.find((c) => !c.valid && c.needs.length === 0 && c.expect.some((e) => e.severity === 'error'));
  assert.ok(invalid, 'there is an invalid case with an error');
  const undeclared = await judge({ ...invalid, expect: [] });
  assert.ok(
    undeclared.problems.some((p) => p.startsWith('lint: unexpected')),
    'lint findings not declared',
  );
  assert.ok(
    undeclared.problems.some((p) => p.startsWith('evaluate: unexpected')),
    'evaluate findings not declared',
  );
  assert.ok(
    undeclared.problems.some((p) => p.startsWith('lint: exit code')),
    'exit code without the errors',
  );
  const valid = cases.find((c) => c.valid && c.needs.length === 0)!;
  const extra = await judge({ ...valid, expect: [...valid.expect, { rule: 'MW201', severity: 'warning', path: 'spec' }] });
  assert.ok(extra.problems.includes('lint: missing MW201 warning spec'));
  assert.ok(extra.problems.includes('evaluate: missing MW201 warning spec'));
});

test('the webhook and controller checks fail when a shell disagrees with the verdict', async () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  } as K8sObject;
  const limiter = {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'SmartLimiter',
    metadata: { name: 'lim', namespace: 'shop' },
    spec: { target: { service: 'api' }, limits: [{ name: 'a', rate: { requests: 10, per: '1s' } }] },
  } as K8sObject;
  const ctx = { services: [service as never], pods: [] };
  // The limiter is valid: a verdict that claims an error must be contradicted by both shells.
  const claimed: Diagnostic[] = [{ rule: 'MW103', severity: 'error', path: 'spec.limits[0].rate.requests', message: 'claimed', object: { kind: 'SmartLimiter', name: 'lim' } }];
  assert.deepEqual(webhookProblems(limiter, claimed, ctx), [
    'webhook (SmartLimiter lim): allowed, but the verdict has 1 error(s)',
    'webhook (SmartLimiter lim): denial does not name MW103 error spec.limits[0].rate.requests',
  ]);
  assert.deepEqual(await controllerProblems(limiter, [service, limiter], claimed, undefined), [
    'controller (SmartLimiter lim): Accepted=True, but the verdict has 1 error(s)',
    'controller (SmartLimiter lim): Accepted does not name MW103 error spec.limits[0].rate.requests',
    'controller (SmartLimiter lim): a rejected spec wrote PATCH /apis/networking.istio.io/v1alpha3/namespaces/shop/envoyfilters/lim-ratelimit',
  ]);
  assert.deepEqual(webhookProblems(limiter, [], ctx), []);
  assert.deepEqual(await controllerProblems(limiter, [service, limiter], [], undefined), []);
});

test('findings are compared as sets: errors and warnings exactly, declared infos present', () => {
  const f = (rule: string, severity: string, path: string) => ({ rule, severity, path });
  const e = (rule: string, severity: 'error' | 'warning' | 'info', path: string) => ({ rule, severity, path });
  assert.deepEqual(differences('s', [f('MW301', 'error', 'a'), f('MW301', 'error', 'a')], [e('MW301', 'error', 'a')]), []);
  assert.deepEqual(differences('s', [f('MW301', 'error', 'a')], [e('MW301', 'error', 'b')]), ['s: missing MW301 error b', 's: unexpected MW301 error a']);
  assert.deepEqual(differences('s', [f('MW301', 'warning', 'a')], [e('MW301', 'error', 'a')]), ['s: missing MW301 error a', 's: unexpected MW301 warning a']);
  assert.deepEqual(differences('s', [f('MW210', 'info', 'x')], []), []);
  assert.deepEqual(differences('s', [], [e('MW210', 'info', '')]), ['s: missing MW210 info (object)']);
});

test('a malformed directive is refused, not ignored', () => {
  assert.throws(() => parseCase('MW301', 'invalid-x.yaml', '# expect: MW301 spec.x\n'), /CODE SEVERITY PATH/);
  assert.throws(() => parseCase('MW301', 'invalid-x.yaml', '# expects: MW301 error spec\n'), /malformed directive/);
  assert.throws(() => parseCase('MW301', 'invalid-x.yaml', '# istio: 9.99\n'), /not a row of the version table/);
  assert.throws(() => parseCase('MW301', 'invalid-x.yaml', '# needs: istiod\n'), /unknown need/);
  assert.throws(() => parseCase('MW301', 'bad-x.yaml', ''), /valid-\*\.yaml or invalid-\*\.yaml/);
});
