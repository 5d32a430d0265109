/**
 * Which EnvoyFilters and patches istiod attaches to a proxy, and in which order
 * (IST@1.28.0 pilot/pkg/model/push_context.go `EnvoyFilters`, pilot/pkg/model/policyattachment.go
 * `ShouldAttachPolicy`, pilot/pkg/model/envoyfilter.go `convertToEnvoyFilterWrapper`, `proxyMatch`).
 */
import type { ConfigPatch, EnvoyFilterObject, ProxyInfo } from './types.js';
import type { IstioFeatures } from './versions.js';
import { Lru } from '../syntax/lru.js';
import { compileRe2 } from '../syntax/re2-engine.js';

export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

interface Matcher {
  test(s: string): boolean;
}

type RegexFactory = (src: string) => Matcher;

/** RE2, the syntax of Go's regexp that istiod matches proxyVersion with (one engine: validate/syntax/re2-engine.ts). */
export const regexEngine: { name: 're2'; compile: RegexFactory } = { name: 're2', compile: compileRe2 };

/**
 * Compiled proxyVersion regexes (null: invalid). Bounded, or a stream of unique values grows it
 * without end (14,000 took a webhook to 1.36 GB): real ones are few and short (`^1\.2[0-9].*`),
 * so the cache keeps the most recent short ones and a long source is compiled for its use only.
 */
const regexCache = new Lru<Matcher | null>(128);
const maxCachedSourceLength = 128;

function compile(src: string): Matcher | null {
  let m = regexCache.get(src);
  if (m !== undefined) return m;
  try {
    m = regexEngine.compile(src);
  } catch {
    m = null;
  }
  if (src.length <= maxCachedSourceLength) regexCache.set(src, m);
  return m;
}

/** How many compiled proxyVersion regexes are held (for the bound's test). */
export function cachedProxyVersionRegexes(): number {
  return regexCache.size;
}

/** istiod rewrites these common regexes to prefix matches (`wellKnownVersions`). */
const WELL_KNOWN_VERSIONS: Record<string, string> = {
  '^1\\.16.*': '1.16',
  '^1\\.17.*': '1.17',
  '^1\\.18.*': '1.18',
  '^1\\.19.*': '1.19',
  '^1\\.20.*': '1.20',
  '^1\\.21.*': '1.21',
  '^1\\.22.*': '1.22',
  '^1\\.23.*': '1.23',
};

/** `proxyMatch`: proxyVersion regex (unanchored, RE2) on ISTIO_VERSION plus exact metadata matches. */
export function proxyMatches(cp: ConfigPatch, proxy: ProxyInfo, features: IstioFeatures): boolean {
  const pm = cp.match?.proxy;
  if (!pm) return true;
  const pv = pm.proxyVersion ?? '';
  if (pv !== '') {
    const prefix = WELL_KNOWN_VERSIONS[pv];
    if (prefix !== undefined) {
      if (!proxy.istioVersion.startsWith(prefix)) return false;
    } else if (features.proxyVersionMaxLen !== undefined && pv.length > features.proxyVersionMaxLen) {
      return false;
    } else {
      const re = compile(pv);
      // An invalid regex is caught by validation; istiod then has a nil regex and matches everything.
      if (re) {
        if (proxy.istioVersion === '') return false;
        if (!re.test(proxy.istioVersion)) return false;
      }
    }
  }
  for (const [k, v] of Object.entries(pm.metadata ?? {})) {
    if ((proxy.metadata ?? {})[k] !== v) return false;
  }
  return true;
}

/** A loop, not Object.entries().every(): it runs for every EnvoyFilter against every proxy simulated. */
function subsetOf(sel: Record<string, string>, labels: Record<string, string>): boolean {
  for (const k of Object.keys(sel)) if (labels[k] !== sel[k]) return false;
  return true;
}

/** `WorkloadPolicyMatcher.ShouldAttachPolicy` for a sidecar or gateway (not waypoints). */
export function attaches(ef: EnvoyFilterObject, proxy: ProxyInfo, features: IstioFeatures): boolean {
  const root = proxy.rootNamespace ?? 'istio-system';
  const ns = ef.metadata.namespace ?? 'default';
  if (ns !== root && ns !== proxy.namespace) return false;
  const selector = ef.spec?.workloadSelector?.labels;
  const targetRefs = features.targetRefs ? (ef.spec?.targetRefs ?? []) : [];
  const gatewayName = proxy.labels[GATEWAY_NAME_LABEL];
  const isSelected = () => selector === undefined || subsetOf(selector, proxy.labels);
  if (gatewayName === undefined) {
    if (targetRefs.length > 0) return false;
    return isSelected();
  }
  // ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY defaults to true.
  if (targetRefs.length === 0) return isSelected();
  for (const ref of targetRefs) {
    if (proxy.namespace !== ns) continue;
    if (ref.namespace && ref.namespace !== proxy.namespace) continue;
    if ((ref.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' && ref.kind === 'Gateway' && ref.name === gatewayName) {
      return true;
    }
  }
  return false;
}

function creationMillis(ef: EnvoyFilterObject): number {
  const t = ef.metadata.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/**
 * Indexes of the attached EnvoyFilters in istiod's order: priority, root namespace first,
 * creation time, then `name.namespace`.
 */
export function orderFilters(efs: readonly EnvoyFilterObject[], idx: number[], rootNamespace: string): number[] {
  return [...idx].sort((a, b) => {
    const x = efs[a]!;
    const y = efs[b]!;
    const px = x.spec?.priority ?? 0;
    const py = y.spec?.priority ?? 0;
    if (px !== py) return px - py;
    const nx = x.metadata.namespace ?? 'default';
    const ny = y.metadata.namespace ?? 'default';
    if (nx !== ny && (nx === rootNamespace || ny === rootNamespace)) return nx === rootNamespace ? -1 : 1;
    const cx = creationMillis(x);
    const cy = creationMillis(y);
    if (cx !== cy) return cx < cy ? -1 : 1;
    const kx = `${x.metadata.name ?? ''}.${nx}`;
    const ky = `${y.metadata.name ?? ''}.${ny}`;
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
}
