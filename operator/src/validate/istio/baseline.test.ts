import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { VERSION_TABLE } from '../../versions/table.js';
import { BASELINES_DIR, baselineFromConfigDump, instantiateBaseline, loadBaseline, loadBaselineTemplate } from './baseline.js';
import { gatewayTemplate, sidecarTemplate } from './baseline-template.js';
import { HCM_NAME, ROUTER_NAME } from './names.js';
import type { JsonObject, XdsConfig } from './types.js';
import { BASELINE_MINORS } from './versions.js';

function hcms(c: XdsConfig): Array<{ listener: string; chain: string; hcm: JsonObject }> {
  const out: Array<{ listener: string; chain: string; hcm: JsonObject }> = [];
  for (const l of c.listeners) {
    const chains = [...((l['filter_chains'] as JsonObject[]) ?? []), ...(l['default_filter_chain'] ? [l['default_filter_chain'] as JsonObject] : [])];
    for (const fc of chains) {
      for (const f of (fc['filters'] as JsonObject[]) ?? []) {
        if (f['name'] === HCM_NAME) out.push({ listener: String(l['name']), chain: String(fc['name'] ?? ''), hcm: f['typed_config'] as JsonObject });
      }
    }
  }
  return out;
}
const names = (hcm: JsonObject) => (hcm['http_filters'] as JsonObject[]).map((h) => h['name']);

for (const minor of BASELINE_MINORS) {
  describe(`baseline ${minor}`, () => {
    it('sidecar: istiod HTTP filter order, router last, inline inbound routes, RDS outbound', () => {
      const c = loadBaseline(`${minor}.0`, 'sidecar');
      // Captured baselines (1.30, 1.31) also hold the cluster's other Services (kubernetes, the gateway).
      const listeners = c.listeners.map((l) => l['name']);
      for (const l of ['10.96.0.10_53', '0.0.0.0_9080', 'virtualOutbound', 'virtualInbound']) assert.ok(listeners.includes(l), l);
      assert.deepEqual(listeners.slice(-2), ['virtualOutbound', 'virtualInbound'], 'istiod appends the virtual listeners last');
      const all = hcms(c);
      for (const { hcm } of all) assert.equal(names(hcm).at(-1), ROUTER_NAME);
      const inbound = all.filter((h) => h.chain === '0.0.0.0_8080');
      assert.equal(inbound.length, 2, 'TLS and plaintext chains');
      for (const { hcm } of inbound) {
        assert.deepEqual(names(hcm), ['istio.metadata_exchange', 'envoy.filters.http.grpc_stats', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'istio.stats', ROUTER_NAME]);
        const rc = hcm['route_config'] as JsonObject;
        assert.equal(rc['name'], 'inbound|8080||');
        assert.equal((rc['virtual_hosts'] as JsonObject[])[0]!['name'], 'inbound|http|9080');
      }
      const outbound = all.find((h) => h.listener === '0.0.0.0_9080')!;
      assert.deepEqual(names(outbound.hcm), [
        'istio.metadata_exchange',
        'envoy.filters.http.grpc_stats',
        'istio.alpn',
        'envoy.filters.http.fault',
        'envoy.filters.http.cors',
        'istio.stats',
        ROUTER_NAME,
      ]);
      assert.equal((outbound.hcm['rds'] as JsonObject)['route_config_name'], '9080');
      assert.ok(c.routes.some((r) => r['name'] === '9080'));
      const clusters = c.clusters.map((x) => String(x['name']));
      assert.equal(new Set(clusters).size, clusters.length);
      assert.ok(clusters.includes('inbound|8080||') && clusters.includes('InboundPassthroughCluster'));
    });

    it('gateway: container-port listener, RDS http.<port>, vhost <host>:<server port>', () => {
      const c = loadBaseline(`${minor}.0`, 'gateway');
      assert.deepEqual(
        c.listeners.map((l) => l['name']),
        ['0.0.0.0_8080'],
      );
      assert.deepEqual(
        c.routes.map((r) => r['name']),
        ['http.8080'],
      );
      assert.deepEqual(
        (c.routes[0]!['virtual_hosts'] as JsonObject[]).map((v) => v['name']),
        ['bookinfo.example.com:80'],
      );
      assert.deepEqual(c.meta?.gatewayPortMap, { '8080': [80] });
      assert.equal(names(hcms(c)[0]!.hcm).at(-1), ROUTER_NAME);
    });
  });
}

