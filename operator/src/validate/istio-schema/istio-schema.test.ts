import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkIstioObject, hasIstioCrds, istioCrdFile, istioSchemaRules, setIstioCrdDir, type IstioObjectOptions } from './index.js';
import type { Finding } from '../rule.js';

const haveCrds = hasIstioCrds('1.28') && hasIstioCrds('1.31');
const skipSchema = haveCrds ? false : 'no .tools/istio/<minor>/crd-all.gen.yaml (run scripts/fetch-istio-crds.sh)';
const HCM = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';
const lua = { name: 'mw.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' } };

type Spec = Record<string, unknown>;
const ef = (spec: Spec, ns = 'shop') => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'x', namespace: ns }, spec });
const wp = (spec: Spec, ns = 'shop') => ({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'w', namespace: ns }, spec });
const sel = { workloadSelector: { labels: { app: 'shop' } }, priority: 10 };
const httpPatch = (over: Record<string, unknown> = {}, patch: Record<string, unknown> = {}) => ({
  applyTo: 'HTTP_FILTER',
  match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } },
  patch: { operation: 'INSERT_BEFORE', value: lua, ...patch },
  ...over,
});
const goodEf = ef({ ...sel, configPatches: [httpPatch()] });
const goodWp = wp({ selector: { matchLabels: { app: 'shop' } }, url: 'oci://ghcr.io/acme/filter:1.0.0' });

interface Case {
  rule: string;
  good: unknown;
  bad: unknown;
  path: string;
  severity?: Finding['severity'];
  opts?: IstioObjectOptions;
  schema?: boolean; // needs the CRD files
}

