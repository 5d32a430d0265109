/**
 * Baseline xDS config per Istio minor, from envoy-templates/baselines/<minor>/{sidecar,gateway}.json.
 * A template is a plain config-dump subset ({listeners, routes, clusters}) with two extensions:
 * - `{{name}}` inside a string is replaced by the parameter; a string that is exactly `{{#name}}`
 *   becomes the number;
 * - an array element carrying `"$repeat": "inbound"` (sidecar) or `"$repeat": "gatewayServers"`
 *   (gateway) is emitted once per port binding, with that binding's parameters.
 * A captured `istioctl proxy-config all -o json` subset has no placeholders and instantiates to itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { isObject } from './merge.js';
import type { BaselineMeta, Json, JsonObject, ProxyKind, XdsConfig } from './types.js';
import { baselineMinorFor, type BaselineMinor } from './versions.js';

export interface InboundPort {
  /** Kubernetes Service port (names the inbound vhost `inbound|http|<servicePort>`). */
  servicePort: number;
  /** Container targetPort: the inbound filter chain `0.0.0.0_<targetPort>` and cluster `inbound|<targetPort>||`. */
  targetPort: number;
  serviceHost?: string;
  /** `tcp` ports get tcp_proxy chains (no HCM); default `http`. */
  protocol?: 'http' | 'tcp';
}

export interface GatewayServer {
  /** Gateway server port (Service port of the gateway), e.g. 80. */
  servicePort: number;
  /** Container port the gateway listener binds, e.g. 8080. */
  targetPort: number;
  /** Host bound by the VirtualService; the vhost is `<host>:<servicePort>`. */
  host?: string;
}

/**
 * Security policies that make istiod add HTTP filters to inbound (sidecar) and gateway HCMs, in
 * `buildHTTPConnectionManager` order after istio.metadata_exchange: CUSTOM ext_authz, jwt_authn
 * (RequestAuthentication), rbac (AuthorizationPolicy; DENY and ALLOW policies give two filters that
 * are both named envoy.filters.http.rbac).
 */
export interface PolicyFilters {
  extAuthz?: boolean;
  jwt?: boolean;
  rbac?: 'allow' | 'deny' | 'both';
}

export interface BaselineParams {
  inbound?: InboundPort[];
  policies?: PolicyFilters;
  gatewayServers?: GatewayServer[];
  /**
   * The outbound HTTP port of the hand-built templates (1.28, 1.29: the mesh's `reviews` Service
   * port; default 9080). Captured templates keep what istiod sent (ports 80 and 9080); there, as
   * everywhere, a port of `outboundHttpPorts` without an outbound HTTP listener gets one.
   */
  outboundHttpPort?: number;
  /**
   * More Service ports the sidecar calls over HTTP (derived from the patches when the caller does
   * not know the mesh's Services): each gets the listener `0.0.0.0_<port>` and the RDS config
   * `<port>` istiod generates for them, copied from an existing outbound HTTP port with only the
   * catch-all vhost (the vhosts of the Services on that port come from the route facts).
   */
  outboundHttpPorts?: number[];
  tcpPort?: number;
  namespace?: string;
}

export const DEFAULT_PARAMS: Required<Omit<BaselineParams, 'policies'>> & Pick<BaselineParams, 'policies'> = {
  inbound: [{ servicePort: 9080, targetPort: 8080, serviceHost: 'productpage.default.svc.cluster.local' }],
  gatewayServers: [{ servicePort: 80, targetPort: 8080, host: 'bookinfo.example.com' }],
  outboundHttpPort: 9080,
  outboundHttpPorts: [],
  tcpPort: 53,
  namespace: 'default',
};

export interface BaselineTemplate {
  istioVersion: string;
  proxyKind: ProxyKind;
  listeners: JsonObject[];
  routes: JsonObject[];
  clusters: JsonObject[];
}

type Vars = Record<string, string | number>;

