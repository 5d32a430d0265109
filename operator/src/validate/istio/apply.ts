/**
 * A pure re-implementation of istiod's EnvoyFilter patching (IST@1.28.0
 * pilot/pkg/networking/core/envoyfilter/{listener_patch,rc_patch,cluster_patch,extension_configuration_patch}.go,
 * pilot/pkg/model/envoyfilter.go, pilot/pkg/networking/core/{listener_builder,cluster,httproute}.go) over
 * Envoy JSON, with the release-1.31 MERGE_AND_REPLACE_LIST. Structural checks run on the result.
 */
import type { Finding } from '../rule.js';
import { runStructuralChecks } from './checks.js';
import { HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE, VIRTUAL_INBOUND, VIRTUAL_OUTBOUND } from './names.js';
import { clone, cloneJson, isObject, isTypedStruct, mergeAnyWithAny, normalizeKeys, PatchPanic, protoMerge } from './merge.js';
import {
  MW407,
  MW413,
  MW414,
  MW415,
  MW416,
  MW417,
  MW419,
  MW420,
  MW421,
  MW423,
  MW424,
  MW425,
} from './rules.js';
import { attaches, orderFilters, proxyMatches } from './select.js';
import type {
  ApplyResult,
  ApplyTo,
  ConfigPatch,
  EnvoyFilterObject,
  JsonObject,
  Operation,
  PatchContext,
  PatchFinding,
  ProxyInfo,
  XdsConfig,
} from './types.js';
import { featuresFor, parseIstioVersion } from './versions.js';
import { matchAsRead, transportSocketHint, transportSocketMatches, versionedMatchFindings } from './versioned-matches.js';
import type { PatchWrapper, SimState } from './sim-state.js';

export { HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE };

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
  'LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST',
  'HTTP_ROUTE', 'CLUSTER', 'EXTENSION_CONFIG', 'BOOTSTRAP', 'LISTENER_FILTER',
]);
const ORDERED_TYPES: ReadonlySet<string> = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'HTTP_ROUTE', 'LISTENER_FILTER']);

function report(s: SimState, p: PatchWrapper, f: Finding): void {
  s.findings.push({ filterIndex: p.filterIndex, finding: f });
}

function list(s: SimState, applyTo: ApplyTo): PatchWrapper[] {
  return s.patches.get(applyTo) ?? [];
}

function isMerge(s: SimState, op: Operation): boolean {
  return op === 'MERGE' || (op === 'MERGE_AND_REPLACE_LIST' && s.features.mergeAndReplaceList);
}

function mergeValue(s: SimState, lp: PatchWrapper, dst: JsonObject): void {
  protoMerge(dst, lp.value, { replaceList: lp.op === 'MERGE_AND_REPLACE_LIST' && s.features.mergeAndReplaceList });
}

/**
 * The object a patch inserts: its own copy as deep as later patches can write into it. An HTTP
 * filter is only ever written at its top level (name, typed_config: merges build new configs),
 * a network filter along the path HTTP filter patches take (filterPath); anything else can be
 * merged into at any depth. The rest is shared with the patch value, which nothing writes.
 */
function cloneValue(s: SimState, lp: PatchWrapper): JsonObject {
  const v = lp.applyTo === 'HTTP_FILTER' ? { ...lp.value } : lp.applyTo === 'NETWORK_FILTER' ? filterPath(lp.value) : clone(lp.value);
  s.provenance.set(v, lp);
  return v;
}

function ctxMatch(ctx: PatchContext, lp: PatchWrapper): boolean {
  return lp.context === ctx || lp.context === 'ANY';
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
const objs = (v: unknown): JsonObject[] => (Array.isArray(v) ? (v.filter(isObject) as JsonObject[]) : []);

// ---------------------------------------------------------------- listener matching

function listenerPort(lis: JsonObject): number {
  const addr = lis['address'];
  const sa = isObject(addr) ? addr['socket_address'] : undefined;
  return isObject(sa) ? num(sa['port_value']) : 0;
}

function listenerMatch(lis: JsonObject, lp: PatchWrapper): boolean {
  const m = lp.match.listener;
  if (!m) return true;
  if (m.name && m.name !== lis['name']) return false;
  const name = lis['name'];
  if (lp.applyTo !== 'LISTENER' && (name === VIRTUAL_INBOUND || name === VIRTUAL_OUTBOUND)) return true;
  if (m.portNumber && listenerPort(lis) !== m.portNumber) return false;
  return true;
}

function fcm(fc: JsonObject): JsonObject | undefined {
  const m = fc['filter_chain_match'];
  return isObject(m) ? m : undefined;
}

function filterChainMatch(lis: JsonObject, fc: JsonObject, lp: PatchWrapper): boolean {
  const m = lp.match.listener;
  if (!m) return true;
  const isVirtual = lis['name'] === VIRTUAL_INBOUND || lis['name'] === VIRTUAL_OUTBOUND;
  if (isVirtual && m.portNumber && num(fcm(fc)?.['destination_port']) !== m.portNumber) return false;
  const c = m.filterChain;
  if (!c) return true;
  const match = fcm(fc);
  if (c.name && c.name !== fc['name']) return false;
  if (c.sni) {
    const names = match?.['server_names'];
    if (!Array.isArray(names) || !names.includes(c.sni)) return false;
  }
  if (c.transportProtocol && (!match || match['transport_protocol'] !== c.transportProtocol)) return false;
  if (c.applicationProtocols) {
    if (!match) return false;
    const have = Array.isArray(match['application_protocols']) ? match['application_protocols'] : [];
    for (const p of c.applicationProtocols.split(',')) if (!have.includes(p)) return false;
  }
  if (c.destinationPort && (!match || num(match['destination_port']) !== c.destinationPort)) return false;
  // Absent from the match before Istio 1.32 (matchAsRead).
  if (c.transportSocket && !transportSocketMatches(fc, c.transportSocket)) return false;
  return true;
}

const hasListenerFilterMatch = (lp: PatchWrapper) => !!lp.match.listener?.listenerFilter;
const hasNetworkFilterMatch = (lp: PatchWrapper) => !!lp.match.listener?.filterChain?.filter;
const hasHTTPFilterMatch = (lp: PatchWrapper) => hasNetworkFilterMatch(lp) && !!lp.match.listener?.filterChain?.filter?.subFilter;

function networkFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasNetworkFilterMatch(lp)) return true;
  return lp.match.listener?.filterChain?.filter?.name === f['name'];
}
function httpFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasHTTPFilterMatch(lp)) return true;
  return lp.match.listener?.filterChain?.filter?.subFilter?.name === f['name'];
}
function listenerFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasListenerFilterMatch(lp)) return true;
  return lp.match.listener?.listenerFilter === f['name'];
}

function insertAt<T>(arr: T[], pred: (e: T) => boolean, v: T, after: boolean): boolean {
  const i = arr.findIndex(pred);
  if (i < 0) return false;
  arr.splice(after ? i + 1 : i, 0, v);
  return true;
}

