import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../k8s-object.js';
import type { Pod } from '../../render/context.js';
import { checkEnvoyFilterCross } from './index.js';

const hcm = 'envoy.filters.network.http_connection_manager';
const lua = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'x = 1' } };

function ef(name: string, opts: { priority?: number; labels?: Record<string, string>; anchor?: string; adds?: string; context?: string; port?: number }): K8sObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: 'shop' },
    spec: {
      workloadSelector: { labels: opts.labels ?? { app: 'api' } },
      priority: opts.priority ?? 0,
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: {
            context: opts.context ?? 'SIDECAR_INBOUND',
            listener: { ...(opts.port !== undefined ? { portNumber: opts.port } : {}), filterChain: { filter: { name: hcm, subFilter: { name: opts.anchor ?? 'envoy.filters.http.router' } } } },
          },
          patch: { operation: 'INSERT_BEFORE', value: { name: opts.adds ?? `${name}.filter`, typed_config: lua } },
        },
      ],
    },
  };
}
const pod = (labels: Record<string, string>, namespace = 'shop'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, labels } });
const rules = (fs: Array<{ rule: string }>) => fs.map((f) => f.rule);

test('MW609: a selector that matches no pod warns only where the namespace’s pods are known', () => {
  assert.deepEqual(rules(checkEnvoyFilterCross(ef('a', { port: 8080 }), { pods: [pod({ app: 'other' })], neighbours: [] })), ['MW609']);
  assert.deepEqual(rules(checkEnvoyFilterCross(ef('a', { port: 8080 }), { pods: [pod({ app: 'api', v: '1' })], neighbours: [] })), []);
  assert.deepEqual(rules(checkEnvoyFilterCross(ef('a', { port: 8080 }), { pods: [pod({ app: 'other' }, 'elsewhere')], neighbours: [] })), []);
});

test('MW610: a Lua filter on every outbound port warns; one matched to a port does not', () => {
  assert.deepEqual(rules(checkEnvoyFilterCross(ef('a', { context: 'SIDECAR_OUTBOUND' }), { pods: [], neighbours: [] })), ['MW610']);
  assert.deepEqual(rules(checkEnvoyFilterCross(ef('a', { context: 'SIDECAR_OUTBOUND', port: 9080 }), { pods: [], neighbours: [] })), []);
});

test('MW611: anchoring on a filter a neighbour of the same priority adds warns; a different priority or disjoint selector does not', () => {
  const anchored = ef('b', { anchor: 'a.filter', port: 8080 });
  const adder = (priority: number, labels?: Record<string, string>) => ef('a', { priority, port: 8080, ...(labels ? { labels } : {}) });
  assert.deepEqual(rules(checkEnvoyFilterCross(anchored, { pods: [], neighbours: [adder(0)] })), ['MW611']);
  assert.deepEqual(rules(checkEnvoyFilterCross(anchored, { pods: [], neighbours: [adder(-1)] })), []);
  assert.deepEqual(rules(checkEnvoyFilterCross(anchored, { pods: [], neighbours: [adder(0, { app: 'other' })] })), []);
});
