/**
 * LISTENER patches (MERGE, REMOVE, ADD) and the walk down each matched listener: its listener
 * filters, then its filter chains. A listener no listener-side patch reaches is left shared
 * with the baseline snapshot.
 */
import { PatchPanic } from '../merge.js';
import type { SimState } from '../sim-state.js';
import type { ApplyTo, JsonObject, PatchContext } from '../types.js';
import { patchFilterChains } from './filter-chain.js';
import { patchListenerFilters } from './listener-filter.js';
import { listenerMatch } from './listener-match.js';
import { cloneValue, ctxMatch, isMerge, list, mergeValue, own, reaches } from './operations.js';

export function applyListenerPatches(s: SimState, ctx: PatchContext, listeners: JsonObject[], skipAdds: boolean): JsonObject[] {
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
