/**
 * The WasmPlugin filter name against a real istiod (ADR 0112, MW427): since Istio 1.30 istiod serves a
 * WasmPlugin as a synthetic TrafficExtension whose HTTP filter is
 * `extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin`. For each istiod built
 * here (the table's captured minors), in the baselines' scenario with one WasmPlugin on productpage:
 *   - the sidecar's inbound HCMs carry the filter under that name, and none under `extensions.istio.io/wasmplugin/`;
 *   - an EnvoyFilter anchored (INSERT_AFTER) on that name is applied, one anchored on the old name is not;
 *   - the validator agrees: MW427 on the old anchor, none on the new one.
 * The WasmPlugin's module is never fetched: istiod only names the filter and points it at ECDS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import { dumpListeners, httpFilterNames, installIstio, ISTIOD_MINOR_LIST, ISTIOD_MINORS, istiodSkipReason, registerPod, startIstiod, type ConfigDump, type Istiod } from '../harness/istiod.js';
import { record, type Recording } from './recorder.js';
import { inbound, scenarioYaml, SIDECAR } from './scenario.js';
import { checkEnvoyFilterPatches, type EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
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
    configPatches: [{
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_INBOUND', listener: { portNumber: inbound.targetPort, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: anchor } } } } },
      patch: { operation: 'INSERT_AFTER', value: { name: marker, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'function envoy_on_request(h) end' } } } },
    }],
  },
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Obj = Record<string, unknown>;
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null) : []);

/** The HTTP filter names of each HCM on the workload's inbound port (its virtualInbound chains). */
function inboundPortFilters(d: ConfigDump): string[][] {
  const vi = dumpListeners(d).find((l) => l['name'] === 'virtualInbound');
  return objs(vi?.['filter_chains'])
    .filter((fc) => fc['name'] === `0.0.0.0_${inbound.targetPort}`)
    .flatMap((fc) => objs(fc['filters']).map((f) => objs((f['typed_config'] as Obj | undefined)?.['http_filters']).map((h) => String(h['name']))))
    .filter((names) => names.length > 0);
}

for (const minor of ISTIOD_MINOR_LIST) {
  describe(`WasmPlugin filter names, istiod ${minor}`, { skip: istiodSkipReason(minor, { envoy: false }), timeout: 300_000 }, () => {
    let cp: ControlPlane;
    let istiod: Istiod;
    let rec: Recording;
    const apply = async (yaml: string): Promise<void> => {
      const r = await cp.kubectl(['apply', '-f', '-'], { input: yaml });
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
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
      assert.deepEqual(names.filter((n) => n.startsWith('extensions.istio.io/wasmplugin/')), []);
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
  });
}
