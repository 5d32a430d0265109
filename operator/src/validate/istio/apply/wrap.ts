/**
 * istiod's `convertToEnvoyFilterWrapper`: each config patch of the attached EnvoyFilters, in
 * order, becomes a PatchWrapper (INSERT_* on unordered kinds converted to ADD), or is dropped,
 * with the op-level findings that need no baseline (deprecated names, ignored fields,
 * unsupported operations, anchors missing).
 */
import type { Finding } from '../../rule.js';
import { isObject, normalizeKeys } from '../merge.js';
import { MW413, MW414, MW415, MW416, MW417, MW420, MW421, MW423, MW424, MW425 } from '../rules.js';
import { proxyMatches } from '../select.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { ApplyTo, ConfigPatch, EnvoyFilterObject, JsonObject, Operation } from '../types.js';
import { matchAsRead, versionedMatchFindings } from '../versioned-matches.js';
import { report } from './operations.js';

/** Deprecated name → canonical name (IST@1.28.0 pkg/config/xds/deprecated.go). */
export const DEPRECATED_FILTER_NAMES: Record<string, string> = {
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.cors': 'envoy.filters.http.cors',
  'envoy.csrf': 'envoy.filters.http.csrf',
  'envoy.http_dynamo_filter': 'envoy.filters.http.dynamo',
  'envoy.ext_authz': 'envoy.filters.http.ext_authz (network: envoy.filters.network.ext_authz)',
  'envoy.fault': 'envoy.filters.http.fault',
  'envoy.grpc_http1_bridge': 'envoy.filters.http.grpc_http1_bridge',
  'envoy.grpc_json_transcoder': 'envoy.filters.http.grpc_json_transcoder',
  'envoy.grpc_web': 'envoy.filters.http.grpc_web',
  'envoy.gzip': 'envoy.filters.http.gzip',
  'envoy.health_check': 'envoy.filters.http.health_check',
  'envoy.ip_tagging': 'envoy.filters.http.ip_tagging',
  'envoy.lua': 'envoy.filters.http.lua',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.router': 'envoy.filters.http.router',
  'envoy.squash': 'envoy.filters.http.squash',
  'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector',
  'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
  'envoy.listener.original_src': 'envoy.filters.listener.original_src',
  'envoy.listener.proxy_protocol': 'envoy.filters.listener.proxy_protocol',
  'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector',
  'envoy.client_ssl_auth': 'envoy.filters.network.client_ssl_auth',
  'envoy.http_connection_manager': 'envoy.filters.network.http_connection_manager',
  'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy',
  'envoy.ratelimit': 'envoy.filters.network.ratelimit',
  'envoy.redis_proxy': 'envoy.filters.network.redis_proxy',
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
};

const APPLY_TOS: ReadonlySet<string> = new Set<ApplyTo>([
  'LISTENER',
  'FILTER_CHAIN',
  'NETWORK_FILTER',
  'HTTP_FILTER',
  'ROUTE_CONFIGURATION',
  'VIRTUAL_HOST',
  'HTTP_ROUTE',
  'CLUSTER',
  'EXTENSION_CONFIG',
  'BOOTSTRAP',
  'LISTENER_FILTER',
]);
const ORDERED_TYPES: ReadonlySet<string> = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'HTTP_ROUTE', 'LISTENER_FILTER']);

/**
 * What several applications of the same, unchanging EnvoyFilters (one per Istio minor and proxy
 * kind) can share: each patch value with its keys normalized. Nothing writes into a patch value
 * (inserted objects are copies as deep as anything writes, see cloneValue).
 */
export interface SharedApplication {
  normalized: WeakMap<object, JsonObject>;
}

function anchorName(cp: ConfigPatch): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const l = cp.match?.listener;
  if (l?.filterChain?.filter?.name) out.push(['match.listener.filterChain.filter.name', l.filterChain.filter.name]);
  if (l?.filterChain?.filter?.subFilter?.name) out.push(['match.listener.filterChain.filter.subFilter.name', l.filterChain.filter.subFilter.name]);
  if (l?.listenerFilter) out.push(['match.listener.listenerFilter', l.listenerFilter]);
  return out;
}