function subst(v: Json, vars: Vars): Json {
  if (typeof v === 'string') {
    const whole = /^\{\{#(\w+)\}\}$/.exec(v);
    if (whole) {
      const val = vars[whole[1]!];
      if (val === undefined) throw new Error(`baseline template: no value for ${whole[1]}`);
      return Number(val);
    }
    return v.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const val = vars[name];
      if (val === undefined) throw new Error(`baseline template: no value for ${name}`);
      return String(val);
    });
  }
  if (Array.isArray(v)) return expandArray(v, vars);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, e] of Object.entries(v)) if (k !== '$repeat') out[k] = subst(e, vars);
    return out;
  }
  return v;
}

let repeatSets: Record<string, Vars[]> = {};

function expandArray(arr: Json[], vars: Vars): Json[] {
  const out: Json[] = [];
  for (const e of arr) {
    const rep = isObject(e) ? e['$repeat'] : undefined;
    if (typeof rep === 'string') {
      for (const b of repeatSets[rep] ?? []) out.push(subst(e, { ...vars, ...b }));
    } else {
      out.push(subst(e, vars));
    }
  }
  return out;
}

/** Instantiates a template for the given ports. Pure. */
export function instantiateBaseline(t: BaselineTemplate, params: BaselineParams = {}): XdsConfig {
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as BaselineParams;
  const p = { ...DEFAULT_PARAMS, ...defined };
  const ns = p.namespace;
  const vars: Vars = { outboundHttpPort: p.outboundHttpPort, tcpPort: p.tcpPort, namespace: ns };
  const inbound = p.inbound.map((i) => {
    const host = i.serviceHost ?? `workload.${ns}.svc.cluster.local`;
    return { servicePort: i.servicePort, targetPort: i.targetPort, serviceHost: host, serviceName: host.split('.')[0] ?? host, protocol: i.protocol ?? 'http' };
  });
  const servers = p.gatewayServers.map((s) => ({ servicePort: s.servicePort, targetPort: s.targetPort, host: s.host ?? 'bookinfo.example.com' }));
  // Servers sharing a container port share one listener and one RDS config in istiod.
  const seen = new Set<number>();
  const uniqueServers = servers.filter((s) => (seen.has(s.targetPort) ? false : (seen.add(s.targetPort), true)));
  const strip = ({ protocol: _p, ...rest }: (typeof inbound)[number]) => rest;
  repeatSets = {
    inbound: inbound.filter((i) => i.protocol === 'http').map(strip),
    inboundTcp: inbound.filter((i) => i.protocol === 'tcp').map(strip),
    inboundAll: inbound.map(strip),
    gatewayServers: uniqueServers,
  };
  try {
    const meta: BaselineMeta = { istioVersion: t.istioVersion, proxyKind: t.proxyKind };
    if (t.proxyKind === 'sidecar') meta.inboundPorts = inbound.map(({ servicePort, targetPort, protocol }) => ({ servicePort, targetPort, protocol }));
    else {
      const pm: Record<string, number[]> = {};
      for (const s of servers) (pm[String(s.targetPort)] ??= []).push(s.servicePort);
      meta.gatewayPortMap = pm;
    }
    const listeners = expandArray(t.listeners, vars) as JsonObject[];
    if (p.policies) addPolicyFilters(listeners, t.proxyKind, p.policies);
    const routes = expandArray(t.routes, vars) as JsonObject[];
    if (t.proxyKind === 'sidecar') for (const port of p.outboundHttpPorts) addOutboundHttpPort(listeners, routes, port);
    return {
      listeners,
      routes,
      clusters: expandArray(t.clusters, vars) as JsonObject[],
      meta,
    };
  } finally {
    repeatSets = {};
  }
}

const T = (s: string) => `type.googleapis.com/${s}`;

