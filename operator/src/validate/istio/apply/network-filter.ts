/**
 * NETWORK_FILTER patches on a filter chain's filters: the relative operations, then MERGE into
 * each matched filter's typed_config; the HTTP filters of an HTTP connection manager follow.
 */
import { HCM_NAME } from '../names.js';
import { isObject, mergeAnyWithAny } from '../merge.js';
import type { SimState } from '../sim-state.js';
import type { JsonObject, PatchContext } from '../types.js';
import { patchHTTPFilters } from './http-filter.js';
import { filterChainMatch, hasNetworkFilterMatch, listenerMatch, networkFilterMatch } from './listener-match.js';
import { checkTypedStructSwap, ctxMatch, lastOpChanged, list, objs, relativeOp, str, withPanic } from './operations.js';

export function patchNetworkFilters(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject): void {
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
