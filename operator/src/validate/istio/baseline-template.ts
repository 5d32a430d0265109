/**
 * Turns a baseline captured from istiod (fixed ports, `baselineFromConfigDump`) back into a template
 * the validator can instantiate for any workload port (`instantiateBaseline`): the parts that exist
 * once per inbound port or gateway server get `$repeat` and placeholders. ADR 0082.
 *
 * What is per port, as istiod builds it:
 * - sidecar: the `virtualInbound` chains matching `destination_port: <targetPort>` (`inbound` for
 *   HTTP ports, `inboundTcp` for TCP ports), the `inbound|<targetPort>||` cluster and the pod's own
 *   Service's `outbound|<servicePort>||<host>` cluster (`inboundAll`);
 * - gateway: the `0.0.0.0_<containerPort>` listener and its `http.<containerPort>` route config, whose
 *   vhost is `<host>:<server port>` (`gatewayServers`).
 * Everything else (other Services of the mesh, the catch-all chains, passthrough and blackhole
 * clusters) is the same for every workload and stays as captured.
 */
import { isObject } from './merge.js';
import type { Json, JsonObject } from './types.js';
import type { BaselineTemplate, GatewayServer, InboundPort } from './baseline.js';

/** Placeholders for one capture: substrings, whole strings and numbers, applied in order. */
interface Swaps {
  parts: Array<[from: string, to: string]>;
  whole: Map<string, string>;
  numbers: Map<number, string>;
  /** Service references in cluster metadata (`{host, name, namespace}`): the short name and namespace. */
  service?: { host: string; name: string; namespace: string };
}

function swap(v: Json, s: Swaps): Json {
  if (typeof v === 'string') {
    const w = s.whole.get(v);
    if (w !== undefined) return w;
    let out = v;
    for (const [from, to] of s.parts) out = out.split(from).join(to);
    return out;
  }
  if (typeof v === 'number') return s.numbers.get(v) ?? v;
  if (Array.isArray(v)) return v.map((e) => swap(e, s));
  if (!isObject(v)) return v;
  const out = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, swap(e, s)]));
  if (s.service && v['host'] === s.service.host && v['name'] === s.service.name && v['namespace'] === s.service.namespace) {
    out['name'] = '{{serviceName}}';
    out['namespace'] = '{{namespace}}';
  }
  return out;
}

const destPort = (fc: Json): unknown => (isObject(fc) && isObject(fc['filter_chain_match']) ? fc['filter_chain_match']['destination_port'] : undefined);

function inboundSwaps(p: InboundPort & { serviceHost: string }, namespace: string): Swaps {
  return {
    parts: [
      [p.serviceHost, '{{serviceHost}}'],
      [`inbound|http|${p.servicePort}`, 'inbound|http|{{servicePort}}'],
      [`:${p.servicePort}/`, ':{{servicePort}}/'],
      [`|${p.servicePort}||`, '|{{servicePort}}||'],
      [`_${p.targetPort}`, '_{{targetPort}}'],
      [`|${p.targetPort}||`, '|{{targetPort}}||'],
    ],
    whole: new Map(),
    numbers: new Map([[p.targetPort, '{{#targetPort}}']]),
    service: { host: p.serviceHost, name: p.serviceHost.split('.')[0]!, namespace },
  };
}

const repeat = (o: Json, set: string): JsonObject => ({ $repeat: set, ...(o as JsonObject) });

export interface SidecarCapture {
  /** The capture with one HTTP inbound port. */
  http: BaselineTemplate;
  httpPort: InboundPort & { serviceHost: string };
  /** A capture of another workload with one TCP inbound port (its per-port chains are used). */
  tcp?: BaselineTemplate;
  tcpPort?: InboundPort & { serviceHost: string };
  namespace: string;
}

/** The sidecar template: per-port chains and clusters of the captures marked and parametrised. */
export function sidecarTemplate(c: SidecarCapture): BaselineTemplate {
  const s = inboundSwaps(c.httpPort, c.namespace);
  const vi = (t: BaselineTemplate): JsonObject => {
    const l = t.listeners.find((x) => x['name'] === 'virtualInbound');
    if (!l) throw new Error('the capture has no virtualInbound listener');
    return l;
  };
  const tcpChains =
    c.tcp && c.tcpPort
      ? (vi(c.tcp)['filter_chains'] as Json[]).filter((fc) => destPort(fc) === c.tcpPort!.targetPort).map((fc) => repeat(swap(fc, inboundSwaps(c.tcpPort!, c.namespace)), 'inboundTcp'))
      : [];
  if (c.tcp && tcpChains.length === 0) throw new Error(`the TCP capture has no chain for port ${c.tcpPort?.targetPort}`);
  const listeners = c.http.listeners.map((l) => {
    if (l['name'] !== 'virtualInbound') return l;
    const chains: Json[] = [];
    let placed = false;
    for (const fc of l['filter_chains'] as Json[]) {
      if (destPort(fc) === c.httpPort.targetPort) {
        chains.push(repeat(swap(fc, s), 'inbound'));
      } else {
        // TCP port chains go where istiod puts per-port chains: right after the HTTP ones.
        if (!placed && chains.some((x) => isObject(x) && x['$repeat'] === 'inbound')) {
          chains.push(...tcpChains);
          placed = true;
        }
        chains.push(fc);
      }
    }
    if (!placed) chains.push(...tcpChains);
    return { ...l, filter_chains: chains };
  });
  if (!listeners.some((l) => (l['filter_chains'] as Json[] | undefined)?.some((fc) => isObject(fc) && fc['$repeat'] === 'inbound'))) {
    throw new Error(`the capture has no virtualInbound chain for port ${c.httpPort.targetPort}`);
  }
  const own = new Set([`inbound|${c.httpPort.targetPort}||`, `outbound|${c.httpPort.servicePort}||${c.httpPort.serviceHost}`]);
  const clusters = c.http.clusters.map((k) => (own.has(String(k['name'])) ? repeat(swap(k, s), 'inboundAll') : k));
  if (clusters.filter((k) => k['$repeat']).length !== own.size) throw new Error(`the capture lacks one of the clusters ${[...own].join(', ')}`);
  return { ...c.http, listeners, clusters };
}

/** The gateway template: the server's listener and route config repeated per container port. */
export function gatewayTemplate(t: BaselineTemplate, server: Required<GatewayServer>): BaselineTemplate {
  const s: Swaps = {
    parts: [
      [`${server.host}:${server.servicePort}`, '{{host}}:{{servicePort}}'],
      [`${server.host}:`, '{{host}}:'],
      [`_${server.targetPort}`, '_{{targetPort}}'],
      [`http.${server.targetPort}`, 'http.{{targetPort}}'],
    ],
    whole: new Map([[server.host, '{{host}}']]),
    numbers: new Map([[server.targetPort, '{{#targetPort}}']]),
  };
  const listener = `0.0.0.0_${server.targetPort}`;
  const route = `http.${server.targetPort}`;
  if (!t.listeners.some((l) => l['name'] === listener) || !t.routes.some((r) => r['name'] === route)) {
    throw new Error(`the gateway capture has no ${listener} listener or ${route} route config`);
  }
  return {
    ...t,
    listeners: t.listeners.map((l) => (l['name'] === listener ? repeat(swap(l, s), 'gatewayServers') : l)),
    routes: t.routes.map((r) => (r['name'] === route ? repeat(swap(r, s), 'gatewayServers') : r)),
  };
}
