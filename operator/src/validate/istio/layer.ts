/**
 * The MW4xx layer entry point for one EnvoyFilter: picks the proxy kinds and ports it targets,
 * instantiates the baseline of every target Istio version, applies it together with the
 * EnvoyFilters already in the cluster, and returns the findings that belong to it.
 */
import type { Finding } from '../rule.js';
import { MW413 } from './rules.js';
import { applyEnvoyFilters, type SharedApplication } from './apply.js';
import { loadBaseline, type GatewayServer, type InboundPort, type PolicyFilters } from './baseline.js';
import { GATEWAY_NAME_LABEL } from './select.js';
import type { BaselineParams } from './baseline.js';
import type { ConfigPatch, EnvoyFilterObject, JsonObject, PatchFinding, ProxyKind, XdsConfig } from './types.js';
import { featuresFor, parseIstioVersion } from './versions.js';
import { EXTENSIONS_FILTER_PREFIX } from './versioned-matches.js';

export interface PatchLayerOptions {
  /** Proxy versions running in the cluster, e.g. `['1.28.0', '1.31.0']`; one baseline per minor. */
  istioVersions: string[];
  /** EnvoyFilters already applied (they are ordered with this one as istiod would). */
  otherEnvoyFilters?: readonly EnvoyFilterObject[];
  /** Service port → container targetPort of the selected workload; derived from the patches if absent. */
  inbound?: InboundPort[];
  gatewayServers?: GatewayServer[];
  /** Service ports the sidecar calls over HTTP (outbound listeners); derived from the patches if absent. */
  outboundHttpPorts?: number[];
  /** Policies on the workload that add HTTP filters (rbac, jwt_authn, ext_authz) istiod would generate. */
  policies?: PolicyFilters;
  /** Labels of the target pods; the EnvoyFilter's workloadSelector labels if absent. */
  proxyLabels?: Record<string, string>;
  /** Namespace of the target pods; the EnvoyFilter's namespace (or `default` for the root namespace). */
  proxyNamespace?: string;
  rootNamespace?: string;
  /**
   * `assume` (default): vhosts and named routes that HTTP_ROUTE / VIRTUAL_HOST matches name come from
   * VirtualServices the baseline cannot know, so they are added to it before patching. `strict`: they
   * must exist in the baseline (use with a captured config dump).
   */
  routeFacts?: 'assume' | 'strict';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The config patches of an EnvoyFilter that can be simulated: none when `configPatches` is not
 * a list (the API server rejects that; the schema layer reports it), and no entry that is not a
 * map. Reading never fails on the judged filter's shape, only finds nothing to apply.
 */
function patchesOf(ef: EnvoyFilterObject): ConfigPatch[] {
  const patches: unknown = isPlainObject(ef.spec) ? ef.spec.configPatches : undefined;
  return Array.isArray(patches) ? patches.filter(isPlainObject) : [];
}

function kindsFor(ef: EnvoyFilterObject, labels: Record<string, string>): ProxyKind[] {
  const ctx = new Set(patchesOf(ef).map((p) => p?.match?.context ?? 'ANY'));
  const kinds = new Set<ProxyKind>();
  if (ctx.has('GATEWAY')) kinds.add('gateway');
  if (ctx.has('SIDECAR_INBOUND') || ctx.has('SIDECAR_OUTBOUND')) kinds.add('sidecar');
  if (ctx.has('ANY')) {
    const looksGateway = labels['istio'] === 'ingressgateway' || labels['istio'] === 'egressgateway' || GATEWAY_NAME_LABEL in labels;
    kinds.add(looksGateway ? 'gateway' : 'sidecar');
  }
  return [...kinds];
}

/** Inbound ports the patches name, when the caller does not know the Service. */
function derivedInbound(ef: EnvoyFilterObject): InboundPort[] | undefined {
  const ports = new Map<number, number>();
  for (const p of patchesOf(ef)) {
    if (p?.match?.context !== 'SIDECAR_INBOUND') continue;
    const target = p.match.listener?.portNumber ?? p.match.routeConfiguration?.portNumber;
    const vh = /^inbound\|http\|(\d+)$/.exec(p.match.routeConfiguration?.vhost?.name ?? '');
    if (target) ports.set(target, vh ? Number(vh[1]) : (ports.get(target) ?? target));
    else if (vh) ports.set(Number(vh[1]), Number(vh[1]));
  }
  if (ports.size === 0) return undefined;
  return [...ports].map(([targetPort, servicePort]) => ({ targetPort, servicePort }));
}

/**
 * Outbound HTTP ports the patches name (listener, route configuration, or a `<host>:<port>` vhost):
 * a sidecar has an outbound listener for every Service port of the mesh, which the baseline cannot
 * know, so a port a patch names is taken to be one (MW413 would otherwise flag every port but the
 * baseline's own).
 */
const HTTP_APPLY_TO = new Set(['HTTP_FILTER', 'HTTP_ROUTE', 'VIRTUAL_HOST', 'ROUTE_CONFIGURATION']);
function derivedOutbound(ef: EnvoyFilterObject): number[] | undefined {
  const ports = new Set<number>();
  for (const p of patchesOf(ef)) {
    if (p?.match?.context !== 'SIDECAR_OUTBOUND') continue;
    const hcm = p.match.listener?.filterChain?.filter?.name === 'envoy.filters.network.http_connection_manager';
    if (!HTTP_APPLY_TO.has(p.applyTo ?? '') && !hcm) continue; // a TCP port is no HTTP listener
    const rc = p.match.routeConfiguration;
    const vh = /:(\d+)$/.exec(rc?.vhost?.name ?? '');
    for (const port of [p.match.listener?.portNumber, rc?.portNumber, vh ? Number(vh[1]) : undefined]) if (port) ports.add(port);
  }
  return ports.size > 0 ? [...ports].sort((a, b) => a - b) : undefined;
}

function derivedGateway(ef: EnvoyFilterObject): GatewayServer[] | undefined {
  const out: GatewayServer[] = [];
  for (const p of patchesOf(ef)) {
    if (p?.match?.context !== 'GATEWAY') continue;
    const l = p.match.listener?.portNumber;
    const r = p.match.routeConfiguration?.portNumber;
    if (l && !out.some((s) => s.targetPort === l)) out.push({ targetPort: l, servicePort: l === 8080 ? 80 : l === 8443 ? 443 : l });
    if (r && !out.some((s) => s.servicePort === r || s.targetPort === r)) out.push({ targetPort: r === 80 ? 8080 : r === 443 ? 8443 : r, servicePort: r });
  }
  return out.length > 0 ? out : undefined;
}

const baselineCache = new Map<string, XdsConfig>();
function cachedBaseline(version: string, kind: ProxyKind, params: BaselineParams): XdsConfig {
  const key = `${version}|${kind}|${JSON.stringify(params)}`;
  let b = baselineCache.get(key);
  if (!b) {
    if (baselineCache.size > 256) baselineCache.clear();
    b = loadBaseline(version, kind, params);
    baselineCache.set(key, b);
  }
  return b;
}

const catchAllNames = new Set(['allow_any', 'block_all', 'default']);

/**
 * Whether an EnvoyFilter uses anything whose meaning differs between the supported minors
 * (the IstioFeatures flags that change within 1.28-1.31 and their neighbours): if none of
 * the filters on a proxy does, every minor gives the same result.
 */
function observesVersionFeatures(ef: EnvoyFilterObject): boolean {
  if ((ef.spec?.targetRefs ?? []).length > 0) return true;
  return patchesOf(ef).some(
    (p) =>
      p?.applyTo === 'BOOTSTRAP' ||
      p?.applyTo === 'LISTENER_FILTER' ||
      p?.applyTo === 'CLUSTER' ||
      p?.patch?.operation === 'MERGE_AND_REPLACE_LIST' ||
      p?.match?.routeConfiguration?.vhost?.domainName !== undefined ||
      p?.match?.proxy?.proxyVersion !== undefined ||
      p?.match?.listener?.filterChain?.transportSocket !== undefined ||
      namesWasmPluginFilter(p),
  );
}

/**
 * The anchor paths of `ef` that name a WasmPlugin or TrafficExtension filter. The baselines hold no
 * such filter: istiod generates it for an extension object the validator cannot see offline, so, as
 * with the vhosts of VirtualServices (`routeFacts: 'assume'`), an anchor on one is not reported as
 * matching nothing (MW413); one on the other release line's name is MW427 (ADR 0112).
 */
function extensionFilterAnchors(ef: EnvoyFilterObject): Set<string> {
  const out = new Set<string>();
  patchesOf(ef).forEach((p, i) => {
    const f = p?.match?.listener?.filterChain?.filter;
    const at = `spec.configPatches[${i}].match.listener.filterChain.filter`;
    if (isExtensionFilter(f?.name)) out.add(`${at}.name`);
    if (isExtensionFilter(f?.subFilter?.name)) out.add(`${at}.subFilter.name`);
  });
  return out;
}

const isExtensionFilter = (n: unknown): boolean => typeof n === 'string' && n.startsWith(EXTENSIONS_FILTER_PREFIX);

/** Whether a patch anchors on a WasmPlugin filter, whose name changed in Istio 1.30 (versioned-matches.ts). */
function namesWasmPluginFilter(p: ConfigPatch): boolean {
  const f = p?.match?.listener?.filterChain?.filter;
  return isExtensionFilter(f?.name) || isExtensionFilter(f?.subFilter?.name);
}

/** A baseline's config sections as text (not its istioVersion), computed once per baseline object. */
const signatures = new WeakMap<XdsConfig, string>();
function contentSignature(b: XdsConfig): string {
  let sig = signatures.get(b);
  if (sig === undefined) {
    sig = JSON.stringify([b.listeners, b.routes, b.clusters, b.extension_configs ?? []]);
    signatures.set(b, sig);
  }
  return sig;
}

/** Baselines with assumed routes, by baseline and wanted routes; bounded, oldest evicted first. */
const assumedCache = new Map<string, { base: XdsConfig; out: XdsConfig }>();
const assumedCacheLimit = 256;
const baselineIds = new WeakMap<XdsConfig, number>();
let nextBaselineId = 0;

/** Adds the vhosts/routes the EnvoyFilter's route matches name (see `routeFacts`). Returns `b` if nothing is added. */
function withAssumedRoutes(b: XdsConfig, ef: EnvoyFilterObject, kind: ProxyKind): XdsConfig {
  const wanted: Wanted[] = [];
  for (const p of patchesOf(ef)) {
    const m = p?.match?.routeConfiguration;
    if (p.applyTo !== 'HTTP_ROUTE' && p.applyTo !== 'VIRTUAL_HOST') continue;
    const ctx = p.match?.context ?? 'ANY';
    if (kind === 'gateway' ? ctx !== 'GATEWAY' && ctx !== 'ANY' : ctx === 'GATEWAY') continue;
    // A route named without its vhost is assumed in every vhost of the port, except inbound,
    // where istiod generates one route, `default`, and nothing else exists to assume.
    if (!m?.vhost?.name && !m?.vhost?.domainName && !(m?.vhost?.route?.name && ctx !== 'SIDECAR_INBOUND')) continue;
    wanted.push({
      ctx,
      ...(m.portNumber ? { port: m.portNumber } : {}),
      ...(m.vhost?.name ? { vhost: m.vhost.name } : {}),
      ...(m.vhost?.domainName ? { domain: m.vhost.domainName } : {}),
      ...(m.vhost?.route?.name ? { route: m.vhost.route.name } : {}),
    });
  }
  if (wanted.length === 0) return b;
  let id = baselineIds.get(b);
  if (id === undefined) baselineIds.set(b, (id = nextBaselineId++));
  const key = `${id}|${kind}|${JSON.stringify(wanted)}`;
  const hit = assumedCache.get(key);
  if (hit && hit.base === b) return hit.out;
  const out = assumeRoutes(b, wanted, kind);
  if (assumedCache.size >= assumedCacheLimit) assumedCache.delete(assumedCache.keys().next().value!);
  assumedCache.set(key, { base: b, out });
  return out;
}

/** A vhost (by name and/or one of its domains) and/or route a route match names. */
interface Wanted {
  ctx: string;
  port?: number;
  vhost?: string;
  domain?: string;
  route?: string;
}

function assumeRoutes(b: XdsConfig, wanted: Wanted[], kind: ProxyKind): XdsConfig {
  const out = structuredClone(b);
  const routeConfigs: JsonObject[] = [...out.routes];
  for (const l of out.listeners) {
    for (const fc of (l['filter_chains'] as JsonObject[] | undefined) ?? []) {
      for (const f of (fc['filters'] as JsonObject[] | undefined) ?? []) {
        const tc = f['typed_config'] as JsonObject | undefined;
        if (tc && typeof tc['route_config'] === 'object' && tc['route_config'] !== null) routeConfigs.push(tc['route_config'] as JsonObject);
      }
    }
  }
  /** Gateways serve a server port from the RDS config of the container port it maps to (`http.<targetPort>`). */
  const gatewayRouteConfig = (port: number | undefined): JsonObject | undefined => {
    const target = Object.entries(b.meta?.gatewayPortMap ?? {}).find(([, served]) => port !== undefined && served.includes(port))?.[0];
    return out.routes.find((r) => r['name'] === `http.${target}`) ?? out.routes[0];
  };
  for (const w of wanted) {
    const vhosts = routeConfigs.flatMap((rc) => ((rc['virtual_hosts'] as JsonObject[]) ?? []).map((vh) => ({ rc, vh })));
    if (w.vhost === undefined && w.domain === undefined) {
      // Route only: every non-catch-all vhost of the port's route configuration.
      const rc = kind === 'gateway' ? gatewayRouteConfig(w.port) : out.routes.find((r) => r['name'] === String(w.port));
      const inPort = vhosts.filter((x) => (w.port === undefined || x.rc === rc) && !(x.vh['domains'] as string[] | undefined)?.includes('*'));
      if (w.route && !catchAllNames.has(w.route)) for (const { vh } of inPort) assumeRoute(vh, w.route);
      continue;
    }
    // istiod matches the name and the domain, each when given (rc_patch.go virtualHostMatch).
    let hits = vhosts.filter((x) => (w.vhost === undefined || x.vh['name'] === w.vhost) && (w.domain === undefined || ((x.vh['domains'] as string[] | undefined) ?? []).includes(w.domain)));
    if (hits.length === 0) {
      if (w.vhost?.startsWith('inbound|')) continue; // inbound vhosts come from Service ports, which are facts
      const hp = /^(.*):(\d+)$/.exec(w.vhost ?? '');
      const port = w.port ?? (hp ? Number(hp[2]) : undefined);
      const host = w.domain ?? (hp ? hp[1]! : w.vhost!);
      const name = w.vhost ?? (port !== undefined ? `${host}:${port}` : host);
      let rc = kind === 'gateway' ? gatewayRouteConfig(port) : out.routes.find((r) => r['name'] === String(port));
      if (!rc && kind === 'sidecar' && port) {
        rc = { name: String(port), validate_clusters: false, ignore_port_in_host_matching: true, virtual_hosts: [] };
        out.routes.push(rc);
        routeConfigs.push(rc);
      }
      if (!rc) continue;
      const vh: JsonObject = { name, domains: [host], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: `outbound|${port ?? 80}||${host}`, timeout: '0s' } }] };
      const list = (rc['virtual_hosts'] as JsonObject[]) ?? (rc['virtual_hosts'] = []);
      const catchAll = list.findIndex((v) => (v['domains'] as string[] | undefined)?.includes('*'));
      list.splice(catchAll < 0 ? list.length : catchAll, 0, vh);
      hits = [{ rc, vh }];
    }
    if (!w.route || catchAllNames.has(w.route)) continue;
    for (const { vh } of hits) assumeRoute(vh, w.route);
  }
  return out;
}