/** The RDS name of an outbound HTTP listener `0.0.0.0_<port>` (istiod names it after the port), if it is one. */
function outboundRds(l: JsonObject): string | undefined {
  if (!/^0\.0\.0\.0_\d+$/.test(String(l['name']))) return undefined;
  for (const fc of Array.isArray(l['filter_chains']) ? l['filter_chains'] : []) {
    for (const f of isObject(fc) && Array.isArray(fc['filters']) ? fc['filters'] : []) {
      const tc = isObject(f) ? f['typed_config'] : undefined;
      const rds = isObject(tc) ? tc['rds'] : undefined;
      if (isObject(rds) && typeof rds['route_config_name'] === 'string') return rds['route_config_name'];
    }
  }
  return undefined;
}

/**
 * Adds the outbound HTTP listener and RDS config istiod generates for a Service port the sidecar
 * calls, when the baseline has none: a copy of an existing outbound HTTP port's, renamed, whose
 * route configuration keeps only the catch-all vhost. Listeners stay in istiod's port order.
 */
function addOutboundHttpPort(listeners: JsonObject[], routes: JsonObject[], port: number): void {
  const name = `0.0.0.0_${port}`;
  if (listeners.some((l) => l['name'] === name)) return;
  const source = listeners.find((l) => outboundRds(l) !== undefined);
  const sourceRoute = source && routes.find((r) => r['name'] === outboundRds(source));
  if (!source || !sourceRoute) return;
  const listener = JSON.parse(
    JSON.stringify(source)
      .split(`${String(source['name'])}`)
      .join(name),
  ) as JsonObject;
  (listener['address'] as { socket_address: JsonObject }).socket_address['port_value'] = port;
  for (const fc of listener['filter_chains'] as JsonObject[]) {
    for (const f of fc['filters'] as JsonObject[]) {
      const rds = (f['typed_config'] as JsonObject | undefined)?.['rds'];
      if (isObject(rds)) rds['route_config_name'] = String(port);
    }
  }
  const portOf = (l: JsonObject) => (/^0\.0\.0\.0_(\d+)$/.exec(String(l['name'])) ? Number(String(l['name']).slice(8)) : undefined);
  const at = listeners.findIndex((l) => (portOf(l) ?? Infinity) > port);
  listeners.splice(at < 0 ? listeners.length : at, 0, listener);
  if (routes.some((r) => r['name'] === String(port))) return;
  const vhosts = (sourceRoute['virtual_hosts'] as JsonObject[] | undefined) ?? [];
  routes.push({ ...structuredClone(sourceRoute), name: String(port), virtual_hosts: structuredClone(vhosts.filter((v) => (v['domains'] as string[] | undefined)?.includes('*'))) });
}

