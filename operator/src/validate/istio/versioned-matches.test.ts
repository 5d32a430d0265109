/**
 * Matches whose meaning changed between Istio minors (ADR 0112): `filterChain.transportSocket`
 * (Istio 1.32) and the WasmPlugin filter rename (Istio 1.30), on the baselines of each minor.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { istioMinors } from '../../versions/table.js';
import { envoyFilter, HCM, ROUTER, lua, rulesOf, run, T } from './apply.testkit.js';
import { checkEnvoyFilterPatches } from './layer.js';
import type { ApplyResult, ConfigPatch, JsonObject } from './types.js';
import { transportSocketHint, transportSocketMatches } from './versioned-matches.js';
import { featuresFor, parseIstioVersion } from './versions.js';

const features = (v: string) => featuresFor(parseIstioVersion(v));

describe('featuresFor: the Istio boundaries by the table order', () => {
  it('transportSocket from 1.32, trafficextension names from 1.30, MERGE_AND_REPLACE_LIST from 1.31', () => {
    const table = Object.fromEntries(istioMinors().map((m) => [m, features(`${m}.0`)]));
    assert.deepEqual(Object.fromEntries(Object.entries(table).map(([m, f]) => [m, [f.trafficExtensionFilterNames, f.mergeAndReplaceList, f.filterChainTransportSocket]])), {
      '1.28': [false, false, false],
      '1.29': [false, false, false],
      '1.30': [true, false, false],
      '1.31': [true, true, false],
      '1.32': [true, true, true],
    });
    assert.equal(features('1.31.0').proxyVersionMaxLen, 1024);
  });

  it('a backport holds from its patch on, in its minor only (the proxyVersion cap since 1.30.4)', () => {
    assert.deepEqual(
      ['1.29.9', '1.30', '1.30.3', '1.30.4', '1.30.8'].map((v) => features(v).proxyVersionMaxLen),
      [undefined, undefined, undefined, 1024, 1024],
    );
    const long = `^1\\.30.*${'|x'.repeat(600)}`;
    const p = hcmMerge(undefined);
    const ef = envoyFilter('long', [{ ...p, match: { ...p.match, proxy: { proxyVersion: long } } }]);
    assert.deepEqual(patchedChains(run('1.30.3', [ef])), [TLS, RAW], 'matches on 1.30.3');
    assert.deepEqual(patchedChains(run('1.30.4', [ef])), [], 'never matches on 1.30.4');
  });

  it('the flags kept constant changed before the oldest row of the table', () => {
    const oldest = Number(istioMinors()[0]!.split('.')[1]);
    // vhostDomainName 1.26, bootstrapIgnored 1.21, deprecatedNamesNoMatch 1.19, singleInboundPassthroughCluster 1.23, targetRefs 1.22, listenerFilterMerge 1.27
    for (const minor of [26, 21, 19, 23, 22, 27]) assert.ok(minor < oldest, `1.${minor} is a row of the table now: make it a boundary`);
    const f = features(`${istioMinors()[0]}.0`);
    assert.deepEqual([f.vhostDomainName, f.bootstrapIgnored, f.deprecatedNamesNoMatch, f.singleInboundPassthroughCluster, f.targetRefs, f.listenerFilterMerge], [true, true, true, true, true, true]);
  });

  it('a version outside the table is a clear error, not a guess', () => {
    assert.throws(() => features('1.99.0'), /not both istio minors of the version table/i);
  });
});

describe('transportSocketMatches', () => {
  const tls = { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: {} } };
  it('matches the configured socket by name; no socket is raw_buffer', () => {
    assert.ok(transportSocketMatches(tls, 'envoy.transport_sockets.tls'));
    assert.ok(!transportSocketMatches(tls, 'envoy.transport_sockets.raw_buffer'));
    assert.ok(transportSocketMatches({}, 'envoy.transport_sockets.raw_buffer'));
    assert.ok(!transportSocketMatches({}, 'envoy.transport_sockets.tls'));
    assert.ok(transportSocketMatches({ transport_socket: { name: 'envoy.transport_sockets.quic' } }, 'envoy.transport_sockets.quic'));
  });
  it('the no-match hint is for a value that names no socket; an empty value is no condition', () => {
    const hint = (transportSocket: string) => transportSocketHint({ listener: { filterChain: { transportSocket } } });
    assert.match(hint('tls') ?? '', /envoy\.transport_sockets\.tls/);
    assert.equal(hint('envoy.transport_sockets.tls'), undefined);
    assert.equal(hint(''), undefined);
  });
});

const TLS = 'envoy.transport_sockets.tls';
const RAW = 'envoy.transport_sockets.raw_buffer';

/** A MERGE into the inbound HCM of port 8080, on the chains with the given transport socket. */
const hcmMerge = (transportSocket: string | undefined, extra: JsonObject = {}): ConfigPatch => ({
  applyTo: 'NETWORK_FILTER',
  match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { ...(transportSocket !== undefined ? { transportSocket } : {}), filter: { name: HCM } }, ...extra } },
  patch: { operation: 'MERGE', value: { name: HCM, typed_config: { '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'), stream_idle_timeout: '123s' } } },
});

