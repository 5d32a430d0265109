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

test('MW609 with one Pods array shared by many EnvoyFilters (indexed by namespace) matches a scan per EnvoyFilter, also after it grew', () => {
  const namespaces = ['shop', 'pay', 'ship', undefined];
  const pods: Pod[] = Array.from({ length: 40 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, ...(namespaces[i % 4] ? { namespace: namespaces[i % 4] } : {}), labels: { app: `app-${i % 7}` } },
  }));
  const efIn = (namespace: string, app: string): K8sObject => {
    const o = ef(`ef-${app}`, { port: 8080, labels: { app } });
    return { ...o, metadata: { ...o.metadata, namespace } };
  };
  const scan = (e: K8sObject) => {
    const here = pods.filter((p) => (p.metadata.namespace ?? 'default') === e.metadata.namespace);
    return here.length > 0 &&
      !here.some((p) => Object.entries((e.spec as { workloadSelector: { labels: Record<string, string> } }).workloadSelector.labels).every(([k, v]) => p.metadata.labels?.[k] === v))
      ? ['MW609']
      : [];
  };
  let warned = 0;
  let quiet = 0;
  for (const namespace of ['shop', 'pay', 'ship', 'default', 'empty']) {
    for (let a = 0; a < 8; a++) {
      const e = efIn(namespace, `app-${a}`);
      const want = scan(e);
      assert.deepEqual(rules(checkEnvoyFilterCross(e, { pods, neighbours: [] })), want, `${namespace} app-${a}`);
      if (want.length > 0) warned++;
      else quiet++;
    }
  }
  assert.ok(warned >= 4 && quiet >= 4, `warned ${warned}, quiet ${quiet}: both outcomes must be exercised`);
  // The CLI's fact gathering pushes to the array: a pod added later counts.
  assert.deepEqual(rules(checkEnvoyFilterCross(efIn('late', 'app-1'), { pods, neighbours: [] })), []);
  pods.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late', namespace: 'late', labels: { app: 'app-2' } } });
  assert.deepEqual(rules(checkEnvoyFilterCross(efIn('late', 'app-1'), { pods, neighbours: [] })), ['MW609']);
});
