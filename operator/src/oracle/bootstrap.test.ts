import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchedConfigs, type EnvoyFilterObject } from '../validate/istio/index.js';
import { trafficBootstrap } from './bootstrap.js';

type J = Record<string, any>;
const ef = (patches: unknown[]): EnvoyFilterObject =>
  ({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 't', namespace: 'shop' },
    spec: { workloadSelector: { labels: { app: 'x' } }, configPatches: patches },
  }) as unknown as EnvoyFilterObject;

const addHeader = (context: string, port: number) => ({
  applyTo: 'HTTP_FILTER',
  match: { context, listener: { portNumber: port, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
  patch: {
    operation: 'INSERT_BEFORE',
    value: { name: 'probe', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'function envoy_on_request(h) end' } } },
  },
});

function hcmOf(b: J): J {
  const l = b['static_resources']['listeners'];
  assert.equal(l.length, 1);
  assert.deepEqual(l[0].address, { socket_address: { address: '127.0.0.1', port_value: 0 } });
  return l[0].filter_chains[0].filters.find((f: J) => f.name === 'envoy.filters.network.http_connection_manager').typed_config;
}

test('trafficBootstrap: the patched inbound HCM on loopback, route clusters on the backend, no Istio-only filters', () => {
  const config = patchedConfigs(ef([addHeader('SIDECAR_INBOUND', 8080)]), { istioVersion: '1.28.0', istioVersions: ['1.28.0'] })[0]!.config;
  const b: J = trafficBootstrap(config, { entry: { side: 'inbound', port: 8080 }, backendPort: 4242 });
  const hcm = hcmOf(b);
  const names = hcm['http_filters'].map((f: J) => f.name);
  assert.ok(names.includes('probe'), names.join(','));
  assert.equal(names.at(-1), 'envoy.filters.http.router');
  assert.ok(!names.some((n: string) => n.startsWith('istio.')), names.join(','));
  assert.ok(hcm['route_config'], 'the route config is inline');
  const clusters = b['static_resources']['clusters'];
  assert.deepEqual(
    clusters.map((c: J) => c.name),
    ['inbound|8080||'],
  );
  assert.equal(clusters[0].type, 'STATIC');
  assert.equal(clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 4242);
  assert.equal(b['admin'].address.socket_address.address, '127.0.0.1');
});

test('trafficBootstrap: outbound and gateway inline their RDS route configuration', () => {
  const out = patchedConfigs(ef([addHeader('SIDECAR_OUTBOUND', 9080)]), { istioVersion: '1.31.0', istioVersions: ['1.31.0'] })[0]!.config;
  const ob = hcmOf(trafficBootstrap(out, { entry: { side: 'outbound', port: 9080 }, backendPort: 1 }));
  assert.equal(ob['route_config'].name, '9080');
  assert.ok(ob['http_filters'].some((f: J) => f.name === 'probe'));
  const gw = patchedConfigs(ef([addHeader('GATEWAY', 8080)]), { istioVersion: '1.28.0', istioVersions: ['1.28.0'] })[0]!.config;
  const g = hcmOf(trafficBootstrap(gw, { entry: { side: 'gateway', port: 8080 }, backendPort: 1 }));
  assert.equal(g['route_config'].name, 'http.8080');
});

test('trafficBootstrap: a port without an HTTP connection manager is an error', () => {
  const config = patchedConfigs(ef([addHeader('SIDECAR_INBOUND', 8080)]), { istioVersion: '1.28.0', istioVersions: ['1.28.0'] })[0]!.config;
  assert.throws(() => trafficBootstrap(config, { entry: { side: 'inbound', port: 9999 }, backendPort: 1 }), /no HTTP connection manager/);
});

test('trafficBootstrap: envoy_grpc clusters (the rate limit service) go to the given port over HTTP/2', () => {
  const rls = 'outbound|8081||ratelimit.rls.svc.cluster.local';
  const patch = {
    applyTo: 'HTTP_FILTER',
    match: {
      context: 'SIDECAR_INBOUND',
      listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
    },
    patch: {
      operation: 'INSERT_BEFORE',
      value: {
        name: 'rl',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
          domain: 'd',
          rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: rls } }, transport_api_version: 'V3' },
        },
      },
    },
  };
  const config = patchedConfigs(ef([patch]), { istioVersion: '1.28.0', istioVersions: ['1.28.0'] })[0]!.config;
  const b: J = trafficBootstrap(config, { entry: { side: 'inbound', port: 8080 }, backendPort: 1, grpcPorts: { [rls]: 5151 } });
  const c = b['static_resources']['clusters'].find((x: J) => x.name === rls);
  assert.ok(c, 'the RLS cluster exists');
  assert.equal(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 5151);
  assert.ok(JSON.stringify(c.typed_extension_protocol_options).includes('http2_protocol_options'));
});
