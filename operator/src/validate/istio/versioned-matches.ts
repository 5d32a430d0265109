/**
 * How an EnvoyFilter match reads on one Istio version, where the release changed it (ADR 0112):
 * - `listener.filterChain.transportSocket` exists from Istio 1.32 on. An older CRD has no such field:
 *   its API server refuses the object under strict field validation (kubectl's default) and prunes the
 *   field otherwise; an older istiod ignores it. The patch then reaches every filter chain the rest of
 *   the match selects (MW426; e2e/istiod/versioned-matches.e2e.test.ts shows both on istiod 1.30/1.31).
 * - WasmPlugin filters were renamed in 1.30, so an anchor on the other release line's name never
 *   matches (MW427).
 * The simulation (apply.ts) reads the match through `matchAsRead` and reports `versionedMatchFindings`.
 */
import type { Finding } from '../rule.js';
import { ISTIO_BOUNDARIES } from '../../versions/boundaries.js';
import { isObject } from './merge.js';
import { MW426, MW427 } from './rules.js';
import type { ConfigPatch, ConfigPatchMatch, JsonObject } from './types.js';
import type { IstioFeatures } from './versions.js';

/** Envoy's default transport socket: a filter chain without one passes the bytes through unmodified. */
const RAW_BUFFER = 'envoy.transport_sockets.raw_buffer';

/** The transport socket names envoy_filter.proto documents for `transportSocket` (istio.io/api v1.32.0). */
export const TRANSPORT_SOCKET_NAMES: readonly string[] = [RAW_BUFFER, 'envoy.transport_sockets.tls', 'envoy.transport_sockets.quic'];

/**
 * The `transportSocket` match: the name of the socket the chain is configured with, where a chain
 * without one counts as raw_buffer (envoy_filter.proto `FilterChainMatch.transport_socket`).
 */
export function transportSocketMatches(fc: JsonObject, name: string): boolean {
  const ts = fc['transport_socket'];
  const actual = isObject(ts) && typeof ts['name'] === 'string' && ts['name'] !== '' ? ts['name'] : RAW_BUFFER;
  return actual === name;
}

/** The match as this istiod holds it: without `filterChain.transportSocket` before 1.32. Returns `match` when nothing changes. */
export function matchAsRead(match: ConfigPatchMatch, features: IstioFeatures): ConfigPatchMatch {
  const fc = match.listener?.filterChain;
  if (features.filterChainTransportSocket || fc?.transportSocket === undefined) return match;
  const { transportSocket: _pruned, ...chain } = fc;
  return { ...match, listener: { ...match.listener, filterChain: chain } };
}

/** A hint for a patch that matched nothing because its `transportSocket` names no socket istiod generates. */
export function transportSocketHint(match: ConfigPatchMatch): string | undefined {
  const ts = match.listener?.filterChain?.transportSocket;
  if (ts === undefined || ts === '' || TRANSPORT_SOCKET_NAMES.includes(ts)) return undefined;
  return `filterChain.transportSocket takes the name of the chain's transport socket (${TRANSPORT_SOCKET_NAMES.join(', ')}), not a transport protocol: ${JSON.stringify(ts)} matches no chain.`;
}

/** The prefix of every filter istiod generates for a WasmPlugin or TrafficExtension. */
export const EXTENSIONS_FILTER_PREFIX = 'extensions.istio.io/';
const WASM_PLUGIN_PREFIX = `${EXTENSIONS_FILTER_PREFIX}wasmplugin/`;
const TRAFFIC_EXTENSION_PREFIX = `${EXTENSIONS_FILTER_PREFIX}trafficextension/`;
const SYNTHETIC_MARKER = '~istio-translated-wasmplugin';

/**
 * The name istiod of this version gives the WasmPlugin filter another release line calls `name`,
 * when `name` is a WasmPlugin filter name this version does not generate.
 */
