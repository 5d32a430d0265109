/**
 * The MW4xx layer entry point for one EnvoyFilter: picks the proxy kinds and ports it targets,
 * instantiates the baseline of every target Istio version, applies it together with the
 * EnvoyFilters already in the cluster, and returns the findings that belong to it.
 */
import type { Finding } from '../rule.js';
import { applyEnvoyFilters } from './apply.js';
import { loadBaseline, type GatewayServer, type InboundPort, type PolicyFilters } from './baseline.js';
import { GATEWAY_NAME_LABEL } from './select.js';
import type { BaselineParams } from './baseline.js';
import type { EnvoyFilterObject, ProxyKind, XdsConfig } from './types.js';
import { parseIstioVersion } from './versions.js';

export interface PatchLayerOptions {
  /** Proxy versions running in the cluster, e.g. `['1.28.0', '1.31.0']`; one baseline per minor. */
  istioVersions: string[];
  /** EnvoyFilters already applied (they are ordered with this one as istiod would). */
  otherEnvoyFilters?: readonly EnvoyFilterObject[];
  /** Service port → container targetPort of the selected workload; derived from the patches if absent. */
  inbound?: InboundPort[];
  gatewayServers?: GatewayServer[];
  /** Policies on the workload that add HTTP filters (rbac, jwt_authn, ext_authz) istiod would generate. */
  policies?: PolicyFilters;
  /** Labels of the target pods; the EnvoyFilter's workloadSelector labels if absent. */
  proxyLabels?: Record<string, string>;
  /** Namespace of the target pods; the EnvoyFilter's namespace (or `default` for the root namespace). */
  proxyNamespace?: string;
  rootNamespace?: string;
}

function kindsFor(ef: EnvoyFilterObject, labels: Record<string, string>): ProxyKind[] {
  const ctx = new Set((ef.spec?.configPatches ?? []).map((p) => p?.match?.context ?? 'ANY'));
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
  for (const p of ef.spec?.configPatches ?? []) {
    if (p?.match?.context !== 'SIDECAR_INBOUND') continue;
    const target = p.match.listener?.portNumber ?? p.match.routeConfiguration?.portNumber;
    const vh = /^inbound\|http\|(\d+)$/.exec(p.match.routeConfiguration?.vhost?.name ?? '');
    if (target) ports.set(target, vh ? Number(vh[1]) : (ports.get(target) ?? target));
    else if (vh) ports.set(Number(vh[1]), Number(vh[1]));
  }
  if (ports.size === 0) return undefined;
  return [...ports].map(([targetPort, servicePort]) => ({ targetPort, servicePort }));
}

function derivedGateway(ef: EnvoyFilterObject): GatewayServer[] | undefined {
  const out: GatewayServer[] = [];
  for (const p of ef.spec?.configPatches ?? []) {
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

/** MW4xx findings for `ef` across the target versions; messages say when only some versions are affected. */
export function checkEnvoyFilterPatches(ef: EnvoyFilterObject, opts: PatchLayerOptions): Finding[] {
  const labels = { ...(opts.proxyLabels ?? ef.spec?.workloadSelector?.labels ?? {}) };
  // targetRefs attach only to Gateway API gateway pods, which carry the gateway-name label.
  const gwRef = (ef.spec?.targetRefs ?? []).find((r) => r.kind === 'Gateway');
  if (!opts.proxyLabels && gwRef) labels[GATEWAY_NAME_LABEL] = gwRef.name;
  const root = opts.rootNamespace ?? 'istio-system';
  const efNs = ef.metadata.namespace ?? 'default';
  const namespace = opts.proxyNamespace ?? (efNs === root ? 'default' : efNs);
  const all = [...(opts.otherEnvoyFilters ?? []), ef];
  const index = all.length - 1;
  const minors = new Map<string, string>();
  for (const v of opts.istioVersions) {
    const p = parseIstioVersion(v);
    if (!minors.has(`${p.major}.${p.minor}`)) minors.set(`${p.major}.${p.minor}`, v);
  }
  // key → versions where it was found
  const seen = new Map<string, { f: Finding; versions: Set<string>; kinds: Set<ProxyKind> }>();
  const kinds = kindsFor(ef, labels);
  for (const [minor, version] of minors) {
    for (const kind of kinds) {
      const baseline = cachedBaseline(minor, kind, {
        ...(opts.policies ? { policies: opts.policies } : {}),
        ...(kind === 'sidecar' ? { inbound: opts.inbound ?? derivedInbound(ef) } : { gatewayServers: opts.gatewayServers ?? derivedGateway(ef) }),
      });
      const r = applyEnvoyFilters(baseline, all, { kind, istioVersion: version, labels, namespace, rootNamespace: root });
      for (const { filterIndex, finding } of r.findings) {
        if (filterIndex !== index) continue;
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
    if (f.rule === 'MW413' && k.size < kinds.length) continue;
    const only = versions.size < minors.size ? ` [Istio ${[...versions].sort().join(', ')} only]` : '';
    out.push({ ...f, message: f.message + only });
  }
  return out;
}