describe('instantiateBaseline', () => {
  it('repeats inbound chains and clusters per port; TCP ports get tcp_proxy chains', () => {
    const c = instantiateBaseline(loadBaselineTemplate('1.30.0', 'sidecar'), {
      inbound: [
        { servicePort: 80, targetPort: 3000, serviceHost: 'web.shop.svc.cluster.local' },
        { servicePort: 9100, targetPort: 9100, protocol: 'tcp' },
      ],
    });
    const vi = c.listeners.find((l) => l['name'] === 'virtualInbound')!;
    const chainNames = (vi['filter_chains'] as JsonObject[]).map((fc) => fc['name']);
    assert.equal(chainNames.filter((n) => n === '0.0.0.0_3000').length, 2);
    assert.equal(chainNames.filter((n) => n === '0.0.0.0_9100').length, 3);
    const tcp = (vi['filter_chains'] as JsonObject[]).find((fc) => fc['name'] === '0.0.0.0_9100')!;
    assert.equal((tcp['filters'] as JsonObject[]).at(-1)!['name'], 'envoy.filters.network.tcp_proxy');
    assert.equal((tcp['filter_chain_match'] as JsonObject)['destination_port'], 9100);
    const clusters = c.clusters.map((x) => x['name']);
    assert.ok(clusters.includes('inbound|3000||') && clusters.includes('inbound|9100||'));
  });

  it("outbound HTTP ports the baseline lacks get istiod's listener and RDS config (catch-all vhost only), on every minor", () => {
    for (const minor of BASELINE_MINORS) {
      const plain = loadBaseline(`${minor}.0`, 'sidecar');
      const c = loadBaseline(`${minor}.0`, 'sidecar', { outboundHttpPorts: [8080, 9080] });
      assert.equal(c.listeners.length, plain.listeners.length + 1, `${minor}: 9080 exists already, 8080 is added`);
      const l = c.listeners.find((x) => x['name'] === '0.0.0.0_8080');
      assert.ok(l, `${minor}: no 0.0.0.0_8080`);
      assert.equal((l['address'] as { socket_address: JsonObject }).socket_address['port_value'], 8080);
      const hcm = ((l['filter_chains'] as JsonObject[])[0]!['filters'] as JsonObject[]).find((f) => f['name'] === HCM_NAME)!['typed_config'] as JsonObject;
      assert.equal((hcm['rds'] as JsonObject)['route_config_name'], '8080');
      assert.match(String(hcm['stat_prefix']), /^outbound_0\.0\.0\.0_8080/);
      assert.equal(names(hcm).at(-1), ROUTER_NAME);
      const rc = c.routes.find((r) => r['name'] === '8080')!;
      assert.deepEqual(
        (rc['virtual_hosts'] as JsonObject[]).map((v) => v['domains']),
        [['*']],
        `${minor}: only the catch-all vhost`,
      );
      assert.deepEqual(loadBaseline(`${minor}.0`, 'sidecar', { outboundHttpPorts: [9080] }), plain);
    }
  });

  it('gateway servers sharing a container port share one listener and route config', () => {
    const c = instantiateBaseline(loadBaselineTemplate('1.31.0', 'gateway'), {
      gatewayServers: [
        { servicePort: 80, targetPort: 8080, host: 'a.example.com' },
        { servicePort: 8000, targetPort: 8080, host: 'b.example.com' },
      ],
    });
    assert.equal(c.listeners.length, 1);
    assert.deepEqual(c.meta?.gatewayPortMap, { '8080': [80, 8000] });
  });

  it('policy variants put ext_authz, jwt_authn and rbac after metadata exchange on inbound only', () => {
    const c = loadBaseline('1.28.0', 'sidecar', { policies: { extAuthz: true, jwt: true, rbac: 'both' } });
    const inbound = hcms(c).find((h) => h.chain === '0.0.0.0_8080')!;
    assert.deepEqual(names(inbound.hcm).slice(0, 6), [
      'istio.metadata_exchange',
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.rbac',
      'envoy.filters.http.rbac',
      'envoy.filters.http.grpc_stats',
    ]);
    assert.ok(!names(hcms(c).find((h) => h.listener === '0.0.0.0_9080')!.hcm).includes('envoy.filters.http.rbac'));
  });
});

