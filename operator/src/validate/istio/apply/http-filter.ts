/**
 * HTTP_FILTER patches on an HTTP connection manager's http_filters: the relative operations,
 * then MERGE into each matched filter; a removed or replaced router is recorded for MW4xx.
 */
import { HCM_TYPE, ROUTER_NAME, ROUTER_TYPE } from '../names.js';
import { isObject, mergeAnyWithAny } from '../merge.js';
import type { SimState } from '../sim-state.js';
import type { JsonObject, PatchContext } from '../types.js';
import { filterChainMatch, hasHTTPFilterMatch, httpFilterMatch, listenerMatch, networkFilterMatch } from './listener-match.js';
import { checkTypedStructSwap, ctxMatch, lastOpChanged, list, objs, relativeOp, str, withPanic } from './operations.js';

function isRouter(f: JsonObject): boolean {
  const tc = f['typed_config'];
  return f['name'] === ROUTER_NAME || (isObject(tc) && tc['@type'] === ROUTER_TYPE);
}

export function patchHTTPFilters(s: SimState, ctx: PatchContext, lis: JsonObject, fc: JsonObject, filter: JsonObject): void {
  const hcm = filter['typed_config'];
  if (!isObject(hcm) || hcm['@type'] !== HCM_TYPE) return;
  let filters = objs(hcm['http_filters']);
  for (const lp of list(s, 'HTTP_FILTER')) {
    if (!ctxMatch(ctx, lp) || !listenerMatch(lis, lp) || !filterChainMatch(lis, fc, lp) || !networkFilterMatch(filter, lp)) continue;
    lp.reachedParent = true;
    if (lp.op === 'MERGE' || lp.op === 'MERGE_AND_REPLACE_LIST') continue;
    filters = relativeOp(
      s,
      lp,
      filters,
      hasHTTPFilterMatch(lp),
      (e) => httpFilterMatch(e, lp),
      (removed, repl) => {
        if (isRouter(removed) && !(repl && isRouter(repl))) s.routerRemovedBy.set(hcm, lp);
      },
    );
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
    if (isRouter(hf) === false && tc['@type'] === ROUTER_TYPE) s.routerRemovedBy.set(hcm, lp);
    s.touched.set(hcm, lp);
    lp.applied = true;
  }
}