/**
 * The relative operations shared by LISTENER_FILTER, NETWORK_FILTER and HTTP_FILTER
 * (ADD, INSERT_FIRST/BEFORE/AFTER, REPLACE, REMOVE); MERGE is handled by the caller afterwards.
 */
let lastOpChanged = false;

function relativeOp(
  s: SimState,
  lp: PatchWrapper,
  arr: JsonObject[],
  hasAnchor: boolean,
  matches: (e: JsonObject) => boolean,
  onRemoved?: (removed: JsonObject, replacement?: JsonObject) => void,
): JsonObject[] {
  const before = lp.applied;
  lp.applied = false;
  const out = relativeOpInner(s, lp, arr, hasAnchor, matches, onRemoved);
  lastOpChanged = lp.applied;
  lp.applied = lp.applied || before;
  return out;
}

function relativeOpInner(
  s: SimState,
  lp: PatchWrapper,
  arr: JsonObject[],
  hasAnchor: boolean,
  matches: (e: JsonObject) => boolean,
  onRemoved?: (removed: JsonObject, replacement?: JsonObject) => void,
): JsonObject[] {
  switch (lp.op) {
    case 'ADD':
      arr.push(cloneValue(s, lp));
      lp.applied = true;
      break;
    case 'INSERT_FIRST':
      arr.unshift(cloneValue(s, lp));
      lp.applied = true;
      break;
    case 'INSERT_AFTER':
      if (!hasAnchor) arr.push(cloneValue(s, lp)), (lp.applied = true);
      else if (insertAt(arr, matches, cloneValue(s, lp), true)) lp.applied = true;
      break;
    case 'INSERT_BEFORE':
      if (!hasAnchor) arr.unshift(cloneValue(s, lp)), (lp.applied = true);
      else if (insertAt(arr, matches, cloneValue(s, lp), false)) lp.applied = true;
      break;
    case 'REPLACE': {
      if (!hasAnchor) break;
      const i = arr.findIndex(matches);
      if (i >= 0) {
        const repl = cloneValue(s, lp);
        onRemoved?.(arr[i]!, repl);
        arr[i] = repl;
        lp.applied = true;
      }
      break;
    }
    case 'REMOVE': {
      if (!hasAnchor) break;
      const kept = arr.filter((e) => {
        if (!matches(e)) return true;
        onRemoved?.(e);
        return false;
      });
      if (kept.length !== arr.length) lp.applied = true;
      return kept;
    }
    default:
      break;
  }
  return arr;
}

// ---------------------------------------------------------------- listeners

function applyListenerPatches(s: SimState, ctx: PatchContext, listeners: JsonObject[], skipAdds: boolean): JsonObject[] {
  try {
    for (let i = 0; i < listeners.length; i++) {
      const lis = listeners[i]!;
      if (!lis['name'] || !reaches(s, listenerLevel, (lp) => ctxMatch(ctx, lp) && listenerMatch(lis, lp))) continue;
      patchListener(s, ctx, (listeners[i] = ownListener(s, ctx, lis)));
    }
    if (!skipAdds) {
      for (const lp of list(s, 'LISTENER')) {
        if (lp.op !== 'ADD') continue;
        if (lp.context === 'ANY' && ctx !== 'SIDECAR_OUTBOUND' && ctx !== 'GATEWAY') continue;
        if (!ctxMatch(ctx, lp)) continue;
        listeners.push(cloneValue(s, lp));
        lp.applied = true;
      }
    }
    return listeners.filter((l) => !!l['name']);
  } catch (e) {
    if (!(e instanceof PatchPanic)) throw e;
    // runtime.HandleCrash: the listeners as they were when the panic hit are pushed.
    return listeners.filter((l) => !!l['name']);
  }
}

const listenerLevel: readonly ApplyTo[] = ['LISTENER', 'LISTENER_FILTER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER'];
const chainLevel: readonly ApplyTo[] = ['FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER'];

/**
 * Whether a patch of these kinds matches: every listener-side patch is applied only where its
 * context, listener and filter chain match (the gate of each loop below), so a listener or
 * chain none of them matches is left as the baseline has it, and need not be copied.
 */
function reaches(s: SimState, applyTo: readonly ApplyTo[], match: (lp: PatchWrapper) => boolean): boolean {
  return applyTo.some((a) => list(s, a).some(match));
}

/** This application's own deep copy of an object of the baseline snapshot (copy on write). */
function own(s: SimState, o: JsonObject): JsonObject {
  if (s.owned.has(o)) return o;
  const copy = cloneJson(o) as JsonObject;
  s.owned.add(copy);
  return copy;
}

/**
 * A listener this application may patch: a deep copy when a listener or listener-filter patch
 * reaches it (they merge into any part of it), else a copy of its top level only, whose filter
 * chains are copied as patches reach them (`ownChain`).
 */
function ownListener(s: SimState, ctx: PatchContext, lis: JsonObject): JsonObject {
  if (s.owned.has(lis) || s.shallow.has(lis)) return lis;
  if (reaches(s, ['LISTENER', 'LISTENER_FILTER'], (lp) => ctxMatch(ctx, lp) && listenerMatch(lis, lp))) return own(s, lis);
  const copy = { ...lis };
  s.shallow.add(copy);
  return copy;
}

/**
 * A filter chain of `lis` this application may patch. A filter-chain MERGE merges into any
 * part of it: a deep copy. Network and HTTP filter patches only replace the chain's filter
 * list, a filter's name or typed_config, an HCM's http_filters, an HTTP filter's name or
 * typed_config (merges build new typed_configs): a copy of that path is enough.
 */
function ownChain(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject): JsonObject {
  if (s.owned.has(lis)) return fc;
  if (reaches(s, ['FILTER_CHAIN'], (lp) => lp.op !== 'ADD' && ctxMatch(ctx, lp) && listenerMatch(lis, lp) && filterChainMatch(lis, fc, lp))) return own(s, fc);
  const copy = { ...fc };
  if (Array.isArray(fc['filters'])) copy['filters'] = fc['filters'].map((f) => (isObject(f) ? filterPath(f) : f));
  return copy;
}

function filterPath(f: JsonObject): JsonObject {
  const copy = { ...f };
  const tc = f['typed_config'];
  if (isObject(tc)) {
    const hcm = { ...tc };
    const hfs = tc['http_filters'];
    if (Array.isArray(hfs)) hcm['http_filters'] = hfs.map((h) => (isObject(h) ? { ...h } : h));
    copy['typed_config'] = hcm;
  }
  return copy;
}

function patchListener(s: SimState, ctx: PatchContext, lis: JsonObject): void {
  for (const lp of list(s, 'LISTENER')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp)) continue;
    if (lp.op === 'REMOVE') {
      lis['name'] = '';
      lp.applied = true;
      return;
    }
    if (isMerge(s, lp.op)) {
      mergeValue(s, lp, lis);
      s.touched.set(lis, lp);
      lp.applied = true;
    }
  }
  patchListenerFilters(s, ctx, lis);
  patchFilterChains(s, ctx, lis);
}