/** Adds a route named by a VirtualService (unknown offline) before the vhost's last, catch-all route. */
function assumeRoute(vh: JsonObject, name: string): void {
  const routes = (vh['routes'] as JsonObject[]) ?? (vh['routes'] = []);
  if (routes.some((r) => r['name'] === name)) return;
  const last = routes.length > 0 ? routes.length - 1 : 0;
  routes.splice(last, 0, { name, match: { prefix: `/${name}` }, route: { cluster: 'outbound|80||assumed.invalid', timeout: '0s' } });
}

/**
 * Whether another EnvoyFilter can take part in the simulation: the shape istiod could hold at
 * all. Callers pass the neighbours as istiod stores them (validate/index.ts drops the ones the
 * API server or istiod rejects); this guard keeps any other caller's malformed neighbour from
 * changing, or crashing, the checks of the filter judged (ADR 0109). Without configPatches (the
 * pre-1.4 `filters:` API) a filter simply contributes nothing.
 */
function simulatable(o: EnvoyFilterObject): boolean {
  if (!isPlainObject(o) || !isPlainObject(o.metadata)) return false;
  const spec: unknown = o.spec;
  if (spec === undefined) return true;
  if (!isPlainObject(spec)) return false;
  const patches = spec['configPatches'];
  return patches === undefined || (Array.isArray(patches) && patches.every(isPlainObject));
}

