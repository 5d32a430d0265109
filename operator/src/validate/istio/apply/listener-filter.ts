/** LISTENER_FILTER patches: the relative operations on a listener's listener_filters, and istiod's MERGE. */
import { isObject, mergeAnyWithAny } from '../merge.js';
import type { SimState } from '../sim-state.js';
import type { JsonObject, PatchContext } from '../types.js';
import { hasListenerFilterMatch, listenerFilterMatch, listenerMatch } from './listener-match.js';
import { ctxMatch, lastOpChanged, list, objs, relativeOp, withPanic } from './operations.js';

export function patchListenerFilters(s: SimState, ctx: PatchContext, lis: JsonObject): void {
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
