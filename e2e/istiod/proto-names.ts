/**
 * istiod's debug endpoints print protos with golang/protobuf's jsonpb (lowerCamelCase field names);
 * Envoy's admin /config_dump and our baselines use the proto field names (snake_case). This renames
 * fields by walking the JSON alongside the proto schema, so user data (map keys, Struct and
 * TypedStruct values, metadata) is never renamed. Types missing from the Envoy descriptor set
 * (Istio's own filter configs) fall back to renaming lowerCamelCase keys of plain fields.
 */
import type protobuf from 'protobufjs';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Well-known types whose JSON form is not a message's field map: kept as they are. */
const OPAQUE = new Set([
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.Empty',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.UInt64Value',
]);

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const fullName = (t: protobuf.Type): string => t.fullName.replace(/^\./, '');

function fallback(v: Json): Json {
  if (Array.isArray(v)) return v.map(fallback);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, e] of Object.entries(v)) out[k === '@type' ? k : snake(k)] = fallback(e);
  return out;
}

/** Converts an Any in JSON form (`{"@type": …, …fields}`). */
export function anyToProtoNames(root: protobuf.Root, v: Json): Json {
  if (!isObj(v) || typeof v['@type'] !== 'string') return v;
  const typeName = v['@type'].slice(v['@type'].lastIndexOf('/') + 1);
  let t: protobuf.Type | undefined;
  try {
    t = root.lookupType(typeName);
  } catch {
    t = undefined;
  }
  if (!t) return fallback(v);
  if (OPAQUE.has(fullName(t))) return v; // {"@type": …, "value": …}
  const { ['@type']: at, ...rest } = v;
  return { '@type': at, ...(messageToProtoNames(root, t, rest) as Obj) };
}

/** Renames the fields of a message of type `t` (JSON form), recursively. */
export function messageToProtoNames(root: protobuf.Root, t: protobuf.Type, v: Json): Json {
  if (!isObj(v)) return v;
  const name = fullName(t);
  if (OPAQUE.has(name)) return v;
  if (name === 'google.protobuf.Any') return anyToProtoNames(root, v);
  const byJson = new Map<string, protobuf.Field>();
  for (const f of t.fieldsArray) {
    byJson.set(f.name, f);
    byJson.set((f as protobuf.Field & { jsonName?: string }).jsonName ?? f.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), f);
  }
  const out: Obj = {};
  for (const [k, e] of Object.entries(v)) {
    const f = byJson.get(k);
    if (!f) {
      out[snake(k)] = fallback(e);
      continue;
    }
    f.resolve();
    const sub = f.resolvedType;
    const conv = (x: Json): Json => (sub && 'fieldsArray' in sub ? messageToProtoNames(root, sub, x) : x);
    if ((f as { map?: boolean }).map) {
      out[f.name] = isObj(e) ? Object.fromEntries(Object.entries(e).map(([mk, mv]) => [mk, conv(mv)])) : e;
    } else if (f.repeated && Array.isArray(e)) {
      out[f.name] = e.map(conv);
    } else {
      out[f.name] = conv(e);
    }
  }
  return out;
}

const DURATION = /^(-?\d+)(?:\.(\d+))?s$/;

/**
 * Proto3 canonical form of a message in JSON form, for comparing configs that took different
 * paths (a patch value as written vs istiod's marshalled proto): enum numbers become names, default
 * scalars and enums (the zero value) are dropped as the wire drops them, int64 strings become numbers,
 * durations lose trailing zeros, empty lists and maps are dropped. Unknown fields are kept (they are
 * a real difference). Types missing from the descriptor set are compared as they are.
 */
export function canonical(root: protobuf.Root, t: protobuf.Type, v: Json): Json | undefined {
  if (!isObj(v)) return scalar(v); // well-known types in string form: durations, timestamps
  const name = fullName(t);
  if (name === 'google.protobuf.Any') return canonicalAny(root, v);
  if (OPAQUE.has(name)) return scalar(v);
  const out: Obj = {};
  for (const [k, e] of Object.entries(v)) {
    const f = t.fields[k];
    const c = f ? canonicalField(root, f, e) : scalar(e);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function canonicalAny(root: protobuf.Root, v: Obj): Json {
  if (typeof v['@type'] !== 'string') return v;
  const typeName = v['@type'].slice(v['@type'].lastIndexOf('/') + 1);
  let t: protobuf.Type | undefined;
  try {
    t = root.lookupType(typeName);
  } catch {
    return scalar(v) ?? {};
  }
  if (OPAQUE.has(fullName(t))) return scalar(v) ?? {};
  const { ['@type']: at, ...rest } = v;
  return { '@type': at, ...((canonical(root, t, rest) as Obj | undefined) ?? {}) };
}

function canonicalField(root: protobuf.Root, f: protobuf.Field, e: Json): Json | undefined {
  f.resolve();
  const sub = f.resolvedType;
  const one = (x: Json): Json | undefined => {
    if (sub && 'values' in sub && !('fieldsArray' in sub)) {
      const en = sub;
      const nameOf = typeof x === 'number' ? en.valuesById[x] : x;
      // A oneof member or an optional field keeps its zero value (presence); others drop it.
      if (en.values[String(nameOf)] === 0 && !f.partOf && !f.options?.['proto3_optional']) return undefined;
      return nameOf ?? x;
    }
    if (sub && 'fieldsArray' in sub) return canonical(root, sub as protobuf.Type, x) ?? {};
    return f.partOf ? x : scalar(x);
  };
  if ((f as { map?: boolean }).map) {
    if (!isObj(e)) return e;
    const entries = Object.entries(e).map(([k, x]) => [k, one(x) ?? null] as const);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  if (f.repeated && Array.isArray(e)) return e.length === 0 ? undefined : e.map((x) => one(x) ?? null);
  return one(e);
}

function scalar(v: Json): Json | undefined {
  if (v === false || v === 0 || v === '' || v === null) return undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v) && v.length < 16) return Number(v);
  if (typeof v === 'string' && DURATION.test(v)) {
    const m = DURATION.exec(v)!;
    return `${Number(`${m[1]}.${m[2] ?? '0'}`)}s`;
  }
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => scalar(x) ?? null);
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, e] of Object.entries(v)) {
      const c = scalar(e);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v;
}
