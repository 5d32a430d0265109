/**
 * Applications share the baseline's snapshot and copy only the listeners and sections a patch
 * can reach (apply.ts `own`, `copyBaseline`). If any write slipped past the copy, a later
 * application would see a changed baseline: each application here must give what it gives on a
 * baseline of its own, and the shared baseline must end as it started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { applyEnvoyFilters } from './apply.js';
import { loadBaseline } from './baseline.js';
import { envoyFilter, httpFilterPatch, lua, ROUTER, T, sidecarProxy, gatewayProxy } from './apply.testkit.js';
import type { ConfigPatch, EnvoyFilterObject, ProxyKind } from './types.js';
import { packageRoot } from '../../util/package-root.js';

const dir = join(packageRoot, 'operator', 'test', 'fixtures', 'envoyfilter');
const fromFiles = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => loadAll(readFileSync(join(dir, f), 'utf8')) as EnvoyFilterObject[])
  .filter((o) => o?.kind === 'EnvoyFilter')
  .map((o) => ({ ...o, spec: { ...o.spec, workloadSelector: { labels: { app: 'productpage' } } } }));

const route = (ctx: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY', applyTo: string, operation: string, value: Record<string, unknown>, port?: number): ConfigPatch =>
  ({ applyTo, match: { context: ctx, routeConfiguration: port ? { portNumber: port } : {} }, patch: { operation, value } }) as ConfigPatch;

// Every level a patch can write: listeners, their filters, chains, HTTP filters, inline and RDS routes, clusters.
const byHand: ConfigPatch[][] = [
  [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(), { port: 8080, subFilter: ROUTER })],
  [httpFilterPatch('SIDECAR_OUTBOUND', 'INSERT_FIRST', lua())],
  [httpFilterPatch('SIDECAR_INBOUND', 'REMOVE', undefined, { subFilter: ROUTER })],
  [httpFilterPatch('GATEWAY', 'INSERT_BEFORE', lua(), { subFilter: ROUTER })],
  // Inserted into every inbound HCM, then merged into: each insertion is its own object.
  [
    httpFilterPatch('SIDECAR_INBOUND', 'INSERT_FIRST', lua('mw.lua')),
    httpFilterPatch(
      'SIDECAR_INBOUND',
      'MERGE',
      { typed_config: { '@type': T('envoy.extensions.filters.http.lua.v3.Lua'), default_source_code: { inline_string: '-- merged' } } },
      { port: 8080, subFilter: 'mw.lua' },
    ),
  ],
  [
    httpFilterPatch(
      'SIDECAR_INBOUND',
      'MERGE',
      { name: 'renamed-router', typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router'), suppress_envoy_headers: true } },
      { port: 8080, subFilter: ROUTER },
    ),
  ],
  [
    {
      applyTo: 'NETWORK_FILTER',
      match: { context: 'SIDECAR_OUTBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
      patch: { operation: 'MERGE', value: { name: 'renamed-tcp', typed_config: { '@type': T('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'), stat_prefix: 'renamed' } } },
    },
  ],
  [
    {
      applyTo: 'NETWORK_FILTER',
      match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
      patch: { operation: 'INSERT_FIRST', value: { name: 'envoy.filters.network.rbac', typed_config: { '@type': T('envoy.extensions.filters.network.rbac.v3.RBAC'), stat_prefix: 'x' } } },
    },
  ],
  [{ applyTo: 'LISTENER', match: { context: 'SIDECAR_INBOUND' }, patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 1024 } } }],
  [{ applyTo: 'LISTENER', match: { context: 'SIDECAR_OUTBOUND', listener: { name: 'virtualOutbound' } }, patch: { operation: 'REMOVE' } }],
  [{ applyTo: 'FILTER_CHAIN', match: { context: 'SIDECAR_INBOUND' }, patch: { operation: 'MERGE', value: { transport_socket_connect_timeout: '5s' } } }],
  [
    {
      applyTo: 'NETWORK_FILTER',
      match: { context: 'ANY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
      patch: { operation: 'MERGE', value: { typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), server_name: 'x' } } },
    },
  ],
  [route('SIDECAR_INBOUND', 'ROUTE_CONFIGURATION', 'MERGE', { max_direct_response_body_size_bytes: 10 })],
  [route('SIDECAR_OUTBOUND', 'VIRTUAL_HOST', 'ADD', { name: 'extra', domains: ['extra.example'], routes: [] }, 9080)],
  [route('GATEWAY', 'HTTP_ROUTE', 'MERGE', { timeout: '3s' })],
  [{ applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND' }, patch: { operation: 'MERGE', value: { connect_timeout: '2s' } } }],
];
const efs = [...fromFiles, ...byHand.map((p, i) => envoyFilter(`by-hand-${i}`, p))];

for (const kind of ['sidecar', 'gateway'] as ProxyKind[]) {
  test(`${kind}: each application on the shared baseline equals one on a baseline of its own`, () => {
    assert.ok(fromFiles.length >= 10, 'the EnvoyFilter fixtures are read');
    const shared = loadBaseline('1.28.0', kind);
    const pristine = structuredClone(shared);
    const proxy = kind === 'sidecar' ? sidecarProxy('1.28.0') : { ...gatewayProxy('1.28.0'), labels: { app: 'productpage', istio: 'ingressgateway' } };
    for (const ef of efs) {
      const got = applyEnvoyFilters(shared, [ef], proxy);
      const alone = applyEnvoyFilters(structuredClone(pristine), [ef], proxy);
      assert.deepEqual(got.config, alone.config, `${ef.metadata.name}: config`);
      assert.deepEqual(got.findings, alone.findings, `${ef.metadata.name}: findings`);
    }
    // All of them together, twice: the second run sees the same baseline as the first, and
    // patch values shared between applications (SharedApplication) come out of both unchanged.
    const first = applyEnvoyFilters(shared, efs, proxy);
    const memo = { normalized: new WeakMap() };
    assert.deepEqual(applyEnvoyFilters(shared, efs, proxy, memo).config, first.config);
    assert.deepEqual(applyEnvoyFilters(shared, efs, proxy, memo).config, first.config);
    assert.deepEqual(shared, pristine, 'the baseline itself is unchanged');
  });
}
