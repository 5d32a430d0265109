/**
 * Version-dependent istiod behaviour. Each flag names the release that changed it; see
 * envoy-templates/baselines/README.md for the source of each.
 */
import { ISTIO_BACKPORTS, ISTIO_BOUNDARIES } from '../../versions/boundaries.js';
import { istioMinors, since, type IstioMinor } from '../../versions/table.js';

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

/**
 * What istiod does with an EnvoyFilter, per Istio minor of the version table. Behaviour that changed
 * at a row of the table is `since(minor, ISTIO_BOUNDARIES.x)`; behaviour that changed before the
 * oldest row (1.19 … 1.27) holds for every row and is kept as a flag so the code reads the same
 * either way (versions.test.ts checks that those releases are older than the table).
 */
export interface IstioFeatures {
  /** `MERGE_AND_REPLACE_LIST` operation (ISTIO_BOUNDARIES.mergeAndReplaceList). */
  mergeAndReplaceList: boolean;
  /** `routeConfiguration.vhost.domainName` match (1.26, before the table). */
  vhostDomainName: boolean;
  /** BOOTSTRAP patches are accepted but never applied (1.21, before the table: bootstrap discovery removed). */
  bootstrapIgnored: boolean;
  /** Deprecated filter names (`envoy.router`, `envoy.http_connection_manager`) no longer match (1.19, before the table). */
  deprecatedNamesNoMatch: boolean;
  /** `InboundPassthroughClusterIpv4/Ipv6` merged into `InboundPassthroughCluster` (1.23, #51503, before the table). */
  singleInboundPassthroughCluster: boolean;
  /** targetRefs honoured on EnvoyFilter (1.22, before the table). */
  targetRefs: boolean;
  /** proxyVersion longer than this many characters never matches (ISTIO_BOUNDARIES.proxyVersionMaxLen; backported to 1.30.4). */
  proxyVersionMaxLen: number | undefined;
  /** LISTENER_FILTER MERGE applied (1.27, before the table). */
  listenerFilterMerge: boolean;
  /**
   * WasmPlugin filters are named `extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin`,
   * not `extensions.istio.io/wasmplugin/<ns>.<name>` (ISTIO_BOUNDARIES.trafficExtensionFilterNames).
   */
  trafficExtensionFilterNames: boolean;
  /**
   * The match `listener.filterChain.transportSocket` exists (ISTIO_BOUNDARIES.filterChainTransportSocket);
   * before, the API server prunes it and istiod ignores it, so the patch reaches every chain.
   */
  filterChainTransportSocket: boolean;
}

/** The release-1.31 cap on proxyVersion regexes (`maxProxyVersionLen`). */
const PROXY_VERSION_MAX_LEN = 1024;

/** Whether `v` is a patch of an older minor that has the change (ISTIO_BACKPORTS). */
function backported(v: IstioVersion, patches: readonly string[] | undefined): boolean {
  return (patches ?? []).some((p) => {
    const b = parseIstioVersion(p);
    return b.major === v.major && b.minor === v.minor && v.patch >= b.patch;
  });
}

/** The features of an Istio version of the version table (a RangeError names the table's minors otherwise). */
export function featuresFor(v: IstioVersion): IstioFeatures {
  const minor = `${v.major}.${v.minor}`;
  const at = (boundary: keyof typeof ISTIO_BOUNDARIES) => since(minor, ISTIO_BOUNDARIES[boundary], 'istio') || backported(v, ISTIO_BACKPORTS[boundary]);
  return {
    mergeAndReplaceList: at('mergeAndReplaceList'),
    vhostDomainName: true,
    bootstrapIgnored: true,
    deprecatedNamesNoMatch: true,
    singleInboundPassthroughCluster: true,
    targetRefs: true,
    proxyVersionMaxLen: at('proxyVersionMaxLen') ? PROXY_VERSION_MAX_LEN : undefined,
    listenerFilterMerge: true,
    trafficExtensionFilterNames: at('trafficExtensionFilterNames'),
    filterChainTransportSocket: at('filterChainTransportSocket'),
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