/** The transport socket names of the port-8080 inbound chains whose HCM the merge reached. */
function patchedChains(r: ApplyResult): string[] {
  const vi = r.config.listeners.find((l) => l['name'] === 'virtualInbound')!;
  const out: string[] = [];
  for (const fc of vi['filter_chains'] as JsonObject[]) {
    if (fc['name'] !== '0.0.0.0_8080') continue;
    const hcm = (fc['filters'] as JsonObject[]).find((f) => f['name'] === HCM)!;
    if ((hcm['typed_config'] as JsonObject)['stream_idle_timeout'] === '123s') out.push(String((fc['transport_socket'] as JsonObject | undefined)?.['name'] ?? RAW));
  }
  return out;
}

describe('filterChain.transportSocket on the patch layer', () => {
  it('on 1.32 the patch reaches only the chains with that transport socket (raw_buffer: the chains without one)', () => {
    const tls = run('1.32.0', [envoyFilter('ts', [hcmMerge(TLS)])]);
    assert.deepEqual(patchedChains(tls), [TLS]);
    assert.deepEqual(rulesOf(tls), []);
    assert.deepEqual(patchedChains(run('1.32.0', [envoyFilter('ts', [hcmMerge(RAW)])])), [RAW]);
    assert.deepEqual(patchedChains(run('1.32.0', [envoyFilter('ts', [hcmMerge(undefined)])])), [TLS, RAW]);
  });

  it('transportSocket and transportProtocol differ: the TLS passthrough chain accepts tls but has no TLS socket', () => {
    const chainPatch = (filterChain: JsonObject): ConfigPatch => ({
      applyTo: 'FILTER_CHAIN',
      match: { context: 'SIDECAR_INBOUND', listener: { name: 'virtualInbound', filterChain: { name: 'virtualInbound', ...filterChain } } },
      patch: { operation: 'MERGE', value: { transport_socket_connect_timeout: '7s' } },
    });
    const merged = (r: ApplyResult) =>
      (r.config.listeners.find((l) => l['name'] === 'virtualInbound')!['filter_chains'] as JsonObject[]).filter((fc) => fc['transport_socket_connect_timeout'] === '7s').length;
    assert.equal(merged(run('1.32.0', [envoyFilter('p', [chainPatch({ transportProtocol: 'tls' })])])), 2, 'mTLS and TLS passthrough chains');
    assert.equal(merged(run('1.32.0', [envoyFilter('p', [chainPatch({ transportSocket: TLS })])])), 1, 'only the mTLS chain terminates TLS');
  });

  it('before 1.32 the field is not read: the patch reaches every chain and MW426 says so, naming the field', () => {
    for (const v of ['1.30.0', '1.31.0']) {
      const r = run(v, [envoyFilter('ts', [hcmMerge(TLS)])]);
      assert.deepEqual(patchedChains(r), [TLS, RAW], v);
      const f = r.findings.find((x) => x.finding.rule === 'MW426');
      assert.ok(f, `${v}: ${JSON.stringify(rulesOf(r))}`);
      assert.equal(f.finding.severity, 'error');
      assert.equal(f.finding.path, 'spec.configPatches[0].match.listener.filterChain.transportSocket');
      assert.match(f.finding.message, /every filter chain/);
      assert.match(f.finding.hint ?? '', /transportProtocol/);
    }
    assert.ok(!rulesOf(run('1.30.0', [envoyFilter('ts', [hcmMerge(undefined)])])).includes('MW426'), 'no transportSocket, no finding');
  });

  it('a value that names no transport socket matches nothing on 1.32, and the hint gives the names', () => {
    const r = run('1.32.0', [envoyFilter('ts', [hcmMerge('tls')])]);
    assert.deepEqual(patchedChains(r), []);
    const f = r.findings.find((x) => x.finding.rule === 'MW413');
    assert.ok(f, JSON.stringify(rulesOf(r)));
    assert.match(f.finding.hint ?? '', /envoy\.transport_sockets\.tls/);
  });

  it('across versions the finding names the minors that widen the patch, and only those', () => {
    const ef = envoyFilter('ts', [hcmMerge(TLS)]);
    const all = checkEnvoyFilterPatches(ef, { istioVersions: ['1.30.0', '1.31.0', '1.32.0'] });
    const mw426 = all.filter((f) => f.rule === 'MW426');
    assert.equal(mw426.length, 1, JSON.stringify(all));
    assert.match(mw426[0]!.message, /\[Istio 1\.30, 1\.31 only\]$/);
    assert.deepEqual(
      checkEnvoyFilterPatches(ef, { istioVersions: ['1.32.0'] }).filter((f) => f.severity === 'error'),
      [],
    );
  });

  it('a patch restricted to 1.32 proxies by proxyVersion never reaches the older ones: no finding for them', () => {
    const p = hcmMerge(TLS);
    const ef = envoyFilter('ts', [{ ...p, match: { ...p.match, proxy: { proxyVersion: '^1\\.32.*' } } }]);
    assert.deepEqual(
      checkEnvoyFilterPatches(ef, { istioVersions: ['1.31.0', '1.32.0'] }).filter((f) => f.rule === 'MW426'),
      [],
    );
  });
});

