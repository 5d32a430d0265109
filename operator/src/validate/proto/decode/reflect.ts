/**
 * What the decoder knows of a protobufjs message type and of a whole Root, computed once and
 * cached: fields by proto and JSON name, oneofs, PGV rules, extension categories, well-known
 * types; every type of a Root by full name, by simple name and by its v2 name.
 */
import protobuf from 'protobufjs';
import { FIELD_CATEGORIES, type ExtensionCategory } from '../categories.js';
import type * as pgv from '../pgv.js';

export type Scalar = 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32' | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

export type Wkt = 'any' | 'duration' | 'timestamp' | 'struct' | 'value' | 'listvalue' | 'fieldmask' | 'wrapper';

export interface OneofInfo {
  name: string;
  index: number;
  required: boolean;
  fields: FieldInfo[];
}

export interface FieldInfo {
  index: number;
  name: string;
  jsonName: string;
  repeated: boolean;
  map: boolean;
  keyType: Scalar | undefined;
  /** Scalar type of the field (or of map values); undefined for enums and messages. */
  scalar: Scalar | undefined;
  enumType: protobuf.Enum | undefined;
  messageType: protobuf.Type | undefined;
  oneof: OneofInfo | undefined;
  /** proto3 `optional`: has presence. */
  optional: boolean;
  deprecated: boolean;
  rules: pgv.Rules | undefined;
  categories: readonly ExtensionCategory[] | undefined;
  /** `null` is a value (google.protobuf.Value, NullValue), not "unset". */
  nullable: boolean;
  /** An Any field where `{}` (no type) is meaningful. */
  emptyAnyOk: boolean;
  /** A string field holding a type URL that must resolve (ECDS `type_urls`). */
  typeUrl: boolean;
  /** {@link fieldSignature}, computed when first needed. */
  signature?: number;
}

export interface TypeInfo {
  type: protobuf.Type;
  fullName: string;
  fields: FieldInfo[];
  byKey: Map<string, FieldInfo>;
  oneofs: OneofInfo[];
  /** PGV enabled for this message (not `(validate.disabled)`/`(validate.ignored)`). */
  pgv: boolean;
  /** Any field rule or required oneof: values must be recorded while decoding. */
  needsValues: boolean;
  wkt: Wkt | undefined;
  /** Wrapper types: the wrapped scalar. */
  wrapped: Scalar | undefined;
  /** {@link rulesSignature}, computed when first needed. */
  signature?: number;
  /** {@link wholeSignature}, computed when first needed. */
  whole?: number;
}

const WKT: Record<string, Wkt> = {
  'google.protobuf.Any': 'any',
  'google.protobuf.Duration': 'duration',
  'google.protobuf.Timestamp': 'timestamp',
  'google.protobuf.Struct': 'struct',
  'google.protobuf.Value': 'value',
  'google.protobuf.ListValue': 'listvalue',
  'google.protobuf.FieldMask': 'fieldmask',
};
const WRAPPERS: Record<string, Scalar> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/**
 * `config: {}` in a FilterConfig enables a filter the HCM lists as `disabled` (route-based filter
 * chains) — for Envoy's own loader only: istiod cannot decode an Any without "@type" (see `any` in ../decode.ts).
 */
const EMPTY_ANY_OK = new Set(['envoy.config.route.v3.FilterConfig.config']);

/** String fields whose values are type URLs of this API. */
const TYPE_URL_FIELDS = new Set(['envoy.config.core.v3.ExtensionConfigSource.type_urls']);

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();