describe('baselineFromConfigDump', () => {
  it('turns a config dump into a template that instantiates to itself', () => {
    const b = loadBaseline('1.28.0', 'sidecar');
    const L = 'type.googleapis.com/envoy.config.listener.v3.Listener';
    const dump = {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          static_listeners: [{ listener: { name: '0.0.0.0_15090' } }],
          dynamic_listeners: b.listeners.map((l) => ({ name: l['name'], active_state: { version_info: 'x', listener: { '@type': L, ...l } } })),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
          dynamic_route_configs: b.routes.map((r) => ({ route_config: { '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', ...r } })),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
          static_clusters: [{ cluster: { name: 'xds-grpc' } }],
          dynamic_active_clusters: b.clusters.map((c) => ({ cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...c } })),
        },
      ],
    };
    const t = baselineFromConfigDump(dump, '1.28.0', 'sidecar');
    const again = instantiateBaseline(t, {});
    assert.deepEqual(again.listeners, b.listeners);
    assert.deepEqual(again.routes, b.routes);
    assert.deepEqual(again.clusters, b.clusters);
  });
});

describe('templating a capture (baseline-template.ts)', () => {
  it('a captured sidecar, templated again, instantiates for other ports with nothing of the captured ports left', () => {
    const t = loadBaselineTemplate('1.31.0', 'sidecar');
    const captured = { ...t, ...instantiateBaseline(t, {}) };
    const again = sidecarTemplate({ http: captured, httpPort: { servicePort: 9080, targetPort: 8080, serviceHost: 'productpage.default.svc.cluster.local' }, namespace: 'default' });
    const c = instantiateBaseline(again, { inbound: [{ servicePort: 80, targetPort: 3000, serviceHost: 'web.shop.svc.cluster.local' }], namespace: 'shop' });
    const vi = c.listeners.find((l) => l['name'] === 'virtualInbound')!;
    const own = (vi['filter_chains'] as JsonObject[]).filter((fc) => fc['name'] === '0.0.0.0_3000');
    assert.equal(own.length, 2);
    assert.ok(!JSON.stringify(own).includes('8080') && !JSON.stringify(own).includes('productpage'), 'no captured port or host left in the per-port chains');
    assert.match(JSON.stringify(own), /inbound\|http\|80"/);
    const clusters = c.clusters.map((x) => x['name']);
    assert.ok(clusters.includes('inbound|3000||') && clusters.includes('outbound|80||web.shop.svc.cluster.local'));
    assert.ok(!clusters.includes('inbound|8080||'));
  });

  it('a captured gateway, templated again, repeats its listener and route config per container port', () => {
    const t = loadBaselineTemplate('1.31.0', 'gateway');
    const captured = { ...t, ...instantiateBaseline(t, {}) };
    const again = gatewayTemplate(captured, { servicePort: 80, targetPort: 8080, host: 'bookinfo.example.com' });
    const c = instantiateBaseline(again, { gatewayServers: [{ servicePort: 443, targetPort: 8443, host: 'shop.example.com' }] });
    assert.deepEqual(
      c.listeners.map((l) => l['name']),
      ['0.0.0.0_8443'],
    );
    assert.deepEqual(
      c.routes.map((r) => r['name']),
      ['http.8443'],
    );
    assert.deepEqual(
      (c.routes[0]!['virtual_hosts'] as JsonObject[]).map((v) => v['name']),
      ['shop.example.com:443'],
    );
  });
});

describe('derived baselines (ADR 0112)', () => {
  const derived = VERSION_TABLE.filter((r) => r.baseline === 'derived');
  it('the table has a derived row (else this check tests nothing)', () => assert.ok(derived.length > 0));
  for (const row of derived) {
    for (const kind of ['sidecar', 'gateway'] as const) {
      it(`${row.istio} ${kind}: differs from the capture it names exactly in the parts its derived record lists`, () => {
        const file = (rel: string) => JSON.parse(readFileSync(join(BASELINES_DIR, '..', '..', rel), 'utf8')) as Record<string, unknown>;
        const b = file(`envoy-templates/baselines/${row.istio}/${kind}.json`);
        const record = b['derived'] as { from: string; differences: Array<{ part: string }> };
        const source = file(record.from.split(':')[0]!);
        const provenance = new Set(['derived', 'captured']);
        const keys = new Set([...Object.keys(b), ...Object.keys(source)].filter((k) => !provenance.has(k)));
        const differing = [...keys].filter((k) => !isDeepStrictEqual(b[k], source[k])).sort();
        assert.deepEqual(differing, record.differences.map((d) => d.part).sort(), 'list every difference in the derived record, with its source');
      });
    }
  }
});
