import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPatchValue } from './index.js';

const ENVOY = '1.39';
const paths = (applyTo: string, value: unknown, operation: string) =>
  checkPatchValue(applyTo, value, ENVOY, { operation })
    .filter((f) => f.rule === 'MW202')
    .map((f) => f.path);

const tls = { name: 'envoy.transport_sockets.tls' };
const hcm = (httpFilters: unknown[]) => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 's', http_filters: httpFilters },
});

test('name-only extensions nested in a value the patch creates are MW202 at their typed_config', () => {
  assert.deepEqual(paths('CLUSTER', { name: 'c', transport_socket: tls }, 'ADD'), ['transport_socket.typed_config']);
  assert.deepEqual(paths('LISTENER', { listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }] }, 'ADD'), ['listener_filters[0].typed_config']);
  assert.deepEqual(paths('LISTENER', { filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy' }], transport_socket: tls }] }, 'ADD'), [
    'filter_chains[0].filters[0].typed_config',
    'filter_chains[0].transport_socket.typed_config',
  ]);
  assert.deepEqual(paths('NETWORK_FILTER', hcm([{ name: 'envoy.filters.http.cors' }]), 'INSERT_FIRST'), ['typed_config.http_filters[0].typed_config']);
});

test('a MERGE appends list entries whole (reported) but merges a singular socket into the existing one (not reported)', () => {
  assert.deepEqual(paths('LISTENER', { listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }] }, 'MERGE'), ['listener_filters[0].typed_config']);
  assert.deepEqual(paths('CLUSTER', { transport_socket: tls }, 'MERGE'), []);
});

test('typed_config, config_discovery or an optional HTTP filter are not reported', () => {
  assert.deepEqual(
    paths('LISTENER', { listener_filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }] }, 'ADD'),
    [],
  );
  assert.deepEqual(paths('NETWORK_FILTER', hcm([{ name: 'envoy.filters.http.cors', is_optional: true }]), 'INSERT_FIRST'), []);
});