/** Who receives `ef`: its proxies' labels and namespace, and every EnvoyFilter applied with it. */
function proxySetup(ef: EnvoyFilterObject, opts: PatchLayerOptions) {
  const labels = { ...(opts.proxyLabels ?? ef.spec?.workloadSelector?.labels ?? {}) };
  // targetRefs attach only to Gateway API gateway pods, which carry the gateway-name label.
  const gwRef = (ef.spec?.targetRefs ?? []).find((r) => r.kind === 'Gateway');
  if (!opts.proxyLabels && gwRef) labels[GATEWAY_NAME_LABEL] = gwRef.name;
  const root = opts.rootNamespace ?? 'istio-system';
  const efNs = ef.metadata.namespace ?? 'default';
  const namespace = opts.proxyNamespace ?? (efNs === root ? 'default' : efNs);
  const all = [...(opts.otherEnvoyFilters ?? []).filter(simulatable), ef];
  return { labels, root, namespace, all, index: all.length - 1, kinds: kindsFor(ef, labels) };
}

/** The baseline `ef` is applied to for one minor and proxy kind (ports derived from the patches when unknown). */
function baselineFor(ef: EnvoyFilterObject, opts: PatchLayerOptions, minor: string, kind: ProxyKind): XdsConfig {
  const baseline = cachedBaseline(minor, kind, {
    ...(opts.policies ? { policies: opts.policies } : {}),
    ...(kind === 'sidecar'
      ? { inbound: opts.inbound ?? derivedInbound(ef), outboundHttpPorts: opts.outboundHttpPorts ?? derivedOutbound(ef) }
      : { gatewayServers: opts.gatewayServers ?? derivedGateway(ef) }),
  });
  return (opts.routeFacts ?? 'assume') === 'assume' ? withAssumedRoutes(baseline, ef, kind) : baseline;
}