/** Both TypedStruct: istiod merges them without complaint, but a different inner type_url swaps the type. */
function checkTypedStructSwap(s: SimState, lp: PatchWrapper, dst: JsonObject, src: JsonObject): void {
  if (!isTypedStruct(dst) || !isTypedStruct(src)) return;
  const from = str(dst['type_url']);
  const to = str(src['type_url']);
  if (to === '' || from === '' || to === from) return;
  report(s, lp, MW419.finding(`${lp.path}.patch.value.typed_config.type_url`, `MERGE swaps the TypedStruct type_url from ${from} to ${to}: the merged Struct keeps the old fields, which Envoy then decodes as the new type`, 'REPLACE the filter with a complete config of the new type instead of MERGE.'));
}

function withPanic<T>(s: SimState, lp: PatchWrapper, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PatchPanic) {
      s.panicked = true;
      report(
        s,
        lp,
        MW419.finding(
          path,
          `MERGE ${lp.applyTo} with a typed_config of another type makes istiod panic (${e.message}); it recovers and pushes the listeners without the remaining patches`,
          lp.applyTo === 'LISTENER_FILTER'
            ? 'istiod merges a LISTENER_FILTER MERGE into every listener filter of the listener, whatever the name: use REPLACE on the named listener filter instead.'
            : 'Use the exact @type of the generated config (see the baseline), or REPLACE the filter; a MERGE without a filter name merges into every filter of the chain.',
        ),
      );
    }
    throw e;
  }
}

function patchListenerFilters(s: SimState, ctx: PatchContext, lis: JsonObject): void {
  for (const lp of list(s, 'LISTENER_FILTER')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp)) continue;
    lp.reachedParent = true;
    let arr = objs(lis['listener_filters']);
    if (lp.op === 'MERGE') {
      if (!hasListenerFilterMatch(lp)) continue;
      // istiod merges into every listener filter of the listener, not only the named one.
      for (const lf of arr) {
        if (!isObject(lf['typed_config'])) continue;
        const utc = lp.value['typed_config'];
        if (isObject(utc)) {
          const merged = withPanic(s, lp, `${lp.path}.patch.value.typed_config`, () => mergeAnyWithAny(lf['typed_config'] as JsonObject, utc));
          lf['typed_config'] = merged;
        }
        lp.applied = true;
      }
      continue;
    }
    arr = relativeOp(s, lp, arr, hasListenerFilterMatch(lp), (e) => listenerFilterMatch(e, lp));
    lis['listener_filters'] = arr;
    if (lastOpChanged) s.touched.set(lis, lp);
  }
}

function chainHasFilters(fc: JsonObject): boolean {
  return Array.isArray(fc['filters']);
}

function patchFilterChains(s: SimState, ctx: PatchContext, lis: JsonObject): void {
  const reachesChain = (fc: JsonObject) => reaches(s, chainLevel, (lp) => ctxMatch(ctx, lp) && listenerMatch(lis, lp) && filterChainMatch(lis, fc, lp));
  const chains = objs(lis['filter_chains']);
  for (let i = 0; i < chains.length; i++) {
    if (!chainHasFilters(chains[i]!) || !reachesChain(chains[i]!)) continue;
    patchFilterChain(s, ctx, lis, (chains[i] = ownChain(s, ctx, lis, chains[i]!)));
  }
  let dfc = lis['default_filter_chain'];
  if (isObject(dfc) && chainHasFilters(dfc) && reachesChain(dfc)) {
    lis['default_filter_chain'] = dfc = ownChain(s, ctx, lis, dfc);
    patchFilterChain(s, ctx, lis, dfc);
    if (!chainHasFilters(dfc)) delete lis['default_filter_chain'];
  }
  for (const lp of list(s, 'FILTER_CHAIN')) {
    if (lp.op !== 'ADD') continue;
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp)) continue;
    chains.push(cloneValue(s, lp));
    lp.applied = true;
    s.touched.set(lis, lp);
  }
  if ('filter_chains' in lis || chains.length > 0) lis['filter_chains'] = chains.filter(chainHasFilters);
}

function patchFilterChain(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject): void {
  for (const lp of list(s, 'FILTER_CHAIN')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp)) continue;
    if (lp.op === 'REMOVE') {
      delete fc['filters'];
      lp.applied = true;
      return;
    }
    if (isMerge(s, lp.op)) {
      if (!mergeTransportSocket(s, lp, fc)) mergeValue(s, lp, fc);
      s.touched.set(fc, lp);
      lp.applied = true;
    }
  }
  patchNetworkFilters(s, ctx, lis, fc);
}

/** `mergeTransportSocketListener` / the cluster variant: same-named transport sockets merge their typed configs. */
function mergeTransportSocket(s: SimState, lp: PatchWrapper, target: JsonObject): boolean {
  const ts = lp.value['transport_socket'];
  if (!isObject(ts)) return false;
  const cur = target['transport_socket'];
  if (!isObject(cur)) return false;
  if (ts['name'] !== cur['name']) return false;
  const dst = cur['typed_config'];
  const src = ts['typed_config'];
  if (isObject(dst) && isObject(src)) {
    cur['typed_config'] = withPanic(s, lp, `${lp.path}.patch.value.transport_socket.typed_config`, () => mergeAnyWithAny(dst, src));
  }
  return true;
}

function patchNetworkFilters(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject): void {
  for (const lp of list(s, 'NETWORK_FILTER')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp)) continue;
    lp.reachedParent = true;
    if (lp.op === 'MERGE' || lp.op === 'MERGE_AND_REPLACE_LIST') continue;
    fc['filters'] = relativeOp(s, lp, objs(fc['filters']), hasNetworkFilterMatch(lp), (e) => networkFilterMatch(e, lp));
    if (lastOpChanged) s.touched.set(fc, lp);
  }
  for (const f of objs(fc['filters'])) patchNetworkFilter(s, ctx, lis, fc, f);
}

function patchNetworkFilter(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject, filter: JsonObject): void {
  for (const lp of list(s, 'NETWORK_FILTER')) {
    if (lp.op !== 'MERGE') continue;
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp) || !networkFilterMatch(filter, lp)) continue;
    const tc = filter['typed_config'];
    if (!isObject(tc)) continue;
    const userName = str(lp.value['name']);
    const utc = lp.value['typed_config'];
    let merged: JsonObject | undefined;
    if (isObject(utc)) {
      checkTypedStructSwap(s, lp, tc, utc);
      merged = withPanic(s, lp, `${lp.path}.patch.value.typed_config`, () => mergeAnyWithAny(tc, utc));
    }
    if (userName) filter['name'] = userName;
    if (merged) {
      filter['typed_config'] = merged;
      // http_filters appended by the merge carry this patch's provenance.
      if (isObject(utc) && Array.isArray(utc['http_filters'])) {
        const hf = objs(merged['http_filters']);
        for (const e of hf.slice(hf.length - utc['http_filters'].length)) s.provenance.set(e, lp);
      }
      s.touched.set(merged, lp);
    }
    lp.applied = true;
  }
  if (filter['name'] === HCM_NAME) patchHTTPFilters(s, ctx, lis, fc, filter);
}

function isRouter(f: JsonObject): boolean {
  const tc = f['typed_config'];
  return f['name'] === ROUTER_NAME || (isObject(tc) && tc['@type'] === ROUTER_TYPE);
}

