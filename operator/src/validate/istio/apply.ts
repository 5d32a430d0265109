/**
 * A pure re-implementation of istiod's EnvoyFilter patching (IST@1.28.0
 * pilot/pkg/networking/core/envoyfilter/{listener_patch,rc_patch,cluster_patch,extension_configuration_patch}.go,
 * pilot/pkg/model/envoyfilter.go, pilot/pkg/networking/core/{listener_builder,cluster,httproute}.go) over
 * Envoy JSON, with the release-1.31 MERGE_AND_REPLACE_LIST. Structural checks run on the result.
 *
 * This module is the order istiod builds and patches a proxy's config in; each patch target is a
 * module of ./apply/: `wrap.ts` (config patches → PatchWrappers, op-level findings), `listener.ts`,
 * `listener-filter.ts`, `filter-chain.ts`, `network-filter.ts`, `http-filter.ts` (with their
 * matchers in `listener-match.ts`), `routes.ts` (route configuration, virtual host, route),
 * `cluster.ts`, `extension-config.ts`, `unmatched.ts` (patches that changed nothing), and the
 * operations they share in `operations.ts`.
 */
import { runStructuralChecks } from './checks.js';
import { HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE, VIRTUAL_INBOUND, VIRTUAL_OUTBOUND } from './names.js';
import { cloneJson, isObject } from './merge.js';
import { attaches, orderFilters } from './select.js';
import type { SimState } from './sim-state.js';
import type { ApplyResult, EnvoyFilterObject, JsonObject, PatchContext, PatchFinding, ProxyInfo, XdsConfig } from './types.js';
import { featuresFor, parseIstioVersion } from './versions.js';
import { buildClusters } from './apply/cluster.js';
import { applyExtensionConfigPatches } from './apply/extension-config.js';
import { applyListenerPatches } from './apply/listener.js';
import { list, objs, own } from './apply/operations.js';
import { applyRouteConfigurationPatches } from './apply/routes.js';
import { reportUnmatched } from './apply/unmatched.js';
import { wrapPatches, type SharedApplication } from './apply/wrap.js';

export { HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE };
export { DEPRECATED_FILTER_NAMES, type SharedApplication } from './apply/wrap.js';

/** A detached snapshot of each baseline, taken once, from which every application copies. */
const snapshots = new WeakMap<XdsConfig, XdsConfig>();

/**
 * The config an application patches: sections no patch targets are shared with the
 * snapshot (nothing writes to a section without a patch for it), the others copied; the
 * listeners are copied one by one when a patch can reach them (`own`).
 */
function copyBaseline(b: XdsConfig, targeted: ReadonlySet<string>): XdsConfig {
  let snap = snapshots.get(b);
  if (snap === undefined) {
    snap = JSON.parse(
      JSON.stringify({ listeners: b.listeners, routes: b.routes, clusters: b.clusters, extension_configs: b.extension_configs ?? [], ...(b.meta ? { meta: b.meta } : {}) }),
    ) as XdsConfig;
    snapshots.set(b, snap);
  }
  const touches = (...applyTo: string[]) => applyTo.some((a) => targeted.has(a));
  return {
    ...snap,
    listeners: [...snap.listeners],
    routes: touches('ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE') ? (cloneJson(snap.routes) as JsonObject[]) : snap.routes,
    clusters: touches('CLUSTER') ? (cloneJson(snap.clusters) as JsonObject[]) : snap.clusters,
    extension_configs: touches('EXTENSION_CONFIG') ? [...(snap.extension_configs ?? [])] : (snap.extension_configs ?? []),
  };
}

/**
 * Applies the EnvoyFilters that attach to `proxy` to a copy of `baseline`, the way istiod does,
 * then runs the MW4xx structural checks. Pure: the inputs are not modified (and `baseline` must not be
 * modified by the caller afterwards: its serialisation is cached).
 */
