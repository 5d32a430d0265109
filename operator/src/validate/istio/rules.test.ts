import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allRules } from '../catalogue.js';
import { envoyFilter, HCM, httpFilterPatch, lua, ROUTER, rulesOf, run, T } from './apply.testkit.js';
import type { ConfigPatch, JsonObject, ProxyKind } from './types.js';

interface Case {
  rule: string;
  bad: ConfigPatch[];
  good: ConfigPatch[];
  /** Expected path prefix of the bad finding. */
  path: string;
  kind?: ProxyKind;
  /** The versions the bad case is reported on, when not every one (version-gated rules). */
  versions?: readonly string[];
}

const inboundRouter = (op: string, value?: JsonObject) => httpFilterPatch('SIDECAR_INBOUND', op, value, { port: 8080, subFilter: ROUTER });
const tcpListener = (op: string, value: JsonObject): ConfigPatch => ({
  applyTo: 'NETWORK_FILTER',
  match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: 53, filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
  patch: { operation: op, value },
});
const rbacNet = { name: 'envoy.filters.network.rbac', typed_config: { '@type': T('envoy.extensions.filters.network.rbac.v3.RBAC'), stat_prefix: 'x' } };
const clusterPatch = (op: string, value: JsonObject, match: JsonObject = { name: 'outbound|9080||reviews.default.svc.cluster.local' }): ConfigPatch => ({
  applyTo: 'CLUSTER',
  match: { context: 'SIDECAR_OUTBOUND', cluster: match },
  patch: { operation: op, value },
});
const rls = { name: 'outbound|8081||ratelimit.rls.svc.cluster.local-static', type: 'STRICT_DNS', connect_timeout: '1s', load_assignment: { cluster_name: 'rls', endpoints: [] } };
const vhostAdd = (domains: string[]): ConfigPatch => ({
  applyTo: 'VIRTUAL_HOST',
  match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080 } },
  patch: { operation: 'ADD', value: { name: 'extra', domains, routes: [{ name: 'r', match: { prefix: '/' }, direct_response: { status: 200 } }] } },
});
const routeOp = (op: string, ctx: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND', vhost: string, route: string | undefined, value: JsonObject, port?: number): ConfigPatch => ({
  applyTo: 'HTTP_ROUTE',
  match: { context: ctx, routeConfiguration: { ...(port ? { portNumber: port } : {}), vhost: { name: vhost, ...(route ? { route: { name: route } } : {}) } } },
  patch: { operation: op, value },
});
const localRl = (withBucket: boolean): JsonObject => ({
  typed_per_filter_config: {
    'envoy.filters.http.local_ratelimit': {
      '@type': T('udpa.type.v1.TypedStruct'),
      type_url: T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'),
      value: { stat_prefix: 'rl', ...(withBucket ? { token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' } } : {}) },
    },
  },
});
const localRlFilter = {
  name: 'envoy.filters.http.local_ratelimit',
  typed_config: { '@type': T('udpa.type.v1.TypedStruct'), type_url: T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'), value: { stat_prefix: 'http_local_rate_limiter' } },
};
const ecdsFilter = { name: 'meshwarden.ecds', config_discovery: { config_source: { ads: {} }, type_urls: [T('envoy.extensions.filters.http.lua.v3.Lua')] } };
const ecdsConfig = (op: string): ConfigPatch => ({ applyTo: 'EXTENSION_CONFIG', patch: { operation: op, value: { name: 'meshwarden.ecds', typed_config: lua().typed_config as JsonObject } } });

const cases: Case[] = [
  { rule: 'MW401', bad: [httpFilterPatch('SIDECAR_INBOUND', 'ADD', lua(), { port: 8080 })], good: [inboundRouter('INSERT_BEFORE', lua())], path: 'spec.configPatches[0]' },
  { rule: 'MW401', bad: [inboundRouter('INSERT_AFTER', lua())], good: [inboundRouter('INSERT_BEFORE', lua())], path: 'spec.configPatches[0]' },
  {
    rule: 'MW401',
    bad: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM } } } },
        patch: { operation: 'MERGE', value: { name: HCM, typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), http_filters: [lua()] } } },
      },
    ],
    good: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM } } } },
        patch: {
          operation: 'MERGE',
          value: { name: HCM, typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), stream_idle_timeout: '300s' } },
        },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW402',
    bad: [inboundRouter('REMOVE')],
    good: [httpFilterPatch('SIDECAR_INBOUND', 'REMOVE', undefined, { port: 8080, subFilter: 'envoy.filters.http.fault' })],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW402',
    bad: [inboundRouter('REPLACE', lua())],
    good: [inboundRouter('REPLACE', { name: ROUTER, typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router'), suppress_envoy_headers: true } })],
    path: 'spec.configPatches[0]',
  },
  { rule: 'MW403', bad: [tcpListener('INSERT_AFTER', rbacNet)], good: [tcpListener('INSERT_BEFORE', rbacNet)], path: 'spec.configPatches[0]' },
  {
    rule: 'MW404',
    bad: [inboundRouter('INSERT_BEFORE', lua()), inboundRouter('INSERT_BEFORE', lua())],
    good: [inboundRouter('INSERT_BEFORE', lua()), inboundRouter('INSERT_BEFORE', lua('meshwarden.lua.2'))],
    path: 'spec.configPatches[1]',
  },
  {
    rule: 'MW405',
    bad: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM } } } },
        patch: {
          operation: 'REPLACE',
          value: {
            name: HCM,
            typed_config: {
              '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
              stat_prefix: 'mine',
              http_filters: [{ name: ROUTER, typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } }],
            },
          },
        },
      },
    ],
    good: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM } } } },
        patch: {
          operation: 'MERGE',
          value: { typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), common_http_protocol_options: { idle_timeout: '10s' } } },
        },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  { rule: 'MW406', bad: [clusterPatch('ADD', { connect_timeout: '1s' })], good: [clusterPatch('ADD', rls)], path: 'spec.configPatches[0]' },
  { rule: 'MW407', bad: [clusterPatch('ADD', { ...rls, name: 'outbound|9080||reviews.default.svc.cluster.local' })], good: [clusterPatch('ADD', rls)], path: 'spec.configPatches[0]' },
  {
    rule: 'MW407',
    bad: [clusterPatch('ADD', { ...rls, name: 'inbound|8080||' })],
    good: [clusterPatch('MERGE', { connect_timeout: '2s' }, { name: 'BlackHoleCluster' })],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW407',
    bad: [clusterPatch('ADD', { ...rls, name: 'PassthroughCluster' })],
    good: [clusterPatch('MERGE', { connect_timeout: '2s' }, { name: 'PassthroughCluster' })],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW408',
    bad: [
      {
        applyTo: 'LISTENER',
        match: { context: 'SIDECAR_OUTBOUND' },
        patch: {
          operation: 'ADD',
          value: {
            name: '0.0.0.0_9080',
            address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
            filter_chains: [
              {
                filters: [
                  { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), stat_prefix: 'x', cluster: 'BlackHoleCluster' } },
                ],
              },
            ],
          },
        },
      },
    ],
    good: [
      {
        applyTo: 'LISTENER',
        match: { context: 'SIDECAR_OUTBOUND' },
        patch: {
          operation: 'ADD',
          value: {
            name: 'meshwarden_15999',
            address: { socket_address: { address: '127.0.0.1', port_value: 15999 } },
            filter_chains: [
              {
                filters: [
                  { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), stat_prefix: 'x', cluster: 'BlackHoleCluster' } },
                ],
              },
            ],
          },
        },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW409',
    bad: [
      {
        applyTo: 'FILTER_CHAIN',
        match: { context: 'SIDECAR_OUTBOUND', listener: { name: '0.0.0.0_9080' } },
        patch: {
          operation: 'ADD',
          value: {
            name: 'mine',
            filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] },
            filters: [
              { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), stat_prefix: 'x', cluster: 'BlackHoleCluster' } },
            ],
          },
        },
      },
    ],
    good: [
      {
        applyTo: 'FILTER_CHAIN',
        match: { context: 'SIDECAR_OUTBOUND', listener: { name: '0.0.0.0_9080' } },
        patch: {
          operation: 'ADD',
          value: {
            name: 'mine',
            filter_chain_match: { server_names: ['legacy.example.com'], transport_protocol: 'tls' },
            filters: [
              { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), stat_prefix: 'x', cluster: 'BlackHoleCluster' } },
            ],
          },
        },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  { rule: 'MW410', bad: [vhostAdd(['*'])], good: [vhostAdd(['legacy.internal'])], path: 'spec.configPatches[0]' },
  {
    rule: 'MW410',
    bad: [
      {
        applyTo: 'ROUTE_CONFIGURATION',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { name: '9080' } },
        patch: { operation: 'MERGE', value: { virtual_hosts: [{ name: 'allow_any', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 502 } }] }] } },
      },
    ],
    good: [
      {
        applyTo: 'ROUTE_CONFIGURATION',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { name: '9080' } },
        patch: { operation: 'MERGE', value: { request_headers_to_add: [{ header: { key: 'x-mesh', value: '1' } }] } },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  { rule: 'MW410', bad: [vhostAdd(['reviews'])], good: [vhostAdd(['reviews.other'])], path: 'spec.configPatches[0]' },
  {
    rule: 'MW411',
    bad: [routeOp('ADD', 'SIDECAR_OUTBOUND', 'allow_any', undefined, { name: 'late', match: { prefix: '/late' }, direct_response: { status: 418 } }, 9080)],
    good: [routeOp('INSERT_BEFORE', 'SIDECAR_OUTBOUND', 'allow_any', 'allow_any', { name: 'early', match: { prefix: '/early' }, direct_response: { status: 418 } }, 9080)],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW412',
    bad: [
      routeOp('MERGE', 'SIDECAR_OUTBOUND', 'reviews.default.svc.cluster.local:9080', 'default', localRl(true), 9080),
      httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', localRlFilter, { port: 8080, subFilter: ROUTER }),
    ],
    good: [routeOp('MERGE', 'SIDECAR_INBOUND', 'inbound|http|9080', 'default', localRl(true)), httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', localRlFilter, { port: 8080, subFilter: ROUTER })],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW413',
    bad: [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 8080, subFilter: 'envoy.filters.http.rbac' })],
    good: [inboundRouter('INSERT_BEFORE', lua())],
    path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
  },
  { rule: 'MW413', bad: [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 9080, subFilter: ROUTER })], good: [inboundRouter('INSERT_BEFORE', lua())], path: 'spec.configPatches[0]' },
  {
    rule: 'MW414',
    bad: [httpFilterPatch('SIDECAR_OUTBOUND', 'INSERT_BEFORE', lua(), { subFilter: 'envoy.router' })],
    good: [httpFilterPatch('SIDECAR_OUTBOUND', 'INSERT_BEFORE', lua(), { subFilter: ROUTER })],
    path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
  },
  {
    rule: 'MW415',
    bad: [{ applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: { stats_flush_interval: '10s' } } }],
    good: [clusterPatch('MERGE', { connect_timeout: '2s' })],
    path: 'spec.configPatches[0].applyTo',
  },
  {
    rule: 'MW416',
    bad: [ecdsConfig('MERGE'), inboundRouter('INSERT_BEFORE', ecdsFilter)],
    good: [ecdsConfig('ADD'), inboundRouter('INSERT_BEFORE', ecdsFilter)],
    path: 'spec.configPatches[0].patch.operation',
  },
  {
    rule: 'MW417',
    bad: [clusterPatch('INSERT_FIRST', { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext') } } })],
    good: [clusterPatch('MERGE', { connect_timeout: '2s' })],
    path: 'spec.configPatches[0].patch.operation',
  },
  {
    rule: 'MW418',
    bad: [routeOp('MERGE', 'SIDECAR_INBOUND', 'inbound|http|9080', 'default', localRl(false)), inboundRouter('INSERT_BEFORE', localRlFilter)],
    good: [routeOp('MERGE', 'SIDECAR_INBOUND', 'inbound|http|9080', 'default', localRl(true)), inboundRouter('INSERT_BEFORE', localRlFilter)],
    path: 'spec.configPatches[0].patch.value',
  },
  // A FilterConfig without config is no per-route LocalRateLimit: disabled turns the filter off on the
  // route (Envoy 1.39.3 accepts it); an empty one is the semantic layer's MW340, not a missing token_bucket.
  ...([{ disabled: true }, {}] as JsonObject[]).map((wrapper) => ({
    rule: 'MW418',
    bad: [routeOp('MERGE', 'SIDECAR_INBOUND', 'inbound|http|9080', 'default', localRl(false)), inboundRouter('INSERT_BEFORE', localRlFilter)],
    good: [
      routeOp('MERGE', 'SIDECAR_INBOUND', 'inbound|http|9080', 'default', {
        typed_per_filter_config: { 'envoy.filters.http.local_ratelimit': { '@type': T('envoy.config.route.v3.FilterConfig'), ...wrapper } },
      }),
      inboundRouter('INSERT_BEFORE', localRlFilter),
    ],
    path: 'spec.configPatches[0].patch.value',
  })),
  {
    rule: 'MW419',
    bad: [inboundRouter('MERGE', { typed_config: lua().typed_config as JsonObject })],
    good: [inboundRouter('MERGE', { typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router'), suppress_envoy_headers: true } })],
    path: 'spec.configPatches[0].patch.value.typed_config',
  },
  {
    rule: 'MW420',
    bad: [{ applyTo: 'ROUTE_CONFIGURATION', match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080 } }, patch: { operation: 'ADD', value: { name: 'x' } } }],
    good: [
      {
        applyTo: 'ROUTE_CONFIGURATION',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080 } },
        patch: { operation: 'MERGE', value: { most_specific_header_mutations_wins: true } },
      },
    ],
    path: 'spec.configPatches[0].patch.operation',
  },
  {
    rule: 'MW421',
    bad: [{ ...httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 8080, subFilter: ROUTER }), patch: { operation: 'INSERT_BEFORE', value: lua(), filterClass: 'AUTHZ' } }],
    good: [inboundRouter('INSERT_BEFORE', lua())],
    path: 'spec.configPatches[0].patch.filterClass',
  },
  { rule: 'MW422', bad: [inboundRouter('INSERT_BEFORE', ecdsFilter)], good: [ecdsConfig('ADD'), inboundRouter('INSERT_BEFORE', ecdsFilter)], path: 'spec.configPatches[0]' },
  {
    rule: 'MW423',
    bad: [
      {
        applyTo: 'HTTP_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portName: 'http-web', filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } },
        patch: { operation: 'INSERT_BEFORE', value: lua() },
      },
    ],
    good: [inboundRouter('INSERT_BEFORE', lua())],
    path: 'spec.configPatches[0].match.listener.portName',
  },
  { rule: 'MW424', bad: [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 8080 })], good: [inboundRouter('INSERT_BEFORE', lua())], path: 'spec.configPatches[0].match' },
  // Gateways: the listener binds the container port, RDS is matched through the Gateway port map.
  {
    rule: 'MW413',
    kind: 'gateway',
    bad: [httpFilterPatch('GATEWAY', 'INSERT_BEFORE', lua(), { port: 80, subFilter: ROUTER })],
    good: [httpFilterPatch('GATEWAY', 'INSERT_BEFORE', lua(), { port: 8080, subFilter: ROUTER })],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW413',
    kind: 'gateway',
    bad: [
      {
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'GATEWAY', routeConfiguration: { portNumber: 8080, vhost: { name: 'bookinfo.example.com:80' } } },
        patch: { operation: 'MERGE', value: { include_attempt_count_in_response: true } },
      },
    ],
    good: [
      {
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'GATEWAY', routeConfiguration: { portNumber: 80, vhost: { name: 'bookinfo.example.com:80' } } },
        patch: { operation: 'MERGE', value: { include_attempt_count_in_response: true } },
      },
    ],
    path: 'spec.configPatches[0]',
  },
  {
    rule: 'MW425',
    kind: 'gateway',
    bad: [
      {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'GATEWAY', routeConfiguration: { portNumber: 80, vhost: { name: 'bookinfo.example.com:80', route: { name: 'default' } } } },
        patch: { operation: 'MERGE', value: { decorator: { operation: 'x' } } },
      },
    ],
    good: [
      {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'GATEWAY', routeConfiguration: { portNumber: 80, vhost: { domainName: 'bookinfo.example.com', route: { name: 'default' } } } },
        patch: { operation: 'MERGE', value: { decorator: { operation: 'x' } } },
      },
    ],
    path: 'spec.configPatches[0].match.routeConfiguration.vhost.name',
  },
  {
    rule: 'MW426',
    bad: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { transportSocket: 'envoy.transport_sockets.tls', filter: { name: HCM } } } },
        patch: {
          operation: 'MERGE',
          value: { name: HCM, typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), stream_idle_timeout: '300s' } },
        },
      },
    ],
    good: [
      {
        applyTo: 'NETWORK_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { transportProtocol: 'tls', filter: { name: HCM } } } },
        patch: {
          operation: 'MERGE',
          value: { name: HCM, typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), stream_idle_timeout: '300s' } },
        },
      },
    ],
    path: 'spec.configPatches[0].match.listener.filterChain.transportSocket',
  },
  {
    rule: 'MW427',
    versions: ['1.31.0'],
    bad: [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_AFTER', lua(), { port: 8080, subFilter: 'extensions.istio.io/wasmplugin/default.auth' })],
    good: [inboundRouter('INSERT_BEFORE', lua())],
    path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
  },
  {
    rule: 'MW427',
    versions: ['1.28.0'],
    bad: [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_AFTER', lua(), { port: 8080, subFilter: 'extensions.istio.io/trafficextension/default.auth~istio-translated-wasmplugin' })],
    good: [inboundRouter('INSERT_BEFORE', lua())],
    path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
  },
];

for (const version of ['1.28.0', '1.31.0']) {
  describe(`MW4xx rules on the ${version} baselines`, () => {
    for (const [i, c] of cases.entries()) {
      if (c.versions && !c.versions.includes(version)) continue;
      it(`${c.rule} #${i} (${c.kind ?? 'sidecar'}): bad is reported, good is not`, () => {
        const bad = run(version, [envoyFilter('bad', c.bad)], c.kind);
        const hit = bad.findings.find((f) => f.finding.rule === c.rule);
        assert.ok(
          hit,
          `expected ${c.rule}, got ${JSON.stringify(
            bad.findings.map((f) => [f.finding.rule, f.finding.message]),
            null,
            1,
          )}`,
        );
        assert.equal(hit.filterIndex, 0);
        assert.ok(hit.finding.path.startsWith(c.path), `${hit.finding.path} does not start with ${c.path}`);
        assert.ok(hit.finding.hint && hit.finding.hint.length > 10, 'finding has a hint');
        const good = run(version, [envoyFilter('good', c.good)], c.kind);
        assert.deepEqual(
          rulesOf(good).filter((r) => r === c.rule),
          [],
          JSON.stringify(good.findings, null, 1),
        );
        assert.deepEqual(
          good.findings.filter((f) => f.finding.severity === 'error'),
          [],
          'good case has no errors',
        );
      });
    }
  });
}

/** MW4xx rules judged without applying patches, by the test file that has their bad cases. */
const judgedOutsideTheSimulation: Record<string, string> = { MW428: 'proxy-version-gate.test.ts', MW429: 'target-refs-context.test.ts' };

describe('MW4xx catalogue', () => {
  it('every MW4xx rule has a title, a source and at least one bad case', () => {
    const mw4 = allRules().filter((r) => r.code.startsWith('MW4'));
    assert.ok(mw4.length >= 22);
    for (const r of mw4) {
      assert.equal(r.layer, 'patch');
      assert.ok(r.title.length > 10 && (r.sources[0] ?? '').length > 10, r.code);
      assert.ok(cases.some((c) => c.rule === r.code) || judgedOutsideTheSimulation[r.code] !== undefined, `no test case for ${r.code}`);
    }
  });
});
