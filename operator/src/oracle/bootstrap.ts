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
      ? fcs.map((fc: unknown) => {
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

// ---------------------------------------------------------------------------------------
// Traffic bootstrap: one of istiod's HTTP connection managers, runnable on loopback.
// ---------------------------------------------------------------------------------------

/** Which HTTP connection manager of the patched config to serve. */
export type TrafficEntry =
  /** The sidecar inbound chain `0.0.0.0_<port>` (plaintext) of `virtualInbound`; port = the container (target) port. */
  | { side: 'inbound'; port: number }
  /** The sidecar outbound listener `0.0.0.0_<port>` (RDS `<port>` inlined); port = the Service port. */
  | { side: 'outbound'; port: number }
  /** The gateway listener `0.0.0.0_<port>` (RDS `http.<port>` inlined); port = the gateway container port. */
  | { side: 'gateway'; port: number };

export interface TrafficOptions {
  entry: TrafficEntry;
  /** Port of the HTTP backend on 127.0.0.1 every route cluster is pointed at. */
  backendPort: number;
  /** Port the lifted listener binds on 127.0.0.1 (0: let the kernel choose; read it from the admin `/listeners`). */
  listenPort?: number;
  /** Admin port on 127.0.0.1 (0: kernel-chosen, see `--admin-address-path`). */
  adminPort?: number;
  /** gRPC (envoy_grpc) clusters to point at a real service on 127.0.0.1, by cluster name → port (e.g. the rate limit service). */
  grpcPorts?: Record<string, number>;
  nodeId?: string;
}

/** The network filters of the chain the entry names, still with RDS references. */
function entryChain(config: XdsConfig, entry: TrafficEntry): JsonObject {
  const listeners = config.listeners as JsonObject[];
  const chainsOf = (l: JsonObject | undefined) => ((l?.['filter_chains'] as JsonObject[] | undefined) ?? []).filter(isObj);
  const isHcmChain = (fc: JsonObject) => ((fc['filters'] as JsonObject[] | undefined) ?? []).some((f) => typeName(f['typed_config']).endsWith('HttpConnectionManager'));
  let chain: JsonObject | undefined;
  if (entry.side === 'inbound') {
    const vi = listeners.find((l) => l['name'] === 'virtualInbound');
    chain = chainsOf(vi).find((fc) => {
      const m = isObj(fc['filter_chain_match']) ? fc['filter_chain_match'] : {};
      return m['destination_port'] === entry.port && m['transport_protocol'] !== 'tls' && isHcmChain(fc);
    });
  } else {
    const l = listeners.find((x) => x['name'] === `0.0.0.0_${entry.port}`);
    const chains = chainsOf(l).filter(isHcmChain);
    // Outbound listeners also carry a TLS/passthrough chain; the plaintext HTTP one is what apps hit.
    chain = chains.find((fc) => !JSON.stringify(fc['filter_chain_match'] ?? {}).includes('"tls"')) ?? chains[0];
    if (!chain && l && isObj(l['default_filter_chain']) && isHcmChain(l['default_filter_chain'])) chain = l['default_filter_chain'];
  }
  if (!chain) throw new Error(`no HTTP connection manager for ${entry.side} port ${entry.port} in the patched config`);
  return chain;
}

function routeClusters(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => routeClusters(n, into));
  else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'route' && isObj(v)) {
        if (typeof v['cluster'] === 'string') into.add(v['cluster']);
        const wc = v['weighted_clusters'];
        if (isObj(wc) && Array.isArray(wc['clusters'])) for (const c of wc['clusters']) if (isObj(c) && typeof c['name'] === 'string') into.add(c['name']);
      }
      routeClusters(v, into);
    }
  }
}

function pointedAt(name: string, port: number, like: JsonObject | undefined, http2: boolean): JsonObject {
  const c = loopback(name, http2);
  if (like && 'typed_extension_protocol_options' in like) c['typed_extension_protocol_options'] = like['typed_extension_protocol_options'];
  c['load_assignment'] = { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] };
  return c;
}

/**
 * A runnable Envoy bootstrap serving exactly the HTTP connection manager istiod would build
 * for `entry` (after the EnvoyFilters were applied): the HCM is lifted out of its Istio
 * listener (which depends on iptables and original_dst) into a plain listener on
 * 127.0.0.1, its RDS reference inlined and Istio-only filters dropped as in
 * `staticBootstrap`; every cluster its routes name is a static cluster on the backend, gRPC
 * clusters (the rate limit service) go to `grpcPorts` or a closed port; an admin listener on
 * 127.0.0.1 serves /ready and /stats.
 */
export function trafficBootstrap(config: XdsConfig, opts: TrafficOptions): JsonObject {
  const routes = new Map(config.routes.map((r) => [String(r['name']), r as JsonObject] as const));
  const chain = withoutSds(entryChain(config, opts.entry)) as JsonObject;
  const fixed = fixListener({ name: 'meshwarden-traffic', filter_chains: [chain] }, routes);
  const fc = (fixed['filter_chains'] as JsonObject[])[0]!;
  const listener: JsonObject = {
    name: 'meshwarden-traffic',
    address: { socket_address: { address: '127.0.0.1', port_value: opts.listenPort ?? 0 } },
    filter_chains: [{ filters: fc['filters'] }],
  };
  const byName = new Map(config.clusters.map((c) => [String(c['name']), c as JsonObject] as const));
  const upstream = new Set<string>();
  routeClusters(fc['filters'], upstream);
  const grpc = new Set<string>();
  grpcClusters(fc['filters'], grpc);
  const clusters: JsonObject[] = [];
  for (const name of upstream) if (!grpc.has(name)) clusters.push(pointedAt(name, opts.backendPort, byName.get(name), false));
  for (const name of grpc) clusters.push(pointedAt(name, opts.grpcPorts?.[name] ?? 9, byName.get(name), true));
  return {
    node: { id: opts.nodeId ?? 'sidecar~127.0.0.1~meshwarden-traffic.default~default.svc.cluster.local', cluster: 'meshwarden-traffic' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: opts.adminPort ?? 0 } } },
    static_resources: { listeners: [listener], clusters },
  };
}
