/**
 * Matches whose meaning depends on the Istio version (ADR 0112), against a real istiod of each minor built
 * here (the table's captured minors, 1.30 and 1.31), in the baselines' scenario:
 *
 * WasmPlugin filter names (MW427). Since Istio 1.30 istiod serves a WasmPlugin as a synthetic
 * TrafficExtension whose HTTP filter is `extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin`:
 *   - the sidecar's inbound HCMs carry the filter under that name, and none under `extensions.istio.io/wasmplugin/`;
 *   - an EnvoyFilter anchored (INSERT_AFTER) on that name is applied, one anchored on the old name is not;
 *   - the validator agrees: MW427 on the old anchor, none on the new one.
 * The WasmPlugin's module is never fetched: istiod only names the filter and points it at ECDS.
 *
 * `filterChain.transportSocket` before Istio 1.32 (MW426). A patch meant for the TLS chains only:
 *   - with the minor's own CRDs the API server refuses the field under strict field validation (kubectl's
 *     default) and prunes it otherwise (fieldValidation Warn/Ignore: Helm, GitOps tools, client libraries);
 *     pruned, istiod patches the plaintext chain too;
 *   - with Istio 1.32's CRDs (the field is stored) this istiod ignores it: the same;
 *   - the simulator patches the same chains, and the validator reports MW426.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT, startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ISTIO_BOUNDARIES } from '../../operator/src/versions/boundaries.js';
import { dumpListeners, httpFilterNames, installIstio, ISTIOD_MINOR_LIST, ISTIOD_MINORS, istiodSkipReason, registerPod, startIstiod, type ConfigDump, type Istiod } from '../harness/istiod.js';
import { record, type Recording } from './recorder.js';
import { inbound, scenarioYaml, SIDECAR } from './scenario.js';
import { checkEnvoyFilterPatches, patchedConfigs, type EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
import { ISTIO_TO_ENVOY } from '../../operator/src/validate/proto/load.js';

const WASM_PLUGIN = `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: auth, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  url: oci://registry.invalid/auth:1
  phase: AUTHN
`;
const OLD = 'extensions.istio.io/wasmplugin/default.auth';
const NEW = 'extensions.istio.io/trafficextension/default.auth~istio-translated-wasmplugin';

/** An EnvoyFilter inserting a Lua filter named `marker` after the HTTP filter `anchor` on the inbound port. */
const anchoredOn = (name: string, anchor: string, marker: string): EnvoyFilterObject => ({
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name, namespace: 'default' },
  spec: {
    workloadSelector: { labels: { app: 'productpage' } },
    priority: 10,
    configPatches: [
      {
        applyTo: 'HTTP_FILTER',
        match: {
          context: 'SIDECAR_INBOUND',
          listener: { portNumber: inbound.targetPort, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: anchor } } } },
        },
        patch: {
          operation: 'INSERT_AFTER',
          value: {
            name: marker,
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'function envoy_on_request(h) end' } },
          },
        },
      },
    ],
  },
});

/** A MERGE into the inbound HCM of the workload's port, on the chains that terminate TLS: from Istio 1.32. */
const TLS_ONLY: EnvoyFilterObject = {
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'tls-only', namespace: 'default' },
  spec: {
    workloadSelector: { labels: { app: 'productpage' } },
    priority: 20,
    configPatches: [
      {
        applyTo: 'NETWORK_FILTER',
        match: {
          context: 'SIDECAR_INBOUND',
          listener: { portNumber: inbound.targetPort, filterChain: { transportSocket: 'envoy.transport_sockets.tls', filter: { name: 'envoy.filters.network.http_connection_manager' } } },
        },
        patch: {
          operation: 'MERGE',
          value: {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stream_idle_timeout: '123s' },
          },
        },
      },
    ],
  },
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The CRDs of the first Istio minor with `filterChainTransportSocket` (scripts/fetch-istio-crds.sh, cached in .tools/istio). */
function crdsWithTransportSocket(): string {
  const minor = ISTIO_BOUNDARIES.filterChainTransportSocket;
  const path = join(REPO_ROOT, '.tools', 'istio', minor, 'crd-all.gen.yaml');
  if (!existsSync(path)) execFileSync('bash', [join(REPO_ROOT, 'scripts', 'fetch-istio-crds.sh'), minor], { stdio: 'inherit' });
  return path;
}

