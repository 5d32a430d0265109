/**
 * Extension categories: which typed configs may stand where. Envoy names the category of each
 * `Any` field in a proto comment (`[#extension-category: envoy.filters.http]`) that does not
 * survive into descriptors, so the few fields an EnvoyFilter touches are listed here and the
 * category of a type is derived from its proto package.
 */

export type ExtensionCategory =
  | 'envoy.filters.http'
  | 'envoy.filters.network'
  | 'envoy.filters.listener'
  | 'envoy.filters.udp_listener'
  | 'envoy.transport_sockets'
  | 'envoy.access_loggers'
  | 'envoy.clusters'
  | 'envoy.tracers'
  | 'envoy.stats_sinks'
  /** `envoy.config.route.v3.FilterConfig`, the per-route wrapper of any HTTP filter config. */
  | 'envoy.route.filter_config'
  /** A whole xDS resource or patchable part: Cluster, Listener, FilterChain, RouteConfiguration, VirtualHost, Route. */
  | 'xds.resource'
  | 'other';

const LABELS: Record<ExtensionCategory, string> = {
  'envoy.filters.http': 'an HTTP filter',
  'envoy.filters.network': 'a network filter',
  'envoy.filters.listener': 'a listener filter',
  'envoy.filters.udp_listener': 'a UDP listener filter',
  'envoy.transport_sockets': 'a transport socket',
  'envoy.access_loggers': 'an access logger',
  'envoy.clusters': 'a custom cluster type',
  'envoy.tracers': 'a tracer',
  'envoy.stats_sinks': 'a stats sink',
  'envoy.route.filter_config': 'a per-route filter config wrapper',
  'xds.resource': 'an xDS resource',
  other: 'not an extension config',
};

export function categoryLabel(c: ExtensionCategory): string {
  return LABELS[c];
}

const PACKAGE_CATEGORIES: Array<[string, ExtensionCategory]> = [
  ['envoy.extensions.filters.http.', 'envoy.filters.http'],
  ['envoy.extensions.filters.network.', 'envoy.filters.network'],
  ['envoy.extensions.filters.listener.', 'envoy.filters.listener'],
  ['envoy.extensions.filters.udp.', 'envoy.filters.udp_listener'],
  ['envoy.extensions.transport_sockets.', 'envoy.transport_sockets'],
  ['envoy.extensions.access_loggers.', 'envoy.access_loggers'],
  ['envoy.extensions.clusters.', 'envoy.clusters'],
  ['envoy.extensions.tracers.', 'envoy.tracers'],
  ['envoy.extensions.stat_sinks.', 'envoy.stats_sinks'],
  ['envoy.config.trace.v3.', 'envoy.tracers'],
];

const RESOURCES = new Set([
  'envoy.config.cluster.v3.Cluster',
  'envoy.config.listener.v3.Listener',
  'envoy.config.listener.v3.FilterChain',
  'envoy.config.route.v3.RouteConfiguration',
  'envoy.config.route.v3.VirtualHost',
  'envoy.config.route.v3.Route',
  'envoy.config.endpoint.v3.ClusterLoadAssignment',
  'envoy.config.route.v3.ScopedRouteConfiguration',
  'envoy.extensions.transport_sockets.tls.v3.Secret',
  'envoy.config.bootstrap.v3.Bootstrap',
]);

/** The extension category of a message type, from its proto package (and a few named resources). */
export function extensionCategory(typeName: string): ExtensionCategory {
  const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
  if (RESOURCES.has(name)) return 'xds.resource';
  if (name === 'envoy.config.route.v3.FilterConfig') return 'envoy.route.filter_config';
  for (const [prefix, cat] of PACKAGE_CATEGORIES) if (name.startsWith(prefix)) return cat;
  return 'other';
}

/** Where an Istio EnvoyFilter `applyTo` points: the message type of `patch.value` and what its `typed_config` may hold. */
export interface ApplyToTarget {
  applyTo: string;
  /** Full name of the message `patch.value` decodes into. */
  messageType: string;
  /** Allowed categories of the value's top-level `typed_config`; empty when it has none. */
  typedConfigCategories: readonly ExtensionCategory[];
}