const OLD = 'extensions.istio.io/wasmplugin/default.auth';
const NEW = 'extensions.istio.io/trafficextension/default.auth~istio-translated-wasmplugin';
const afterWasm = (name: string): ConfigPatch => ({
  applyTo: 'HTTP_FILTER',
  match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM, subFilter: { name } } } } },
  patch: { operation: 'INSERT_AFTER', value: lua() },
});
const SUB = 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name';

describe('WasmPlugin filter names (renamed in Istio 1.30)', () => {
  it('an anchor on the old name is reported on 1.30 and later, with the name istiod generates', () => {
    for (const v of ['1.30.0', '1.31.0', '1.32.0']) {
      const f = run(v, [envoyFilter('w', [afterWasm(OLD)])]).findings.find((x) => x.finding.rule === 'MW427');
      assert.ok(f, v);
      assert.equal(f.finding.severity, 'error');
      assert.equal(f.finding.path, SUB);
      assert.ok(f.finding.message.includes(JSON.stringify(NEW)) && (f.finding.hint ?? '').includes(NEW), f.finding.message);
    }
    for (const v of ['1.28.0', '1.29.0']) assert.ok(!rulesOf(run(v, [envoyFilter('w', [afterWasm(OLD)])])).includes('MW427'), v);
  });

  it('an anchor on the new name is reported before 1.30, with the old name', () => {
    const f = run('1.29.0', [envoyFilter('w', [afterWasm(NEW)])]).findings.find((x) => x.finding.rule === 'MW427');
    assert.ok(f);
    assert.ok((f.finding.hint ?? '').includes(OLD), f.finding.hint);
    assert.ok(!rulesOf(run('1.30.0', [envoyFilter('w', [afterWasm(NEW)])])).includes('MW427'));
  });

  it('network filter anchors and other extension names: only WasmPlugin names of the other line', () => {
    const net = (name: string): ConfigPatch => ({
      applyTo: 'NETWORK_FILTER',
      match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name } } } },
      patch: { operation: 'REMOVE' },
    });
    const r = run('1.31.0', [envoyFilter('w', [net('extensions.istio.io/wasmplugin/default.tcp'), net('extensions.istio.io/trafficextension/default.lua-te')])]);
    assert.deepEqual(
      r.findings.filter((x) => x.finding.rule === 'MW427').map((x) => x.finding.path),
      ['spec.configPatches[0].match.listener.filterChain.filter.name'],
    );
  });

  it('across versions MW427 replaces "matches nothing" (MW413); the current name is not reported', () => {
    const ef = envoyFilter('w', [afterWasm(OLD)]);
    const all = checkEnvoyFilterPatches(ef, { istioVersions: ['1.30.0', '1.31.0', '1.32.0'] });
    assert.deepEqual(
      all.filter((f) => f.path === SUB).map((f) => f.rule),
      ['MW427'],
    );
    // The current name is assumed to exist (a WasmPlugin the validator cannot see offline), as VirtualService routes are.
    assert.deepEqual(
      checkEnvoyFilterPatches(envoyFilter('w', [afterWasm(NEW)]), { istioVersions: ['1.31.0'] }).map((f) => f.rule),
      [],
    );
    // Other anchors that match nothing are still reported.
    assert.deepEqual(
      checkEnvoyFilterPatches(envoyFilter('w', [afterWasm('envoy.filters.http.nonexistent')]), { istioVersions: ['1.31.0'] }).map((f) => f.rule),
      ['MW413'],
    );
  });

  it('the router anchor is untouched', () => {
    assert.deepEqual(
      rulesOf(run('1.32.0', [envoyFilter('w', [afterWasm(ROUTER)])])).filter((r) => r === 'MW427'),
      [],
    );
  });
});