const cases: Case[] = [
  {
    rule: 'MW110',
    schema: true,
    good: goodEf,
    bad: ef({
      ...sel,
      configPatches: [
        httpPatch({ match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } }, proxyVersion: '^1\\.28' } }),
      ],
    }),
    path: 'spec.configPatches[0].match.proxyVersion',
  },
  {
    rule: 'MW110',
    schema: true,
    good: ef({ ...sel, configPatches: [httpPatch({ match: { context: 'ANY', listener: {} } })] }),
    bad: ef({ ...sel, configPatches: [httpPatch({ match: { context: 'WAYPOINT', waypoint: { portNumber: 80 } } })] }),
    path: 'spec.configPatches[0].match.waypoint',
    opts: { istioVersions: ['1.28', '1.31'] },
  },
  { rule: 'MW111', schema: true, good: goodWp, bad: wp({ selector: { matchLabels: { app: 'shop' } } }), path: 'spec.url' },
  { rule: 'MW112', schema: true, good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({ applyTo: 'HTTP_FILTERS' })] }), path: 'spec.configPatches[0].applyTo' },
  { rule: 'MW112', schema: true, good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({ match: { listener: {}, cluster: {} } })] }), path: 'spec.configPatches[0].match' },
  { rule: 'MW113', schema: true, good: goodEf, bad: ef({ ...sel, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], configPatches: [httpPatch()] }), path: 'spec' },
  { rule: 'MW113', schema: true, good: goodWp, bad: wp({ selector: { matchLabels: { app: 'shop' } }, url: 'ftp://registry/filter.wasm' }), path: 'spec.url' },
  { rule: 'MW120', good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({ applyTo: undefined })] }), path: 'spec.configPatches[0].applyTo' },
  { rule: 'MW121', good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({}, { operation: undefined })] }), path: 'spec.configPatches[0].patch.operation' },
  {
    rule: 'MW122',
    good: ef({ ...sel, configPatches: [httpPatch({}, { operation: 'REMOVE', value: undefined })] }),
    bad: ef({ ...sel, configPatches: [httpPatch({}, { value: undefined })] }),
    path: 'spec.configPatches[0].patch.value',
  },
  {
    rule: 'MW123',
    good: goodEf,
    bad: ef({ ...sel, configPatches: [httpPatch({ match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|8080' } } } })] }),
    path: 'spec.configPatches[0].match.routeConfiguration',
  },
  {
    rule: 'MW124',
    good: goodEf,
    bad: ef({ ...sel, configPatches: [httpPatch({ match: { listener: { filterChain: { filter: { name: HCM, subFilter: {} } } } } })] }),
    path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
  },
  { rule: 'MW125', good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({ applyTo: 'NETWORK_FILTER' })] }), path: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter' },
  {
    rule: 'MW125',
    good: goodEf,
    bad: ef({ ...sel, configPatches: [httpPatch({ match: { listener: { filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy', subFilter: { name: ROUTER } } } } } })] }),
    path: 'spec.configPatches[0].match.listener.filterChain.filter.name',
  },
  {
    rule: 'MW126',
    good: ef({ ...sel, configPatches: [{ applyTo: 'FILTER_CHAIN', match: { listener: { filterChain: { name: 'virtualInbound' } } }, patch: { operation: 'MERGE', value: {} } }] }),
    bad: ef({ ...sel, configPatches: [{ applyTo: 'FILTER_CHAIN', match: { listener: { filterChain: { filter: { name: HCM } } } }, patch: { operation: 'MERGE', value: {} } }] }),
    path: 'spec.configPatches[0].match.listener.filterChain.filter',
  },
  {
    rule: 'MW127',
    good: ef({
      ...sel,
      configPatches: [{ applyTo: 'LISTENER_FILTER', match: { listener: { portNumber: 15006 } }, patch: { operation: 'REPLACE', value: { name: 'envoy.filters.listener.tls_inspector' } } }],
    }),
    bad: ef({ ...sel, configPatches: [{ applyTo: 'CLUSTER', match: { cluster: { name: 'c' } }, patch: { operation: 'REPLACE', value: { name: 'c' } } }] }),
    path: 'spec.configPatches[0].patch.operation',
  },
  { rule: 'MW128', good: goodEf, bad: ef({ workloadSelector: { labels: { app: 'shop' } }, configPatches: [httpPatch()] }), path: 'spec.priority' },
  { rule: 'MW129', good: goodEf, bad: ef({ ...sel, configPatches: [httpPatch({}, { operation: 'ADD', filterClass: 'AUTHZ' })] }), path: 'spec.configPatches[0].patch.filterClass' },
  { rule: 'MW130', good: goodEf, bad: ef({ workloadSelector: {}, priority: 10, configPatches: [httpPatch()] }), path: 'spec.workloadSelector', severity: 'warning' },
  { rule: 'MW131', good: ef({ ...sel, configPatches: [httpPatch()] }, 'istio-system'), bad: ef({ priority: 10, configPatches: [httpPatch()] }, 'istio-system'), path: 'spec' },
  { rule: 'MW131', good: goodWp, bad: wp({ url: 'oci://ghcr.io/acme/filter:1.0.0' }, 'mesh-root'), path: 'spec', opts: { rootNamespace: 'mesh-root' } },
  {
    rule: 'MW132',
    good: ef({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], priority: 10, configPatches: [httpPatch()] }),
    bad: ef({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], priority: 10, configPatches: [httpPatch()] }),
    path: 'spec.targetRefs',
    opts: { istioVersions: ['1.21', '1.28'] },
  },
  {
    rule: 'MW133',
    good: wp({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], url: 'oci://ghcr.io/a/b:1' }),
    bad: wp({ targetRefs: [{ kind: 'Deployment', group: 'apps', name: 'd' }], url: 'oci://ghcr.io/a/b:1' }),
    path: 'spec.targetRefs[0]',
    severity: 'error',
  },
  { rule: 'MW134', good: goodEf, bad: ef({ ...sel, priority: 3000000000, configPatches: [httpPatch()] }), path: 'spec.priority' },
  {
    rule: 'MW112',
    schema: true,
    good: goodWp,
    bad: wp({ selector: { matchLabels: { app: 'shop' } }, url: 'oci://ghcr.io/a/b:1', match: [{ ports: [{ number: 80 }, { number: 80 }] }] }),
    path: 'spec.match[0].ports',
  },
  {
    rule: 'MW133',
    good: goodEf,
    bad: ef({ targetRefs: [{ kind: 'Deployment', group: 'apps', name: 'd' }], priority: 10, configPatches: [httpPatch()] }),
    path: 'spec.targetRefs[0]',
    severity: 'warning',
  },
];

test('every MW11x rule has a good and a bad fixture', () => {
  const covered = new Set([...cases.map((c) => c.rule), 'MW119']);
  for (const r of Object.values(istioSchemaRules)) assert.ok(covered.has(r.code), `${r.code} has no fixture`);
});

for (const [i, c] of cases.entries()) {
  test(`${c.rule} #${i}: good is silent, bad is reported at ${c.path}`, { skip: c.schema ? skipSchema : false }, () => {
    const goodOpts = c.rule === 'MW132' ? { istioVersions: ['1.28'] } : c.opts;
    const good = checkIstioObject(c.good, goodOpts).filter((f) => f.rule === c.rule);
    assert.deepEqual(good, []);
    const bad = checkIstioObject(c.bad, c.opts).filter((f) => f.rule === c.rule && f.path === c.path);
    assert.ok(bad.length > 0, `no ${c.rule} at ${c.path}: ${JSON.stringify(checkIstioObject(c.bad, c.opts))}`);
    if (c.severity) assert.equal(bad[0]!.severity, c.severity);
  });
}

test('good objects are entirely quiet across 1.28-1.31', { skip: skipSchema }, () => {
  assert.deepEqual(checkIstioObject(goodEf), []);
  assert.deepEqual(checkIstioObject(goodWp), []);
});

test('a field that only a newer minor knows is reported for the older ones, with the version in the message', { skip: skipSchema }, () => {
  const bad = ef({ ...sel, configPatches: [{ applyTo: 'HTTP_FILTER', match: { context: 'WAYPOINT', waypoint: { portNumber: 80 } }, patch: { operation: 'MERGE_AND_REPLACE_LIST', value: {} } }] });
  const fs = checkIstioObject(bad, { istioVersions: ['1.28.3', '1.31.0'] });
  const wpt = fs.find((f) => f.rule === 'MW110' && f.path.endsWith('waypoint'))!;
  assert.match(wpt.message, /Istio 1\.28 prunes it silently/);
  assert.match(wpt.hint ?? '', /exists in Istio 1\.31/);
  const op = fs.find((f) => f.path === 'spec.configPatches[0].patch.operation')!;
  assert.match(op.message, /\[Istio 1\.28 only\]/);
  assert.deepEqual(
    checkIstioObject(bad, { istioVersions: ['1.31'] }).filter((f) => f.rule.startsWith('MW11')),
    [],
  );
});

test('proxyVersion goes through checkProxyVersion (MW511/MW513)', () => {
  const o = ef({
    ...sel,
    configPatches: [httpPatch({ match: { context: 'SIDECAR_INBOUND', proxy: { proxyVersion: '1.2' }, listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } } })],
  });
  const fs = checkIstioObject(o).filter((f) => f.rule === 'MW513');
  assert.ok(fs.length > 0 && fs[0]!.path === 'spec.configPatches[0].match.proxy.proxyVersion', JSON.stringify(fs));
  const bad = ef({ ...sel, configPatches: [httpPatch({ match: { proxy: { proxyVersion: '(?=1)' }, listener: {} } })] });
  assert.ok(checkIstioObject(bad).some((f) => f.rule === 'MW511'));
});

test('MW130 without selector is info; MW127 on ROUTE_CONFIGURATION ADD; IST0152 false positive is not repeated for LISTENER_FILTER', () => {
  const ns = checkIstioObject(ef({ priority: 10, configPatches: [httpPatch()] })).filter((f) => f.rule === 'MW130');
  assert.deepEqual(
    ns.map((f) => f.severity),
    ['info'],
  );
  const rc = checkIstioObject(ef({ ...sel, configPatches: [{ applyTo: 'ROUTE_CONFIGURATION', match: { routeConfiguration: {} }, patch: { operation: 'ADD', value: {} } }] }));
  assert.ok(rc.some((f) => f.rule === 'MW127'));
});

test('MW119: missing CRD files give one warning and the webhook checks still run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw11-'));
  const original = join(istioCrdFile('1.28'), '..', '..');
  try {
    setIstioCrdDir(dir);
    const fs = checkIstioObject(ef({ ...sel, configPatches: [httpPatch({}, { value: undefined })] }), { istioVersions: ['1.28'] });
    assert.deepEqual(fs.map((f) => f.rule).sort(), ['MW119', 'MW122']);
    assert.match(fs.find((f) => f.rule === 'MW119')!.hint ?? '', /fetch-istio-crds\.sh 1\.28/);
  } finally {
    setIstioCrdDir(original);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('other kinds are ignored', () => {
  assert.deepEqual(checkIstioObject({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', spec: {} }), []);
  assert.deepEqual(checkIstioObject(null), []);
});

test('speed: a 5-patch EnvoyFilter against 4 minors', { skip: skipSchema }, () => {
  const five = ef({
    ...sel,
    configPatches: [
      httpPatch(),
      httpPatch(),
      {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|8080', route: { name: 'default' } } } },
        patch: { operation: 'MERGE', value: { typed_per_filter_config: {} } },
      },
      { applyTo: 'VIRTUAL_HOST', match: { routeConfiguration: { portNumber: 9080 } }, patch: { operation: 'MERGE', value: {} } },
      { applyTo: 'CLUSTER', match: { cluster: { service: 'reviews', portNumber: 9080 } }, patch: { operation: 'MERGE', value: { connect_timeout: '2s' } } },
    ],
  });
  assert.deepEqual(checkIstioObject(five), []);
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) checkIstioObject(five);
  const perSec = n / ((performance.now() - t0) / 1000);
  console.log(`# MW11x 5-patch EnvoyFilter x 4 minors: ${Math.round(perSec)} checks/s`);
  assert.ok(perSec > 100);
});

test('WAYPOINT patches skip the webhook checks, as istiod does', () => {
  const o = ef({ ...sel, configPatches: [{ applyTo: 'HTTP_FILTER', match: { context: 'WAYPOINT', routeConfiguration: {} }, patch: { operation: 'ADD' } }] });
  assert.deepEqual(
    checkIstioObject(o, { istioVersions: ['1.31'] }).filter((f) => /^MW12/.test(f.rule)),
    [],
  );
});
