/** MW4xx: EnvoyFilter patches applied to the istiod-generated baseline of each target Istio version. */
import { defineRule } from '../rule.js';

const IST = 'https://github.com/istio/istio/blob/1.28.0/';
const LP = `${IST}pilot/pkg/networking/core/envoyfilter/listener_patch.go`;
const RC = `${IST}pilot/pkg/networking/core/envoyfilter/rc_patch.go`;
const CP = `${IST}pilot/pkg/networking/core/envoyfilter/cluster_patch.go`;
const EF = `${IST}pilot/pkg/model/envoyfilter.go`;

export const MW401 = defineRule({
  code: 'MW401', layer: 'patch', severity: 'error',
  title: 'HTTP filter placed after the router: the terminal filter must be last (LDS NACK)',
  source: `${LP} (patchHTTPFilters: ADD/INSERT_AFTER append; MERGE appends http_filters); envoyproxy/envoy#7779`,
  failureModes: [1, 4],
});
export const MW402 = defineRule({
  code: 'MW402', layer: 'patch', severity: 'error',
  title: 'Router removed or replaced: the HTTP filter chain no longer ends in a terminal filter (LDS NACK)',
  source: 'https://github.com/envoyproxy/envoy/blob/main/source/common/config/utility.h (validateTerminalFilters)',
  failureModes: [2],
});
export const MW403 = defineRule({
  code: 'MW403', layer: 'patch', severity: 'error',
  title: 'Terminal network filter (tcp_proxy, http_connection_manager, ...) is not the last filter of its chain (LDS NACK)',
  source: `${LP} (patchNetworkFilters); istio/istio#50658`,
  failureModes: [3],
});
export const MW404 = defineRule({
  code: 'MW404', layer: 'patch', severity: 'warning',
  title: 'The same HTTP filter name appears twice in one HTTP connection manager',
  source: `${LP} (ADD/INSERT_* do not de-duplicate); https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/network/http_connection_manager/config.cc`,
  failureModes: [1, 4],
});
export const MW405 = defineRule({
  code: 'MW405', layer: 'patch', severity: 'error',
  title: 'HTTP connection manager without route_specifier (rds, route_config or scoped_routes) after patching',
  source: 'https://github.com/istio/istio/issues/35456',
  failureModes: [5],
});
export const MW406 = defineRule({
  code: 'MW406', layer: 'patch', severity: 'error',
  title: 'Cluster without a name (CDS NACK: ClusterValidationError.Name)',
  source: `${CP} (InsertedClusters); istio/istio#37107`,
  failureModes: [8],
});
export const MW407 = defineRule({
  code: 'MW407', layer: 'patch', severity: 'error',
  title: 'Duplicate cluster name: istiod silently drops one or Envoy rejects the CDS update',
  source: `${IST}pilot/pkg/networking/core/cluster_builder.go (normalizeClusters), ${IST}pilot/pkg/networking/core/cluster.go`,
  failureModes: [9],
});
export const MW408 = defineRule({
  code: 'MW408', layer: 'patch', severity: 'error',
  title: 'Duplicate listener name or address (LDS NACK)',
  source: `${LP} (patchListeners ADD); ${IST}pilot/test/xdstest/validate.go`,
  failureModes: [9],
});
export const MW409 = defineRule({
  code: 'MW409', layer: 'patch', severity: 'error',
  title: 'Two filter chains of one listener have the same filter_chain_match (LDS NACK: multiple filter chains with the same matching rules)',
  source: `${LP} (patchFilterChains ADD); istio/istio#54614`,
  failureModes: [9],
});
export const MW410 = defineRule({
  code: 'MW410', layer: 'patch', severity: 'error',
  title: 'Domain served by two virtual hosts of one route configuration, including a second "*" (RDS/LDS NACK)',
  source: `${RC} (patchVirtualHosts ADD); ${IST}pilot/pkg/networking/core/httproute.go (buildCatchAllVirtualHost); istio/istio#24455`,
  failureModes: [22, 4],
});
export const MW411 = defineRule({
  code: 'MW411', layer: 'patch', severity: 'warning',
  title: 'HTTP route placed after a catch-all route: it can never match',
  source: `${RC} (patchHTTPRoutes: ADD appends)`,
  failureModes: [23],
});
export const MW412 = defineRule({
  code: 'MW412', layer: 'patch', severity: 'warning',
  title: 'typed_per_filter_config names an HTTP filter that the HCM serving this route does not have (config never used)',
  source: `${IST}pilot/pkg/networking/core/httproute.go; istio/community#1440; istio/istio#36112`,
  failureModes: [18],
});
export const MW413 = defineRule({
  code: 'MW413', layer: 'patch', severity: 'warning',
  title: 'Patch matches nothing in the generated config: istiod silently skips it',
  source: `${LP}, ${RC}, ${CP} (unmatched patches only bump a metric); istio/istio.io#13169`,
  failureModes: [30],
});
export const MW414 = defineRule({
  code: 'MW414', layer: 'patch', severity: 'error',
  title: 'Match uses a deprecated filter name that istiod no longer matches (Istio >= 1.19)',
  source: `${IST}pkg/config/xds/deprecated.go; https://github.com/istio/istio/blob/1.19.0/releasenotes/notes/deprecated-envoy-filter.yaml`,
  failureModes: [30],
});
export const MW415 = defineRule({
  code: 'MW415', layer: 'patch', severity: 'warning',
  title: 'BOOTSTRAP patches are accepted but never applied (Istio >= 1.21)',
  source: `${IST}pilot/pkg/networking/core/envoyfilter/ (no BOOTSTRAP patcher)`,
});
export const MW416 = defineRule({
  code: 'MW416', layer: 'patch', severity: 'error',
  title: 'EXTENSION_CONFIG supports only ADD; other operations are ignored',
  source: `${IST}pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go`,
  failureModes: [27],
});
export const MW417 = defineRule({
  code: 'MW417', layer: 'patch', severity: 'warning',
  title: 'INSERT_* on an unordered type is turned into ADD by istiod (on CLUSTER this adds a new, usually nameless, cluster)',
  source: `${EF} (convertToEnvoyFilterWrapper); istio/istio#37107`,
  failureModes: [8],
});
export const MW418 = defineRule({
  code: 'MW418', layer: 'patch', severity: 'error',
  title: 'local_ratelimit per-route config without token_bucket (RDS NACK outbound, LDS NACK inbound)',
  source: 'https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc',
  failureModes: [16],
});
export const MW419 = defineRule({
  code: 'MW419', layer: 'patch', severity: 'error',
  title: 'MERGE with a different @type than the generated config: istiod panics while patching and drops the remaining patches',
  source: `${LP} (MergeAnyWithAny, HandleCrash); ${IST}pkg/proto/merge/merge.go ("descriptor mismatch")`,
  failureModes: [32],
});
export const MW420 = defineRule({
  code: 'MW420', layer: 'patch', severity: 'warning',
  title: 'Operation is not implemented by istiod for this applyTo (or this Istio version): the patch is ignored',
  source: `${LP}, ${RC}, ${CP}; https://github.com/istio/istio/blob/release-1.31/releasenotes/notes/envoyfilter-merge-and-replace-list.yaml`,
  failureModes: [4, 30],
});
export const MW421 = defineRule({
  code: 'MW421', layer: 'patch', severity: 'warning',
  title: 'patch.filterClass is ignored by istiod: ADD still appends after the router',
  source: `${LP} (filterClass is never read); istio/api#2253`,
  failureModes: [1],
});
export const MW422 = defineRule({
  code: 'MW422', layer: 'patch', severity: 'warning',
  title: 'HTTP filter uses config_discovery for a config that no EXTENSION_CONFIG ADD provides',
  source: `${IST}pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go; istio/istio#38313`,
  failureModes: [27],
});
export const MW423 = defineRule({
  code: 'MW423', layer: 'patch', severity: 'warning',
  title: 'Match field that istiod ignores for this applyTo/proxy: the patch applies more widely than written',
  source: `${LP} (listenerMatch, filterChainMatch), ${RC} (routeConfigurationMatch); ${IST}pkg/config/validation/envoyfilter/envoyfilter.go`,
  failureModes: [28, 30],
});
export const MW425 = defineRule({
  code: 'MW425', layer: 'patch', severity: 'warning',
  title: 'Gateway VIRTUAL_HOST/HTTP_ROUTE matched by vhost.name: istiod merges the vhosts of a VirtualService\'s hosts into one named after the alphabetically first host, so the name depends on the other hosts (match domainName instead)',
  source: `${IST}pilot/pkg/networking/core/gateway.go (collapseDuplicateRoutes, PILOT_ENABLE_ROUTE_COLLAPSE_OPTIMIZATION); ${RC} (virtualHostMatch: domainName)`,
  failureModes: [30],
});
export const MW424 = defineRule({
  code: 'MW424', layer: 'patch', severity: 'warning',
  title: 'HTTP_FILTER INSERT_BEFORE without subFilter: inserted first, before istio.metadata_exchange',
  source: `${LP} (patchHTTPFilters: "insert before without a filter match is same as insert in the beginning"); istio/istio#41066`,
  failureModes: [30],
});