const APPLY_TO: Record<string, Omit<ApplyToTarget, 'applyTo'>> = {
  LISTENER: { messageType: 'envoy.config.listener.v3.Listener', typedConfigCategories: [] },
  FILTER_CHAIN: { messageType: 'envoy.config.listener.v3.FilterChain', typedConfigCategories: [] },
  NETWORK_FILTER: { messageType: 'envoy.config.listener.v3.Filter', typedConfigCategories: ['envoy.filters.network'] },
  HTTP_FILTER: {
    messageType: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
    typedConfigCategories: ['envoy.filters.http'],
  },
  LISTENER_FILTER: { messageType: 'envoy.config.listener.v3.ListenerFilter', typedConfigCategories: ['envoy.filters.listener'] },
  ROUTE_CONFIGURATION: { messageType: 'envoy.config.route.v3.RouteConfiguration', typedConfigCategories: [] },
  VIRTUAL_HOST: { messageType: 'envoy.config.route.v3.VirtualHost', typedConfigCategories: [] },
  HTTP_ROUTE: { messageType: 'envoy.config.route.v3.Route', typedConfigCategories: [] },
  CLUSTER: { messageType: 'envoy.config.cluster.v3.Cluster', typedConfigCategories: [] },
  // ECDS: istiod serves HTTP and network filter configs (pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go).
  EXTENSION_CONFIG: {
    messageType: 'envoy.config.core.v3.TypedExtensionConfig',
    typedConfigCategories: ['envoy.filters.http', 'envoy.filters.network'],
  },
  BOOTSTRAP: { messageType: 'envoy.config.bootstrap.v3.Bootstrap', typedConfigCategories: [] },
};

/** The target of an EnvoyFilter `applyTo` value, or `undefined` for an unknown one. */
export function categoryForApplyTo(applyTo: string): ApplyToTarget | undefined {
  const t = Object.hasOwn(APPLY_TO, applyTo) ? APPLY_TO[applyTo] : undefined;
  return t ? { applyTo, ...t } : undefined;
}

export const APPLY_TO_VALUES: readonly string[] = Object.keys(APPLY_TO);

const PER_ROUTE: readonly ExtensionCategory[] = ['envoy.filters.http', 'envoy.route.filter_config'];

/**
 * `Any` fields with a fixed extension category, keyed `<message full name>.<field name>`
 * (map fields: the category of their values).
 */
export const FIELD_CATEGORIES: ReadonlyMap<string, readonly ExtensionCategory[]> = new Map([
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.typed_config', ['envoy.filters.http']],
  ['envoy.config.listener.v3.Filter.typed_config', ['envoy.filters.network']],
  ['envoy.config.listener.v3.ListenerFilter.typed_config', ['envoy.filters.listener']],
  ['envoy.config.listener.v3.ListenerFilter.config_discovery', ['envoy.filters.listener']],
  ['envoy.config.core.v3.TransportSocket.typed_config', ['envoy.transport_sockets']],
  ['envoy.config.accesslog.v3.AccessLog.typed_config', ['envoy.access_loggers']],
  ['envoy.config.cluster.v3.Cluster.CustomClusterType.typed_config', ['envoy.clusters']],
  ['envoy.config.route.v3.VirtualHost.typed_per_filter_config', PER_ROUTE],
  ['envoy.config.route.v3.Route.typed_per_filter_config', PER_ROUTE],
  ['envoy.config.route.v3.RouteConfiguration.typed_per_filter_config', PER_ROUTE],
  ['envoy.config.route.v3.WeightedCluster.ClusterWeight.typed_per_filter_config', PER_ROUTE],
  ['envoy.config.route.v3.FilterConfig.config', ['envoy.filters.http']],
]);

/**
 * Types served by istio-proxy's own extensions (not in the upstream Envoy API): their contents
 * cannot be checked here, and saying "unknown type" would be wrong.
 */
export function isIstioProxyType(typeName: string): boolean {
  return (
    /^(istio|io\.istio)\./.test(typeName) ||
    typeName === 'stats.PluginConfig' ||
    typeName.startsWith('envoy.tcp.metadataexchange.') ||
    typeName.startsWith('envoy.extensions.filters.http.istio_stats.')
  );
}

/** Category of an istio-proxy type, where it is known. */
export function istioProxyCategory(typeName: string): ExtensionCategory | undefined {
  if (/\.http\./.test(typeName)) return 'envoy.filters.http';
  if (/\.network\.|metadataexchange/.test(typeName)) return 'envoy.filters.network';
  return undefined;
}