export function applyEnvoyFilters(baseline: XdsConfig, envoyFilters: readonly EnvoyFilterObject[], proxy: ProxyInfo, shared?: SharedApplication): ApplyResult {
  const features = featuresFor(parseIstioVersion(proxy.istioVersion));
  const root = proxy.rootNamespace ?? 'istio-system';
  const attached: number[] = [];
  envoyFilters.forEach((ef, i) => {
    if (isObject(ef) && isObject(ef.metadata) && (ef.spec === undefined || isObject(ef.spec)) && attaches(ef, proxy, features)) attached.push(i);
  });
  const order = orderFilters(envoyFilters, attached, root);
  const s: SimState = {
    features,
    proxy,
    patches: new Map(),
    all: [],
    findings: [],
    provenance: new WeakMap(),
    touched: new WeakMap(),
    routerRemovedBy: new WeakMap(),
    portMap: baseline.meta?.gatewayPortMap ?? {},
    inboundPorts: baseline.meta?.inboundPorts ?? [],
    panicked: false,
    owned: new WeakSet(),
    shallow: new WeakSet(),
  };
  wrapPatches(s, envoyFilters, order, shared);
  const config = copyBaseline(baseline, new Set(s.all.map((w) => w.applyTo)));

  if (s.all.length > 0) {
    const routePatches = (['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'] as const).some((a) => list(s, a).length > 0);
    // 1. Inline inbound route configs are built and patched before their HCM (httproute.go).
    if (proxy.kind === 'sidecar' && routePatches) {
      for (let i = 0; i < config.listeners.length; i++) {
        if (config.listeners[i]!['name'] !== VIRTUAL_INBOUND && config.listeners[i]!['traffic_direction'] !== 'INBOUND') continue;
        const lis = (config.listeners[i] = own(s, config.listeners[i]!));
        for (const fc of [...objs(lis['filter_chains']), ...(isObject(lis['default_filter_chain']) ? [lis['default_filter_chain']] : [])]) {
          for (const f of objs(fc['filters'])) {
            const tc = f['typed_config'];
            if (f['name'] === HCM_NAME && isObject(tc) && isObject(tc['route_config'])) {
              applyRouteConfigurationPatches(s, 'SIDECAR_INBOUND', tc['route_config']);
            }
          }
        }
      }
    }
    // 2. Listeners (listener_builder.go patchListeners).
    if (proxy.kind === 'gateway') {
      config.listeners = applyListenerPatches(s, 'GATEWAY', config.listeners, false);
    } else {
      const vOut = config.listeners.filter((l) => l['name'] === VIRTUAL_OUTBOUND);
      const inbound = config.listeners.filter((l) => l['name'] === VIRTUAL_INBOUND || (l['traffic_direction'] === 'INBOUND' && l['name'] !== VIRTUAL_OUTBOUND));
      const outbound = config.listeners.filter((l) => !vOut.includes(l) && !inbound.includes(l));
      const pOut = applyListenerPatches(s, 'SIDECAR_OUTBOUND', outbound, false);
      const pV = applyListenerPatches(s, 'SIDECAR_OUTBOUND', vOut, true);
      const pIn = applyListenerPatches(s, 'SIDECAR_INBOUND', inbound, false);
      config.listeners = [...pOut, ...pV, ...pIn];
    }
    // 3. RDS (the route configs are this application's copy when a route patch exists).
    const rdsCtx: PatchContext = proxy.kind === 'gateway' ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
    if (routePatches) for (const rc of config.routes) applyRouteConfigurationPatches(s, rdsCtx, rc);
    // 4. CDS.
    config.clusters = buildClusters(s, config.clusters);
    // 5. ECDS: EXTENSION_CONFIG ADD (served only when a filter's config_discovery names it).
    applyExtensionConfigPatches(s, config);
  }

  // Patches that changed nothing: relative ops and MERGEs are silent no-ops in istiod.
  reportUnmatched(s, config);

  runStructuralChecks(s, config);
  return { config, findings: dedupe(s.findings), applied: order };
}

/** One finding per rule, filter and path; repeats (one per matching HCM) are counted in the message. */
function dedupe(fs: PatchFinding[]): PatchFinding[] {
  const byKey = new Map<string, { f: PatchFinding; n: number }>();
  for (const f of fs) {
    const k = `${f.filterIndex}|${f.finding.rule}|${f.finding.path}|${f.finding.message}`;
    const cur = byKey.get(k);
    if (cur) cur.n++;
    else byKey.set(k, { f, n: 1 });
  }
  return [...byKey.values()].map(({ f, n }) => (n > 1 ? { ...f, finding: { ...f.finding, message: `${f.finding.message} (${n} places)` } } : f));
}
