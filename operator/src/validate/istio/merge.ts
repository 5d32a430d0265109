/**
 * Protobuf merge semantics on Envoy JSON, as istiod's `pkg/proto/merge` applies them to
 * decoded messages (IST@1.28.0 pkg/proto/merge/merge.go):
 * - singular scalars overwrite; messages merge recursively;
 * - repeated fields APPEND (failure modes 1 and 4), or are replaced with
 *   MERGE_AND_REPLACE_LIST (release-1.31 `MergeWithReplaceList`);
 * - map fields replace the entry per key (no recursive merge into the old entry);
 * - `google.protobuf.Any` merged as a field replaces the whole value (type_url and bytes);
 * - `google.protobuf.Struct` is a map: keys replace; Duration replaces.
 * Without the proto descriptors, maps, Structs and oneofs are recognised by field name (tables
 * below); a JSON object is a message, an array a repeated field.
 */
import type { Json, JsonObject } from './types.js';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T extends Json>(v: T): T {
  return cloneJson(v) as T;
}

/** Deep copy of plain JSON: several times faster than structuredClone or a JSON round trip. */
export function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneJson(v[i]);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = cloneJson((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Envoy fields that are protobuf maps (`map<string, ...>`). */
const MAP_FIELDS = new Set([
  'typed_per_filter_config',
  'per_filter_config',
  'filter_metadata',
  'typed_filter_metadata',
  'typed_extension_protocol_options',
  'extension_protocol_options',
  'fields',
  // maps inside common HTTP filter configs (Lua source_codes, jwt_authn providers/requirement_map,
  // RBAC policies, ext_authz per-route context_extensions): user-chosen keys, kept verbatim
  'source_codes',
  'providers',
  'requirement_map',
  'policies',
  'context_extensions',
]);

/** Maps whose values are free-form (Struct, string): kept verbatim. Values of the other maps are messages. */
const MAP_OF_STRUCT = new Set(['filter_metadata', 'fields', 'context_extensions', 'per_filter_config', 'extension_protocol_options']);

/** Oneof groups in the Envoy messages EnvoyFilters usually touch: setting one member clears the others. */
const ONEOFS: string[][] = [
  ['rds', 'route_config', 'scoped_routes'],
  ['route', 'redirect', 'direct_response', 'filter_action', 'non_forwarding_action'],
  ['cluster', 'cluster_header', 'weighted_clusters', 'cluster_specifier_plugin', 'inline_cluster_specifier_plugin'],
  ['prefix', 'path', 'safe_regex', 'connect_matcher', 'path_separated_prefix', 'path_match_policy'],
  ['typed_config', 'config_discovery'],
  ['type', 'cluster_type'],
  ['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header', 'host_rewrite_path_regex'],
];
const ONEOF_OF = new Map<string, string[]>();
for (const g of ONEOFS) for (const f of g) ONEOF_OF.set(f, g);

const TYPED_STRUCT = new Set(['type.googleapis.com/udpa.type.v1.TypedStruct', 'type.googleapis.com/xds.type.v3.TypedStruct']);

export function isTypedStruct(o: JsonObject): boolean {
  return typeof o['@type'] === 'string' && TYPED_STRUCT.has(o['@type']);
}

/** Is `key` of `parent` a google.protobuf.Struct (free-form JSON whose keys are map keys)? */
function isStructField(parent: JsonObject, key: string): boolean {
  return key === 'value' && isTypedStruct(parent);
}

export interface MergeOptions {
  replaceList?: boolean;
}

/** Merges `src` into `dst` in place with proto merge semantics. */
export function protoMerge(dst: JsonObject, src: JsonObject, opts: MergeOptions = {}): void {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    const group = ONEOF_OF.get(k);
    if (group) for (const other of group) if (other !== k && other in dst) delete dst[other];
    if (MAP_FIELDS.has(k) && isObject(v)) {
      const m = isObject(dst[k]) ? dst[k] : (dst[k] = {});
      for (const [mk, mv] of Object.entries(v)) m[mk] = clone(mv);
    } else if (isStructField(src, k) && isObject(v)) {
      const m = isObject(dst[k]) ? dst[k] : (dst[k] = {});
      for (const [mk, mv] of Object.entries(v)) m[mk] = clone(mv);
    } else if (Array.isArray(v)) {
      const cur = dst[k];
      const out = opts.replaceList || !Array.isArray(cur) ? [] : cur;
      for (const e of v) out.push(clone(e));
      dst[k] = out;
    } else if (isObject(v)) {
      if ('@type' in v) {
        // An Any merged as an ordinary field: type_url and value are both overwritten.
        dst[k] = clone(v);
      } else {
        const cur = dst[k];
        const target = isObject(cur) && !('@type' in cur) ? cur : (dst[k] = {});
        protoMerge(target, v, opts);
      }
    } else {
      dst[k] = v;
    }
  }
}

/** Thrown where istiod's merge panics; the caller emulates `runtime.HandleCrash`. */
export class PatchPanic extends Error {}

/**
 * istiod's `util.MergeAnyWithAny`: both Anys are decoded to their own types and merged; with different
 * types `merge.Merge` panics ("descriptor mismatch"), which the listener patcher recovers from by
 * dropping the remaining listener patches. Returns the merged Any (a new object).
 */
export function mergeAnyWithAny(dst: JsonObject, src: JsonObject): JsonObject {
  if (dst['@type'] !== src['@type']) {
    throw new PatchPanic(`descriptor mismatch: ${String(dst['@type'])} != ${String(src['@type'])}`);
  }
  const out = clone(dst);
  protoMerge(out, src);
  return out;
}

const CAMEL = /^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/;
function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Rewrites lowerCamelCase proto JSON names (`typedConfig`, `httpFilters`) to the field names
 * (`typed_config`, `http_filters`), as jsonpb accepts both. Map keys and Struct contents are kept.
 */
export function normalizeKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map((e) => normalizeKeys(e));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  const typedStruct = isTypedStruct(v);
  for (const [k0, val] of Object.entries(v)) {
    const k = k0 !== '@type' && CAMEL.test(k0) ? snake(k0) : k0;
    if (MAP_FIELDS.has(k) && isObject(val)) {
      const m: JsonObject = {};
      for (const [mk, mv] of Object.entries(val)) m[mk] = MAP_OF_STRUCT.has(k) ? clone(mv) : normalizeKeys(mv);
      out[k] = m;
    } else if (typedStruct && k === 'value') {
      out[k] = clone(val);
    } else {
      out[k] = normalizeKeys(val);
    }
  }
  return out;
}
