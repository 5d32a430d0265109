import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxyVersionGateFindings } from './proxy-version-gate.js';
import type { EnvoyFilterObject } from './types.js';

const gated = (...proxyVersions: string[]): EnvoyFilterObject => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'ef', namespace: 'shop' },
  spec: {
    configPatches: proxyVersions.map((proxyVersion) => ({
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_INBOUND', proxy: { proxyVersion } },
      patch: { operation: 'INSERT_FIRST', value: { name: 'x' } },
    })),
  },
});

const paths = (ef: EnvoyFilterObject, versions: string[]) => proxyVersionGateFindings(ef, versions).map((f) => `${f.rule} ${f.path}`);

test('a patch whose proxyVersion excludes every linted version is MW428, naming the versions', () => {
  const [f] = proxyVersionGateFindings(gated('^1\\.2[0-9]\\.'), ['1.30', '1.31']);
  assert.equal(f?.rule, 'MW428');
  assert.equal(f?.path, 'spec.configPatches[0].match.proxy.proxyVersion');
  assert.match(f?.message ?? '', /Istio 1\.30, 1\.31/);
});

test('gating some linted versions out is not reported: one patch per release line is the point of proxyVersion', () => {
  assert.deepEqual(paths(gated('^1\\.30\\.', '^1\\.31\\.'), ['1.30', '1.31']), []);
});

test('a minor stands for all its patch releases, a full version for itself only', () => {
  const ef = gated('^1\\.31\\.[0-3]$');
  assert.deepEqual(paths(ef, ['1.31']), []);
  assert.deepEqual(paths(ef, ['1.31.2']), []);
  assert.deepEqual(paths(ef, ['1.31.4']), ['MW428 spec.configPatches[0].match.proxy.proxyVersion']);
});

test('regexes that admit no version at all are left to MW513/MW511, and versions outside the table are not judged', () => {
  assert.deepEqual(paths(gated('^2\\.x', '', '(', 'x'.repeat(1100)), ['1.31']), []);
  assert.deepEqual(paths(gated('^1\\.2[0-9]\\.'), ['1.5']), []);
});
