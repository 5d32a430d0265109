/**
 * Fidelity of the validator's istiod model (issue 9, item 4; ADR 0083). For every EnvoyFilter
 * fixture (operator/test/fixtures/envoyfilter) and every EnvoyFilter rendered from the examples:
 *
 * A. Patch semantics: the patch simulator (`patchedConfigs`, on the committed baseline) and the real
 *    istiod (default install: metadata exchange, ALPN, stats, PERMISSIVE mTLS; recorded by
 *    e2e/istiod/recorder.ts) produce the same listeners, route configs and clusters, normalised.
 * B. Verdict: the validator rejects (any error) exactly when the wheel's Envoy, fed by a real istiod
 *    in upstream-Envoy mode, NACKs (istiod /debug/syncz lastError) — as sidecar and as gateway.
 *
 * Each EnvoyFilter is first retargeted onto the scenario's proxies (scenario.ts): sidecar patches to
 * namespace default, selector app=productpage; gateway patches to istio-system, selector
 * istio=ingressgateway (both: the root namespace, no selector). Ports are not rewritten except the
 * gateway listener's 8080 in B, where a real Envoy binds a free port instead.
 * Disagreements fail unless listed, with a reason, in known-disagreements.yaml; a listed one that
 * no longer disagrees fails too (the list must stay true).
 * One control plane and one istiod per part and minor, one proxy per kind, EnvoyFilters one by one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { freePort, REPO_ROOT, startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import {
  dumpListenerErrors,
  dumpListeners,
  installIstio,
  ISTIOD_MINOR_LIST,
  ISTIOD_MINORS,
  istiodSkipReason,
  meshWidePlaintext,
  registerPod,
  startEnvoyProxy,
  startIstiod,
  type ConfigDump,
  type EnvoyProxy,
  type Istiod,
  type SyncStatus,
} from '../harness/istiod.js';
import { record, type Recording } from './recorder.js';
import { inbound, ROUTER, scenarioYaml, server, SIDECAR } from './scenario.js';
import { baselineFromConfigDump, loadBaseline, patchedConfigs, type EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
import { evaluate } from '../../operator/src/evaluate.js';
import { emptyContext } from '../../operator/src/render/context.js';
import type { K8sObject } from '../../operator/src/k8s-object.js';
import { ISTIO_TO_ENVOY } from '../../operator/src/validate/proto/load.js';
import { loadProtoSchema } from '../../operator/src/validate/proto/index.js';
import type protobuf from 'protobufjs';
import { canonical } from './proto-names.js';

const FIXTURES = join(REPO_ROOT, 'operator', 'test', 'fixtures', 'envoyfilter');
const known = parse(readFileSync(join(REPO_ROOT, 'e2e', 'istiod', 'known-disagreements.yaml'), 'utf8')) as Record<string, string>;

interface Case {
  id: string;
  ef: EnvoyFilterObject;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const f of readdirSync(FIXTURES)
    .filter((x) => /^(good|bad)-.*\.yaml$/.test(x))
    .sort()) {
    out.push({ id: `fixture/${f}`, ef: parse(readFileSync(join(FIXTURES, f), 'utf8')) as EnvoyFilterObject });
  }
  const examples = join(REPO_ROOT, 'examples');
  for (const name of readdirSync(examples).sort()) {
    const rendered = join(examples, name, 'rendered.yaml');
    if (!existsSync(rendered)) continue;
    for (const o of parseAllDocuments(readFileSync(rendered, 'utf8')).map((d) => d.toJS() as K8sObject)) {
      if (o.kind === 'EnvoyFilter') out.push({ id: `example/${name}/${o.metadata.name}`, ef: o as unknown as EnvoyFilterObject });
    }
  }
  return out;
}

type Kind = 'sidecar' | 'gateway';
function kindsOf(ef: EnvoyFilterObject): Kind[] {
  const ctx = new Set((ef.spec?.configPatches ?? []).map((p) => p?.match?.context ?? 'ANY'));
  const k = new Set<Kind>();
  if (ctx.has('GATEWAY')) k.add('gateway');
  if (ctx.has('SIDECAR_INBOUND') || ctx.has('SIDECAR_OUTBOUND')) k.add('sidecar');
  if (ctx.has('ANY')) k.add(ef.spec?.workloadSelector?.labels?.['istio'] === 'ingressgateway' ? 'gateway' : 'sidecar');
  return [...k];
}

/** The EnvoyFilter moved onto the scenario's proxies; `gwPort` renames the gateway listener port 8080. */
function retarget(ef: EnvoyFilterObject, gwPort?: number): EnvoyFilterObject {
  const kinds = kindsOf(ef);
  const out = structuredClone(ef) as EnvoyFilterObject & { spec: Record<string, unknown> };
  delete out.spec['targetRefs'];
  const meta = { name: ef.metadata.name, namespace: 'default' } as EnvoyFilterObject['metadata'];
  if (kinds.length === 2) {
    meta.namespace = 'istio-system';
    delete out.spec['workloadSelector'];
  } else if (kinds[0] === 'gateway') {
    meta.namespace = 'istio-system';
    out.spec['workloadSelector'] = { labels: { istio: 'ingressgateway' } };
  } else if (ef.spec?.workloadSelector || ef.metadata.namespace === 'istio-system') {
    out.spec['workloadSelector'] = { labels: { app: 'productpage' } };
  }
  out.metadata = meta;
  if (gwPort) {
    for (const p of out.spec['configPatches'] ?? []) {
      if (p?.match?.context === 'GATEWAY' && p.match.listener?.portNumber === server.targetPort) p.match.listener.portNumber = gwPort;
    }
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const RESOURCE_TYPES = { listeners: 'envoy.config.listener.v3.Listener', routes: 'envoy.config.route.v3.RouteConfiguration', clusters: 'envoy.config.cluster.v3.Cluster' } as const;

/** Paths where two normalised values differ (first few), by resource name. */
function diff(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  if (out.length >= 4 || isDeepStrictEqual(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((e, i) => diff(e, b[i], `${path}[${i}]`, out));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  const show = (x: unknown) => (x === undefined ? 'absent' : JSON.stringify(x).slice(0, 120));
  out.push(`${path}: simulator ${show(a)}, istiod ${show(b)}`);
}

/** Differences after both sides are put in proto3 canonical form (what the wire keeps). */
function compare(root: protobuf.Root, sim: { listeners: unknown[]; routes: unknown[]; clusters: unknown[] }, real: { listeners: unknown[]; routes: unknown[]; clusters: unknown[] }): string[] {
  const out: string[] = [];
  for (const k of ['listeners', 'routes', 'clusters'] as const) {
    const t = root.lookupType(RESOURCE_TYPES[k]);
    const byName = (xs: unknown[]) => new Map(xs.map((x) => [String((x as { name?: string }).name), canonical(root, t, x as Json)]));
    const s = byName(sim[k]);
    const r = byName(real[k]);
    for (const n of new Set([...s.keys(), ...r.keys()])) diff(s.get(n), r.get(n), `${k}[${n}]`, out);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const versionOf = (d: ConfigDump): string => String(d.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump'))?.['version_info'] ?? '');

async function kubectl(cp: ControlPlane, args: string[], input?: string): Promise<void> {
  const r = await cp.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}
const efYaml = (ef: EnvoyFilterObject): string => JSON.stringify({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', ...ef });

/** Checks every listed disagreement against what was seen; returns the failures. */
function judge(seen: Map<string, string>, prefix: string, ids: string[]): string[] {
  const fails: string[] = [];
  for (const id of ids) {
    const key = `${prefix}/${id}`;
    const d = seen.get(key);
    if (d && !(key in known)) fails.push(`${key}: ${d}`);
    if (!d && key in known) fails.push(`${key}: listed in known-disagreements.yaml but they agree now`);
  }
  return fails;
}

const all = cases();

for (const minor of ISTIOD_MINOR_LIST) {
  const skip = istiodSkipReason(minor);
  const version = ISTIOD_MINORS[minor].istioVersion;

  describe(`fidelity ${minor}: patch simulator vs istiod`, { skip, timeout: 900_000 }, () => {
    let cp: ControlPlane;
    let istiod: Istiod;
    let recs: Record<Kind, Recording>;
    const root = loadProtoSchema(ISTIO_TO_ENVOY[minor]!).root;
    const refresh: Record<Kind, () => Promise<ConfigDump>> = {} as never;

    before(async () => {
      cp = await startControlPlane({ apiServerArgs: ['--service-cluster-ip-range=10.96.0.0/12'], controllerManager: false });
      await installIstio(cp, minor);
      await kubectl(cp, ['apply', '-f', '-'], scenarioYaml());
      await registerPod(cp, SIDECAR, [inbound.targetPort]);
      await registerPod(cp, ROUTER, [server.targetPort]);
      istiod = await startIstiod(cp, { minor, upstreamEnvoy: false, mesh: { proxyListenPort: 15001, proxyInboundListenPort: 15006, enablePrometheusMerge: true } });
      const envoy = ISTIO_TO_ENVOY[minor]!;
      recs = { sidecar: await record(istiod, SIDECAR, envoy), gateway: await record(istiod, ROUTER, envoy) };
      for (const k of ['sidecar', 'gateway'] as const) refresh[k] = () => recs[k].refresh();
    });
    after(async () => {
      for (const r of Object.values(recs ?? {})) r.close();
      await istiod?.stop();
      await cp?.stop();
    });

    /** The simulator's config for `ef` on `kind`, with the scenario's ports; no `ef`: the baseline itself. */
    const simulate = (ef: EnvoyFilterObject | undefined, kind: Kind) => {
      // The scenario's Services are facts here: its outbound HTTP ports are the captured ones (80, 9080).
      const ports = { inbound: [inbound], gatewayServers: [server], outboundHttpPorts: [80, 9080] };
      if (!ef) return loadBaseline(version, kind, ports);
      const who = kind === 'gateway' ? ROUTER : SIDECAR;
      const c = patchedConfigs(ef, { istioVersion: version, istioVersions: [version], ...ports, routeFacts: 'strict', proxyLabels: who.labels, proxyNamespace: who.namespace }).find(
        (x) => x.kind === kind,
      );
      if (!c) throw new Error(`no ${kind} config for ${ef.metadata.name}`);
      return c.config;
    };

    test('the committed baselines are what istiod generates for the scenario', async () => {
      const fails: string[] = [];
      for (const kind of ['sidecar', 'gateway'] as const) {
        const real = baselineFromConfigDump(await refresh[kind](), version, kind);
        const d = compare(root, simulate(undefined, kind), real);
        if (d.length > 0) fails.push(`${kind}: ${d.join('; ')}`);
      }
      assert.deepEqual(fails, [], 'stale baselines: run npm run baselines');
    });

    test(`every fixture and example: simulator = istiod (${all.length} EnvoyFilters)`, async () => {
      const seen = new Map<string, string>();
      let agreed = 0;
      for (const c of all) {
        const ef = retarget(c.ef);
        const kinds = kindsOf(c.ef);
        const before = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, versionOf(await refresh[k]())]))) as Record<Kind, string>;
        await kubectl(cp, ['apply', '-f', '-'], efYaml(ef));
        const applied: Partial<Record<Kind, string>> = {};
        for (const kind of kinds) {
          // istiod pushes after its debounce; a proxy the filter does not change may get no push at all.
          let dump = await refresh[kind]();
          for (let i = 0; i < 30 && versionOf(dump) === before[kind]; i++) {
            await sleep(100);
            dump = await refresh[kind]();
          }
          applied[kind] = versionOf(dump);
          const d = compare(root, simulate(ef, kind), baselineFromConfigDump(dump, version, kind));
          if (d.length > 0) seen.set(`${minor}/A/${c.id}/${kind}`, d.join('; '));
          else agreed++;
        }
        await kubectl(cp, ['delete', 'envoyfilter', ef.metadata.name ?? '', '-n', ef.metadata.namespace ?? 'default', '--wait=true']);
        // Let the deletion's push land before the next filter.
        for (const kind of kinds) {
          for (let i = 0; i < 30 && versionOf(await refresh[kind]()) === applied[kind]; i++) await sleep(100);
        }
      }
      console.error(`[fidelity] ${minor} A: ${agreed} (EnvoyFilter, proxy) pairs agree, ${seen.size} disagree`);
      for (const [k, v] of seen) console.error(`[fidelity] ${k}: ${v}`);
      const ids = all.flatMap((c) => kindsOf(c.ef).map((k) => `${c.id}/${k}`));
      assert.deepEqual(judge(seen, `${minor}/A`, ids), []);
    });
  });

  describe(`fidelity ${minor}: validator verdict vs Envoy ACK/NACK through istiod`, { skip, timeout: 900_000 }, () => {
    let cp: ControlPlane;
    let istiod: Istiod;
    let proxies: Record<Kind, EnvoyProxy>;
    let gwPort: number;
    /** NACKs of istiod's config with no EnvoyFilter at all: the residual gap of upstream-Envoy mode. */
    const baselineNacks: string[] = [];

    before(async () => {
      cp = await startControlPlane({ apiServerArgs: ['--service-cluster-ip-range=10.96.0.0/12'], controllerManager: false });
      await installIstio(cp, minor);
      gwPort = await freePort();
      await kubectl(cp, ['apply', '-f', '-'], [meshWidePlaintext, scenarioYaml(gwPort)].join('---\n'));
      await registerPod(cp, SIDECAR, [inbound.targetPort]);
      await registerPod(cp, ROUTER, [gwPort]);
      istiod = await startIstiod(cp, { minor });
      proxies = { sidecar: await startEnvoyProxy(istiod, SIDECAR), gateway: await startEnvoyProxy(istiod, ROUTER) };
      for (const p of Object.values(proxies)) baselineNacks.push(...(await settled(p, 30_000)).map((e) => `${p.proxyId}: ${e}`));
    });
    after(async () => {
      for (const p of Object.values(proxies ?? {})) await p.stop();
      await istiod?.stop();
      await cp?.stop();
    });

    const status = async (p: EnvoyProxy): Promise<SyncStatus | undefined> => (await istiod.syncz()).find((s) => s.proxy === p.proxyId);
    const sentOf = (s: SyncStatus | undefined) => JSON.stringify(Object.values(s?.resources ?? {}).map((r) => r.sent));
    /** Every type ACKed or NACKed at its last push; returns the NACK errors. */
    async function settled(p: EnvoyProxy, timeoutMs: number): Promise<string[]> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = await status(p);
        const res = Object.values(s?.resources ?? {});
        const errors = res.map((r) => r.lastError ?? '').filter((e) => e !== '');
        if (s && res.length > 0 && res.every((r) => r.acked === r.sent || r.lastError)) return errors;
        if (Date.now() > end) throw new Error(`${p.proxyId} did not settle: ${JSON.stringify(s)}`);
        await sleep(100);
      }
    }

    test("upstream-Envoy mode: with no EnvoyFilter the wheel's Envoy ACKs all of istiod's config, as sidecar and gateway", async () => {
      assert.deepEqual(baselineNacks, []);
      for (const p of Object.values(proxies)) {
        const d = await p.configDump();
        assert.deepEqual(dumpListenerErrors(d), [], `${p.proxyId}: rejected listeners`);
        assert.ok(dumpListeners(d).length > 0, `${p.proxyId}: has listeners`);
      }
    });

    test(`every fixture and example: validator rejects ⇔ Envoy NACKs (${all.length} EnvoyFilters)`, async () => {
      const seen = new Map<string, string>();
      let agreed = 0;
      for (const c of all) {
        const ef = retarget(c.ef, gwPort);
        const kinds = kindsOf(c.ef);
        const validatorErrors = evaluate(retarget(c.ef) as unknown as K8sObject, { ...emptyContext, istioVersions: [version] }).diagnostics.filter((d) => d.severity === 'error');
        const before = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, sentOf(await status(proxies[k]))])));
        await kubectl(cp, ['apply', '-f', '-'], efYaml(ef));
        const nacks: string[] = [];
        for (const kind of kinds) {
          // Wait for a push (none comes when istiod finds nothing to change), then for the answer.
          for (let i = 0; i < 20 && sentOf(await status(proxies[kind])) === before[kind]; i++) await sleep(100);
          nacks.push(...(await settled(proxies[kind], 15_000)).map((e) => `${kind}: ${e.slice(0, 200)}`));
        }
        const rejects = validatorErrors.length > 0;
        if (rejects !== nacks.length > 0) {
          seen.set(
            `${minor}/B/${c.id}`,
            `validator ${rejects ? `rejects (${[...new Set(validatorErrors.map((d) => d.rule))].join(',')})` : 'accepts'}, Envoy ${nacks.length > 0 ? `NACKs (${nacks.join(' | ')})` : 'ACKs'}`,
          );
        } else agreed++;
        await kubectl(cp, ['delete', 'envoyfilter', ef.metadata.name ?? '', '-n', ef.metadata.namespace ?? 'default', '--wait=true']);
        for (const kind of kinds) {
          const b = sentOf(await status(proxies[kind]));
          for (let i = 0; i < 20 && sentOf(await status(proxies[kind])) === b; i++) await sleep(100);
          const left = await settled(proxies[kind], 15_000);
          if (left.length > 0) {
            // The last NACK stays until the next ACK: a push after the deletion clears it.
            await sleep(200);
          }
        }
      }
      console.error(`[fidelity] ${minor} B: ${agreed} EnvoyFilters agree, ${seen.size} disagree`);
      for (const [k, v] of seen) console.error(`[fidelity] ${k}: ${v}`);
      assert.deepEqual(
        judge(
          seen,
          `${minor}/B`,
          all.map((c) => c.id),
        ),
        [],
      );
    });
  });
}
