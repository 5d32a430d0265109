import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLuaApi } from './lua-api.js';
import { validateIstioObject } from '../index.js';
import type { K8sObject } from '../../k8s-object.js';

const script = `function envoy_on_request(h)
  local v = h:base64Decode(h:headers():get('x-b64'))
end
function envoy_on_response(h)
  local path = h:requestHeaders():get(':path')
end`;

test('MW507: base64Decode()/requestHeaders() calls warn for Envoy before 1.40 with their line, not from 1.40', () => {
  const old = checkLuaApi(script, { envoyVersion: '1.39', path: 'p' });
  assert.deepEqual(
    old.map((f) => [f.rule, f.severity, f.path]),
    [
      ['MW507', 'warning', 'p'],
      ['MW507', 'warning', 'p'],
    ],
  );
  assert.match(old[0]!.message, /:base64Decode\(\) \(line 2 of the script\).*since 1\.40/);
  assert.match(old[1]!.message, /:requestHeaders\(\) \(line 5/);
  assert.deepEqual(checkLuaApi(script, { envoyVersion: '1.40' }), []);
  assert.deepEqual(checkLuaApi(script, { envoyVersion: '1.36' }).length, 2);
});

test('MW507: only method calls count: a string, a comment, a field, a local function of that name, a syntax error are silent', () => {
  for (const code of [
    `local s = 'h:base64Decode(x)'\nfunction envoy_on_request(h) end`,
    `-- h:requestHeaders()\nfunction envoy_on_request(h) end`,
    `local t = {base64Decode = 1}\nfunction envoy_on_request(h) local x = t.base64Decode end`,
    `local function requestHeaders() end\nfunction envoy_on_request(h) requestHeaders() end`,
    `function envoy_on_request(h) h:base64Decode( end`,
  ])
    assert.deepEqual(checkLuaApi(code, { envoyVersion: '1.39' }), [], code);
  // String-call syntax is a call too.
  assert.equal(checkLuaApi(`function envoy_on_request(h) h:base64Decode'aGk=' end`, { envoyVersion: '1.39' }).length, 1);
});

test('MW507 through the validator: one finding per script path, naming the Istio minors whose Envoy lacks the method', () => {
  const ef = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'lua', namespace: 'shop' },
    spec: {
      workloadSelector: { labels: { app: 'api' } },
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
          patch: {
            operation: 'INSERT_BEFORE',
            value: { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: script } } },
          },
        },
      ],
    },
  } as unknown as K8sObject;
  const f = validateIstioObject(ef, { istioVersions: ['1.30', '1.31', '1.32'], envoyFilters: [], wasmPlugins: [], pods: [] }).filter((x) => x.rule === 'MW507');
  assert.equal(f.length, 2, JSON.stringify(f));
  assert.equal(f[0]!.path, 'spec.configPatches[0].patch.value.typed_config.default_source_code.inline_string');
  assert.match(f[0]!.message, /\(Istio 1\.30, 1\.31\)$/);
  assert.deepEqual(
    validateIstioObject(ef, { istioVersions: ['1.32'], envoyFilters: [], wasmPlugins: [], pods: [] }).filter((x) => x.rule === 'MW507'),
    [],
  );
});
