/**
 * Per-object isolation of the validator (ADR 0109): another object of the input or cluster
 * takes part in an object's checks only as istiod would hold it, so a malformed, rejected or
 * legacy neighbour never changes (or switches off, or crashes) the checks of another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../k8s-object.js';
import { validateIstioObject, type ValidationContext } from './index.js';

const ef = (name: string, namespace: string, spec: unknown): K8sObject => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace }, spec });
const wasm = (name: string, spec: unknown): K8sObject => ({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name, namespace: 'shop' }, spec });

/** An ordinary broken EnvoyFilter: its anchor matches nothing (MW413) and its Lua does not compile (MW5xx). */
const judged = ef('judged', 'shop', {
  workloadSelector: { labels: { app: 'api' } },
  priority: 10,
  configPatches: [
    {
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'SIDECAR_INBOUND',
        listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.jwt_authn' } } } },
      },
      patch: {
        operation: 'INSERT_BEFORE',
        value: { name: 'lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'function envoy_on_request(h) end' } } },
      },
    },
  ],
});

const neighbours: Record<string, K8sObject> = {
  'a legacy-API EnvoyFilter (filters:, no configPatches) in the root namespace': ef('legacy', 'istio-system', {
    filters: [{ listenerMatch: { listenerType: 'SIDECAR_INBOUND' }, filterName: 'envoy.lua', filterType: 'HTTP', filterConfig: { inlineCode: 'x' } }],
  }),
  'configPatches that is a map': ef('map', 'shop', { configPatches: { applyTo: 'HTTP_FILTER' } }),
  'a null patch and matches of the wrong types': ef('types', 'shop', {
    priority: 'high',
    workloadSelector: { labels: 'app=api' },
    configPatches: [
      null,
      { applyTo: 'VIRTUAL_HOST', match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 5, route: { name: 7 } } } }, patch: { operation: 'MERGE', value: {} } },
    ],
  }),
  'a spec that is a list': ef('list', 'shop', [1, 2]),
  'metadata that is a string': { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: 'shop/x', spec: {} } as unknown as K8sObject,
};

const ctx = (envoyFilters: K8sObject[], wasmPlugins: K8sObject[] = []): ValidationContext => ({ istioVersions: ['1.31'], envoyFilters, wasmPlugins, pods: [] });
const rules = (o: K8sObject, c: ValidationContext) =>
  validateIstioObject(o, c)
    .map((f) => `${f.rule} ${f.path}`)
    .sort();

test('a malformed, rejected or legacy EnvoyFilter next to another changes none of its findings', () => {
  const alone = rules(judged, ctx([judged]));
  assert.ok(
    alone.some((r) => r.startsWith('MW413 ')),
    `the patch layer judges it alone: ${alone.join(', ')}`,
  );
  for (const [what, other] of Object.entries(neighbours)) {
    assert.deepEqual(rules(judged, ctx([other, judged])), alone, what);
  }
  assert.deepEqual(rules(judged, ctx([...Object.values(neighbours), judged])), alone, 'all of them at once');
});

test('a WasmPlugin the API server rejects does not take part in the ordering check of another', () => {
  const a = wasm('a', { url: 'oci://registry.example/a:1', phase: 'AUTHN', priority: 5 });
  const alone = rules(a, ctx([], [a]));
  // Same phase and priority, but its selector is a string (MW112): it never reaches istiod.
  const rejected = wasm('b', { url: 'oci://registry.example/b:1', phase: 'AUTHN', priority: 5, selector: 'app=api' });
  assert.deepEqual(rules(a, ctx([], [a, rejected])), alone);
  assert.deepEqual(rules(a, ctx([], [a, wasm('d', { url: 'oci://registry.example/d:1', phase: 7, priority: 'x' })])), alone);
  // A well-formed peer of the same phase and priority still counts.
  const peer = wasm('c', { url: 'oci://registry.example/c:1', phase: 'AUTHN', priority: 5 });
  assert.ok(rules(a, ctx([], [a, peer])).length > alone.length, 'same phase and priority: an ordering finding');
});
