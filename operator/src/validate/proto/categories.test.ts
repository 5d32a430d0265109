import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPLY_TO_VALUES, categoryForApplyTo, extensionCategory, isIstioProxyType } from './categories.js';

test('categoryForApplyTo: message type of the patch value and category of its typed_config', () => {
  assert.deepEqual(categoryForApplyTo('HTTP_FILTER'), {
    applyTo: 'HTTP_FILTER',
    messageType: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
    typedConfigCategories: ['envoy.filters.http'],
  });
  assert.equal(categoryForApplyTo('NETWORK_FILTER')?.messageType, 'envoy.config.listener.v3.Filter');
  assert.deepEqual(categoryForApplyTo('LISTENER_FILTER')?.typedConfigCategories, ['envoy.filters.listener']);
  assert.equal(categoryForApplyTo('CLUSTER')?.messageType, 'envoy.config.cluster.v3.Cluster');
  assert.equal(categoryForApplyTo('LISTENER')?.messageType, 'envoy.config.listener.v3.Listener');
  assert.equal(categoryForApplyTo('FILTER_CHAIN')?.messageType, 'envoy.config.listener.v3.FilterChain');
  assert.equal(categoryForApplyTo('ROUTE_CONFIGURATION')?.messageType, 'envoy.config.route.v3.RouteConfiguration');
  assert.equal(categoryForApplyTo('VIRTUAL_HOST')?.messageType, 'envoy.config.route.v3.VirtualHost');
  assert.equal(categoryForApplyTo('HTTP_ROUTE')?.messageType, 'envoy.config.route.v3.Route');
  assert.equal(categoryForApplyTo('EXTENSION_CONFIG')?.messageType, 'envoy.config.core.v3.TypedExtensionConfig');
  assert.equal(categoryForApplyTo('INVALID'), undefined);
  assert.ok(APPLY_TO_VALUES.includes('BOOTSTRAP'));
});

test('extensionCategory from the proto package', () => {
  assert.equal(extensionCategory('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'), 'envoy.filters.http');
  assert.equal(extensionCategory('.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), 'envoy.filters.network');
  assert.equal(extensionCategory('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'), 'envoy.filters.listener');
  assert.equal(extensionCategory('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'), 'envoy.transport_sockets');
  assert.equal(extensionCategory('envoy.extensions.access_loggers.file.v3.FileAccessLog'), 'envoy.access_loggers');
  assert.equal(extensionCategory('envoy.config.cluster.v3.Cluster'), 'xds.resource');
  assert.equal(extensionCategory('envoy.config.route.v3.FilterConfig'), 'envoy.route.filter_config');
  assert.equal(extensionCategory('envoy.config.core.v3.Address'), 'other');
  assert.equal(isIstioProxyType('io.istio.http.peer_metadata.Config'), true);
  assert.equal(isIstioProxyType('stats.PluginConfig'), true);
  assert.equal(isIstioProxyType('envoy.extensions.filters.http.lua.v3.Lua'), false);
});