/** `convertToEnvoyFilterWrapper` plus the op-level findings that need no baseline. */
export function wrapPatches(s: SimState, efs: readonly EnvoyFilterObject[], order: number[], shared?: SharedApplication): void {
  const normalized = (v: JsonObject): JsonObject => {
    let n = shared?.normalized.get(v);
    if (!n) {
      n = normalizeKeys(v) as JsonObject;
      shared?.normalized.set(v, n);
    }
    return n;
  };
  for (const fi of order) {
    const ef = efs[fi]!;
    const cps: unknown = ef.spec?.configPatches;
    // A filter without configPatches (the pre-1.4 `filters:` API) contributes nothing; the others still apply.
    if (!Array.isArray(cps)) continue;
    (cps as ConfigPatch[]).forEach((cp, pi) => {
      // Malformed patches are the schema layer's (MW1xx) business; istiod skips them too.
      const plain = (v: unknown): boolean => isObject(v);
      if (!plain(cp) || !plain(cp.patch) || typeof cp.applyTo !== 'string' || !APPLY_TOS.has(cp.applyTo) || typeof cp.patch?.operation !== 'string') return;
      if (cp.match !== undefined && !plain(cp.match)) return;
      if (!cp.patch) return;
      const path = `spec.configPatches[${pi}]`;
      const applyTo = cp.applyTo as ApplyTo;
      const origOp = cp.patch.operation as Operation;
      const w: PatchWrapper = {
        filterIndex: fi,
        patchIndex: pi,
        path,
        applyTo,
        op: origOp,
        match: matchAsRead(cp.match ?? { context: 'ANY' }, s.features),
        context: cp.match?.context ?? 'ANY',
        value: isObject(cp.patch.value) ? normalized(cp.patch.value) : {},
        applied: false,
        reachedParent: false,
      };
      if (!proxyMatches(cp, s.proxy, s.features)) return;
      for (const vf of versionedMatchFindings(cp, path, s.features)) report(s, w, vf);
      const f = (rule: { finding: (p: string, m: string, h?: string, sev?: 'error' | 'warning' | 'info') => Finding }, p: string, m: string, h: string, sev?: 'error' | 'warning' | 'info') =>
        report(s, w, rule.finding(p, m, h, sev));

      for (const [where, name] of anchorName(cp)) {
        const canonical = DEPRECATED_FILTER_NAMES[name];
        if (canonical && s.features.deprecatedNamesNoMatch) {
          f(MW414, `${path}.${where}`, `${JSON.stringify(name)} is a deprecated filter name; istiod generates ${canonical} and compares names literally, so this never matches`, `Use ${canonical}.`);
        }
      }
      const lm = cp.match?.listener;
      if (lm?.portName) {
        f(
          MW423,
          `${path}.match.listener.portName`,
          'istiod never reads listener.portName: the patch applies to every port the rest of the match selects',
          'Match on portNumber (the container targetPort for inbound) instead.',
        );
      }
      if ((applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') && lm?.filterChain?.filter) {
        f(
          MW423,
          `${path}.match.listener.filterChain.filter`,
          `a filter match has no effect on ${applyTo}: every listener/chain the rest of the match selects is patched`,
          'Match the chain by name, destinationPort, sni or transportProtocol instead.',
        );
      }
      if (s.proxy.kind === 'sidecar' && (cp.match?.routeConfiguration?.portName || cp.match?.routeConfiguration?.gateway)) {
        f(
          MW423,
          `${path}.match.routeConfiguration`,
          'routeConfiguration.portName and .gateway are only read for gateways; on sidecars they are ignored and the patch applies more widely',
          'Match sidecar routes by portNumber, name and vhost.',
        );
      }
      const vhostName = cp.match?.routeConfiguration?.vhost?.name;
      if (s.proxy.kind === 'gateway' && (applyTo === 'VIRTUAL_HOST' || applyTo === 'HTTP_ROUTE') && vhostName && s.features.vhostDomainName) {
        const host = vhostName.replace(/:\d+$/, '');
        f(
          MW425,
          `${path}.match.routeConfiguration.vhost.name`,
          `on a gateway istiod merges the vhosts of one VirtualService's hosts (same routes) into one named after the alphabetically first host, with every host as a domain: ${JSON.stringify(vhostName)} exists only while ${host} is the first of its VirtualService's hosts, otherwise the patch silently matches nothing`,
          `Match routeConfiguration.vhost.domainName: ${host} instead (istiod compares it with the vhost's domains).`,
        );
      }
      if (applyTo === 'HTTP_FILTER' && origOp === 'INSERT_BEFORE' && !lm?.filterChain?.filter?.subFilter?.name) {
        f(
          MW424,
          `${path}.match`,
          'INSERT_BEFORE without subFilter inserts the filter first in every matched HCM, ahead of istio.metadata_exchange (peer metadata is then missing for it)',
          'Anchor on a filter: match.listener.filterChain.filter.subFilter.name: envoy.filters.http.router (or the filter you want to precede).',
        );
      }
      if (applyTo === 'HTTP_FILTER' && cp.patch.filterClass !== undefined) {
        f(
          MW421,
          `${path}.patch.filterClass`,
          'filterClass is read by no istiod version; the filter is placed by the operation alone',
          'Use INSERT_BEFORE with subFilter envoy.filters.http.router (or another anchor) instead of filterClass.',
        );
      }
      if (applyTo === 'BOOTSTRAP') {
        if (s.features.bootstrapIgnored)
          f(
            MW415,
            `${path}.applyTo`,
            `BOOTSTRAP patches have had no effect since Istio 1.21 (proxy ${s.proxy.istioVersion})`,
            'Move bootstrap settings to ProxyConfig / the proxy.istio.io/config annotation or a custom bootstrap template.',
          );
        return;
      }
      if (origOp === 'MERGE_AND_REPLACE_LIST' && !s.features.mergeAndReplaceList) {
        f(
          MW420,
          `${path}.patch.operation`,
          `MERGE_AND_REPLACE_LIST does not exist before Istio 1.31 (proxy ${s.proxy.istioVersion}); this istiod rejects or ignores the patch`,
          'Use MERGE (lists append) or REPLACE the object, or restrict the patch with match.proxy.proxyVersion to 1.31+.',
          'error',
        );
        return;
      }
      if (origOp === 'MERGE_AND_REPLACE_LIST' && (applyTo === 'HTTP_FILTER' || applyTo === 'NETWORK_FILTER' || applyTo === 'LISTENER_FILTER')) {
        f(
          MW420,
          `${path}.patch.operation`,
          `istiod applies MERGE_AND_REPLACE_LIST only to CLUSTER, LISTENER, FILTER_CHAIN, ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE; on ${applyTo} it does nothing`,
          'Use MERGE, or REPLACE the filter with the full config.',
        );
        return;
      }
      if (applyTo === 'EXTENSION_CONFIG' && origOp !== 'ADD') {
        f(
          MW416,
          `${path}.patch.operation`,
          `EXTENSION_CONFIG ${origOp} is ignored: istiod only serves EXTENSION_CONFIG ADD`,
          'ADD the complete TypedExtensionConfig under a new name and reference it from the filter config_discovery.',
        );
        return;
      }
      let op = origOp;
      if ((op === 'INSERT_BEFORE' || op === 'INSERT_AFTER' || op === 'INSERT_FIRST') && !ORDERED_TYPES.has(applyTo)) {
        op = 'ADD';
        const isCluster = applyTo === 'CLUSTER';
        f(
          MW417,
          `${path}.patch.operation`,
          `${origOp} on ${applyTo} is converted to ADD by istiod${isCluster ? ': instead of changing the matched cluster it adds a new cluster built from the patch value' : ''}`,
          isCluster ? 'Use MERGE to change an existing cluster, or ADD with a complete, uniquely named cluster.' : `Use ADD (or MERGE to change the matched ${applyTo}).`,
          isCluster ? 'error' : 'warning',
        );
      }
      const unsupported =
        (applyTo === 'ROUTE_CONFIGURATION' && op !== 'MERGE' && op !== 'MERGE_AND_REPLACE_LIST') ||
        ((applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN' || applyTo === 'CLUSTER') && op === 'REPLACE') ||
        (applyTo === 'HTTP_ROUTE' && op === 'REPLACE');
      if (unsupported) {
        f(
          MW420,
          `${path}.patch.operation`,
          `istiod has no ${op} for ${applyTo}: the patch is ignored`,
          applyTo === 'ROUTE_CONFIGURATION'
            ? 'ROUTE_CONFIGURATION supports MERGE only; use VIRTUAL_HOST / HTTP_ROUTE patches to add or remove entries.'
            : 'REMOVE the object and ADD a new one, or MERGE into it.',
        );
        return;
      }
      if (op === 'REMOVE' || op === 'REPLACE') {
        const needsAnchor =
          (applyTo === 'HTTP_FILTER' && !cp.match?.listener?.filterChain?.filter?.subFilter?.name) ||
          (applyTo === 'NETWORK_FILTER' && !cp.match?.listener?.filterChain?.filter?.name) ||
          (applyTo === 'LISTENER_FILTER' && !cp.match?.listener?.listenerFilter);
        if (needsAnchor) {
          f(
            MW413,
            `${path}.match`,
            `${op} on ${applyTo} without a filter name to match does nothing in istiod`,
            'Name the filter to act on in match.listener (filterChain.filter.subFilter.name, filterChain.filter.name or listenerFilter).',
          );
          return;
        }
      }
      w.op = op;
      let arr = s.patches.get(applyTo);
      if (!arr) s.patches.set(applyTo, (arr = []));
      arr.push(w);
      s.all.push(w);
    });
  }
}