function policyFilters(pf: PolicyFilters): JsonObject[] {
  const out: JsonObject[] = [];
  if (pf.extAuthz)
    out.push({
      name: 'envoy.filters.http.ext_authz',
      typed_config: {
        '@type': T('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'),
        grpc_service: { envoy_grpc: { cluster_name: 'outbound|9000||ext-authz.foo.svc.cluster.local' }, timeout: '600s' },
        transport_api_version: 'V3',
      },
    });
  if (pf.jwt) out.push({ name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': T('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'), providers: {}, rules: [] } });
  const rbac = (action?: string): JsonObject => ({
    name: 'envoy.filters.http.rbac',
    typed_config: { '@type': T('envoy.extensions.filters.http.rbac.v3.RBAC'), rules: { ...(action ? { action } : {}), policies: {} } },
  });
  if (pf.rbac === 'deny' || pf.rbac === 'both') out.push(rbac('DENY'));
  if (pf.rbac === 'allow' || pf.rbac === 'both') out.push(rbac());
  return out;
}

/** Inserts the policy filters after istio.metadata_exchange in inbound (sidecar) / all (gateway) HCMs. */
function addPolicyFilters(listeners: JsonObject[], kind: ProxyKind, pf: PolicyFilters): void {
  const add = policyFilters(pf);
  if (add.length === 0) return;
  for (const lis of listeners) {
    if (kind === 'sidecar' && lis['name'] !== 'virtualInbound') continue;
    const chains = [...(Array.isArray(lis['filter_chains']) ? lis['filter_chains'] : []), lis['default_filter_chain']];
    for (const fc of chains) {
      if (!isObject(fc) || !Array.isArray(fc['filters'])) continue;
      for (const f of fc['filters']) {
        const tc = isObject(f) ? f['typed_config'] : undefined;
        if (!isObject(f) || f['name'] !== 'envoy.filters.network.http_connection_manager' || !isObject(tc) || !Array.isArray(tc['http_filters'])) continue;
        const hf = tc['http_filters'] as JsonObject[];
        if (hf.some((h) => isObject(h) && add.some((a) => a['name'] === h['name']))) continue;
        const mx = hf.findIndex((h) => isObject(h) && h['name'] === 'istio.metadata_exchange');
        hf.splice(mx + 1, 0, ...structuredClone(add));
      }
    }
  }
}

/** envoy-templates/baselines beside package.json, from the sources or from dist/. */
export const BASELINES_DIR = join(packageRoot, 'envoy-templates', 'baselines');

const templateCache = new Map<string, BaselineTemplate>();

/** Reads (once) the template for an Istio version like `1.28.0` or `1.31`. */
export function loadBaselineTemplate(istioVersion: string, kind: ProxyKind, dir = BASELINES_DIR): BaselineTemplate {
  const minor: BaselineMinor | undefined = baselineMinorFor(istioVersion);
  if (!minor) throw new Error(`no baseline for Istio ${istioVersion}`);
  const key = `${dir}|${minor}|${kind}`;
  let t = templateCache.get(key);
  if (!t) {
    t = JSON.parse(readFileSync(join(dir, minor, `${kind}.json`), 'utf8')) as BaselineTemplate;
    templateCache.set(key, t);
  }
  return t;
}

/** Loads and instantiates the baseline for a proxy. */
export function loadBaseline(istioVersion: string, kind: ProxyKind, params: BaselineParams = {}): XdsConfig {
  return instantiateBaseline(loadBaselineTemplate(istioVersion, kind), params);
}

/**
 * Extracts the patchable part of an Envoy `/config_dump` (or `istioctl proxy-config all -o json`
 * output wrapped in `{configs: [...]}`) into a baseline template: dynamic listeners, route configs
 * and clusters, without their `@type`. Static (bootstrap) resources are not patchable and are dropped.
 */
export function baselineFromConfigDump(dump: unknown, istioVersion: string, proxyKind: ProxyKind): BaselineTemplate {
  const configs = isObject(dump) && Array.isArray(dump['configs']) ? dump['configs'] : [];
  const strip = (o: Json | undefined): JsonObject | undefined => {
    if (!isObject(o)) return undefined;
    const { ['@type']: _t, ...rest } = o;
    return rest;
  };
  const listeners: JsonObject[] = [];
  const routes: JsonObject[] = [];
  const clusters: JsonObject[] = [];
  for (const c of configs) {
    if (!isObject(c)) continue;
    for (const dl of Array.isArray(c['dynamic_listeners']) ? c['dynamic_listeners'] : []) {
      const l = strip(isObject(dl) && isObject(dl['active_state']) ? dl['active_state']['listener'] : undefined);
      if (l) listeners.push(l);
    }
    for (const dr of Array.isArray(c['dynamic_route_configs']) ? c['dynamic_route_configs'] : []) {
      const r = strip(isObject(dr) ? dr['route_config'] : undefined);
      if (r) routes.push(r);
    }
    for (const dc of Array.isArray(c['dynamic_active_clusters']) ? c['dynamic_active_clusters'] : []) {
      const k = strip(isObject(dc) ? dc['cluster'] : undefined);
      if (k) clusters.push(k);
    }
  }
  return { istioVersion, proxyKind, listeners, routes, clusters };
}
