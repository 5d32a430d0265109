/**
 * Turns a patched Istio config (listeners, RDS route configs, clusters) into a static
 * Envoy bootstrap that `envoy --mode validate` can judge without a control plane:
 * - Istio-only extensions (metadata exchange, istio.stats, istio.alpn, peer metadata)
 *   are removed: the upstream Envoy we validate with does not have them;
 * - RDS references are replaced by the route configuration istiod would send;
 * - EDS clusters become static ones on loopback, SDS transport sockets are dropped (no
 *   secrets exist offline), and mesh services named by gRPC services (the rate limit
 *   service) get a static cluster, as the mesh would provide one.
 */
import type { XdsConfig } from '../validate/istio/index.js';

type JsonObject = Record<string, unknown>;
import { isIstioProxyType } from '../validate/proto/index.js';

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(tc: unknown): string {
  if (!isObj(tc)) return '';
  const t = String(tc['@type'] ?? '');
  const inner = /TypedStruct$/.test(t) ? String(tc['type_url'] ?? '') : t;
  return inner.slice(inner.lastIndexOf('/') + 1);
}

/** Filters the upstream Envoy binary cannot load (istio-proxy extensions). */
function istioOnly(f: unknown): boolean {
  if (!isObj(f)) return false;
  const name = String(f['name'] ?? '');
  return name.startsWith('istio.') || isIstioProxyType(typeName(f['typed_config']));
}

function withoutSds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSds);
  if (!isObj(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'transport_socket' || k === 'transportSocket') && JSON.stringify(v).includes('sds_config')) continue;
    if (k === 'transport_socket_matches') continue;
    out[k] = withoutSds(v);
  }
  return out;
}

function grpcClusters(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => grpcClusters(n, into));
  else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'envoy_grpc' || k === 'envoyGrpc') && isObj(v) && typeof (v['cluster_name'] ?? v['clusterName']) === 'string') into.add(String(v['cluster_name'] ?? v['clusterName']));
      else grpcClusters(v, into);
    }
  }
}

function loopback(name: string, http2: boolean): JsonObject {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    ...(http2
      ? {
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        }
      : {}),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9 } } } }] }] },
  };
}

function staticCluster(cluster: JsonObject): JsonObject {
  // Upstream network filters (istio's upstream metadata exchange) are istio-proxy extensions too.
  const c = Array.isArray(cluster['filters']) ? { ...cluster, filters: cluster['filters'].filter((f) => !istioOnly(f)) } : cluster;
  if (c['type'] !== 'EDS') return c;
  const { eds_cluster_config: _eds, type: _type, ...rest } = c;
  return { ...rest, ...loopback(String(c['name']), false), ...('typed_extension_protocol_options' in c ? { typed_extension_protocol_options: c['typed_extension_protocol_options'] } : {}) };
}

function fixListener(l: JsonObject, routes: Map<string, JsonObject>): JsonObject {
  const chains = (fcs: unknown) =>
    Array.isArray(fcs)
      ? fcs.map((fc) => {
          if (!isObj(fc)) return fc;
          const filters = (Array.isArray(fc['filters']) ? fc['filters'] : []).filter((f) => !istioOnly(f)).map((f) => fixNetworkFilter(f as JsonObject, routes));
          return { ...fc, filters };
        })
      : fcs;
  const out: JsonObject = { ...l, filter_chains: chains(l['filter_chains']) };
  if (isObj(l['default_filter_chain'])) out['default_filter_chain'] = (chains([l['default_filter_chain']]) as unknown[])[0];
  if (Array.isArray(l['listener_filters'])) out['listener_filters'] = l['listener_filters'].filter((f) => !istioOnly(f));
  return out;
}

function fixNetworkFilter(f: JsonObject, routes: Map<string, JsonObject>): JsonObject {
  const tc = f['typed_config'];
  if (!isObj(tc) || !typeName(tc).endsWith('HttpConnectionManager')) return f;
  const hcm: JsonObject = { ...tc };
  if (Array.isArray(hcm['http_filters'])) hcm['http_filters'] = hcm['http_filters'].filter((h) => !istioOnly(h));
  const rds = hcm['rds'];
  if (isObj(rds)) {
    const name = String(rds['route_config_name'] ?? '');
    delete hcm['rds'];
    hcm['route_config'] = routes.get(name) ?? { name, virtual_hosts: [] };
  }
  return { ...f, typed_config: hcm };
}

export function staticBootstrap(config: XdsConfig, nodeId: string): JsonObject {
  const routes = new Map(config.routes.map((r) => [String(r['name']), r as JsonObject] as const));
  const listeners = config.listeners.map((l) => fixListener(withoutSds(l) as JsonObject, routes));
  const clusters = config.clusters.map((c) => staticCluster(withoutSds(c) as JsonObject));
  const referenced = new Set<string>();
  grpcClusters(listeners, referenced);
  for (const name of referenced) if (!clusters.some((c) => c['name'] === name)) clusters.push(loopback(name, true));
  return { node: { id: nodeId, cluster: 'meshwarden-oracle' }, static_resources: { listeners, clusters } };
}
