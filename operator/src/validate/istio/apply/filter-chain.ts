/**
 * FILTER_CHAIN patches (MERGE, REMOVE, ADD) on a listener's filter chains and default filter
 * chain, then the network filters of each matched chain.
 */
import { isObject, mergeAnyWithAny } from '../merge.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { ApplyTo, JsonObject, PatchContext } from '../types.js';
import { filterChainMatch, listenerMatch } from './listener-match.js';
import { patchNetworkFilters } from './network-filter.js';
import { cloneValue, ctxMatch, filterPath, isMerge, list, mergeValue, objs, own, reaches, withPanic } from './operations.js';

const chainLevel: readonly ApplyTo[] = ['FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER'];

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

function chainHasFilters(fc: JsonObject): boolean {
  return Array.isArray(fc['filters']);
}

export function patchFilterChains(s: SimState, ctx: PatchContext, lis: JsonObject): void {
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