type Obj = Record<string, unknown>;
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null) : []);

/** The transport socket of each inbound chain of the workload's port whose HCM has this stream_idle_timeout (raw_buffer: none). */
function chainsWithTimeout(listeners: readonly Obj[], timeout = '123s'): string[] {
  const vi = listeners.find((l) => l['name'] === 'virtualInbound');
  return objs(vi?.['filter_chains'])
    .filter((fc) => fc['name'] === `0.0.0.0_${inbound.targetPort}`)
    .filter((fc) => objs(fc['filters']).some((f) => (f['typed_config'] as Obj | undefined)?.['stream_idle_timeout'] === timeout))
    .map((fc) => String((fc['transport_socket'] as Obj | undefined)?.['name'] ?? 'envoy.transport_sockets.raw_buffer'))
    .sort();
}

/** The HTTP filter names of each HCM on the workload's inbound port (its virtualInbound chains). */
function inboundPortFilters(d: ConfigDump): string[][] {
  const vi = dumpListeners(d).find((l) => l['name'] === 'virtualInbound');
  return objs(vi?.['filter_chains'])
    .filter((fc) => fc['name'] === `0.0.0.0_${inbound.targetPort}`)
    .flatMap((fc) => objs(fc['filters']).map((f) => objs((f['typed_config'] as Obj | undefined)?.['http_filters']).map((h) => String(h['name']))))
    .filter((names) => names.length > 0);
}

