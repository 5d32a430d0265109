/**
 * Strict decode of JSON (as it appears in an Istio EnvoyFilter `patch.value`, with `@type` Any
 * fields) against the real Envoy API message types of one Envoy version, the way Envoy's own
 * JSON/YAML loader reads it, plus the protoc-gen-validate rules of those types.
 *
 * - unknown field = error (MW201), with the closest known field suggested; proto names
 *   (`stat_prefix`) and JSON names (`statPrefix`) are both accepted;
 * - wrong JSON type, bad enum value, bad Duration/Timestamp text (MW204);
 * - `google.protobuf.Any`: `@type` required and resolvable in this version, v2 names get the v3
 *   name as a hint (MW202); the extension category must fit the field (MW203);
 * - `udpa.type.v1.TypedStruct` / `xds.type.v3.TypedStruct` are unwrapped and their `value` decoded
 *   as `type_url`, with a warning that istiod does not look inside (MW207);
 * - two members of a oneof (MW205), PGV rules (MW206), deprecated fields/enum values (MW208).
 *
 * Paths are relative to the JSON given, use the keys as written (`statPrefix` stays
 * `statPrefix`) and, for absent fields, the proto name: `token_bucket.fill_interval`.
 */
import protobuf from 'protobufjs';
import { formatPath } from '../../diagnostics.js';
import type { Finding, Rule } from '../rule.js';
import {
  categoryLabel,
  extensionCategory,
  FIELD_CATEGORIES,
  isIstioProxyType,
  istioProxyCategory,
  type ExtensionCategory,
} from './categories.js';
import { loadedSchemas, rootVersion } from './load.js';
import * as pgv from './pgv.js';
import { editDistance } from '../../util/edit-distance.js';
import {
  badValue,
  deprecatedField,
  notChecked,
  oneofConflict,
  pgvViolation,
  typedStructHides,
  unknownField,
  unknownType,
  wrongCategory,
} from './rules.js';

export interface DecodeOptions {
  /** Evaluate protoc-gen-validate rules (default true). */
  pgv?: boolean;
  /**
   * The JSON is a partial message merged into an existing one (EnvoyFilter `MERGE`): rules that
   * need a field to be present (required, min_len of an absent string, min_items of an absent list,
   * required oneofs) are not applied to absent fields.
   */
  partial?: boolean;
  /** Allowed extension categories of the top-level message's `typed_config` (Any) field, or of the top-level Any itself. */
  typedConfigCategories?: readonly ExtensionCategory[];
  /** Where the config is used, for messages: `applyTo: LISTENER_FILTER`. */
  context?: string;
  /** Stop after this many findings (default 100). */
  maxFindings?: number;
  /** Ignore an `@type` key at the top level (the JSON is the body of an Any whose type was checked by the caller). */
  skipTypeKey?: boolean;
  /**
   * Whose JSON parser the config meets first (default `istiod`).
   * - `istiod`: an EnvoyFilter `patch.value` is decoded by istiod (golang/protobuf `jsonpb`, unknown
   *   fields allowed): Durations are Go durations (`"60s"`, `"1m"`, `"500ms"`), and the object forms
   *   of Duration and wrappers, bools written as strings and enum names in the wrong case are errors.
   * - `envoy`: Envoy's own JSON/YAML loader (static bootstrap): Durations only as `"1.5s"` or
   *   `{seconds, nanos}`, wrappers also as `{value}`, bools also as strings, enum names in any case.
   */
  dialect?: 'istiod' | 'envoy';
}

type Scalar =
  | 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

type Wkt = 'any' | 'duration' | 'timestamp' | 'struct' | 'value' | 'listvalue' | 'fieldmask' | 'wrapper';

interface OneofInfo {
  name: string;
  index: number;
  required: boolean;
  fields: FieldInfo[];
}

