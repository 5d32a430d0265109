/**
 * A decode shared between Envoy versions (SharedDecodes) must say exactly what a decode of
 * its own in each version says: every MW2xx fixture, good and bad, in every order of the four
 * versions, plus values whose verdict really differs between versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPatchValue, ENVOY_VERSIONS, hasProtoset, SharedDecodes, type EnvoyVersion } from './index.js';
import { fixtures, LRL } from './fixtures.js';

const missing = ENVOY_VERSIONS.filter((v) => !hasProtoset(v));
const skip = missing.length > 0 && process.env['MESHWARDEN_E2E_REQUIRE'] !== '1' ? `descriptor sets missing for Envoy ${missing.join(', ')}: run npm run setup` : false;

interface Case {
  label: string;
  applyTo: string;
  value: unknown;
  operation?: string;
  targetFilterName?: string;
}

const lrl = (tokenBucket: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'envoy.filters.http.local_ratelimit',
  typed_config: { '@type': LRL, stat_prefix: 'mw', token_bucket: tokenBucket, ...extra },
});

const cases: Case[] = [
  ...fixtures.flatMap((f, i) => [
    {
      label: `fixture ${i} ${f.rule} good`,
      applyTo: f.applyTo,
      value: f.good,
      ...(f.operation ? { operation: f.operation } : {}),
      ...(f.targetFilterName ? { targetFilterName: f.targetFilterName } : {}),
    },
    {
      label: `fixture ${i} ${f.rule} bad`,
      applyTo: f.applyTo,
      value: f.bad,
      ...(f.operation ? { operation: f.operation } : {}),
      ...(f.targetFilterName ? { targetFilterName: f.targetFilterName } : {}),
    },
  ]),
  // max_tokens: `gt: 0` up to Envoy 1.38, `gte: 0` in 1.39: the same field, judged differently.
  { label: 'max_tokens 0', applyTo: 'HTTP_FILTER', value: lrl({ max_tokens: 0, fill_interval: '1s' }) },
  { label: 'max_tokens 5', applyTo: 'HTTP_FILTER', value: lrl({ max_tokens: 5, fill_interval: '1s' }) },
  { label: 'no fill_interval', applyTo: 'HTTP_FILTER', value: lrl({ max_tokens: 5 }) },
  { label: 'MERGE without fill_interval', applyTo: 'HTTP_FILTER', operation: 'MERGE', value: lrl({ max_tokens: 0 }) },
];

const orders: EnvoyVersion[][] = [
  ['1.36', '1.37', '1.38', '1.39'],
  ['1.39', '1.38', '1.37', '1.36'],
  ['1.37', '1.39', '1.36', '1.38'],
];

test('a shared decode gives each Envoy version the findings of its own decode', { skip }, () => {
  let reused = 0;
  for (const c of cases) {
    const options = { ...(c.operation ? { operation: c.operation } : {}), ...(c.targetFilterName ? { targetFilterName: c.targetFilterName } : {}) };
    const alone = new Map(ENVOY_VERSIONS.map((v) => [v, checkPatchValue(c.applyTo, c.value, v, options)]));
    for (const order of orders) {
      const shared = new SharedDecodes();
      for (const v of order) {
        assert.deepEqual(checkPatchValue(c.applyTo, c.value, v, { ...options, shared }), alone.get(v), `${c.label}, Envoy ${v} after ${order.slice(0, order.indexOf(v)).join(', ') || 'nothing'}`);
      }
      reused += shared.reused;
    }
  }
  // The fixtures' good values read alike in every version: most checks must be answered from a shared decode.
  assert.ok(reused > cases.length, `only ${reused} checks reused a decode`);
});

test('max_tokens 0 is an error up to Envoy 1.38 and accepted by 1.39, also when shared', { skip }, () => {
  const shared = new SharedDecodes();
  const value = lrl({ max_tokens: 0, fill_interval: '1s' });
  const rules = (v: EnvoyVersion) => checkPatchValue('HTTP_FILTER', value, v, { shared }).map((f) => f.rule);
  assert.deepEqual(rules('1.36'), ['MW206']);
  assert.deepEqual(rules('1.37'), ['MW206']);
  assert.deepEqual(rules('1.39'), []);
  assert.deepEqual(rules('1.38'), ['MW206']);
  assert.equal(shared.reused, 2);
});