function patchHTTPFilters(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject, filter: JsonObject): void {
  const hcm = filter['typed_config'];
  if (!isObject(hcm) || hcm['@type'] !== HCM_TYPE) return;
  let filters = objs(hcm['http_filters']);
  for (const lp of list(s, 'HTTP_FILTER')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp) || !networkFilterMatch(filter, lp)) continue;
    lp.reachedParent = true;
    if (lp.op === 'MERGE' || lp.op === 'MERGE_AND_REPLACE_LIST') continue;
    filters = relativeOp(s, lp, filters, hasHTTPFilterMatch(lp), (e) => httpFilterMatch(e, lp), (removed, repl) => {
      if (isRouter(removed) && !(repl && isRouter(repl))) s.routerRemovedBy.set(hcm, lp);
    });
    if (lastOpChanged) s.touched.set(hcm, lp);
  }
  for (const hf of filters) mergeHTTPFilter(s, ctx, lis, fc, filter, hf, hcm);
  hcm['http_filters'] = filters;
}

function mergeHTTPFilter(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject, filter: JsonObject, hf: JsonObject, hcm: JsonObject): void {
  for (const lp of list(s, 'HTTP_FILTER')) {
    if (lp.op !== 'MERGE') continue;
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp) || !networkFilterMatch(filter, lp) || !httpFilterMatch(hf, lp)) continue;
    const tc = hf['typed_config'];
    if (!isObject(tc)) continue;
    const userName = str(lp.value['name']);
    const utc = lp.value['typed_config'];
    let merged: JsonObject | undefined;
    if (isObject(utc)) {
      checkTypedStructSwap(s, lp, tc, utc);
      merged = withPanic(s, lp, `${lp.path}.patch.value.typed_config`, () => mergeAnyWithAny(tc, utc));
    }
    if (userName) hf['name'] = userName;
    if (merged) hf['typed_config'] = merged;
    if (isRouter(hf) === false && (tc['@type'] === ROUTER_TYPE)) s.routerRemovedBy.set(hcm, lp);
    s.touched.set(hcm, lp);
    lp.applied = true;
  }
}

// ---------------------------------------------------------------- routes

function parseSubsetKey(name: string): { direction: string; port: number; subset: string; host: string } {
  const parts = name.split('|');
  if (parts.length < 4) return { direction: '', port: 0, subset: '', host: '' };
  return { direction: parts[0]!, port: Number(parts[1]) || 0, subset: parts[2]!, host: parts[3]! };
}

function listenerPortFromRouteName(name: string): number {
  if (name.startsWith('inbound')) return parseSubsetKey(name).port;
  return /^\d+$/.test(name) ? Number(name) : 0;
}

function parseGatewayRouteName(name: string): { port: number; portName: string; gateway: string } {
  const parts = name.split('.');
  if (name.startsWith('http.') && parts.length >= 2) return { port: Number(parts[1]) || 0, portName: '', gateway: '' };
  if (name.startsWith('https.') && parts.length === 5) {
    return { port: Number(parts[1]) || 0, portName: parts[2]!, gateway: `${parts[4]}/${parts[3]}` };
  }
  return { port: 0, portName: '', gateway: '' };
}

function routeConfigurationMatch(s: SimState, ctx: PatchContext, rc: JsonObject, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration;
  if (!m) return true;
  const name = str(rc['name']);
  if (m.name && m.name !== name) return false;
  if (ctx !== 'GATEWAY') {
    if (m.portNumber && m.portNumber !== listenerPortFromRouteName(name)) return false;
    return true;
  }
  const g = parseGatewayRouteName(name);
  if (m.portName && m.portName !== g.portName) return false;
  if (m.gateway && m.gateway !== g.gateway) return false;
  if (m.portNumber) {
    const servicePorts = s.portMap[String(g.port)];
    if (servicePorts) return servicePorts.includes(m.portNumber);
    return g.port === m.portNumber;
  }
  return true;
}

function virtualHostMatch(s: SimState, vh: JsonObject | undefined, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration?.vhost;
  if (!m) return true;
  if (!vh) return false;
  if (m.name && m.name !== vh['name']) return false;
  if (s.features.vhostDomainName && m.domainName) {
    const d = vh['domains'];
    if (!Array.isArray(d) || !d.includes(m.domainName)) return false;
  }
  return true;
}

const hasRouteMatch = (rp: PatchWrapper) => !!rp.match.routeConfiguration?.vhost?.route;

function routeMatch(r: JsonObject | null, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration?.vhost?.route;
  if (!m) return true;
  if (!r) return false;
  if (m.name && m.name !== r['name']) return false;
  if (m.action && m.action !== 'ANY') {
    if ('route' in r) return m.action === 'ROUTE';
    if ('redirect' in r) return m.action === 'REDIRECT';
    if ('direct_response' in r) return m.action === 'DIRECT_RESPONSE';
  }
  return true;
}

function applyRouteConfigurationPatches(s: SimState, ctx: PatchContext, rc: JsonObject): void {
  for (const rp of list(s, 'ROUTE_CONFIGURATION')) {
    if (!isMerge(s, rp.op)) continue;
    if (ctxMatch(ctx, rp) && routeConfigurationMatch(s, ctx, rc, rp)) {
      mergeValue(s, rp, rc);
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  patchVirtualHosts(s, ctx, rc);
}

function patchVirtualHosts(s: SimState, ctx: PatchContext, rc: JsonObject): void {
  const vhosts = objs(rc['virtual_hosts']);
  const removed = new Set<string>();
  for (let i = 0; i < vhosts.length; i++) {
    if (patchVirtualHost(s, ctx, rc, vhosts, i)) removed.add(str(vhosts[i]!['name']));
  }
  for (const rp of list(s, 'VIRTUAL_HOST')) {
    if (rp.op !== 'ADD') continue;
    if (ctxMatch(ctx, rp) && routeConfigurationMatch(s, ctx, rc, rp)) {
      vhosts.push(cloneValue(s, rp));
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  rc['virtual_hosts'] = removed.size > 0 ? vhosts.filter((v) => !removed.has(str(v['name']))) : vhosts;
}

function patchVirtualHost(s: SimState, ctx: PatchContext, rc: JsonObject, vhosts: JsonObject[], idx: number): boolean {
  for (const rp of list(s, 'VIRTUAL_HOST')) {
    if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp)) continue;
    rp.reachedParent = true;
    if (!virtualHostMatch(s, vhosts[idx], rp)) continue;
    if (rp.op === 'REMOVE') {
      rp.applied = true;
      s.touched.set(rc, rp);
      return true;
    }
    if (isMerge(s, rp.op)) {
      mergeValue(s, rp, vhosts[idx]!);
      s.touched.set(vhosts[idx]!, rp);
      s.touched.set(rc, rp);
      rp.applied = true;
    } else if (rp.op === 'REPLACE') {
      vhosts[idx] = cloneValue(s, rp);
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  patchHTTPRoutes(s, ctx, rc, vhosts[idx]!);
  return false;
}

function patchHTTPRoutes(s: SimState, ctx: PatchContext, rc: JsonObject, vh: JsonObject): void {
  const routes: Array<JsonObject | null> = objs(vh['routes']);
  let removed = false;
  for (let i = 0; i < routes.length; i++) {
    for (const rp of list(s, 'HTTP_ROUTE')) {
      if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp) || !virtualHostMatch(s, vh, rp)) continue;
      rp.reachedParent = true;
      if (!routeMatch(routes[i]!, rp)) continue;
      if (rp.op === 'REMOVE') {
        routes[i] = null;
        removed = true;
        rp.applied = true;
        s.touched.set(vh, rp);
        break;
      }
      if (isMerge(s, rp.op) && routes[i]) {
        mergeValue(s, rp, routes[i]!);
        s.touched.set(routes[i]!, rp);
        s.touched.set(vh, rp);
        rp.applied = true;
      }
    }
  }
  for (const rp of list(s, 'HTTP_ROUTE')) {
    if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp) || !virtualHostMatch(s, vh, rp)) continue;
    rp.reachedParent = true;
    const m = (r: JsonObject | null) => routeMatch(r, rp);
    let done = false;
    switch (rp.op) {
      case 'ADD':
        routes.push(cloneValue(s, rp));
        done = true;
        break;
      case 'INSERT_AFTER':
        if (!hasRouteMatch(rp)) routes.push(cloneValue(s, rp)), (done = true);
        else done = insertAt(routes, m, cloneValue(s, rp), true);
        break;
      case 'INSERT_BEFORE':
        if (!hasRouteMatch(rp)) routes.unshift(cloneValue(s, rp)), (done = true);
        else done = insertAt(routes, m, cloneValue(s, rp), false);
        break;
      case 'INSERT_FIRST':
        if (!hasRouteMatch(rp) || routes.some(m)) routes.unshift(cloneValue(s, rp)), (done = true);
        break;
      default:
        break;
    }
    if (done) {
      rp.applied = true;
      s.touched.set(vh, rp);
    }
  }
  if (removed || 'routes' in vh || routes.length > 0) vh['routes'] = routes.filter((r): r is JsonObject => r !== null);
}

