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
 *
 * This module is the walk through messages, fields, Anys and TypedStructs, and the entry points;
 * each other concern is a module of ./decode/, readable on its own:
 * - `reflect.ts`: what is known of a message type and of a Root (cached); `json.ts`: JSON values;
 * - `state.ts`: the options and one decode's state (path, bounded findings, dependencies);
 * - `scalars.ts`, `well-known.ts`: scalars, enums and the well-known types other than Any;
 * - `type-url.ts`: type URLs resolved and checked against the field's extension categories;
 * - `unknown-field.ts`, `deprecation.ts`, `closest.ts`: unknown and deprecated fields, typo hints;
 * - `pgv-checks.ts`, `field-rules.ts`: the protoc-gen-validate rules of a decoded message;
 * - `shared-decodes.ts`: what a decode read, so that Envoy versions reading it alike share it.
 */
import protobuf from 'protobufjs';
import type { Finding } from '../rule.js';
import { isIstioProxyType, type ExtensionCategory } from './categories.js';
import { rootVersion } from './load.js';
import type * as pgv from './pgv.js';
import { badValue, oneofConflict, typedStructHides, unknownField, unknownType } from './rules.js';
import { deprecatedFieldSet } from './decode/deprecation.js';
import { describe, INVALID, isObject, type Decoded } from './decode/json.js';
import { messageRules } from './decode/pgv-checks.js';
import { lookupType, typeInfo, type FieldInfo, type TypeInfo } from './decode/reflect.js';
import { enumValue, mapKey, scalar, wrongType } from './decode/scalars.js';
import { fieldSignature, type DecodeDeps } from './decode/shared-decodes.js';
import { DecodeState, type DecodeOptions } from './decode/state.js';
import { resolveTypeUrl, TYPED_STRUCT_TYPES } from './decode/type-url.js';
import { unknownKey } from './decode/unknown-field.js';
import { nameOnlyExtension } from './decode/name-only.js';
import { wellKnown as wellKnownValue } from './decode/well-known.js';

export { closest } from './decode/closest.js';
export { readsAlike, type DecodeDeps } from './decode/shared-decodes.js';
export type { DecodeOptions } from './decode/state.js';
export { isV2Type, TYPED_STRUCT_TYPES } from './decode/type-url.js';

/**
 * FilterConfig{config: {"@type": FilterConfig}, is_optional: true} enables a disabled filter with
 * its listener-level config in a form istiod can decode: no HTTP filter claims the inner type, so
 * Envoy skips it as optional (router/per_filter_config.cc). Without is_optional Envoy rejects it.
 */
const ENABLE_MARKER_CATEGORIES: readonly ExtensionCategory[] = ['envoy.filters.http', 'envoy.route.filter_config'];
function isEnableMarkerHolder(json: unknown): boolean {
  return isObject(json) && (json['is_optional'] === true || json['isOptional'] === true);
}

/** The walk through messages, fields and Anys; every other concern is a module of ./decode/. */
class Decoder extends DecodeState {
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
        unknownKey(this, ti, key);
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
      if (fi.deprecated) deprecatedFieldSet(this, ti, fi, v, key);
      this.segs.push(key);
      const cats = fi.name === 'typed_config' && topCategories ? topCategories : fi.emptyAnyOk && isEnableMarkerHolder(json) ? ENABLE_MARKER_CATEGORIES : fi.categories;
      const decoded = this.field(fi, v, pgvOn && ti.pgv, cats);
      this.segs.pop();
      if (values && keys) {
        values[fi.index] = decoded;
        keys[fi.index] = key;
      }
    }
    if (checkRules && values && keys) messageRules(this, ti, values, keys, oneofSet, use);
    nameOnlyExtension(this, ti, json);
    this.depth--;
    return json;
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
        mapKey(this, fi.keyType ?? 'string', k);
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

  private single(fi: FieldInfo, v: unknown, pgvOn: boolean, cats: readonly ExtensionCategory[] | undefined): Decoded {
    if (fi.messageType) {
      const ti = typeInfo(fi.messageType);
      if (ti.wkt === 'any') return this.any(v, cats, pgvOn, fi.emptyAnyOk);
      const skip = (fi.rules?.['message'] as pgv.Rules | undefined)?.['skip'] === true;
      return this.message(fi.messageType, v, pgvOn && !skip);
    }
    if (fi.enumType) return enumValue(this, fi.enumType, v, fi.nullable);
    const r = scalar(this, fi.scalar ?? 'string', v);
    if (fi.typeUrl && typeof r === 'string') resolveTypeUrl(this, r, undefined, undefined);
    return r;
  }

  /** A well-known type: an Any holds a message, so it is decoded here; the others by ./decode/well-known.ts. */
  private wellKnown(ti: TypeInfo, v: unknown, pgvOn: boolean): Decoded {
    if (ti.wkt === 'any') return this.any(v, undefined, pgvOn);
    return wellKnownValue(this, ti, v);
  }

  // ---- Any and TypedStruct ----

  /** Decodes an Any; returns its type URL (for PGV `any` rules) or INVALID. */
  any(v: unknown, cats: readonly ExtensionCategory[] | undefined, pgvOn: boolean, emptyOk = false): Decoded {
    if (!isObject(v)) return wrongType(this, 'an object with "@type" (google.protobuf.Any)', v);
    const url = v['@type'];
    if (url === undefined) {
      // `{}` is an empty Any; Envoy's loader lets a FilterConfig use it to enable a filter disabled
      // in the HCM. istiod's jsonpb refuses any Any without "@type" ("Any JSON doesn't have
      // '@type'"): its validating webhook rejects the EnvoyFilter, and without the webhook istiod
      // logs the error and drops the whole patch (pilot/pkg/model/envoyfilter.go).
      if (emptyOk && Object.keys(v).length === 0) {
        if (this.envoyDialect) return '';
        this.report(
          unknownType,
          'empty Any (config: {}): istiod cannot decode an Any without "@type" and drops the whole patch, so the filter stays disabled',
          'to enable the filter with its listener-level config write config: {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig"} with is_optional: true (docs/envoy-semantics.md §8), or give a real per-route config',
        );
        return INVALID;
      }
      this.report(
        unknownType,
        `typed config without "@type"${this.envoyDialect ? '' : ': istiod cannot decode it and drops the whole patch'}`,
        'add "@type": "type.googleapis.com/<full proto message name>"',
      );
      return INVALID;
    }
    const type = resolveTypeUrl(this, url, '@type', cats);
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
        inner = typeof v[k] === 'string' ? v[k] : undefined;
        innerKey = k;
        if (inner === undefined) this.report(badValue, `expected a type URL string, got ${describe(v[k])}`, undefined, k);
        continue;
      }
      unknownKey(this, typeInfo(tsType), k);
    }
    if (inner === undefined) {
      this.report(unknownType, `${tsName} without "type_url": Envoy cannot tell what the config is`, 'add "type_url": "type.googleapis.com/<full proto message name>"');
      return;
    }
    const target = resolveTypeUrl(this, inner, innerKey, cats);
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
    if (!isObject(value)) wrongType(this, 'an object (google.protobuf.Struct)', value);
    else {
      const ti = typeInfo(target);
      if (ti.wkt !== undefined || ti.wrapped !== undefined) this.wellKnown(ti, value['value'], pgvOn);
      else this.message(target, value, pgvOn);
    }
    this.segs.pop();
  }
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
