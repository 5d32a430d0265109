/**
 * What the patch targets share: the patches of a kind, context matching, MERGE, the relative
 * operations on a list (ADD, INSERT_*, REPLACE, REMOVE), the copies a patch inserts and the
 * baseline objects an application copies before writing (copy on write), and istiod's panics
 * on a MERGE of typed configs of different types.
 */
import type { Finding } from '../../rule.js';
import { clone, cloneJson, isObject, isTypedStruct, PatchPanic, protoMerge } from '../merge.js';
import { MW419 } from '../rules.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { ApplyTo, JsonObject, Operation, PatchContext } from '../types.js';

export function report(s: SimState, p: PatchWrapper, f: Finding): void {
  s.findings.push({ filterIndex: p.filterIndex, finding: f });
}

export function list(s: SimState, applyTo: ApplyTo): PatchWrapper[] {
  return s.patches.get(applyTo) ?? [];
}

export function isMerge(s: SimState, op: Operation): boolean {
  return op === 'MERGE' || (op === 'MERGE_AND_REPLACE_LIST' && s.features.mergeAndReplaceList);
}

export function mergeValue(s: SimState, lp: PatchWrapper, dst: JsonObject): void {
  protoMerge(dst, lp.value, { replaceList: lp.op === 'MERGE_AND_REPLACE_LIST' && s.features.mergeAndReplaceList });
}

/**
 * The object a patch inserts: its own copy as deep as later patches can write into it. An HTTP
 * filter is only ever written at its top level (name, typed_config: merges build new configs),
 * a network filter along the path HTTP filter patches take (filterPath); anything else can be
 * merged into at any depth. The rest is shared with the patch value, which nothing writes.
 */
export function cloneValue(s: SimState, lp: PatchWrapper): JsonObject {
  const v = lp.applyTo === 'HTTP_FILTER' ? { ...lp.value } : lp.applyTo === 'NETWORK_FILTER' ? filterPath(lp.value) : clone(lp.value);
  s.provenance.set(v, lp);
  return v;
}

export function ctxMatch(ctx: PatchContext, lp: PatchWrapper): boolean {
  return lp.context === ctx || lp.context === 'ANY';
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
export const objs = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

export function insertAt<T>(arr: T[], pred: (e: T) => boolean, v: T, after: boolean): boolean {
  const i = arr.findIndex(pred);
  if (i < 0) return false;
  arr.splice(after ? i + 1 : i, 0, v);
  return true;
}

/** Whether the last {@link relativeOp} changed its list: its caller then records what it touched. */
export let lastOpChanged = false;

/**
 * The relative operations shared by LISTENER_FILTER, NETWORK_FILTER and HTTP_FILTER
 * (ADD, INSERT_FIRST/BEFORE/AFTER, REPLACE, REMOVE); MERGE is handled by the caller afterwards.
 */
export function relativeOp(
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
      if (!hasAnchor) {
        arr.push(cloneValue(s, lp));
        lp.applied = true;
      } else if (insertAt(arr, matches, cloneValue(s, lp), true)) lp.applied = true;
      break;
    case 'INSERT_BEFORE':
      if (!hasAnchor) {
        arr.unshift(cloneValue(s, lp));
        lp.applied = true;
      } else if (insertAt(arr, matches, cloneValue(s, lp), false)) lp.applied = true;
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
    case 'MERGE':
    case 'MERGE_AND_REPLACE_LIST':
      // Not a list operation: the caller merges into the matched element afterwards.
      break;
  }
  return arr;
}

/**
 * Whether a patch of these kinds matches: every listener-side patch is applied only where its
 * context, listener and filter chain match (the gate of each loop below), so a listener or
 * chain none of them matches is left as the baseline has it, and need not be copied.
 */
export function reaches(s: SimState, applyTo: readonly ApplyTo[], match: (lp: PatchWrapper) => boolean): boolean {
  return applyTo.some((a) => list(s, a).some(match));
}

/** This application's own deep copy of an object of the baseline snapshot (copy on write). */
export function own(s: SimState, o: JsonObject): JsonObject {
  if (s.owned.has(o)) return o;
  const copy = cloneJson(o) as JsonObject;
  s.owned.add(copy);
  return copy;
}

export function filterPath(f: JsonObject): JsonObject {
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

/** Both TypedStruct: istiod merges them without complaint, but a different inner type_url swaps the type. */
export function checkTypedStructSwap(s: SimState, lp: PatchWrapper, dst: JsonObject, src: JsonObject): void {
  if (!isTypedStruct(dst) || !isTypedStruct(src)) return;
  const from = str(dst['type_url']);
  const to = str(src['type_url']);
  if (to === '' || from === '' || to === from) return;
  report(
    s,
    lp,
    MW419.finding(
      `${lp.path}.patch.value.typed_config.type_url`,
      `MERGE swaps the TypedStruct type_url from ${from} to ${to}: the merged Struct keeps the old fields, which Envoy then decodes as the new type`,
      'REPLACE the filter with a complete config of the new type instead of MERGE.',
    ),
  );
}

export function withPanic<T>(s: SimState, lp: PatchWrapper, path: string, fn: () => T): T {
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
