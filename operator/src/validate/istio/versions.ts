/**
 * Version-dependent istiod behaviour. Each flag names the release that changed it; see
 * envoy-templates/baselines/README.md for the source of each.
 */
import { istioMinors, type IstioMinor } from '../../versions/table.js';

export interface IstioVersion {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

export function parseIstioVersion(v: string): IstioVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) throw new Error(`cannot parse Istio version ${JSON.stringify(v)}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: v };
}

export interface IstioFeatures {
  /** `MERGE_AND_REPLACE_LIST` operation (istio/istio#60498, release-1.31). */
  mergeAndReplaceList: boolean;
  /** `routeConfiguration.vhost.domainName` match (1.26). */
  vhostDomainName: boolean;
  /** BOOTSTRAP patches are accepted but never applied (1.21: bootstrap discovery removed). */
  bootstrapIgnored: boolean;
  /** Deprecated filter names (`envoy.router`, `envoy.http_connection_manager`) no longer match (1.19). */
  deprecatedNamesNoMatch: boolean;
  /** `InboundPassthroughClusterIpv4/Ipv6` merged into `InboundPassthroughCluster` (1.23, #51503). */
  singleInboundPassthroughCluster: boolean;
  /** targetRefs honoured on EnvoyFilter (1.22). */
  targetRefs: boolean;
  /** proxyVersion longer than 1024 characters never matches (release-1.31). */
  proxyVersionMaxLen: number | undefined;
  /** LISTENER_FILTER MERGE applied (1.27). */
  listenerFilterMerge: boolean;
}

export function featuresFor(v: IstioVersion): IstioFeatures {
  const at = (minor: number) => v.major > 1 || (v.major === 1 && v.minor >= minor);
  return {
    mergeAndReplaceList: at(31),
    vhostDomainName: at(26),
    bootstrapIgnored: at(21),
    deprecatedNamesNoMatch: at(19),
    singleInboundPassthroughCluster: at(23),
    targetRefs: at(22),
    proxyVersionMaxLen: at(31) ? 1024 : undefined,
    listenerFilterMerge: at(27),
  };
}

/** The Istio minors we ship baselines for: every row of the version table. */
export const BASELINE_MINORS: readonly IstioMinor[] = istioMinors();
export type BaselineMinor = IstioMinor;

export function baselineMinorFor(v: string): BaselineMinor | undefined {
  const p = parseIstioVersion(v);
  const key = `${p.major}.${p.minor}`;
  return (BASELINE_MINORS as readonly string[]).includes(key) ? (key as BaselineMinor) : undefined;
}