export function typeInfo(type: protobuf.Type): TypeInfo {
  let ti = typeInfos.get(type);
  if (ti) return ti;
  const fullName = type.fullName.replace(/^\./, '');
  const topts = (type.options ?? {}) as Record<string, unknown>;
  const fields: FieldInfo[] = [];
  const byKey = new Map<string, FieldInfo>();
  const oneofs: OneofInfo[] = [];
  const oneofByName = new Map<string, OneofInfo>();
  for (const o of type.oneofsArray) {
    const members = o.fieldsArray;
    const synthetic = members.length === 1 && members[0]?.options?.['proto3_optional'] === true;
    if (synthetic) continue;
    const oi: OneofInfo = {
      name: o.name,
      index: oneofs.length,
      required: o.options?.['(validate.required)'] === true,
      fields: [],
    };
    oneofs.push(oi);
    oneofByName.set(o.name, oi);
  }
  let needsValues = oneofs.some((o) => o.required);
  for (const f of type.fieldsArray) {
    f.resolve();
    const fopts = (f.options ?? {}) as Record<string, unknown>;
    const rt = f.resolvedType;
    const rules = fopts['(validate.rules)'] as pgv.Rules | undefined;
    const fi: FieldInfo = {
      index: fields.length,
      name: f.name,
      jsonName: (f as unknown as { jsonName?: string }).jsonName ?? lowerCamel(f.name),
      repeated: f.repeated,
      map: f.map,
      keyType: f.map ? ((f as unknown as protobuf.MapField).keyType as Scalar) : undefined,
      scalar: rt ? undefined : (f.type as Scalar),
      enumType: rt instanceof protobuf.Enum ? rt : undefined,
      messageType: rt instanceof protobuf.Type ? rt : undefined,
      oneof: f.partOf ? oneofByName.get(f.partOf.name) : undefined,
      optional: fopts['proto3_optional'] === true,
      deprecated: fopts['deprecated'] === true,
      rules: rules && Object.keys(rules).length > 0 ? rules : undefined,
      categories: FIELD_CATEGORIES.get(`${fullName}.${f.name}`),
      emptyAnyOk: EMPTY_ANY_OK.has(`${fullName}.${f.name}`),
      typeUrl: TYPE_URL_FIELDS.has(`${fullName}.${f.name}`),
      nullable: (rt instanceof protobuf.Enum && rt.fullName === '.google.protobuf.NullValue') || (rt instanceof protobuf.Type && rt.fullName === '.google.protobuf.Value'),
    };
    if (fi.rules) needsValues = true;
    fi.oneof?.fields.push(fi);
    fields.push(fi);
    byKey.set(fi.name, fi);
    if (fi.jsonName !== fi.name) byKey.set(fi.jsonName, fi);
  }
  ti = {
    type,
    fullName,
    fields,
    byKey,
    oneofs,
    pgv: topts['(validate.disabled)'] !== true && topts['(validate.ignored)'] !== true,
    needsValues,
    wkt: WKT[fullName],
    wrapped: WRAPPERS[fullName],
  };
  typeInfos.set(type, ti);
  return ti;
}

function lowerCamel(s: string): string {
  return s.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// -- root-wide indexes (type names, v2 → v3) ----------------------------------------------------

export interface RootIndex {
  names: string[];
  /** Exact full name → type (protobufjs' own lookup also finds partial, relative matches). */
  byName: Map<string, protobuf.Type>;
  /** v2 (previous_message_type) → v3 full name. */
  v2: Map<string, string>;
  bySimple: Map<string, string[]>;
}
const rootIndexes = new WeakMap<protobuf.Root, RootIndex>();

export function rootIndex(root: protobuf.Root): RootIndex {
  let idx = rootIndexes.get(root);
  if (idx) return idx;
  const names: string[] = [];
  const byName = new Map<string, protobuf.Type>();
  const v2 = new Map<string, string>();
  const bySimple = new Map<string, string[]>();
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) {
        const full = n.fullName.slice(1);
        names.push(full);
        byName.set(full, n);
        const simple = n.name;
        const l = bySimple.get(simple);
        if (l) l.push(full);
        else bySimple.set(simple, [full]);
        const prev: unknown = n.options?.['(udpa.annotations.versioning).previous_message_type'];
        if (typeof prev === 'string' && !v2.has(prev)) v2.set(prev, full);
      }
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
    }
  };
  walk(root);
  idx = { names, byName, v2, bySimple };
  rootIndexes.set(root, idx);
  return idx;
}

export function lookupType(root: protobuf.Root, name: string): protobuf.Type | undefined {
  return rootIndex(root).byName.get(name.startsWith('.') ? name.slice(1) : name);
}
