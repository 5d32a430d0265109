import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEnvoyFilters } from './apply.js';
import { loadBaseline } from './baseline.js';
import { envoyFilter, httpFilterNames, httpFilterPatch, lua, ROUTER, rulesOf, run, sidecarProxy, T } from './apply.testkit.js';
import type { ConfigPatch, JsonObject } from './types.js';

const before = (name: string, anchor = ROUTER) => httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua(name), { port: 8080, subFilter: anchor });
const inboundNames = (r: ReturnType<typeof run>) => httpFilterNames(r, 'virtualInbound', '0.0.0.0_8080');
/** Vhosts of outbound route config 9080 (captured baselines also hold the pod's own Service there). */
const vhosts9080 = (r: { routes: JsonObject[] }) => r.routes.find((x) => x['name'] === '9080')!['virtual_hosts'] as JsonObject[];
const reviews = (r: { routes: JsonObject[] }) => vhosts9080(r).find((v) => v['name'] === 'reviews.default.svc.cluster.local:9080')!;

for (const version of ['1.28.0', '1.31.0']) {
  describe(`patch ordering (${version})`, () => {
    it('INSERT_BEFORE router keeps the order of the patches', () => {
      const r = run(version, [envoyFilter('a', [before('one'), before('two'), before('three')])]);
      assert.deepEqual(inboundNames(r).slice(-4), ['one', 'two', 'three', ROUTER]);
      assert.deepEqual(r.findings, []);
    });

    it('INSERT_FIRST twice puts the later patch first', () => {
      const first = (n: string) => httpFilterPatch('SIDECAR_INBOUND', 'INSERT_FIRST', lua(n), { port: 8080 });
      const r = run(version, [envoyFilter('a', [first('one'), first('two')])]);
      assert.deepEqual(inboundNames(r).slice(0, 3), ['two', 'one', 'istio.metadata_exchange']);
    });

    it('INSERT_BEFORE without subFilter inserts first (before metadata exchange)', () => {
      const r = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua('x'), { port: 8080 })])]);
      assert.equal(inboundNames(r)[0], 'x');
      assert.deepEqual(rulesOf(r), ['MW424']);
    });

    it('priority orders EnvoyFilters: lower first, regardless of array order', () => {
      const r = run(version, [envoyFilter('late', [before('late')], { priority: 10 }), envoyFilter('early', [before('early')], { priority: -5 })]);
      assert.deepEqual(inboundNames(r).slice(-3), ['early', 'late', ROUTER]);
      assert.deepEqual(r.applied, [1, 0]);
    });

    it('a patch anchored on a filter another EnvoyFilter adds works only if that one is applied first', () => {
      const a = (p: number) => envoyFilter('a', [before('base')], { priority: p });
      const b = (p: number) => envoyFilter('b', [before('dependent', 'base')], { priority: p });
      const ok = run(version, [a(0), b(1)]);
      assert.deepEqual(inboundNames(ok).slice(-3), ['dependent', 'base', ROUTER]);
      assert.deepEqual(rulesOf(ok), []);
      const broken = run(version, [a(1), b(0)]);
      const f = broken.findings.find((x) => x.finding.rule === 'MW413');
      assert.ok(f);
      assert.equal(f.filterIndex, 1);
    });

    it('equal priority: root namespace first, then creation time, then name', () => {
      const root = envoyFilter('zzz', [before('root')], { namespace: 'istio-system', creationTimestamp: '2026-01-02T00:00:00Z' });
      const old = envoyFilter('b', [before('old')], { creationTimestamp: '2026-01-01T00:00:00Z' });
      const newer = envoyFilter('a', [before('newer')], { creationTimestamp: '2026-01-03T00:00:00Z' });
      const sameTimeA = envoyFilter('c', [before('c')], { creationTimestamp: '2026-01-04T00:00:00Z' });
      const sameTimeB = envoyFilter('d', [before('d')], { creationTimestamp: '2026-01-04T00:00:00Z' });
      const r = run(version, [sameTimeB, newer, old, root, sameTimeA]);
      assert.deepEqual(inboundNames(r).slice(-6), ['root', 'old', 'newer', 'c', 'd', ROUTER]);
    });

    it('relative operations run before MERGE within one HCM', () => {
      const merge: ConfigPatch = httpFilterPatch(
        'SIDECAR_INBOUND',
        'MERGE',
        { typed_config: { '@type': T('envoy.extensions.filters.http.lua.v3.Lua'), stat_prefix: 'merged' } },
        { port: 8080, subFilter: 'mine' },
      );
      const r = run(version, [envoyFilter('a', [merge, before('mine')])]);
      assert.deepEqual(rulesOf(r), []);
      const lis = r.config.listeners.find((l) => l['name'] === 'virtualInbound')!;
      const chain = (lis['filter_chains'] as JsonObject[]).find((c) => c['name'] === '0.0.0.0_8080')!;
      const hcm = (chain['filters'] as JsonObject[])[1]!['typed_config'] as JsonObject;
      const mine = (hcm['http_filters'] as JsonObject[]).find((h) => h['name'] === 'mine')!;
      assert.equal((mine['typed_config'] as JsonObject)['stat_prefix'], 'merged');
    });

    it('HTTP_FILTER patches without a port hit every inbound HCM (service chains and passthrough)', () => {
      const r = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua('x'), { subFilter: ROUTER })])]);
      assert.ok(httpFilterNames(r, 'virtualInbound', 'virtualInbound-catchall-http').includes('x'));
      assert.ok(inboundNames(r).includes('x'));
      assert.ok(!httpFilterNames(r, '0.0.0.0_9080').includes('x'), 'outbound untouched');
    });

    it('inbound patches match the container targetPort, not the Service port', () => {
      const params = { inbound: [{ servicePort: 80, targetPort: 3000, serviceHost: 'web.default.svc.cluster.local' }] };
      const byTarget = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua('x'), { port: 3000, subFilter: ROUTER })])], 'sidecar', params);
      assert.deepEqual(rulesOf(byTarget), []);
      assert.ok(httpFilterNames(byTarget, 'virtualInbound', '0.0.0.0_3000').includes('x'));
      const byService = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'INSERT_BEFORE', lua('x'), { port: 80, subFilter: ROUTER })])], 'sidecar', params);
      const f = byService.findings.find((x) => x.finding.rule === 'MW413')!;
      assert.match(f.finding.hint!, /portNumber 3000/);
      // The inbound vhost is named after the Service port.
      const vh = run(
        version,
        [
          envoyFilter('a', [
            {
              applyTo: 'VIRTUAL_HOST',
              match: { context: 'SIDECAR_INBOUND', routeConfiguration: { portNumber: 3000, vhost: { name: 'inbound|http|80' } } },
              patch: { operation: 'MERGE', value: { include_request_attempt_count: false } },
            },
          ]),
        ],
        'sidecar',
        params,
      );
      assert.deepEqual(rulesOf(vh), []);
    });

    it('MERGE appends repeated fields (vhost domains)', () => {
      const p: ConfigPatch = {
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080' } } },
        patch: { operation: 'MERGE', value: { domains: ['reviews.alias'] } },
      };
      const r = run(version, [envoyFilter('a', [p])]);
      const before = reviews(loadBaseline(version, 'sidecar'))['domains'] as string[];
      assert.deepEqual(reviews(r.config)['domains'], [...before, 'reviews.alias']);
    });

    it('INSERT_* on VIRTUAL_HOST becomes ADD', () => {
      const p: ConfigPatch = {
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080, vhost: { name: 'allow_any' } } },
        patch: { operation: 'INSERT_BEFORE', value: { name: 'x', domains: ['x.internal'] } },
      };
      const r = run(version, [envoyFilter('a', [p])]);
      const names = vhosts9080(r.config).map((v) => v['name']);
      assert.deepEqual(names, [...vhosts9080(loadBaseline(version, 'sidecar')).map((v) => v['name']), 'x']);
      assert.deepEqual(rulesOf(r), ['MW417']);
    });

    it('LISTENER_FILTER MERGE merges into every listener filter: a typed_config makes istiod panic', () => {
      const p: ConfigPatch = {
        applyTo: 'LISTENER_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { listenerFilter: 'envoy.filters.listener.tls_inspector' } },
        patch: { operation: 'MERGE', value: { typed_config: { '@type': T('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'), enable_ja3_fingerprinting: true } } },
      };
      const r = run(version, [envoyFilter('a', [p])]);
      assert.ok(rulesOf(r).includes('MW419'));
    });

    it('MERGE of a TypedStruct with another type_url is a type swap (MW419); a typed MERGE into a TypedStruct panics', () => {
      const ts = (typeUrl: string) => ({ typed_config: { '@type': T('udpa.type.v1.TypedStruct'), type_url: typeUrl, value: { x: 1 } } });
      const swap = run(version, [
        envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'MERGE', ts(T('envoy.extensions.filters.http.lua.v3.Lua')), { port: 8080, subFilter: 'istio.metadata_exchange' })]),
      ]);
      assert.deepEqual(rulesOf(swap), ['MW419']);
      assert.match(swap.findings[0]!.finding.path, /type_url$/);
      const same = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'MERGE', ts(T('io.istio.http.peer_metadata.Config')), { port: 8080, subFilter: 'istio.metadata_exchange' })])]);
      assert.deepEqual(rulesOf(same), []);
      const panic = run(version, [
        envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'MERGE', { typed_config: { '@type': T('io.istio.http.peer_metadata.Config') } }, { port: 8080, subFilter: 'istio.metadata_exchange' })]),
      ]);
      assert.deepEqual(rulesOf(panic), ['MW419']);
      assert.match(panic.findings[0]!.finding.message, /panic/);
    });

    it('REMOVE without a filter name does nothing', () => {
      const r = run(version, [envoyFilter('a', [httpFilterPatch('SIDECAR_INBOUND', 'REMOVE', undefined, { port: 8080 })])]);
      assert.deepEqual(rulesOf(r), ['MW413']);
      assert.equal(inboundNames(r).at(-1), ROUTER);
    });

    it('selection: workloadSelector, targetRefs on a sidecar, root namespace, other namespace', () => {
      const p = [before('x')];
      assert.deepEqual(run(version, [envoyFilter('a', p, { labels: { app: 'other' } })]).applied, []);
      const tr = envoyFilter('a', p, { labels: null });
      tr.spec!.targetRefs = [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }];
      assert.deepEqual(run(version, [tr]).applied, []);
      assert.deepEqual(run(version, [envoyFilter('a', p, { labels: null, namespace: 'istio-system' })]).applied, [0]);
      assert.deepEqual(run(version, [envoyFilter('a', p, { labels: null, namespace: 'shop' })]).applied, []);
    });

    it('proxyVersion is an unanchored RE2 regex on ISTIO_VERSION', () => {
      const withVersion = (re: string) => envoyFilter('a', [{ ...before('x'), match: { ...before('x').match, proxy: { proxyVersion: re } } }]);
      const applied = (re: string) => inboundNames(run(version, [withVersion(re)])).includes('x');
      assert.equal(applied('^1\\.28\\.'), version.startsWith('1.28'));
      assert.equal(applied('1.2'), version.startsWith('1.2'), 'unanchored, unescaped: matches 1.2x (and 11.2x)');
      assert.equal(applied('8'), version.includes('8'), 'unanchored: any 8 anywhere');
      assert.equal(applied('^1\\.2[0-9]'), version.startsWith('1.2'));
    });

    it('per-route config marked is_optional (FilterConfig) may name a filter the HCM lacks', () => {
      const p: ConfigPatch = {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080', route: { name: 'default' } } } },
        patch: {
          operation: 'MERGE',
          value: {
            typed_per_filter_config: { 'envoy.filters.http.ratelimit': { '@type': T('envoy.config.route.v3.FilterConfig'), config: { '@type': T('google.protobuf.Empty') }, is_optional: true } },
          },
        },
      };
      assert.deepEqual(rulesOf(run(version, [envoyFilter('a', [p])])), []);
      const strict = structuredClone(p);
      ((strict.patch!.value!['typed_per_filter_config'] as JsonObject)['envoy.filters.http.ratelimit'] as JsonObject)['is_optional'] = false;
      assert.deepEqual(rulesOf(run(version, [envoyFilter('a', [strict])])), ['MW412']);
      // The enable marker is optional because Envoy requires it, not because the filter may be missing.
      const marker = structuredClone(p);
      ((marker.patch!.value!['typed_per_filter_config'] as JsonObject)['envoy.filters.http.ratelimit'] as JsonObject)['config'] = { '@type': T('envoy.config.route.v3.FilterConfig') };
      assert.deepEqual(rulesOf(run(version, [envoyFilter('a', [marker])])), ['MW412']);
    });

    it('ignores malformed objects instead of throwing', () => {
      const junk = [
        null,
        42,
        { metadata: null },
        { metadata: { name: 'x' }, spec: 'nope' },
        { metadata: { name: 'y', namespace: 'default' }, spec: { configPatches: 'nope' } },
        {
          metadata: { name: 'z', namespace: 'default' },
          spec: {
            configPatches: [
              null,
              1,
              { applyTo: 'HTTP_FILTER' },
              { applyTo: 'NOPE', patch: { operation: 'ADD' } },
              { applyTo: 'HTTP_FILTER', match: 'x', patch: { operation: 'ADD', value: lua() } },
              { applyTo: 'CLUSTER', patch: { operation: 'MERGE', value: 7 } },
            ],
          },
        },
      ] as unknown as Parameters<typeof applyEnvoyFilters>[1];
      const r = applyEnvoyFilters(loadBaseline(version, 'sidecar'), junk, sidecarProxy(version));
      assert.ok(Array.isArray(r.findings));
    });

    it('does not modify the baseline', () => {
      const b = loadBaseline(version, 'sidecar');
      const copy = JSON.stringify(b);
      applyEnvoyFilters(b, [envoyFilter('a', [before('x'), httpFilterPatch('SIDECAR_INBOUND', 'REMOVE', undefined, { port: 8080, subFilter: ROUTER })])], sidecarProxy(version));
      assert.equal(JSON.stringify(b), copy);
    });
  });
}

