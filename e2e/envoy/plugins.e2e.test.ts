/**
 * EnvoyPlugins through a real Envoy (1.36.2 / 1.39.3): a Lua plugin, native filters (header
 * mutation, CORS scoped to one route) and a raw patch, rendered by the real renderer and
 * applied to istiod's baseline, take effect on live requests (harness.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENVOYS, renderEnvoyFilter, skipReason, startTraffic } from './harness.js';

const skip = skipReason();

const seenHeaders = (body: string) => (JSON.parse(body) as { headers: Record<string, string> }).headers;

for (const build of ENVOYS) {
  describe(`plugins on Envoy ${build.envoy} (Istio ${build.istio})`, { skip, timeout: 120_000 }, () => {
    test('Lua plugin: runs on requests and responses', async () => {
      const ef = renderEnvoyFilter(`
apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: stamp, namespace: bookinfo}
spec:
  target: {service: reviews}
  ports: [9080]
  plugins:
  - name: stamp
    lua:
      code: |
        function envoy_on_request(handle)
          handle:headers():add("x-lua-request", "seen " .. handle:headers():get(":path"))
          handle:streamInfo():dynamicMetadata():set("meshwarden", "seen", "yes")
        end
        function envoy_on_response(handle)
          local seen = handle:streamInfo():dynamicMetadata():get("meshwarden")
          if seen then handle:headers():add("x-seen", seen["seen"]) end
        end
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 8080}]
`);
      const t = await startTraffic(build, ef, { side: 'inbound', port: 8080 });
      try {
        const r = await t.send('/reviews/7');
        assert.equal(r.status, 200);
        assert.equal(seenHeaders(r.body)['x-lua-request'], 'seen /reviews/7', 'the backend saw the header Lua added');
        assert.equal(r.headers['x-seen'], 'yes', 'the response carries the header Lua added');
      } finally {
        await t.stop();
      }
    });

    test('native filters: header mutation on every request, CORS only on its route', async () => {
      const ef = renderEnvoyFilter(`
apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: edge, namespace: istio-system}
spec:
  target:
    gateway:
      selector: {istio: ingressgateway}
  ports: [80]
  plugins:
  - name: strip-internal
    native:
      type: envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
      config:
        mutations:
          request_mutations:
          - remove: x-internal-debug
          response_mutations:
          - append: {header: {key: x-edge, value: meshwarden}}
  - name: cors
    native:
      type: envoy.extensions.filters.http.cors.v3.Cors
    routes:
    - host: shop.example.com
      route: api
      config:
        allow_origin_string_match: [{exact: "https://shop.example.com"}]
        allow_methods: GET,POST
        max_age: "600"
`);
      const t = await startTraffic(build, ef, { side: 'gateway', port: 8080 });
      try {
        const plain = await t.send('/', { headers: { host: 'shop.example.com', 'x-internal-debug': '1', 'x-keep': '1' } });
        assert.equal(plain.status, 200);
        const seen = seenHeaders(plain.body);
        assert.equal(seen['x-internal-debug'], undefined, 'header mutation removed the request header');
        assert.equal(seen['x-keep'], '1');
        assert.equal(plain.headers['x-edge'], 'meshwarden', 'header mutation added the response header');
        const preflight = { host: 'shop.example.com', origin: 'https://shop.example.com', 'access-control-request-method': 'POST' };
        const onRoute = await t.send('/api/cart', { method: 'OPTIONS', headers: preflight });
        assert.equal(onRoute.status, 200);
        assert.equal(onRoute.headers['access-control-allow-origin'], 'https://shop.example.com', 'CORS answers the preflight on the api route');
        assert.equal(onRoute.headers['access-control-max-age'], '600');
        assert.equal(t.backend.seen, 1, 'the preflight never reached the backend');
        const offRoute = await t.send('/home', { method: 'OPTIONS', headers: preflight });
        assert.equal(offRoute.headers['access-control-allow-origin'], undefined, 'no CORS policy off the route');
        const other = await t.send('/api/cart', { method: 'OPTIONS', headers: { ...preflight, origin: 'https://evil.example.com' } });
        assert.equal(other.headers['access-control-allow-origin'], undefined, 'an origin not allowed gets no CORS headers');
      } finally {
        await t.stop();
      }
    });

    test('raw patch: a MERGE into the HTTP connection manager takes effect', async () => {
      const plugin = (serverName: string) => `
apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: server-name, namespace: shop}
spec:
  target:
    workloadSelector:
      matchLabels: {app: api}
  patches:
  - applyTo: NETWORK_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        portNumber: 8080
        filterChain:
          filter: {name: envoy.filters.network.http_connection_manager}
    patch:
      operation: MERGE
      value:
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          server_name: ${serverName}
          stream_idle_timeout: 30s
`;
      const ef = renderEnvoyFilter(plugin('meshwarden-raw'));
      const before = await startTraffic(build, ef, { side: 'inbound', port: 8080 }, { withoutPatches: true });
      try {
        assert.equal((await before.send('/')).headers['server'], 'istio-envoy', "istiod's server name without the patch");
      } finally {
        await before.stop();
      }
      const t = await startTraffic(build, ef, { side: 'inbound', port: 8080 });
      try {
        const r = await t.send('/');
        assert.equal(r.status, 200);
        assert.equal(r.headers['server'], 'meshwarden-raw');
      } finally {
        await t.stop();
      }
    });
  });
}
