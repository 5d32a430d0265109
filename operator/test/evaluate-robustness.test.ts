/**
 * evaluate() never throws, whatever shape an object has: the webhook and the controller
 * must answer every object with findings, never with an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../src/evaluate.js';
import { emptyContext } from '../src/render/context.js';

const odd: unknown[] = [null, 0, 1.5, -1, '', 'x', true, [], [null], [1, 'a'], {}, { a: null }, { name: 1 }];

/** Every field of `base` replaced in turn by every odd value, recursively one level deep. */
function mutations(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  const walk = (node: Record<string, unknown>, set: (v: unknown) => unknown) => {
    for (const key of Object.keys(node)) {
      for (const v of odd) out.push(set({ ...node, [key]: v }));
      const child = node[key];
      if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
        walk(child as Record<string, unknown>, (v) => set({ ...node, [key]: v }));
      }
      if (Array.isArray(child) && typeof child[0] === 'object' && child[0] !== null) {
        walk(child[0] as Record<string, unknown>, (v) => set({ ...node, [key]: [v] }));
      }
    }
  };
  walk(base, (v) => v);
  return out;
}

const envoyFilter = {
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'f', namespace: 'shop' },
  spec: {
    workloadSelector: { labels: { app: 'a' } },
    priority: 1,
    configPatches: [
      {
        applyTo: 'HTTP_FILTER',
        match: {
          context: 'SIDECAR_INBOUND',
          proxy: { proxyVersion: '^1\\.28' },
          listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
        },
        patch: {
          operation: 'INSERT_BEFORE',
          value: { name: 'l', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'x = 1' } } },
        },
      },
    ],
  },
};
const wasmPlugin = {
  apiVersion: 'extensions.istio.io/v1alpha1',
  kind: 'WasmPlugin',
  metadata: { name: 'w', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'a' } }, url: 'oci://r/p:1', phase: 'AUTHN', match: [{ mode: 'SERVER', ports: [{ number: 80 }] }], vmConfig: { env: [{ name: 'A', value: 'b' }] } },
};
const smartLimiter = {
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name: 's', namespace: 'shop' },
  spec: { target: { workloadSelector: { matchLabels: { app: 'a' } } }, limits: [{ name: 'a', rate: { requests: 1, per: '1s' }, match: { headers: [{ name: 'x', exact: 'y' }] } }] },
};

for (const [name, base] of Object.entries({ envoyFilter, wasmPlugin, smartLimiter })) {
  test(`evaluate() answers every malformed ${name} with findings, never an exception`, () => {
    const crashes: string[] = [];
    for (const obj of mutations(base)) {
      try {
        evaluate(obj, { ...emptyContext, istioVersions: ['1.28'] });
      } catch (e) {
        crashes.push(`${(e as Error).message} <- ${JSON.stringify(obj).slice(0, 160)}`);
      }
    }
    assert.deepEqual(
      [...new Set(crashes.map((c) => c.split(' <- ')[0]))].map((m) => crashes.find((c) => c.startsWith(m!))),
      [],
    );
  });
}