describe('MERGE_AND_REPLACE_LIST', () => {
  const p: ConfigPatch = {
    applyTo: 'VIRTUAL_HOST',
    match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080' } } },
    patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { domains: ['reviews.alias'] } },
  };
  it('replaces lists on 1.31', () => {
    const r = run('1.31.0', [envoyFilter('a', [p])]);
    assert.deepEqual(rulesOf(r), []);
    assert.deepEqual(reviews(r.config)['domains'], ['reviews.alias']);
  });
  it('does not exist before 1.31', () => {
    const r = run('1.28.0', [envoyFilter('a', [p])]);
    assert.deepEqual(rulesOf(r), ['MW420']);
    assert.equal(r.findings[0]!.finding.severity, 'error');
  });
  it('is a no-op on HTTP_FILTER even on 1.31', () => {
    const r = run('1.31.0', [
      envoyFilter('a', [
        httpFilterPatch('SIDECAR_INBOUND', 'MERGE_AND_REPLACE_LIST', { typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } }, { port: 8080, subFilter: ROUTER }),
      ]),
    ]);
    assert.deepEqual(rulesOf(r), ['MW420']);
  });
});

describe('proxyVersion longer than 1024 characters', () => {
  const long = `^1\\.${'(28|29|30|31)?'.repeat(80)}`;
  const ef = envoyFilter('a', [{ ...before('x'), match: { ...before('x').match, proxy: { proxyVersion: long } } }]);
  it('still matches on 1.28 (compiled)', () => {
    assert.ok(long.length > 1024);
    assert.ok(inboundNames(run('1.28.0', [ef])).includes('x'));
  });
  it('fails closed on 1.31', () => {
    assert.ok(!inboundNames(run('1.31.0', [ef])).includes('x'));
  });
});