// ---------------------------------------------------------------- clusters

function clusterHosts(c: JsonObject): string[] {
  const md = c['metadata'];
  const fm = isObject(md) ? md['filter_metadata'] : undefined;
  const istio = isObject(fm) ? fm['istio'] : undefined;
  const svcs = isObject(istio) ? istio['services'] : undefined;
  return objs(svcs).map((x) => str(x['host'])).filter((h) => h !== '');
}

function clusterMatch(c: JsonObject, cp: PatchWrapper, hosts: string[]): boolean {
  const m = cp.match.cluster;
  if (!m) return true;
  const name = str(c['name']);
  if (m.name) return m.name === name;
  const k = parseSubsetKey(name);
  const hostMatches = k.direction === 'inbound' && hosts.length > 0 ? hosts : [k.host];
  if (m.subset && m.subset !== k.subset) return false;
  if (m.service && !hostMatches.includes(m.service)) return false;
  if (m.portNumber && m.portNumber !== k.port) return false;
  return true;
}

function applyClusterMerge(s: SimState, ctx: PatchContext, c: JsonObject, hosts: string[]): JsonObject | null {
  for (const cp of list(s, 'CLUSTER')) {
    if (cp.op === 'REMOVE' && ctxMatch(ctx, cp) && clusterMatch(c, cp, hosts)) {
      cp.applied = true;
      return null;
    }
    if (!isMerge(s, cp.op)) continue;
    if (ctxMatch(ctx, cp) && clusterMatch(c, cp, hosts)) {
      try {
        if (!mergeClusterTransportSocket(s, cp, c)) mergeValue(s, cp, c);
      } catch (e) {
        if (!(e instanceof PatchPanic)) throw e;
        return c;
      }
      s.touched.set(c, cp);
      cp.applied = true;
    }
  }
  return c;
}

function mergeClusterTransportSocket(s: SimState, cp: PatchWrapper, c: JsonObject): boolean {
  const ts = cp.value['transport_socket'];
  if (!isObject(ts)) return false;
  const tsms = objs(c['transport_socket_matches']);
  let target: JsonObject | undefined;
  if (tsms.length > 0) {
    for (const m of tsms) {
      const t = m['transport_socket'];
      if (isObject(t) && t['name'] === ts['name']) {
        target = t;
        break;
      }
    }
    // No same-named socket: istiod drops the patch rather than produce transport_socket + matches.
    if (!target) return true;
  } else if (isObject(c['transport_socket']) && (c['transport_socket'] as JsonObject)['name'] === ts['name']) {
    target = c['transport_socket'] as JsonObject;
  }
  if (!target) {
    c['transport_socket'] = clone(ts);
    return true;
  }
  const dst = target['typed_config'];
  const src = ts['typed_config'];
  if (isObject(dst) && isObject(src)) {
    target['typed_config'] = withPanic(s, cp, `${cp.path}.patch.value.transport_socket.typed_config`, () => mergeAnyWithAny(dst, src));
  }
  return true;
}

function insertedClusters(s: SimState, ctx: PatchContext): JsonObject[] {
  const out: JsonObject[] = [];
  for (const cp of list(s, 'CLUSTER')) {
    if (cp.op !== 'ADD') continue;
    if (cp.context === 'ANY' && ctx !== 'SIDECAR_OUTBOUND' && ctx !== 'GATEWAY') continue;
    if (ctxMatch(ctx, cp)) {
      out.push(cloneValue(s, cp));
      cp.applied = true;
    }
  }
  return out;
}

function buildClusters(s: SimState, baseline: JsonObject[]): JsonObject[] {
  const gateway = s.proxy.kind === 'gateway';
  const outCtx: PatchContext = gateway ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
  const isInbound = (c: JsonObject) => str(c['name']).startsWith('inbound|');
  const isInboundPassthrough = (c: JsonObject) => str(c['name']).startsWith('InboundPassthroughCluster');
  const isOutboundService = (c: JsonObject) => str(c['name']).startsWith('outbound|');
  const patched = (ctx: PatchContext, cs: JsonObject[]) =>
    cs.map((c) => applyClusterMerge(s, ctx, c, clusterHosts(c))).filter((c): c is JsonObject => c !== null);

  // Service clusters go straight to the response ("resources"); istiod does not de-duplicate them.
  const resources = patched(outCtx, baseline.filter(isOutboundService));
  let rest: JsonObject[] = patched(outCtx, baseline.filter((c) => !isOutboundService(c) && !isInbound(c) && !isInboundPassthrough(c)));
  rest.push(...insertedClusters(s, outCtx));
  if (!gateway) {
    rest.push(...patched('SIDECAR_INBOUND', baseline.filter(isInbound)));
    rest.push(...patched('SIDECAR_INBOUND', baseline.filter(isInboundPassthrough)));
    rest.push(...insertedClusters(s, 'SIDECAR_INBOUND'));
  }
  // normalizeClusters: the first cluster of a name wins, later ones are dropped with a push metric only.
  const seen = new Map<string, JsonObject>();
  const kept: JsonObject[] = [];
  for (const c of rest) {
    const name = str(c['name']);
    const first = seen.get(name);
    if (first) {
      const mine = s.provenance.get(c);
      const by = mine ?? s.provenance.get(first);
      if (by) {
        const what = mine ? 'the added cluster is dropped' : 'the added cluster replaces the one istiod generates (inserted outbound clusters come before inbound ones)';
        report(s, by, MW407.finding(by.path, `cluster ${JSON.stringify(name)} exists twice: istiod keeps the first and silently drops the other ("Duplicate cluster ... found while pushing CDS"); ${what}`, 'Give the added cluster a unique name, or MERGE into the existing cluster instead of ADD.'));
      }
      continue;
    }
    seen.set(name, c);
    kept.push(c);
  }
  for (const c of kept) {
    const name = str(c['name']);
    if (name !== '' && resources.some((r) => r['name'] === name)) {
      const by = s.provenance.get(c);
      if (by) {
        report(s, by, MW407.finding(by.path, `cluster ${JSON.stringify(name)} duplicates a service cluster istiod generates: both are pushed and Envoy rejects the whole CDS update`, 'Do not ADD clusters named like Istio service clusters (outbound|port|subset|host); MERGE into them instead.'));
      }
    }
  }
  return [...resources, ...kept];
}

