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
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObject } from './merge.js';
import type { BaselineMeta, Json, JsonObject, ProxyKind, XdsConfig } from './types.js';
import { baselineMinorFor, type BaselineMinor } from './versions.js';

export interface InboundPort {
  /** Kubernetes Service port (names the inbound vhost `inbound|http|<servicePort>`). */
  servicePort: number;
  /** Container targetPort: the inbound filter chain `0.0.0.0_<targetPort>` and cluster `inbound|<targetPort>||`. */
  targetPort: number;
  serviceHost?: string;
}

export interface GatewayServer {
  /** Gateway server port (Service port of the gateway), e.g. 80. */
  servicePort: number;
  /** Container port the gateway listener binds, e.g. 8080. */
  targetPort: number;
  /** Host bound by the VirtualService; the vhost is `<host>:<servicePort>`. */
  host?: string;
}

export interface BaselineParams {
  inbound?: InboundPort[];
  gatewayServers?: GatewayServer[];
  outboundHttpPort?: number;
  tcpPort?: number;
  namespace?: string;
}

export const DEFAULT_PARAMS: Required<BaselineParams> = {
  inbound: [{ servicePort: 9080, targetPort: 8080, serviceHost: 'productpage.default.svc.cluster.local' }],
  gatewayServers: [{ servicePort: 80, targetPort: 8080, host: 'bookinfo.example.com' }],
  outboundHttpPort: 9080,
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
    return { servicePort: i.servicePort, targetPort: i.targetPort, serviceHost: host, serviceName: host.split('.')[0] ?? host };
  });
  const servers = p.gatewayServers.map((s) => ({ servicePort: s.servicePort, targetPort: s.targetPort, host: s.host ?? 'bookinfo.example.com' }));
  // Servers sharing a container port share one listener and one RDS config in istiod.
  const seen = new Set<number>();
  const uniqueServers = servers.filter((s) => (seen.has(s.targetPort) ? false : (seen.add(s.targetPort), true)));
  repeatSets = { inbound, gatewayServers: uniqueServers };
  try {
    const meta: BaselineMeta = { istioVersion: t.istioVersion, proxyKind: t.proxyKind };
    if (t.proxyKind === 'sidecar') meta.inboundPorts = inbound.map(({ servicePort, targetPort }) => ({ servicePort, targetPort }));
    else {
      const pm: Record<string, number[]> = {};
      for (const s of servers) (pm[String(s.targetPort)] ??= []).push(s.servicePort);
      meta.gatewayPortMap = pm;
    }
    return {
      listeners: expandArray(t.listeners, vars) as JsonObject[],
      routes: expandArray(t.routes, vars) as JsonObject[],
      clusters: expandArray(t.clusters, vars) as JsonObject[],
      meta,
    };
  } finally {
    repeatSets = {};
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** envoy-templates/baselines relative to this file (operator/src/validate/istio). */
export const BASELINES_DIR = join(here, '..', '..', '..', '..', 'envoy-templates', 'baselines');

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
