/**
 * A resource whose Service does not exist yet still gets every check that does not depend on
 * the cluster (ADR 0104): it is rendered against a placeholder target, and what the validator
 * says of that render — minus the patch (MW4xx) and cross-object (MW6xx) layers — is reported;
 * nothing of it is ever applied or printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../src/evaluate.js';
import { admit } from '../src/webhook/admission.js';
import { admissionReview } from '../src/webhook/fixtures.js';
import { runCli } from './cli-harness.js';

const limiter = {
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name: 'nosvc', namespace: 'shop' },
  spec: {
    target: { service: 'reviews' },
    limits: [{ name: 'a', port: 9080, match: { headers: [{ name: 'x-user', regex: '^(?=admin).*' }] }, rate: { requests: 5, per: '1s' } }],
  },
};
const plugin = {
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'EnvoyPlugin',
  metadata: { name: 'nosvc', namespace: 'shop' },
  spec: { target: { service: 'reviews' }, plugins: [{ name: 'stamp', lua: { code: 'function envoy_on_request(h) h:headers():add("x", "1")' } }] },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080, targetPort: 9080 }] },
};
const ctx = { services: [], pods: [], istioVersions: ['1.28', '1.31'] };
const rules = (diags: ReadonlyArray<{ rule: string; path: string }>) => [...new Set(diags.map((d) => `${d.rule} ${d.path}`))].sort();

test('a SmartLimiter whose Service is missing still gets its regexes checked; nothing is rendered', () => {
  const verdict = evaluate(limiter, ctx);
  assert.deepEqual(rules(verdict.diagnostics), ['MW511 spec.limits[0]', 'MW601 spec.target.service']);
  assert.deepEqual(verdict.rendered, []);
  assert.deepEqual(verdict.effective, []);
  // The same finding, once the Service exists: one verdict whatever the order of creation.
  const withService = evaluate(limiter, { ...ctx, services: [service] });
  assert.deepEqual(rules(withService.diagnostics), ['MW511 spec.limits[0]']);
});

test('an EnvoyPlugin whose Service is missing still gets its Lua checked', () => {
  const verdict = evaluate(plugin, ctx);
  assert.deepEqual(rules(verdict.diagnostics), ['MW501 spec.plugins[0]', 'MW601 spec.target.service']);
  assert.deepEqual(verdict.rendered, []);
});

test('the webhook denies it for the regex and only warns about the missing Service', () => {
  const out = admit(admissionReview(limiter), ctx);
  assert.equal(out.status, 200);
  if (out.status !== 200) return;
  const { response } = out.review;
  assert.equal(response.allowed, false);
  assert.match(response.status?.message ?? '', /^- MW511 spec\.limits\[0\]: /m);
  assert.doesNotMatch(response.status?.message ?? '', /MW601/);
  assert.match(response.warnings?.join('\n') ?? '', /MW601/);
});

test('render prints nothing for a resource whose Service is missing', async () => {
  const run = await runCli(['render', '-'], JSON.stringify({ ...limiter, spec: { ...limiter.spec, limits: [{ name: 'a', rate: { requests: 5, per: '1s' } }] } }));
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /MW601/);
});