for (const minor of ISTIOD_MINOR_LIST) {
  describe(`version-dependent matches, istiod ${minor}`, { skip: istiodSkipReason(minor, { envoy: false }), timeout: 300_000 }, () => {
    let cp: ControlPlane;
    let istiod: Istiod;
    let rec: Recording;
    const apply = async (yaml: string): Promise<void> => {
      const r = await cp.kubectl(['apply', '-f', '-'], { input: yaml });
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
    };
    /** The transportSocket of the stored tls-only EnvoyFilter's patch (its spec, not the last-applied annotation). */
    const storedTransportSocket = async (): Promise<unknown> => {
      const r = await cp.kubectl(['get', 'envoyfilter', '-n', 'default', 'tls-only', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const o = JSON.parse(r.stdout) as { spec: { configPatches: Array<{ match: { listener: { filterChain: Record<string, unknown> } } }> } };
      return o.spec.configPatches[0]!.match.listener.filterChain['transportSocket'];
    };
    /** Refreshes until `done` holds (istiod pushes after its debounce), bounded. */
    const until = async (done: (d: ConfigDump) => boolean): Promise<ConfigDump> => {
      let d = await rec.refresh();
      for (let i = 0; i < 40 && !done(d); i++) {
        await sleep(250);
        d = await rec.refresh();
      }
      return d;
    };

    before(async () => {
      cp = await startControlPlane({ apiServerArgs: ['--service-cluster-ip-range=10.96.0.0/12'], controllerManager: false });
      await installIstio(cp, minor);
      await apply(scenarioYaml());
      await apply(WASM_PLUGIN);
      await registerPod(cp, SIDECAR, [inbound.targetPort]);
      istiod = await startIstiod(cp, { minor, upstreamEnvoy: false, mesh: { proxyListenPort: 15001, proxyInboundListenPort: 15006 } });
      rec = await record(istiod, SIDECAR, ISTIO_TO_ENVOY[minor]!);
    });
    after(async () => {
      rec?.close();
      await istiod?.stop();
      await cp?.stop();
    });

    test('istiod names the WasmPlugin filter extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin', async () => {
      const names = httpFilterNames(await until((d) => httpFilterNames(d, 'virtualInbound').includes(NEW)), 'virtualInbound');
      assert.ok(names.includes(NEW), names.join(', '));
      assert.deepEqual(
        names.filter((n) => n.startsWith('extensions.istio.io/wasmplugin/')),
        [],
      );
    });

    test('an anchor on that name is applied, one on the old name is not; the validator says the same', async () => {
      const efs = [anchoredOn('old-anchor', OLD, 'after-old'), anchoredOn('new-anchor', NEW, 'after-new')];
      await apply(efs.map((ef) => JSON.stringify(ef)).join('\n---\n'));
      const hcms = inboundPortFilters(await until((d) => inboundPortFilters(d).some((names) => names.includes('after-new'))));
      assert.ok(hcms.length >= 2, 'the mTLS and plaintext chains of the port');
      for (const names of hcms) {
        assert.equal(names[names.indexOf(NEW) + 1], 'after-new', `inserted right after the WasmPlugin filter: ${names.join(', ')}`);
        assert.ok(!names.includes('after-old'), 'the old name matches nothing');
      }
      const version = ISTIOD_MINORS[minor].istioVersion;
      const mw427 = (ef: EnvoyFilterObject) => checkEnvoyFilterPatches(ef, { istioVersions: [version] }).filter((f) => f.rule === 'MW427');
      assert.equal(mw427(efs[0]!).length, 1, 'MW427 on the old anchor');
      assert.deepEqual(mw427(efs[1]!), [], 'no MW427 on the current name');
    });

    test("filterChain.transportSocket: pruned by this minor's API server, ignored by this istiod; the simulator widens the same way and says so (MW426)", async () => {
      const version = ISTIOD_MINORS[minor].istioVersion;
      const everyChain = ['envoy.transport_sockets.raw_buffer', 'envoy.transport_sockets.tls'];
      // kubectl's default (strict field validation) is refused; Helm, GitOps tools and client libraries send
      // fieldValidation Warn or Ignore, and the API server prunes the field (as --validate=warn does).
      const strict = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(TLS_ONLY) });
      assert.notEqual(strict.code, 0);
      assert.match(strict.stderr, /unknown field "spec\.configPatches\[0\]\.match\.listener\.filterChain\.transportSocket"/);
      const warn = await cp.kubectl(['apply', '--validate=warn', '-f', '-'], { input: JSON.stringify(TLS_ONLY) });
      assert.equal(warn.code, 0, warn.stderr);
      assert.equal(await storedTransportSocket(), undefined, 'the API server pruned the field');
      const pruned = await until((d) => chainsWithTimeout(dumpListeners(d)).length > 0);
      assert.deepEqual(chainsWithTimeout(dumpListeners(pruned)), everyChain, 'istiod patched every chain of the port');

      // Istio 1.32's CRDs keep the field; this istiod still does not read it.
      const crds = await cp.kubectl(['apply', '--server-side', '--force-conflicts', '-f', crdsWithTransportSocket()], { timeoutMs: 120_000 });
      assert.equal(crds.code, 0, crds.stderr);
      const again = structuredClone(TLS_ONLY);
      ((again.spec!.configPatches![0]!.patch!.value as Obj)['typed_config'] as Obj)['stream_idle_timeout'] = '124s';
      await apply(JSON.stringify(again));
      assert.equal(await storedTransportSocket(), 'envoy.transport_sockets.tls', 'stored with 1.32 CRDs');
      const kept = await until((d) => chainsWithTimeout(dumpListeners(d), '124s').length > 0);
      assert.deepEqual(chainsWithTimeout(dumpListeners(kept), '124s'), everyChain, 'istiod ignores the field');

      const sim = patchedConfigs(TLS_ONLY, { istioVersion: version, istioVersions: [version], inbound: [inbound], proxyLabels: SIDECAR.labels, proxyNamespace: SIDECAR.namespace })[0]!;
      assert.deepEqual(chainsWithTimeout(sim.config.listeners), everyChain, 'the simulator widens the same way');
      assert.deepEqual(
        checkEnvoyFilterPatches(TLS_ONLY, { istioVersions: [version] })
          .filter((f) => f.rule === 'MW426')
          .map((f) => f.path),
        ['spec.configPatches[0].match.listener.filterChain.transportSocket'],
      );
    });
  });
}
