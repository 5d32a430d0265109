/**
 * One decode for the Envoy versions that read a value alike: what a decode read of each type it
 * met, as interned signatures, so that another version's Root can be asked whether it reads the
 * same (docs/adr/0099-shared-decodes-between-envoy-versions.md).
 */
import type protobuf from 'protobufjs';
import { singleFieldRules } from './field-rules.js';
import { lookupType, typeInfo, type FieldInfo, type TypeInfo } from './reflect.js';

/** What a decode read of one type. */
export interface TypeUse {
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
export function fieldSignature(f: FieldInfo): number {
  if (f.signature !== undefined) return f.signature;
  const e = f.enumType;
  const text = JSON.stringify(
    [
      f.name,
      f.jsonName,
      f.repeated,
      f.map,
      f.keyType ?? null,
      f.scalar ?? null,
      f.messageType?.fullName ?? null,
      e ? [e.fullName, e.values, (e as unknown as { valuesOptions?: unknown }).valuesOptions ?? null] : null,
      f.oneof ? [f.oneof.name, f.oneof.required] : null,
      f.optional,
      f.deprecated,
      f.nullable,
      structuralRules(f),
      f.categories ?? null,
      f.emptyAnyOk,
      f.typeUrl,
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
export function rulesSignature(ti: TypeInfo): number {
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
export function wholeSignature(ti: TypeInfo): number {
  if (ti.whole !== undefined) return ti.whole;
  const text = JSON.stringify([rulesSignature(ti), ti.oneofs.map((o) => [o.name, o.required, o.fields.map((f) => f.name)]), ti.fields.map((f) => [fieldSignature(f), f.rules ?? null])], bigintSafe);
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
