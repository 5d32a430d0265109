import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../evaluate.js';
import { checkMeshwardenType, checkObjectMeta } from './identity.js';

const limiter = (apiVersion: string, kind: string, metadata: Record<string, unknown> = { name: 'a', namespace: 'shop' }) => ({
  apiVersion,
  kind,
  metadata,
  spec: { target: { workloadSelector: { matchLabels: { app: 'api' } } }, limits: [{ name: 'a', rate: { requests: 5, per: '1s' } }] },
});
const ctx = { services: [], pods: [], istioVersions: ['1.28'] };
const rulesAt = (value: unknown) =>
  evaluate(value, ctx)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.rule} ${d.path}: ${d.hint ?? ''}`);

test('an unknown version or kind of meshwarden.io is an error with a did-you-mean, not silence', () => {
  assert.deepEqual(rulesAt(limiter('meshwarden.io/v1apha1', 'SmartLimiter')), ['MW106 apiVersion: did you mean "meshwarden.io/v1alpha1"?']);
  assert.deepEqual(rulesAt(limiter('meshwarden.io/v1alpha1', 'Smartlimiter')), ['MW106 kind: did you mean "SmartLimiter"?']);
  assert.deepEqual(rulesAt(limiter('meshwarden.io/v1alpha1', 'EnvoyPlugins')), ['MW106 kind: did you mean "EnvoyPlugin"?']);
  assert.deepEqual(
    rulesAt(limiter('meshwarden.io/v2', 'Throttle')).map((r) => r.split(':')[0]),
    ['MW106 apiVersion', 'MW106 kind'],
  );
  // Our kinds under another (or a misspelt) group; a near miss of the group without a version.
  assert.deepEqual(rulesAt(limiter('networking.istio.io/v1alpha3', 'SmartLimiter')), ['MW106 apiVersion: did you mean "meshwarden.io/v1alpha1"?']);
  assert.deepEqual(rulesAt(limiter('meshwarden.i0/v1alpha1', 'SmartLimiter')), ['MW106 apiVersion: did you mean "meshwarden.io/v1alpha1"?']);
  assert.equal(checkMeshwardenType({ apiVersion: 'meshwarden.io', kind: 'SmartLimiter' })[0]?.rule, 'MW106');
  // Everything else is none of our business.
  for (const [apiVersion, kind] of [
    ['v1', 'Service'],
    ['apps/v1', 'Deployment'],
    ['example.com/v1', 'Widget'],
    ['networking.istio.io/v1', 'VirtualService'],
  ]) {
    assert.deepEqual(checkMeshwardenType({ apiVersion: apiVersion!, kind: kind! }), [], `${apiVersion} ${kind}`);
  }
});

test('metadata the API server rejects is an error for our kinds and for EnvoyFilter and WasmPlugin', () => {
  assert.deepEqual(rulesAt(limiter('meshwarden.io/v1alpha1', 'SmartLimiter', { name: 'Bad_Name!', namespace: 'shop' })), ['MW107 metadata.name: use "bad-name"']);
  const ef = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'ok', namespace: 'Shop_1' },
    spec: { workloadSelector: { labels: { app: 'api' } }, configPatches: [] },
  };
  assert.deepEqual(rulesAt(ef), ['MW107 metadata.namespace: use "shop-1"']);
  const wasm = {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'w', namespace: 'shop', labels: { 'a/b/c': 'x' } },
    spec: { selector: { matchLabels: { app: 'api' } }, url: 'oci://r/w:1' },
  };
  assert.ok(
    rulesAt(wasm).some((r) => r.startsWith('MW107 metadata.labels["a/b/c"]')),
    rulesAt(wasm).join('\n'),
  );
});

test('checkObjectMeta follows apimachinery: names, generateName, namespace, labels, annotations', () => {
  const problems = (meta: Record<string, unknown>) => checkObjectMeta(meta).map((f) => f.path);
  assert.deepEqual(problems({ name: 'a.b-c', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'x_y.z', empty: '' }, annotations: { 'Example.com/Note': 'anything at all' } }), []);
  assert.deepEqual(problems({ generateName: 'limiter-' }), []);
  assert.deepEqual(problems({}), ['metadata']);
  assert.deepEqual(problems({ name: 'a'.repeat(254) }), ['metadata.name']);
  assert.deepEqual(problems({ name: 'x', namespace: 'a.b' }), ['metadata.namespace']);
  assert.deepEqual(problems({ name: 'x', labels: { version: 1.0, ok: 'y', bad: '-x' } }), ['metadata.labels.version', 'metadata.labels.bad']);
  assert.deepEqual(problems({ name: 'x', labels: { ['a'.repeat(64)]: 'v' } }), [`metadata.labels.${'a'.repeat(64)}`]);
  assert.deepEqual(problems({ name: 'x', annotations: { 'no spaces': 'v', n: 5 } }), ['metadata.annotations["no spaces"]', 'metadata.annotations.n']);
  assert.deepEqual(problems({ name: 'x', annotations: { big: 'x'.repeat(256 * 1024) } }), ['metadata.annotations']);
});