function renamedWasmPluginFilter(name: string, features: IstioFeatures): string | undefined {
  if (features.trafficExtensionFilterNames && name.startsWith(WASM_PLUGIN_PREFIX)) {
    return `${TRAFFIC_EXTENSION_PREFIX}${name.slice(WASM_PLUGIN_PREFIX.length)}${SYNTHETIC_MARKER}`;
  }
  if (!features.trafficExtensionFilterNames && name.startsWith(TRAFFIC_EXTENSION_PREFIX) && name.endsWith(SYNTHETIC_MARKER)) {
    return `${WASM_PLUGIN_PREFIX}${name.slice(TRAFFIC_EXTENSION_PREFIX.length, -SYNTHETIC_MARKER.length)}`;
  }
  return undefined;
}

/** The match fields that name a filter, with their paths below the patch. */
function filterAnchors(cp: ConfigPatch): Array<[where: string, name: string]> {
  const f = cp.match?.listener?.filterChain?.filter;
  const out: Array<[string, string]> = [];
  if (typeof f?.name === 'string') out.push(['match.listener.filterChain.filter.name', f.name]);
  if (typeof f?.subFilter?.name === 'string') out.push(['match.listener.filterChain.filter.subFilter.name', f.subFilter.name]);
  return out;
}

/** MW426 and MW427 for one patch that reaches a proxy of this version (`path` is the patch's). */
export function versionedMatchFindings(cp: ConfigPatch, path: string, features: IstioFeatures): Finding[] {
  const out: Finding[] = [];
  const ts = cp.match?.listener?.filterChain?.transportSocket;
  if (!features.filterChainTransportSocket && typeof ts === 'string' && ts !== '') {
    out.push(
      MW426.finding(
        `${path}.match.listener.filterChain.transportSocket`,
        `filterChain.transportSocket is an Istio ${ISTIO_BOUNDARIES.filterChainTransportSocket} match: an older Istio's CRD has no such field, so its API server refuses the object under strict field validation (kubectl's default) and otherwise prunes the field (Helm, GitOps tools, client libraries), and an older istiod ignores it; this patch then applies to every filter chain the rest of the match selects, not only those whose transport socket is ${ts}`,
        'While control planes older than Istio ' +
          ISTIO_BOUNDARIES.filterChainTransportSocket +
          ' are targeted, narrow the match with fields they read: transportProtocol (tls or raw_buffer: what the chain accepts) with applicationProtocols (istio-peer-exchange,istio for the mTLS chains), name or destinationPort; or target only Istio ' +
          ISTIO_BOUNDARIES.filterChainTransportSocket +
          ' and later, with its CRDs installed.',
      ),
    );
  }
  for (const [where, name] of filterAnchors(cp)) {
    const renamed = renamedWasmPluginFilter(name, features);
    if (renamed === undefined) continue;
    const op = cp.patch?.operation ?? 'the patch';
    out.push(
      MW427.finding(
        `${path}.${where}`,
        features.trafficExtensionFilterNames
          ? `since Istio ${ISTIO_BOUNDARIES.trafficExtensionFilterNames} istiod serves every WasmPlugin as a TrafficExtension and names its filter ${JSON.stringify(renamed)}: ${JSON.stringify(name)} never matches, so ${op} is skipped silently`
          : `before Istio ${ISTIO_BOUNDARIES.trafficExtensionFilterNames} istiod names WasmPlugin filters ${JSON.stringify(renamed)}: ${JSON.stringify(name)} never matches, so ${op} is skipped silently`,
        features.trafficExtensionFilterNames
          ? `Anchor on ${renamed}; while older proxies remain, keep a second patch with the old name restricted to them by match.proxy.proxyVersion.`
          : `Anchor on ${renamed} for these proxies (a second patch restricted by match.proxy.proxyVersion), and on the new name for Istio ${ISTIO_BOUNDARIES.trafficExtensionFilterNames} and later.`,
      ),
    );
  }
  return out;
}