// ---------------------------------------------------------------- entry point

function anchorName(cp: ConfigPatch): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const l = cp.match?.listener;
  if (l?.filterChain?.filter?.name) out.push(['match.listener.filterChain.filter.name', l.filterChain.filter.name]);
  if (l?.filterChain?.filter?.subFilter?.name) out.push(['match.listener.filterChain.filter.subFilter.name', l.filterChain.filter.subFilter.name]);
  if (l?.listenerFilter) out.push(['match.listener.listenerFilter', l.listenerFilter]);
  return out;
}

/** `convertToEnvoyFilterWrapper` plus the op-level findings that need no baseline. */
function wrapPatches(s: SimState, efs: readonly EnvoyFilterObject[], order: number[], shared?: SharedApplication): void {
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
        filterIndex: fi, patchIndex: pi, path, applyTo, op: origOp,
        match: matchAsRead(cp.match ?? { context: 'ANY' }, s.features), context: cp.match?.context ?? 'ANY',
        value: isObject(cp.patch.value) ? normalized(cp.patch.value) : {},
        applied: false, reachedParent: false,
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
        f(MW423, `${path}.match.listener.portName`, 'istiod never reads listener.portName: the patch applies to every port the rest of the match selects', 'Match on portNumber (the container targetPort for inbound) instead.');
      }
      if ((applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') && lm?.filterChain?.filter) {
        f(MW423, `${path}.match.listener.filterChain.filter`, `a filter match has no effect on ${applyTo}: every listener/chain the rest of the match selects is patched`, 'Match the chain by name, destinationPort, sni or transportProtocol instead.');
      }
      if (s.proxy.kind === 'sidecar' && (cp.match?.routeConfiguration?.portName || cp.match?.routeConfiguration?.gateway)) {
        f(MW423, `${path}.match.routeConfiguration`, 'routeConfiguration.portName and .gateway are only read for gateways; on sidecars they are ignored and the patch applies more widely', 'Match sidecar routes by portNumber, name and vhost.');
      }
      const vhostName = cp.match?.routeConfiguration?.vhost?.name;
      if (s.proxy.kind === 'gateway' && (applyTo === 'VIRTUAL_HOST' || applyTo === 'HTTP_ROUTE') && vhostName && s.features.vhostDomainName) {
        const host = vhostName.replace(/:\d+$/, '');
        f(MW425, `${path}.match.routeConfiguration.vhost.name`,
          `on a gateway istiod merges the vhosts of one VirtualService's hosts (same routes) into one named after the alphabetically first host, with every host as a domain: ${JSON.stringify(vhostName)} exists only while ${host} is the first of its VirtualService's hosts, otherwise the patch silently matches nothing`,
          `Match routeConfiguration.vhost.domainName: ${host} instead (istiod compares it with the vhost's domains).`);
      }
      if (applyTo === 'HTTP_FILTER' && origOp === 'INSERT_BEFORE' && !lm?.filterChain?.filter?.subFilter?.name) {
        f(MW424, `${path}.match`, 'INSERT_BEFORE without subFilter inserts the filter first in every matched HCM, ahead of istio.metadata_exchange (peer metadata is then missing for it)', 'Anchor on a filter: match.listener.filterChain.filter.subFilter.name: envoy.filters.http.router (or the filter you want to precede).');
      }
      if (applyTo === 'HTTP_FILTER' && cp.patch.filterClass !== undefined) {
        f(MW421, `${path}.patch.filterClass`, 'filterClass is read by no istiod version; the filter is placed by the operation alone', 'Use INSERT_BEFORE with subFilter envoy.filters.http.router (or another anchor) instead of filterClass.');
      }
      if (applyTo === 'BOOTSTRAP') {
        if (s.features.bootstrapIgnored) f(MW415, `${path}.applyTo`, `BOOTSTRAP patches have had no effect since Istio 1.21 (proxy ${s.proxy.istioVersion})`, 'Move bootstrap settings to ProxyConfig / the proxy.istio.io/config annotation or a custom bootstrap template.');
        return;
      }
      if (origOp === 'MERGE_AND_REPLACE_LIST' && !s.features.mergeAndReplaceList) {
        f(MW420, `${path}.patch.operation`, `MERGE_AND_REPLACE_LIST does not exist before Istio 1.31 (proxy ${s.proxy.istioVersion}); this istiod rejects or ignores the patch`, 'Use MERGE (lists append) or REPLACE the object, or restrict the patch with match.proxy.proxyVersion to 1.31+.', 'error');
        return;
      }
      if (origOp === 'MERGE_AND_REPLACE_LIST' && (applyTo === 'HTTP_FILTER' || applyTo === 'NETWORK_FILTER' || applyTo === 'LISTENER_FILTER')) {
        f(MW420, `${path}.patch.operation`, `istiod applies MERGE_AND_REPLACE_LIST only to CLUSTER, LISTENER, FILTER_CHAIN, ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE; on ${applyTo} it does nothing`, 'Use MERGE, or REPLACE the filter with the full config.');
        return;
      }
      if (applyTo === 'EXTENSION_CONFIG' && origOp !== 'ADD') {
        f(MW416, `${path}.patch.operation`, `EXTENSION_CONFIG ${origOp} is ignored: istiod only serves EXTENSION_CONFIG ADD`, 'ADD the complete TypedExtensionConfig under a new name and reference it from the filter config_discovery.');
        return;
      }
      let op = origOp;
      if ((op === 'INSERT_BEFORE' || op === 'INSERT_AFTER' || op === 'INSERT_FIRST') && !ORDERED_TYPES.has(applyTo)) {
        op = 'ADD';
        const isCluster = applyTo === 'CLUSTER';
        f(MW417, `${path}.patch.operation`, `${origOp} on ${applyTo} is converted to ADD by istiod${isCluster ? ': instead of changing the matched cluster it adds a new cluster built from the patch value' : ''}`,
          isCluster ? 'Use MERGE to change an existing cluster, or ADD with a complete, uniquely named cluster.' : `Use ADD (or MERGE to change the matched ${applyTo}).`, isCluster ? 'error' : 'warning');
      }
      const unsupported =
        (applyTo === 'ROUTE_CONFIGURATION' && op !== 'MERGE' && op !== 'MERGE_AND_REPLACE_LIST') ||
        ((applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN' || applyTo === 'CLUSTER') && op === 'REPLACE') ||
        (applyTo === 'HTTP_ROUTE' && op === 'REPLACE');
      if (unsupported) {
        f(MW420, `${path}.patch.operation`, `istiod has no ${op} for ${applyTo}: the patch is ignored`,
          applyTo === 'ROUTE_CONFIGURATION' ? 'ROUTE_CONFIGURATION supports MERGE only; use VIRTUAL_HOST / HTTP_ROUTE patches to add or remove entries.' : 'REMOVE the object and ADD a new one, or MERGE into it.');
        return;
      }
      if (op === 'REMOVE' || op === 'REPLACE') {
        const needsAnchor = (applyTo === 'HTTP_FILTER' && !cp.match?.listener?.filterChain?.filter?.subFilter?.name) ||
          (applyTo === 'NETWORK_FILTER' && !cp.match?.listener?.filterChain?.filter?.name) ||
          (applyTo === 'LISTENER_FILTER' && !cp.match?.listener?.listenerFilter);
        if (needsAnchor) {
          f(MW413, `${path}.match`, `${op} on ${applyTo} without a filter name to match does nothing in istiod`, 'Name the filter to act on in match.listener (filterChain.filter.subFilter.name, filterChain.filter.name or listenerFilter).');
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

function contextsFor(kind: ProxyInfo['kind']): PatchContext[] {
  return kind === 'gateway' ? ['GATEWAY'] : ['SIDECAR_INBOUND', 'SIDECAR_OUTBOUND'];
}

function noMatchHint(s: SimState, w: PatchWrapper): string {
  const socket = transportSocketHint(w.match);
  if (socket) return socket;
  const port = w.match.listener?.portNumber ?? w.match.routeConfiguration?.portNumber;
  if (port && w.context === 'SIDECAR_INBOUND') {
    const hit = s.inboundPorts.find((p) => p.servicePort === port && p.targetPort !== port);
    if (hit) return `Inbound listeners, chains and route configs use the container targetPort: use portNumber ${hit.targetPort} (Service port ${port}).`;
    const tcp = s.inboundPorts.find((p) => p.targetPort === port && p.protocol === 'tcp');
    if (tcp && (w.applyTo === 'HTTP_FILTER' || w.applyTo === 'HTTP_ROUTE' || w.applyTo === 'VIRTUAL_HOST' || w.applyTo === 'ROUTE_CONFIGURATION')) {
      return `Port ${port} is a TCP port (tcp_proxy, no HTTP connection manager): name the Service port http-* or set appProtocol: http, or patch NETWORK_FILTER instead.`;
    }
  }
  if (port && s.proxy.kind === 'gateway' && w.match.listener) {
    for (const [container, servicePorts] of Object.entries(s.portMap)) {
      if (servicePorts.includes(port) && Number(container) !== port) return `Gateway listeners bind the container port: use listener.portNumber ${container} (Gateway server port ${port}).`;
    }
  }
  const vh = w.match.routeConfiguration?.vhost?.name;
  if (vh && /^inbound\|http\|\d+$/.test(vh)) {
    return 'The inbound vhost is named inbound|http|<Service port>, its route config inbound|<targetPort>||; check both against the Service.';
  }
  if (w.reachedParent) return 'The listener/HCM or route config matched but the named anchor is absent there: check the name, and whether that filter exists only with some policy (rbac, jwt_authn, ext_authz, istio.stats).';
  return 'Check match.context, port numbers and names against the generated config (istioctl proxy-config all <pod> -o json).';
}

function anchorPath(w: PatchWrapper): string {
  const l = w.match.listener;
  if (w.applyTo === 'HTTP_FILTER' && l?.filterChain?.filter?.subFilter?.name) return `${w.path}.match.listener.filterChain.filter.subFilter.name`;
  if ((w.applyTo === 'NETWORK_FILTER' || w.applyTo === 'HTTP_FILTER') && l?.filterChain?.filter?.name) return `${w.path}.match.listener.filterChain.filter.name`;
  if (w.applyTo === 'LISTENER_FILTER' && l?.listenerFilter) return `${w.path}.match.listener.listenerFilter`;
  if (w.match.routeConfiguration?.vhost?.route?.name) return `${w.path}.match.routeConfiguration.vhost.route.name`;
  if (w.match.routeConfiguration?.vhost?.name) return `${w.path}.match.routeConfiguration.vhost.name`;
  if (w.match.cluster) return `${w.path}.match.cluster`;
  if (w.match.routeConfiguration) return `${w.path}.match.routeConfiguration`;
  if (l) return `${w.path}.match.listener`;
  return `${w.path}.match`;
}

/** Serialised baselines: JSON.parse of a cached string is the cheapest deep copy. Baselines are treated as immutable. */
/** A detached snapshot of each baseline, taken once, from which every application copies. */
const snapshots = new WeakMap<XdsConfig, XdsConfig>();

/**
 * The config an application patches: sections no patch targets are shared with the
 * snapshot (nothing writes to a section without a patch for it), the others copied; the
 * listeners are copied one by one when a patch can reach them (`own`).
 */
function copyBaseline(b: XdsConfig, targeted: ReadonlySet<string>): XdsConfig {
  let snap = snapshots.get(b);
  if (snap === undefined) {
    snap = JSON.parse(JSON.stringify({ listeners: b.listeners, routes: b.routes, clusters: b.clusters, extension_configs: b.extension_configs ?? [], ...(b.meta ? { meta: b.meta } : {}) })) as XdsConfig;
    snapshots.set(b, snap);
  }
  const touches = (...applyTo: string[]) => applyTo.some((a) => targeted.has(a));
  return {
    ...snap,
    listeners: [...snap.listeners],
    routes: touches('ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE') ? (cloneJson(snap.routes) as JsonObject[]) : snap.routes,
    clusters: touches('CLUSTER') ? (cloneJson(snap.clusters) as JsonObject[]) : snap.clusters,
    extension_configs: touches('EXTENSION_CONFIG') ? [...(snap.extension_configs ?? [])] : (snap.extension_configs ?? []),
  };
}

/**
 * Applies the EnvoyFilters that attach to `proxy` to a copy of `baseline`, the way istiod does,
 * then runs the MW4xx structural checks. Pure: the inputs are not modified (and `baseline` must not be
 * modified by the caller afterwards: its serialisation is cached).
 */
/**
 * What several applications of the same, unchanging EnvoyFilters (one per Istio minor and proxy
 * kind) can share: each patch value with its keys normalized. Nothing writes into a patch value
 * (inserted objects are copies as deep as anything writes, see cloneValue).
 */
export interface SharedApplication {
  normalized: WeakMap<object, JsonObject>;
}

export function applyEnvoyFilters(baseline: XdsConfig, envoyFilters: readonly EnvoyFilterObject[], proxy: ProxyInfo, shared?: SharedApplication): ApplyResult {
  const features = featuresFor(parseIstioVersion(proxy.istioVersion));
  const root = proxy.rootNamespace ?? 'istio-system';
  const attached: number[] = [];
  envoyFilters.forEach((ef, i) => {
    if (isObject(ef) && isObject(ef.metadata) && (ef.spec === undefined || isObject(ef.spec)) && attaches(ef, proxy, features)) attached.push(i);
  });
  const order = orderFilters(envoyFilters, attached, root);
  const s: SimState = {
    features, proxy, patches: new Map(), all: [], findings: [],
    provenance: new WeakMap(), touched: new WeakMap(), routerRemovedBy: new WeakMap(),
    portMap: baseline.meta?.gatewayPortMap ?? {},
    inboundPorts: baseline.meta?.inboundPorts ?? [],
    panicked: false,
    owned: new WeakSet(),
    shallow: new WeakSet(),
  };
  wrapPatches(s, envoyFilters, order, shared);
  const config = copyBaseline(baseline, new Set(s.all.map((w) => w.applyTo)));

  if (s.all.length > 0) {
    const routePatches = (['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'] as const).some((a) => list(s, a).length > 0);
    // 1. Inline inbound route configs are built and patched before their HCM (httproute.go).
    if (proxy.kind === 'sidecar' && routePatches) {
      for (let i = 0; i < config.listeners.length; i++) {
        if (config.listeners[i]!['name'] !== VIRTUAL_INBOUND && config.listeners[i]!['traffic_direction'] !== 'INBOUND') continue;
        const lis = (config.listeners[i] = own(s, config.listeners[i]!));
        for (const fc of [...objs(lis['filter_chains']), ...(isObject(lis['default_filter_chain']) ? [lis['default_filter_chain'] as JsonObject] : [])]) {
          for (const f of objs(fc['filters'])) {
            const tc = f['typed_config'];
            if (f['name'] === HCM_NAME && isObject(tc) && isObject(tc['route_config'])) {
              applyRouteConfigurationPatches(s, 'SIDECAR_INBOUND', tc['route_config'] as JsonObject);
            }
          }
        }
      }
    }
    // 2. Listeners (listener_builder.go patchListeners).
    if (proxy.kind === 'gateway') {
      config.listeners = applyListenerPatches(s, 'GATEWAY', config.listeners, false);
    } else {
      const vOut = config.listeners.filter((l) => l['name'] === VIRTUAL_OUTBOUND);
      const inbound = config.listeners.filter((l) => l['name'] === VIRTUAL_INBOUND || (l['traffic_direction'] === 'INBOUND' && l['name'] !== VIRTUAL_OUTBOUND));
      const outbound = config.listeners.filter((l) => !vOut.includes(l) && !inbound.includes(l));
      const pOut = applyListenerPatches(s, 'SIDECAR_OUTBOUND', outbound, false);
      const pV = applyListenerPatches(s, 'SIDECAR_OUTBOUND', vOut, true);
      const pIn = applyListenerPatches(s, 'SIDECAR_INBOUND', inbound, false);
      config.listeners = [...pOut, ...pV, ...pIn];
    }
    // 3. RDS (the route configs are this application's copy when a route patch exists).
    const rdsCtx: PatchContext = proxy.kind === 'gateway' ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
    if (routePatches) for (const rc of config.routes) applyRouteConfigurationPatches(s, rdsCtx, rc);
    // 4. CDS.
    config.clusters = buildClusters(s, config.clusters);
    // 5. ECDS: EXTENSION_CONFIG ADD (served only when a filter's config_discovery names it).
    for (const w of list(s, 'EXTENSION_CONFIG')) {
      if (w.op !== 'ADD') continue;
      config.extension_configs!.push(cloneValue(s, w));
      w.applied = true;
    }
  }

  // Patches that changed nothing: relative ops and MERGEs are silent no-ops in istiod.
  const referenced = new Set<string>();
  for (const lis of config.listeners) {
    for (const fc of [...objs(lis['filter_chains']), ...(isObject(lis['default_filter_chain']) ? [lis['default_filter_chain'] as JsonObject] : [])]) {
      for (const f of objs(fc['filters'])) {
        if (isObject(f['config_discovery'])) referenced.add(str(f['name']));
        const tc = f['typed_config'];
        if (isObject(tc)) for (const hf of objs(tc['http_filters'])) if (isObject(hf['config_discovery'])) referenced.add(str(hf['name']));
      }
    }
  }
  for (const w of s.all) {
    if (w.applyTo === 'EXTENSION_CONFIG') {
      const name = str(w.value['name']);
      if (!referenced.has(name)) {
        report(s, w, MW413.finding(`${w.path}.patch.value.name`, `EXTENSION_CONFIG ${JSON.stringify(name)} is referenced by no filter's config_discovery on this ${proxy.kind}: istiod never sends it`, 'Reference it from an HTTP/network filter with config_discovery {config_source: {ads: {}}, type_urls: [...]} and the same name.'));
      }
      continue;
    }
    if (w.applied) continue;
    if (s.panicked && ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'].includes(w.applyTo)) continue;
    const compatible = w.context === 'ANY' || contextsFor(proxy.kind).includes(w.context);
    if (!compatible) continue;
    if (w.context === 'ANY' && proxy.kind === 'sidecar' && (w.applyTo === 'LISTENER' || w.applyTo === 'CLUSTER') && w.op === 'ADD') continue;
    const target = w.match.listener?.filterChain?.filter?.subFilter?.name ?? w.match.listener?.filterChain?.filter?.name ?? w.match.listener?.listenerFilter ?? w.match.routeConfiguration?.vhost?.route?.name ?? w.match.routeConfiguration?.vhost?.name ?? w.match.cluster?.name ?? w.match.cluster?.service;
    report(s, w, MW413.finding(
      anchorPath(w),
      `${w.op} ${w.applyTo}${target ? ` anchored on ${JSON.stringify(target)}` : ''} matches nothing in the generated ${proxy.kind} config${w.reachedParent ? ' (the parent matched, the anchor did not)' : ''}: istiod skips it silently`,
      noMatchHint(s, w),
    ));
  }

  runStructuralChecks(s, config);
  return { config, findings: dedupe(s.findings), applied: order };
}

/** One finding per rule, filter and path; repeats (one per matching HCM) are counted in the message. */
function dedupe(fs: PatchFinding[]): PatchFinding[] {
  const byKey = new Map<string, { f: PatchFinding; n: number }>();
  for (const f of fs) {
    const k = `${f.filterIndex}|${f.finding.rule}|${f.finding.path}|${f.finding.message}`;
    const cur = byKey.get(k);
    if (cur) cur.n++;
    else byKey.set(k, { f, n: 1 });
  }
  return [...byKey.values()].map(({ f, n }) => (n > 1 ? { ...f, finding: { ...f.finding, message: `${f.finding.message} (${n} places)` } } : f));
}
