import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetRefsContextFindings } from './target-refs-context.js';
import type { EnvoyFilterObject } from './types.js';

const ef = (targetRefs: unknown[] | undefined, ...contexts: string[]): EnvoyFilterObject =>
  ({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'ef', namespace: 'shop' },
    spec: {
      ...(targetRefs ? { targetRefs } : { workloadSelector: { labels: { app: 'api' } } }),
      configPatches: contexts.map((context) => ({ applyTo: 'HTTP_FILTER', match: { context }, patch: { operation: 'INSERT_FIRST', value: { name: 'x' } } })),
    },
  }) as EnvoyFilterObject;

const gateway = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress' };
const service = { group: '', kind: 'Service', name: 'reviews' };
const routerClass = { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio' };

const messages = (o: EnvoyFilterObject) => targetRefsContextFindings(o).map((f) => `${f.rule} ${f.path} ${f.message.includes('applies nowhere') ? 'nowhere' : 'waypoint'}`);

test('SIDECAR_OUTBOUND with targetRefs applies nowhere; SIDECAR_INBOUND reaches waypoints only', () => {
  assert.deepEqual(messages(ef([gateway], 'SIDECAR_OUTBOUND', 'SIDECAR_INBOUND', 'GATEWAY', 'ANY')), [
    'MW429 spec.configPatches[0].match.context nowhere',
    'MW429 spec.configPatches[1].match.context waypoint',
  ]);
  assert.deepEqual(messages(ef([service], 'SIDECAR_INBOUND')), ['MW429 spec.configPatches[0].match.context waypoint']);
});

test('refs that bind only non-waypoint gateways make SIDECAR_INBOUND apply nowhere too', () => {
  assert.deepEqual(messages(ef([routerClass], 'SIDECAR_INBOUND')), ['MW429 spec.configPatches[0].match.context nowhere']);
});

test('without targetRefs (workloadSelector) sidecar contexts are what they say', () => {
  assert.deepEqual(messages(ef(undefined, 'SIDECAR_OUTBOUND', 'SIDECAR_INBOUND')), []);
  assert.deepEqual(messages(ef([], 'SIDECAR_OUTBOUND')), []);
});

test('refs that attach nothing (MW133) or an object the API server refuses (selector and targetRefs, MW113) are not judged', () => {
  assert.deepEqual(messages(ef([{ group: 'apps', kind: 'Deployment', name: 'd' }], 'SIDECAR_OUTBOUND')), []);
  const both = ef([gateway], 'SIDECAR_OUTBOUND');
  assert.deepEqual(messages({ ...both, spec: { ...both.spec, workloadSelector: { labels: { app: 'api' } } } }), []);
});