/**
 * The configs istiod would send the proxies `ef` targets, for one Istio version: with and
 * without `ef` (`skip` drops some of its patches), for the Envoy oracle.
 */
export function patchedConfigs(ef: EnvoyFilterObject, opts: PatchLayerOptions & { istioVersion: string; skip?: ReadonlySet<number> }): Array<{ kind: ProxyKind; config: XdsConfig }> {
  const { labels, root, namespace, all, index, kinds } = proxySetup(ef, opts);
  const p = parseIstioVersion(opts.istioVersion);
  const minor = `${p.major}.${p.minor}`;
  const patches = ef.spec?.configPatches;
  const subject = opts.skip && Array.isArray(patches) ? { ...ef, spec: { ...ef.spec, configPatches: patches.filter((_, i) => !opts.skip!.has(i)) } } : ef;
  const filters = [...all.slice(0, index), subject];
  return kinds.map((kind) => ({
    kind,
    config: applyEnvoyFilters(baselineFor(ef, opts, minor, kind), filters, { kind, istioVersion: opts.istioVersion, labels, namespace, rootNamespace: root }).config,
  }));
}

/** MW4xx findings for `ef` across the target versions; messages say when only some versions are affected. */
export function checkEnvoyFilterPatches(ef: EnvoyFilterObject, opts: PatchLayerOptions): Finding[] {
  const { labels, root, namespace, all, index, kinds } = proxySetup(ef, opts);
  const minors = new Map<string, string>();
  for (const v of opts.istioVersions) {
    const p = parseIstioVersion(v);
    if (!minors.has(`${p.major}.${p.minor}`)) minors.set(`${p.major}.${p.minor}`, v);
  }
  // key → versions where it was found
  const seen = new Map<string, { f: Finding; versions: Set<string>; kinds: Set<ProxyKind> }>();
  // Minors whose baseline and istiod semantics are the same give the same result: apply once.
  const usesProxyVersion = all.some((o) => patchesOf(o).some((p) => p?.match?.proxy?.proxyVersion !== undefined));
  const versionSensitive = all.some(observesVersionFeatures);
  const results = new Map<string, PatchFinding[]>();
  const shared: SharedApplication = { normalized: new WeakMap() };
  const extensionAnchors = extensionFilterAnchors(ef);
  for (const [minor, version] of minors) {
    for (const kind of kinds) {
      const b = baselineFor(ef, opts, minor, kind);
      const features = versionSensitive ? JSON.stringify(featuresFor(parseIstioVersion(version))) : '';
      const same = `${kind}|${contentSignature(b)}|${features}|${usesProxyVersion ? version : ''}`;
      let findings = results.get(same);
      if (findings === undefined) {
        findings = applyEnvoyFilters(b, all, { kind, istioVersion: version, labels, namespace, rootNamespace: root }, shared).findings;
        results.set(same, findings);
      }
      for (const { filterIndex, finding } of findings) {
        if (filterIndex !== index) continue;
        if (finding.rule === MW413.code && extensionAnchors.has(finding.path)) continue;
        const key = `${finding.rule}|${finding.path}`;
        const cur = seen.get(key);
        if (cur) {
          cur.versions.add(minor);
          cur.kinds.add(kind);
        } else seen.set(key, { f: finding, versions: new Set([minor]), kinds: new Set([kind]) });
      }
    }
  }
  const out: Finding[] = [];
  for (const { f, versions, kinds: k } of seen.values()) {
    // An ANY patch that is a no-op on one proxy kind but applies on another is fine.
    if (f.rule === MW413.code && k.size < kinds.length) continue;
    const only = versions.size < minors.size ? ` [Istio ${[...versions].sort().join(', ')} only]` : '';
    out.push({ ...f, message: f.message + only });
  }
  return out;
}