describe('speed', () => {
  it('applies a typical 5-patch EnvoyFilter in a few milliseconds at most', () => {
    const b = loadBaseline('1.28.0', 'sidecar');
    const ef = envoyFilter('limiter', [
      before('envoy.filters.http.local_ratelimit'),
      httpFilterPatch('SIDECAR_OUTBOUND', 'INSERT_BEFORE', lua('out'), { port: 9080, subFilter: ROUTER }),
      {
        applyTo: 'HTTP_ROUTE',
        match: { context: 'SIDECAR_INBOUND', routeConfiguration: { vhost: { name: 'inbound|http|9080', route: { name: 'default' } } } },
        patch: {
          operation: 'MERGE',
          value: {
            typed_per_filter_config: {
              'envoy.filters.http.local_ratelimit': {
                '@type': T('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'),
                stat_prefix: 'rl',
                token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' },
              },
            },
          },
        },
      },
      {
        applyTo: 'VIRTUAL_HOST',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { portNumber: 9080, vhost: { name: 'reviews.default.svc.cluster.local:9080' } } },
        patch: { operation: 'MERGE', value: { rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'x' } }] }] } },
      },
      {
        applyTo: 'CLUSTER',
        match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'reviews.default.svc.cluster.local', portNumber: 9080 } },
        patch: { operation: 'MERGE', value: { connect_timeout: '2s' } },
      },
    ]);
    const proxy = sidecarProxy('1.28.0');
    for (let i = 0; i < 50; i++) applyEnvoyFilters(b, [ef], proxy);
    const n = 300;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) applyEnvoyFilters(b, [ef], proxy);
    const per = (performance.now() - t0) / n;
    assert.deepEqual(rulesOf(applyEnvoyFilters(b, [ef], proxy)), []);
    assert.ok(per < 10, `${per.toFixed(3)} ms per call`);
    console.log(`# applyEnvoyFilters, 5 patches, sidecar 1.28: ${per.toFixed(3)} ms/call`);
  });
});