interface FieldInfo {
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

interface TypeInfo {
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
export const TYPED_STRUCT_TYPES: readonly string[] = ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'];

/**
 * `config: {}` in a FilterConfig enables a filter the HCM lists as `disabled` (route-based filter
 * chains) — for Envoy's own loader only: istiod cannot decode an Any without "@type" (see `any`).
 */
const EMPTY_ANY_OK = new Set(['envoy.config.route.v3.FilterConfig.config']);

/**
 * FilterConfig{config: {"@type": FilterConfig}, is_optional: true} enables a disabled filter with
 * its listener-level config in a form istiod can decode: no HTTP filter claims the inner type, so
 * Envoy skips it as optional (router/per_filter_config.cc). Without is_optional Envoy rejects it.
 */
const ENABLE_MARKER_CATEGORIES: readonly ExtensionCategory[] = ['envoy.filters.http', 'envoy.route.filter_config'];
function isEnableMarkerHolder(json: unknown): boolean {
  return isObject(json) && (json['is_optional'] === true || json['isOptional'] === true);
}

/** String fields whose values are type URLs of this API. */
const TYPE_URL_FIELDS = new Set(['envoy.config.core.v3.ExtensionConfigSource.type_urls']);

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
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
    const synthetic = members.length === 1 && (members[0]?.options as Record<string, unknown> | undefined)?.['proto3_optional'] === true;
    if (synthetic) continue;
    const oi: OneofInfo = {
      name: o.name,
      index: oneofs.length,
      required: (o.options as Record<string, unknown> | undefined)?.['(validate.required)'] === true,
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
      nullable:
        (rt instanceof protobuf.Enum && rt.fullName === '.google.protobuf.NullValue') ||
        (rt instanceof protobuf.Type && rt.fullName === '.google.protobuf.Value'),
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

/** Fields removed with the v2 API that still show up in EnvoyFilters: `<message>.<field>` → hint. */
const REMOVED_FIELDS: ReadonlyMap<string, string> = new Map([
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.listener.v3.Filter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.listener.v3.ListenerFilter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.accesslog.v3.AccessLog.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.core.v3.TransportSocket.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.cluster.v3.Cluster.hosts', 'the v2 "hosts" field was removed: without load_assignment the cluster has no endpoints (503s); use "load_assignment"'],
  ['envoy.config.cluster.v3.Cluster.tls_context', 'the v2 "tls_context" field was removed: use "transport_socket" with envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'],
  ['envoy.config.listener.v3.FilterChain.tls_context', 'the v2 "tls_context" field was removed: use "transport_socket" with envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'],
]);

function lowerCamel(s: string): string {
  return s.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Default-valued JSON: Envoy warns about a deprecated field only when it is set to something. */
function isEmptyJson(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

// -- root-wide indexes (type names, v2 → v3) ----------------------------------------------------

interface RootIndex {
  names: string[];
  /** Exact full name → type (protobufjs' own lookup also finds partial, relative matches). */
  byName: Map<string, protobuf.Type>;
  /** v2 (previous_message_type) → v3 full name. */
  v2: Map<string, string>;
  bySimple: Map<string, string[]>;
}
const rootIndexes = new WeakMap<protobuf.Root, RootIndex>();

function rootIndex(root: protobuf.Root): RootIndex {
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
        const prev = (n.options as Record<string, unknown> | undefined)?.['(udpa.annotations.versioning).previous_message_type'];
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

function lookupType(root: protobuf.Root, name: string): protobuf.Type | undefined {
  return rootIndex(root).byName.get(name.startsWith('.') ? name.slice(1) : name);
}

// -- one decode for the Envoy versions that read a value alike -----------------------------------

/** What a decode read of one type. */
interface TypeUse {
  /** -1: no such type; 0: the type was only looked up (it exists); else its {@link rulesSignature} + 1. */
  rules: number;
  /** The {@link wholeSignature} of the type (when read): a type equal as a whole reads alike whatever was read of it. */
  whole: number;
  /** The keys of the JSON read as fields of this type, with the {@link fieldSignature} of each. */
  keys: Map<string, number>;
  /**
   * The PGV rules of single-valued fields, by outcome: the value they judged (as decoded) and
   * what they said. Rules that changed between versions (`gt: 0` → `gte: 0`) mostly judge a
   * value alike.
   */
  ruled: Array<{ field: string; value: unknown; present: boolean; messages: string[] }>;
}

/**
 * The types a decode looked up in its Root and what it read of each; `undefined` when its
 * findings depend on the Root as a whole (they name the Envoy version, search every type,
 * or compare with other loaded versions).
 */
export type DecodeDeps = ReadonlyMap<string, TypeUse> | undefined;

/** Interned signatures: equal numbers mean equal text, whichever Root they come from. */
const signatureIds = new Map<string, number>();
function intern(text: string): number {
  let id = signatureIds.get(text);
  if (id === undefined) signatureIds.set(text, (id = signatureIds.size));
  return id;
}
const bigintSafe = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/**
 * Everything the decoder reads of one field: names, type (a message type by name only: a decode
 * that enters it records that type itself), enum values, oneof, presence, deprecation, PGV rules
 * (of a single-valued field only whether a message is skipped: the others are judged by outcome,
 * see {@link TypeUse.ruled}).
 */
function fieldSignature(f: FieldInfo): number {
  if (f.signature !== undefined) return f.signature;
  const e = f.enumType;
  const text = JSON.stringify(
    [
      f.name, f.jsonName, f.repeated, f.map, f.keyType ?? null, f.scalar ?? null, f.messageType?.fullName ?? null,
      e ? [e.fullName, e.values, (e as unknown as { valuesOptions?: unknown }).valuesOptions ?? null] : null,
      f.oneof ? [f.oneof.name, f.oneof.required] : null,
      f.optional, f.deprecated, f.nullable, structuralRules(f), f.categories ?? null, f.emptyAnyOk, f.typeUrl,
    ],
    bigintSafe,
  );
  return (f.signature = intern(text));
}

/** The rules of a field that the decode reads other than by outcome. */
function structuralRules(f: FieldInfo): unknown {
  return f.repeated || f.map ? (f.rules ?? null) : (f.rules?.['message'] ?? null);
}

/**
 * What the decoder reads of a message whatever its JSON holds: its PGV switch, required oneofs
 * and the fields with rules (the single-valued ones by name: their rules are judged by outcome).
 */
function rulesSignature(ti: TypeInfo): number {
  if (ti.signature !== undefined) return ti.signature;
  const text = JSON.stringify([
    ti.fullName,
    ti.pgv,
    ti.needsValues,
    ti.oneofs.filter((o) => o.required).map((o) => o.name),
    ti.fields.filter((f) => f.rules !== undefined).map((f) => (f.repeated || f.map ? fieldSignature(f) : f.name)),
  ]);
  return (ti.signature = intern(text));
}

/** Everything the decoder can read of a message, as one number: most types are equal as a whole between versions. */
function wholeSignature(ti: TypeInfo): number {
  if (ti.whole !== undefined) return ti.whole;
  const text = JSON.stringify(
    [rulesSignature(ti), ti.oneofs.map((o) => [o.name, o.required, o.fields.map((f) => f.name)]), ti.fields.map((f) => [fieldSignature(f), f.rules ?? null])],
    bigintSafe,
  );
  return (ti.whole = intern(text));
}

/** True when every type a decode recorded reads the same in `root`: decoding there gives the same findings. */
export function readsAlike(root: protobuf.Root, deps: NonNullable<DecodeDeps>): boolean {
  for (const [name, use] of deps) {
    const type = lookupType(root, name);
    if (!type || use.rules === -1) {
      if (type || use.rules !== -1) return false;
      continue;
    }
    if (use.rules === 0) continue;
    const ti = typeInfo(type);
    if (wholeSignature(ti) === use.whole) continue;
    if (rulesSignature(ti) + 1 !== use.rules) return false;
    for (const [key, signature] of use.keys) {
      const f = ti.byKey.get(key);
      if ((f ? fieldSignature(f) : -1) !== signature) return false;
    }
    for (const { field, value, present, messages } of use.ruled) {
      const f = ti.byKey.get(field);
      if (!f?.rules) return false;
      const mine = singleFieldRules(f.rules, f, value, present);
      if (mine.length !== messages.length || mine.some((m, i) => m !== messages[i])) return false;
    }
  }
  return true;
}

/** The candidate closest to `s`, if close enough to be a plausible typo. */
export function closest(s: string, candidates: Iterable<string>): string | undefined {
  const norm = (x: string) => x.toLowerCase().replace(/[_-]/g, '');
  const ns = norm(s);
  const max = Math.max(1, Math.min(3, Math.floor(s.length / 4)));
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    if (norm(c) === ns) return c;
    const d = editDistance(s, c, max);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

const LOOKS_V2 = /^envoy\.api\.v2\.|^envoy\.config\.filter\.|^envoy\.config\.[a-z_.]+\.v2(alpha\d*)?\.|\.v2(alpha\d*)?\.[A-Z]/;

/**
 * v2-era Envoy types. go-control-plane still ships their generated packages (envoy/api/v2,
 * envoy/config/filter/..., envoy/type/...), so they are in the descriptor sets, but Envoy has not
 * accepted them since v2 was removed (1.18): `Didn't find a registered implementation`.
 */
export function isV2Type(name: string): boolean {
  if (!name.startsWith('envoy.')) return false;
  const pkg = name.slice(0, name.search(/\.[A-Z]/) < 0 ? name.length : name.search(/\.[A-Z]/));
  return (
    /(^|\.)v2(alpha\d*|beta\d*)?(\.|$)/.test(pkg) ||
    pkg.startsWith('envoy.config.filter.') ||
    pkg === 'envoy.type' ||
    pkg === 'envoy.type.matcher'
  );
}

// -- the decoder --------------------------------------------------------------------------------

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const FLOAT_MAX = 3.4028234663852886e38;
const MAX_DURATION_S = 315576000000;
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{0,9}))?s$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Bool spellings Envoy's loader accepts in strings (checked against envoy --mode validate). */
const ENVOY_BOOL_TEXT = new Map([['true', true], ['false', false], ['yes', true], ['no', false]]);
/** Go's time.ParseDuration, which istiod's jsonpb uses for google.protobuf.Duration. */
const GO_DURATION_RE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const GO_UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** The result of decoding a value: `undefined` when the JSON could not be decoded (already reported). */
type Decoded = unknown;
const INVALID = Symbol('invalid');

class Decoder {
  readonly findings: Finding[] = [];
  readonly segs: Array<string | number> = [];
  private readonly pgvOn: boolean;
  private readonly partial: boolean;
  private readonly max: number;
  private depth = 0;
  private full = false;
  private readonly envoyDialect: boolean;
  /** What the findings depend on (see {@link DecodeDeps}); `undefined` once they depend on the whole Root. */
  deps: Map<string, TypeUse> | undefined = new Map();

  constructor(
    readonly root: protobuf.Root,
    readonly opts: DecodeOptions,
  ) {
    this.pgvOn = opts.pgv !== false;
    this.partial = opts.partial === true;
    this.max = opts.maxFindings ?? 100;
    this.envoyDialect = opts.dialect === 'envoy';
  }

  private path(extra?: string | number): string {
    if (extra === undefined) return formatPath(this.segs);
    this.segs.push(extra);
    const p = formatPath(this.segs);
    this.segs.pop();
    return p;
  }

  report(rule: Rule, message: string, hint?: string, extra?: string | number, severity?: Finding['severity']): void {
    if (this.full) return;
    this.findings.push(rule.finding(this.path(extra), message, hint, severity));
    if (this.findings.length >= this.max) this.full = true;
  }

  /** Looks a type up by name, recording what was found. */
  lookup(name: string): protobuf.Type | undefined {
    const type = lookupType(this.root, name);
    if (this.deps && !this.deps.has(name)) this.deps.set(name, { rules: type ? 0 : -1, whole: -1, keys: new Map(), ruled: [] });
    return type;
  }

  /** Records that the decode reads message `ti`; returns where to record the keys it reads. */
  private use(ti: TypeInfo): TypeUse | undefined {
    if (!this.deps) return undefined;
    let u = this.deps.get(ti.fullName);
    if (!u) this.deps.set(ti.fullName, (u = { rules: 0, whole: -1, keys: new Map(), ruled: [] }));
    if (u.rules === 0) {
      u.rules = rulesSignature(ti) + 1;
      u.whole = wholeSignature(ti);
    }
    return u;
  }

  /** The findings being made depend on more than the types looked up. */
  private rootWide(): void {
    this.deps = undefined;
  }

  private get versionText(): string {
    this.rootWide();
    const v = rootVersion(this.root);
    return v ? `the Envoy ${v} API` : 'this Envoy API';
  }

  // ---- messages ----

  /**
   * Decodes `json` as message `type`. `skipType` skips an `@type` key (message inside an Any).
   * `topCategories` applies to a `typed_config` field of this message.
   */
  message(type: protobuf.Type, json: unknown, pgvOn: boolean, skipType = false, topCategories?: readonly ExtensionCategory[]): Decoded {
    const ti = typeInfo(type);
    const use = this.use(ti);
    if (ti.wkt !== undefined || ti.wrapped !== undefined) return this.wellKnown(ti, json, pgvOn);
    if (!isObject(json)) {
      this.report(badValue, `expected an object (${ti.fullName}), got ${describe(json)}`);
      return INVALID;
    }
    if (++this.depth > 64) {
      this.depth--;
      this.report(badValue, 'config nested too deeply (more than 64 levels)');
      return INVALID;
    }
    const checkRules = pgvOn && ti.pgv && ti.needsValues;
    const values: unknown[] | undefined = checkRules ? new Array(ti.fields.length) : undefined;
    const keys: string[] | undefined = checkRules ? new Array(ti.fields.length) : undefined;
    let seen: Array<string | undefined> | undefined;
    let oneofSet: Array<FieldInfo | undefined> | undefined;
    for (const key of Object.keys(json)) {
      if (this.full) break;
      const v = json[key];
      const fi = ti.byKey.get(key);
      if (fi === undefined) {
        if (skipType && key === '@type') continue;
        this.unknownKey(ti, key);
        continue;
      }
      if (use && this.deps) use.keys.set(key, fieldSignature(fi));
      seen ??= new Array(ti.fields.length);
      const prevKey = seen[fi.index];
      if (prevKey !== undefined) {
        this.report(badValue, `field "${fi.name}" is set twice, as "${prevKey}" and "${key}": one of them is silently ignored`, 'keep one of them', key, 'warning');
        continue;
      }
      seen[fi.index] = key;
      // null leaves a field unset (except for google.protobuf.Value and NullValue).
      if (v === null && !fi.nullable) continue;
      if (fi.oneof) {
        oneofSet ??= new Array(ti.oneofs.length);
        const other = oneofSet[fi.oneof.index];
        if (other !== undefined) {
          this.rootWide(); // the hint lists every member of the oneof
          this.report(
            oneofConflict,
            `"${other.name}" and "${fi.name}" are both set, but they belong to oneof "${fi.oneof.name}" of ${ti.fullName}`,
            `set only one of ${fi.oneof.fields.map((f) => f.name).join(', ')}`,
            key,
          );
        } else oneofSet[fi.oneof.index] = fi;
      }
      if (fi.deprecated && !isEmptyJson(v)) {
        this.report(
          deprecatedField,
          `"${fi.name}" of ${ti.fullName} is deprecated in ${this.versionText}`,
          'Envoy logs a deprecation warning for it and may reject it in a later release; see the field\'s documentation for its replacement',
          key,
        );
      }
      this.segs.push(key);
      const cats = fi.name === 'typed_config' && topCategories ? topCategories : fi.emptyAnyOk && isEnableMarkerHolder(json) ? ENABLE_MARKER_CATEGORIES : fi.categories;
      const decoded = this.field(fi, v, pgvOn && ti.pgv, cats);
      this.segs.pop();
      if (values && keys) {
        values[fi.index] = decoded;
        keys[fi.index] = key;
      }
    }
    if (checkRules && values && keys) this.messageRules(ti, values, keys, oneofSet, use);
    this.depth--;
    return json;
  }

  private unknownKey(ti: TypeInfo, key: string): void {
    this.rootWide(); // the hint looks into other versions and nested types
    const names = ti.fields.map((f) => f.name);
    let hint: string | undefined;
    const other = this.otherVersionsWith(ti.fullName, key);
    const guess = closest(key, [...names, ...ti.fields.map((f) => f.jsonName)]);
    const removed = REMOVED_FIELDS.get(`${ti.fullName}.${key}`);
    if (removed !== undefined) {
      hint = removed;
    } else if (other.length > 0) {
      hint = `"${key}" exists in the Envoy ${other.join(', ')} API but not in ${this.versionText}: check the Envoy version your Istio targets`;
    } else if (key === '@type') {
      hint = `"@type" belongs only in a google.protobuf.Any field such as typed_config; ${ti.fullName} is not an Any`;
    } else if (guess !== undefined) {
      const g = ti.byKey.get(guess);
      hint = `did you mean "${g && key.includes('_') ? g.name : guess}"?`;
    } else if (this.nestedOwner(ti, key) !== undefined) {
      const owner = this.nestedOwner(ti, key)!;
      hint = `"${key}" is a field of ${typeInfo(owner.messageType!).fullName}: put it inside "${owner.name}"`;
    } else if (names.length > 0) {
      hint = `known fields: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`;
    }
    this.report(unknownField, `unknown field "${key}" in ${ti.fullName}`, hint, key);
  }

  /** A message field of `ti` whose own type has a field `key` (a field written one level too high). */
  private nestedOwner(ti: TypeInfo, key: string): FieldInfo | undefined {
    return ti.fields.find((f) => f.messageType && !f.map && typeInfo(f.messageType).byKey.has(key));
  }

  /** Other loaded Envoy versions whose `typeName` has a field called `key`. */
  private otherVersionsWith(typeName: string, key: string): string[] {
    const mine = rootVersion(this.root);
    const out: string[] = [];
    for (const s of loadedSchemas()) {
      if (s.root === this.root || s.version === mine) continue;
      const t = lookupType(s.root, typeName);
      if (t && typeInfo(t).byKey.has(key)) out.push(s.version);
    }
    return out.sort();
  }

  private field(fi: FieldInfo, v: unknown, pgvOn: boolean, cats: readonly ExtensionCategory[] | undefined): Decoded {
    if (fi.map) {
      if (!isObject(v)) {
        this.report(badValue, `expected an object (map of ${fi.keyType} to ${this.valueTypeName(fi)}), got ${describe(v)}`);
        return INVALID;
      }
      const out: Record<string, Decoded> = {};
      for (const k of Object.keys(v)) {
        this.segs.push(k);
        this.mapKey(fi.keyType ?? 'string', k);
        out[k] = this.single(fi, v[k], pgvOn, cats);
        this.segs.pop();
      }
      return out;
    }
    if (fi.repeated) {
      if (!Array.isArray(v)) {
        this.report(badValue, `expected a list of ${this.valueTypeName(fi)}, got ${describe(v)}`);
        return INVALID;
      }
      const out: Decoded[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        this.segs.push(i);
        out[i] = v[i] === null ? INVALID : this.single(fi, v[i], pgvOn, cats);
        if (v[i] === null) this.report(badValue, 'null is not allowed as a list element');
        this.segs.pop();
      }
      return out;
    }
    return this.single(fi, v, pgvOn, cats);
  }

  private valueTypeName(fi: FieldInfo): string {
    return fi.messageType ? fi.messageType.fullName.slice(1) : fi.enumType ? fi.enumType.fullName.slice(1) : (fi.scalar ?? '?');
  }

  private mapKey(kt: Scalar, k: string): void {
    if (kt === 'string') return;
    if (kt === 'bool') {
      if (k !== 'true' && k !== 'false') this.report(badValue, `map key ${JSON.stringify(k)} is not a bool ("true" or "false")`);
      return;
    }
    if (this.scalar(kt, k, true) === INVALID) return;
  }

  private single(fi: FieldInfo, v: unknown, pgvOn: boolean, cats: readonly ExtensionCategory[] | undefined): Decoded {
    if (fi.messageType) {
      const ti = typeInfo(fi.messageType);
      if (ti.wkt === 'any') return this.any(v, cats, pgvOn, fi.emptyAnyOk);
      const skip = (fi.rules?.['message'] as pgv.Rules | undefined)?.['skip'] === true;
      return this.message(fi.messageType, v, pgvOn && !skip);
    }
    if (fi.enumType) return this.enumValue(fi.enumType, v, fi.nullable);
    const r = this.scalar(fi.scalar ?? 'string', v);
    if (fi.typeUrl && typeof r === 'string') this.resolveTypeUrl(r, undefined, undefined);
    return r;
  }

  // ---- scalars ----

  /** Decodes a scalar; returns the JS value (number, string, boolean, Uint8Array) or INVALID. */
  scalar(t: Scalar, v: unknown, mapKey = false): Decoded {
    switch (t) {
      case 'string':
        if (typeof v !== 'string') return this.wrongType('a string', v);
        return v;
      case 'bool':
        if (typeof v === 'boolean') return v;
        if (this.envoyDialect && typeof v === 'string' && ENVOY_BOOL_TEXT.has(v.toLowerCase())) return ENVOY_BOOL_TEXT.get(v.toLowerCase());
        return this.wrongType('true or false', v);
      case 'bytes':
        if (typeof v !== 'string' || !BASE64_RE.test(v)) return this.wrongType('base64-encoded bytes', v);
        return Buffer.from(v, 'base64');
      case 'double':
      case 'float': {
        let n: number;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return Number(v);
        else if (typeof v === 'string' && NUMBER_TEXT.test(v)) n = Number(v);
        else return this.wrongType('a number', v);
        if (t === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) {
          this.report(badValue, `value ${n} is out of range for a float`);
          return INVALID;
        }
        return n;
      }
      default: {
        // integers
        let n: number;
        let big: bigint | undefined;
        if (typeof v === 'number') {
          if (!Number.isInteger(v)) return this.wrongType(`an integer (${t})`, v);
          n = v;
        } else if (typeof v === 'string' && /^-?\d+$/.test(v)) {
          big = BigInt(v);
          n = Number(v);
        } else if (typeof v === 'string' && NUMBER_TEXT.test(v) && Number.isInteger(Number(v))) {
          n = Number(v);
        } else {
          return this.wrongType(mapKey ? `an integer map key (${t})` : `an integer (${t})`, v);
        }
        const bad = (): Decoded => {
          this.report(badValue, `value ${typeof v === 'string' ? v : n} is out of range for ${t}`);
          return INVALID;
        };
        switch (t) {
          case 'int32':
          case 'sint32':
          case 'sfixed32':
            if (n < INT32_MIN || n > INT32_MAX) return bad();
            break;
          case 'uint32':
          case 'fixed32':
            if (n < 0 || n > UINT32_MAX) return bad();
            break;
          case 'uint64':
          case 'fixed64':
            if (n < 0 || (big !== undefined && big > 18446744073709551615n)) return bad();
            break;
          default:
            if (big !== undefined && (big < -9223372036854775808n || big > 9223372036854775807n)) return bad();
        }
        return n;
      }
    }
  }

  private wrongType(expected: string, v: unknown): Decoded {
    this.report(badValue, `expected ${expected}, got ${describe(v)}`);
    return INVALID;
  }

  private enumValue(e: protobuf.Enum, v: unknown, isNull: boolean): Decoded {
    if (isNull) {
      if (v === null || v === 'NULL_VALUE' || v === 0) return 0;
      return this.wrongType('null', v);
    }
    if (typeof v === 'string') {
      let n = Object.hasOwn(e.values, v) ? e.values[v] : undefined;
      if (n === undefined && this.envoyDialect) {
        const ci = Object.keys(e.values).find((x) => x.toLowerCase() === v.toLowerCase());
        if (ci !== undefined) n = e.values[ci];
      }
      if (n === undefined) {
        const names = Object.keys(e.values);
        const guess = names.find((x) => x.toLowerCase() === v.toLowerCase()) ?? closest(v, names);
        this.report(
          badValue,
          `unknown value ${JSON.stringify(v)} for enum ${e.fullName.slice(1)}`,
          `${guess ? `did you mean "${guess}"? ` : ''}allowed: ${names.join(', ')}`,
        );
        return INVALID;
      }
      this.deprecatedEnum(e, v);
      return n;
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      const vname = Object.hasOwn(e.valuesById, v) ? e.valuesById[v] : undefined;
      if (vname === undefined) {
        this.report(badValue, `${v} is not a value of enum ${e.fullName.slice(1)}`, `allowed: ${Object.entries(e.values).map(([k, n]) => `${k} (${n})`).join(', ')}`);
        return INVALID;
      }
      this.deprecatedEnum(e, vname);
      return v;
    }
    return this.wrongType(`an enum value name of ${e.fullName.slice(1)}`, v);
  }

  private deprecatedEnum(e: protobuf.Enum, valueName: string): void {
    const vo = (e as unknown as { valuesOptions?: Record<string, Record<string, unknown> | undefined> }).valuesOptions;
    if (vo?.[valueName]?.['deprecated'] === true) {
      this.report(deprecatedField, `enum value ${valueName} of ${e.fullName.slice(1)} is deprecated in ${this.versionText}`);
    }
  }

  // ---- well-known types ----

  private wellKnown(ti: TypeInfo, v: unknown, pgvOn: boolean): Decoded {
    if (ti.wrapped !== undefined) {
      if (isObject(v) && 'value' in v && Object.keys(v).length === 1) {
        if (this.envoyDialect) {
          this.segs.push('value');
          const r = this.scalar(ti.wrapped, v['value']);
          this.segs.pop();
          return r;
        }
        this.report(
          badValue,
          `${ti.fullName} is written as the bare value, not as an object: istiod rejects {"value": …}`,
          `write ${JSON.stringify(v['value'])} instead of {"value": …}`,
        );
        return INVALID;
      }
      return this.scalar(ti.wrapped, v);
    }
    switch (ti.wkt) {
      case 'duration':
        return this.duration(v);
      case 'timestamp':
        return this.timestamp(v);
      case 'struct':
        if (!isObject(v)) return this.wrongType('an object (google.protobuf.Struct)', v);
        return v;
      case 'listvalue':
        if (!Array.isArray(v)) return this.wrongType('a list (google.protobuf.ListValue)', v);
        return v;
      case 'value':
        return v;
      case 'fieldmask':
        if (typeof v !== 'string') return this.wrongType('a comma-separated string of field paths (google.protobuf.FieldMask)', v);
        return v;
      case 'any':
        return this.any(v, undefined, pgvOn);
      default:
        return v;
    }
  }

  private duration(v: unknown): Decoded {
    if (typeof v === 'string' && !this.envoyDialect) return this.goDuration(v);
    if (isObject(v) && !this.envoyDialect) {
      const s = typeof v['seconds'] === 'number' || typeof v['seconds'] === 'string' ? Number(v['seconds']) : 0;
      const ns = typeof v['nanos'] === 'number' ? v['nanos'] : 0;
      const text = Number.isFinite(s) ? `${parseFloat((s + ns / 1e9).toFixed(9))}s` : '1s';
      this.report(badValue, 'istiod reads a Duration only as a string: the {seconds, nanos} form is rejected', `write "${text}"`);
      return INVALID;
    }
    if (typeof v === 'string') {
      const m = DURATION_RE.exec(v);
      if (!m) {
        this.report(badValue, `invalid Duration ${JSON.stringify(v)}`, durationHint(v));
        return INVALID;
      }
      const secs = BigInt(m[2] ?? '0');
      const nanos = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
      if (secs > BigInt(MAX_DURATION_S)) {
        this.report(badValue, `Duration ${v} is out of range (at most ${MAX_DURATION_S}s)`);
        return INVALID;
      }
      const n = secs * 1_000_000_000n + nanos;
      return m[1] ? -n : n;
    }
    if (isObject(v)) {
      // {seconds, nanos}: the message form, accepted by Envoy's YAML loader.
      let ok = true;
      for (const k of Object.keys(v)) {
        if (k !== 'seconds' && k !== 'nanos') {
          this.report(unknownField, `unknown field "${k}" in google.protobuf.Duration`, 'a Duration has only "seconds" and "nanos" (or write it as "1.5s")', k);
          ok = false;
        }
      }
      this.segs.push('seconds');
      const s = v['seconds'] === undefined ? 0 : this.scalar('int64', v['seconds']);
      this.segs.pop();
      this.segs.push('nanos');
      const ns = v['nanos'] === undefined ? 0 : this.scalar('int32', v['nanos']);
      this.segs.pop();
      if (!ok || s === INVALID || ns === INVALID) return INVALID;
      if (Math.abs(ns as number) > 999_999_999) {
        this.report(badValue, 'Duration nanos must be between -999999999 and 999999999', undefined, 'nanos');
        return INVALID;
      }
      return BigInt(s as number) * 1_000_000_000n + BigInt(ns as number);
    }
    return this.wrongType('a Duration such as "1s" or "0.05s"', v);
  }

  /** istiod's jsonpb: `time.ParseDuration` (`"60s"`, `"1m30s"`, `"500ms"`, `".5s"`). */
  private goDuration(v: string): Decoded {
    if (!GO_DURATION_RE.test(v) && v !== '0' && v !== '-0' && v !== '+0') {
      this.report(badValue, `invalid Duration ${JSON.stringify(v)}`, durationHint(v, true));
      return INVALID;
    }
    const neg = v.startsWith('-');
    let nanos = 0;
    const re = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(v)) !== null) nanos += Number(m[1]) * (GO_UNIT_NANOS[m[2] ?? 's'] ?? 1e9);
    if (nanos > 9.223372036854775e18) {
      this.report(badValue, `Duration ${v} is out of range (at most about 292 years)`);
      return INVALID;
    }
    const n = BigInt(Math.round(nanos));
    return neg ? -n : n;
  }

  private timestamp(v: unknown): Decoded {
    if (typeof v === 'string') {
      const m = TIMESTAMP_RE.exec(v);
      const ms = m ? Date.parse(v.replace(/\.\d+/, '')) : NaN;
      if (!m || Number.isNaN(ms)) {
        this.report(badValue, `invalid Timestamp ${JSON.stringify(v)}`, 'use RFC 3339, e.g. "2026-01-02T15:04:05Z"');
        return INVALID;
      }
      return BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
    }
    if (isObject(v)) {
      const s = this.scalar('int64', v['seconds'] ?? 0);
      const ns = this.scalar('int32', v['nanos'] ?? 0);
      if (s === INVALID || ns === INVALID) return INVALID;
      return BigInt(s as number) * 1_000_000_000n + BigInt(ns as number);
    }
    return this.wrongType('an RFC 3339 Timestamp string', v);
  }

  // ---- Any and TypedStruct ----

  /** Decodes an Any; returns its type URL (for PGV `any` rules) or INVALID. */
  any(v: unknown, cats: readonly ExtensionCategory[] | undefined, pgvOn: boolean, emptyOk = false): Decoded {
    if (!isObject(v)) return this.wrongType('an object with "@type" (google.protobuf.Any)', v);
    const url = v['@type'];
    if (url === undefined) {
      // `{}` is an empty Any; Envoy's loader lets a FilterConfig use it to enable a filter disabled
      // in the HCM. istiod's jsonpb refuses any Any without "@type" ("Any JSON doesn't have
      // '@type'"): its validating webhook rejects the EnvoyFilter, and without the webhook istiod
      // logs the error and drops the whole patch (pilot/pkg/model/envoyfilter.go).
      if (emptyOk && Object.keys(v).length === 0) {
        if (this.envoyDialect) return '';
        this.report(unknownType, 'empty Any (config: {}): istiod cannot decode an Any without "@type" and drops the whole patch, so the filter stays disabled', 'to enable the filter with its listener-level config write config: {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig"} with is_optional: true (docs/envoy-semantics.md §8), or give a real per-route config');
        return INVALID;
      }
      this.report(unknownType, `typed config without "@type"${this.envoyDialect ? '' : ': istiod cannot decode it and drops the whole patch'}`, 'add "@type": "type.googleapis.com/<full proto message name>"');
      return INVALID;
    }
    const type = this.resolveTypeUrl(url, '@type', cats);
    if (type === undefined) return INVALID;
    const name = typeInfo(type).fullName;
    if (TYPED_STRUCT_TYPES.includes(name)) {
      this.typedStruct(type, v, cats, pgvOn);
      return url;
    }
    const ti = typeInfo(type);
    if (ti.wkt !== undefined || ti.wrapped !== undefined) {
      for (const k of Object.keys(v)) {
        if (k !== '@type' && k !== 'value') this.report(unknownField, `unknown field "${k}" in an Any holding ${name}`, 'a well-known type inside an Any goes under "value"', k);
      }
      if ('value' in v) {
        this.segs.push('value');
        this.wellKnown(ti, v['value'], pgvOn);
        this.segs.pop();
      }
      return url;
    }
    this.message(type, v, pgvOn, true);
    return url;
  }

  private typedStruct(tsType: protobuf.Type, v: Record<string, unknown>, cats: readonly ExtensionCategory[] | undefined, pgvOn: boolean): void {
    const tsName = tsType.fullName.slice(1);
    let inner: string | undefined;
    let innerKey = 'type_url';
    for (const k of Object.keys(v)) {
      if (k === '@type' || k === 'value') continue;
      if (k === 'type_url' || k === 'typeUrl') {
        inner = typeof v[k] === 'string' ? (v[k] as string) : undefined;
        innerKey = k;
        if (inner === undefined) this.report(badValue, `expected a type URL string, got ${describe(v[k])}`, undefined, k);
        continue;
      }
      this.unknownKey(typeInfo(tsType), k);
    }
    if (inner === undefined) {
      this.report(unknownType, `${tsName} without "type_url": Envoy cannot tell what the config is`, 'add "type_url": "type.googleapis.com/<full proto message name>"');
      return;
    }
    const target = this.resolveTypeUrl(inner, innerKey, cats);
    const innerName = target ? typeInfo(target).fullName : inner.slice(inner.lastIndexOf('/') + 1);
    // istio-proxy's own extensions (stats, metadata exchange) are configured through TypedStruct by istiod
    // itself; MW210 already says they are not checked.
    if (!target && isIstioProxyType(innerName)) return;
    this.report(
      typedStructHides,
      `${tsName} wraps ${innerName}: istiod never checks what is inside, so mistakes surface only as Envoy NACKs`,
      `write it as {"@type": "type.googleapis.com/${innerName}", ...the fields of "value"}`,
    );
    if (!target) return;
    const value = v['value'];
    if (value === undefined || value === null) {
      if (pgvOn && !this.partial) {
        // An empty config: still subject to the type's rules.
        this.segs.push('value');
        this.message(target, {}, pgvOn);
        this.segs.pop();
      }
      return;
    }
    this.segs.push('value');
    if (!isObject(value)) this.wrongType('an object (google.protobuf.Struct)', value);
    else {
      const ti = typeInfo(target);
      if (ti.wkt !== undefined || ti.wrapped !== undefined) this.wellKnown(ti, value['value'], pgvOn);
      else this.message(target, value, pgvOn);
    }
    this.segs.pop();
  }

  /** Resolves a type URL at key `key` of the current object, checking its category. */
  private resolveTypeUrl(url: unknown, key: string | undefined, cats: readonly ExtensionCategory[] | undefined): protobuf.Type | undefined {
    if (typeof url !== 'string') {
      this.report(unknownType, `${key ? `"${key}"` : 'value'} must be a type URL string, got ${describe(url)}`, undefined, key);
      return undefined;
    }
    const slash = url.lastIndexOf('/');
    if (slash < 0 || slash === url.length - 1) {
      const guess = slash < 0 && url.length > 0 ? `type.googleapis.com/${url}` : undefined;
      this.report(
        unknownType,
        `${key ? `"${key}" ` : ''}${JSON.stringify(url)} is not a type URL`,
        guess ? `write "${guess}"` : 'write "type.googleapis.com/<full proto message name>"',
        key,
      );
      return undefined;
    }
    const name = url.slice(slash + 1);
    const type = this.lookup(name);
    if (!type) {
      if (isIstioProxyType(name)) {
        const cat = istioProxyCategory(name);
        if (cat && cats && cats.length > 0 && !cats.includes(cat)) this.categoryMismatch(name, cat, cats, key);
        this.report(notChecked, `${name} is an istio-proxy extension outside the Envoy API: its contents are not checked`, undefined, key);
        return undefined;
      }
      this.unknownTypeName(name, key);
      return undefined;
    }
    if (isV2Type(name)) {
      this.unknownTypeName(name, key);
      return undefined;
    }
    if (cats && cats.length > 0) {
      const name2 = typeInfo(type).fullName;
      if (!TYPED_STRUCT_TYPES.includes(name2)) {
        const cat = extensionCategory(name2);
        if (!cats.includes(cat)) this.categoryMismatch(name2, cat, cats, key);
      }
    }
    return type;
  }

  private categoryMismatch(name: string, cat: ExtensionCategory, cats: readonly ExtensionCategory[], key: string | undefined): void {
    const want = cats.map(categoryLabel).join(' or ');
    const where = this.opts.context && this.segs.length <= 1 ? ` (${this.opts.context})` : '';
    const applyTo: Partial<Record<ExtensionCategory, string>> = {
      'envoy.filters.http': 'HTTP_FILTER',
      'envoy.filters.network': 'NETWORK_FILTER',
      'envoy.filters.listener': 'LISTENER_FILTER',
    };
    const hint = applyTo[cat] ? `${name} is used with applyTo: ${applyTo[cat]}` : `use a type of ${want}`;
    this.report(
      wrongCategory,
      `${name} is ${categoryLabel(cat)}, but ${want} is expected here${where}: Envoy rejects it with "Didn't find a registered implementation"`,
      hint,
      key,
    );
  }

  private unknownTypeName(name: string, key: string | undefined): void {
    this.rootWide(); // v2 names, other versions and the closest of every type
    const idx = rootIndex(this.root);
    const v3 = idx.v2.get(name);
    if (v3) {
      this.report(unknownType, `${name} is a v2 API type, which Envoy no longer accepts (istiod: "referenced type unknown")`, `use the v3 type "type.googleapis.com/${v3}"`, key);
      return;
    }
    const simple = name.slice(name.lastIndexOf('.') + 1);
    const sameSimple = idx.bySimple.get(simple) ?? [];
    if (LOOKS_V2.test(name) || isV2Type(name)) {
      const cand = sameSimple.filter((n) => (n.startsWith('envoy.extensions.') || n.startsWith('envoy.config.')) && !isV2Type(n));
      this.report(
        unknownType,
        `${name} looks like a v2 API type, which Envoy no longer accepts`,
        cand.length > 0 ? `use the v3 type "type.googleapis.com/${cand[0]}"` : 'use the v3 type (envoy.extensions.*.v3 or envoy.config.*.v3)',
        key,
      );
      return;
    }
    const others = loadedSchemas()
      .filter((s) => s.root !== this.root && lookupType(s.root, name))
      .map((s) => s.version)
      .sort();
    let hint: string;
    if (others.length > 0) hint = `${name} exists in the Envoy ${others.join(', ')} API: check the Envoy version your Istio targets`;
    else {
      const pkg = name.slice(0, name.lastIndexOf('.'));
      const guess =
        closest(name, idx.names.filter((n) => Math.abs(n.length - name.length) <= 3 && (n.startsWith(pkg.slice(0, 12)) || n.endsWith(simple)))) ??
        sameSimple[0];
      hint = guess ? `did you mean "type.googleapis.com/${guess}"?` : 'contrib extensions and custom filters are not part of the upstream Envoy API istio-proxy builds';
    }
    this.report(unknownType, `unknown type ${name} in ${this.versionText}`, hint, key);
  }

  // ---- PGV ----

  private messageRules(ti: TypeInfo, values: unknown[], keys: string[], oneofSet: Array<FieldInfo | undefined> | undefined, use: TypeUse | undefined): void {
    if (!this.partial) {
      for (const o of ti.oneofs) {
        if (o.required && oneofSet?.[o.index] === undefined) {
          this.rootWide(); // the hint lists every member of the oneof
          this.pgv(ti, o.name, 'value is required', undefined, `set one of ${o.fields.map((f) => f.name).join(', ')}`);
        }
      }
    }
    for (const fi of ti.fields) {
      const r = fi.rules;
      if (!r) continue;
      const key = keys[fi.index];
      const present = key !== undefined && values[fi.index] !== undefined;
      const v = values[fi.index];
      if (v === INVALID) continue;
      if (!present && (fi.oneof || fi.optional || this.partial)) continue;
      const seg = key ?? fi.name;
      if (!fi.repeated && !fi.map) {
        const messages = singleFieldRules(r, fi, v, present);
        if (this.deps) use?.ruled.push({ field: fi.name, value: v, present, messages });
        for (const msg of messages) this.pgv(ti, seg, msg, fi);
        continue;
      }
      if (fi.map) {
        const m = (present ? v : {}) as Record<string, unknown>;
        const mrules = r['map'] as pgv.Rules | undefined;
        if (!mrules) continue;
        const n = Object.keys(m).length;
        if (mrules['ignoreEmpty'] === true && n === 0) continue;
        for (const msg of pgv.checkMapCount(mrules, n)) this.pgv(ti, seg, msg, fi);
        const kr = mrules['keys'] as pgv.Rules | undefined;
        const vr = mrules['values'] as pgv.Rules | undefined;
        if (kr || vr) {
          this.segs.push(seg);
          for (const k of Object.keys(m)) {
            if (kr) for (const msg of singleRules(kr, fi, k, true)) this.pgv(ti, k, msg, fi, undefined, `key ${JSON.stringify(k)}`);
            if (vr && m[k] !== INVALID) for (const msg of singleRules(vr, fi, m[k], true)) this.pgv(ti, k, msg, fi);
          }
          this.segs.pop();
        }
        continue;
      }
      if (fi.repeated) {
        const arr = (present ? v : []) as unknown[];
        const rr = r['repeated'] as pgv.Rules | undefined;
        if (!rr) continue;
        if (rr['ignoreEmpty'] === true && arr.length === 0) continue;
        for (const msg of pgv.checkRepeatedCount(rr, arr.length)) this.pgv(ti, seg, msg, fi);
        if (rr['unique'] === true) {
          const s = new Set<string>();
          for (const x of arr) {
            const k = typeof x === 'object' ? JSON.stringify(x, (_, y: unknown) => (typeof y === 'bigint' ? y.toString() : y)) : `${typeof x}:${String(x)}`;
            if (s.has(k)) {
              this.pgv(ti, seg, 'repeated value must contain unique items', fi);
              break;
            }
            s.add(k);
          }
        }
        const ir = rr['items'] as pgv.Rules | undefined;
        if (ir) {
          this.segs.push(seg);
          for (let i = 0; i < arr.length; i++) {
            if (arr[i] === INVALID) continue;
            for (const msg of singleRules(ir, fi, arr[i], true)) this.pgv(ti, i, msg, fi);
          }
          this.segs.pop();
        }
        continue;
      }
    }
  }

  private pgv(ti: TypeInfo, seg: string | number, reason: string, fi?: FieldInfo, hint?: string, what?: string): void {
    const fname = typeof seg === 'number' ? `${fi?.name ?? ''}[${seg}]` : fi?.name ?? seg;
    const errType = `${ti.type.name}ValidationError.${pascal(typeof seg === 'number' ? fi?.name ?? '' : fi?.name ?? seg)}`;
    this.report(
      pgvViolation,
      `${fname}${what ? ` ${what}` : ''}: ${reason}`,
      hint ?? `Envoy rejects the config: "Proto constraint validation failed (${errType}: ${reason})"`,
      seg,
    );
  }
}

const ruleKinds = new WeakMap<pgv.Rules, string[]>();

/** PGV messages about one single-valued field (`v` as decoded; absent: `present` false). */
function singleFieldRules(r: pgv.Rules, fi: FieldInfo, v: unknown, present: boolean): string[] {
  if (fi.messageType && !present) {
    const required = (k: string) => (r[k] as pgv.Rules | undefined)?.['required'] === true;
    return required('message') || required('duration') || required('timestamp') || required('any') ? ['value is required'] : [];
  }
  return singleRules(r, fi, present ? v : defaultOf(fi), present);
}

/** Rules of one (non-repeated) value. */
function singleRules(r: pgv.Rules, fi: FieldInfo, v: unknown, present: boolean): string[] {
  let kinds = ruleKinds.get(r);
  if (kinds === undefined) {
    kinds = Object.keys(r).filter((k) => r[k] !== null && typeof r[k] === 'object');
    ruleKinds.set(r, kinds);
  }
  for (const k of kinds) {
    const rr = r[k] as pgv.Rules;
    switch (k) {
      case 'string':
        return typeof v === 'string' ? pgv.checkString(rr, v) : [];
      case 'bytes':
        return v instanceof Uint8Array ? pgv.checkBytes(rr, v) : [];
      case 'bool':
        return typeof v === 'boolean' ? pgv.checkBool(rr, v) : [];
      case 'enum':
        return typeof v === 'number' ? pgv.checkEnum(rr, v, fi.enumType?.valuesById[v] !== undefined) : [];
      case 'duration':
        if (rr['required'] === true && !present) return ['value is required'];
        return typeof v === 'bigint' ? pgv.checkDuration(rr, v) : [];
      case 'timestamp':
        if (rr['required'] === true && !present) return ['value is required'];
        return typeof v === 'bigint' ? pgv.checkTimestamp(rr, v) : [];
      case 'any':
        if (rr['required'] === true && !present) return ['value is required'];
        return typeof v === 'string' ? pgv.checkAny(rr, v) : [];
      case 'message':
        if (rr['required'] === true && !present) return ['value is required'];
        continue;
      default:
        if (pgv.isNumericRuleKind(k)) return typeof v === 'number' ? pgv.checkNumber(rr, v) : [];
    }
  }
  return [];
}

function pascal(s: string): string {
  return s.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function defaultOf(fi: FieldInfo): unknown {
  if (fi.enumType) return 0;
  if (fi.messageType) return undefined;
  switch (fi.scalar) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return new Uint8Array();
    default:
      return 0;
  }
}

function durationHint(v: string, go = false): string {
  if (go) {
    const d = /^(\d+(?:\.\d+)?)\s*(d|days?|w)$/.exec(v.trim());
    if (d) return `Go durations have no "${d[2]}" unit: write "${Number(d[1]) * (d[2] === 'w' ? 168 : 24)}h"`;
    return 'write a duration such as "60s", "1m", "500ms" or "1h30m"';
  }
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d)$/.exec(v.trim());
  if (m) {
    const mult: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
    const secs = Number(m[1]) * (mult[m[2] ?? 's'] ?? 1);
    const text = Number.isInteger(secs) ? `${secs}s` : `${parseFloat(secs.toFixed(9))}s`;
    return `protobuf Durations are seconds with an "s" suffix: write "${text}"`;
  }
  return 'protobuf Durations are seconds with an "s" suffix, e.g. "60s" or "0.05s"';
}

/**
 * Strictly decodes `json` as message `typeName` of `root` (a Root from ./load.ts; PGV rules are
 * read from its options) and returns every finding. `typeName` may be `google.protobuf.Any`.
 */
export function decodeStrict(root: protobuf.Root, typeName: string, json: unknown, opts: DecodeOptions = {}): Finding[] {
  return decodeRecorded(root, typeName, json, opts).findings;
}

/**
 * {@link decodeStrict}, also saying which types of `root` the findings depend on: in another
 * Root where {@link readsAlike} holds for them, the same value decodes to the same findings.
 */
export function decodeRecorded(root: protobuf.Root, typeName: string, json: unknown, opts: DecodeOptions = {}): { findings: Finding[]; deps: DecodeDeps } {
  const d = new Decoder(root, opts);
  const name = typeName.slice(typeName.lastIndexOf('/') + 1);
  const type = d.lookup(name);
  if (!type) {
    d.report(unknownType, `unknown type ${name} in ${rootVersion(root) ? `the Envoy ${rootVersion(root)} API` : 'this Envoy API'}`);
    return { findings: d.findings, deps: undefined };
  }
  const ti = typeInfo(type);
  if (ti.wkt === 'any') d.any(json, opts.typedConfigCategories, opts.pgv !== false);
  else d.message(type, json, opts.pgv !== false, opts.skipTypeKey === true, opts.typedConfigCategories);
  return { findings: d.findings, deps: d.deps };
}

/** True when `typeName` (a full name or type URL) is a message type of `root`. */
export function hasType(root: protobuf.Root, typeName: string): boolean {
  return lookupType(root, typeName.slice(typeName.lastIndexOf('/') + 1)) !== undefined;
}
