/**
 * Reads Slime objects the way Slime does. Slime's CRDs preserve unknown fields and its Go
 * types unmarshal with jsonpb (`AllowUnknownFields: true`), which accepts a proto field
 * under its original name (`fill_interval`) or its lowerCamel JSON name (`fillInterval`),
 * int32 as a number or a string, and an enum by name or by number. Unknown fields are
 * ignored by Slime, so they are reported (a typo such as `stragety` never took effect).
 */
import { editDistance } from '../util/edit-distance.js';
import type { Note } from './notes.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonMap = { [k: string]: Json };

export function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * One proto message of a Slime object: fields are read by proto name, and `unknown()`
 * lists the keys no read asked for.
 */
export class Message {
  readonly #read = new Set<string>();

  constructor(
    readonly value: JsonMap,
    /** Segments of this message's path in the input object. */
    readonly path: Array<string | number>,
  ) {}

  /** The key present in the input for proto field `name` (original or lowerCamel), if any. */
  key(name: string): string | undefined {
    for (const k of [name, camel(name)]) {
      if (k in this.value) {
        this.#read.add(k);
        return k;
      }
    }
    return undefined;
  }

  /** Path of field `name` as written in the input (its original name when absent). */
  at(name: string, ...rest: Array<string | number>): Array<string | number> {
    return [...this.path, this.key(name) ?? name, ...rest];
  }

  get(name: string): Json | undefined {
    const k = this.key(name);
    return k === undefined ? undefined : this.value[k];
  }

  string(name: string): string {
    const v = this.get(name);
    return typeof v === 'string' ? v : '';
  }

  bool(name: string): boolean {
    return this.get(name) === true;
  }

  /** int32/uint32: jsonpb takes a number or a decimal string. */
  int(name: string): number {
    const v = this.get(name);
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
    return 0;
  }

  /** An enum by name or number; the first value is proto3's default. */
  enumOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.get(name);
    if (v === undefined || v === null) return values[0];
    if (typeof v === 'number') return values[v];
    return values.find((x) => x === v);
  }

  message(name: string): Message | undefined {
    const k = this.key(name);
    const v = k === undefined ? undefined : this.value[k];
    return isMap(v) ? new Message(v, [...this.path, k!]) : undefined;
  }

  messages(name: string): Message[] {
    const k = this.key(name);
    const v = k === undefined ? undefined : this.value[k];
    if (!Array.isArray(v)) return [];
    return v.flatMap((item, i) => (isMap(item) ? [new Message(item, [...this.path, k!, i])] : []));
  }

  strings(name: string): string[] {
    const v = this.get(name);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  }

  stringMap(name: string): Record<string, string> {
    const v = this.get(name);
    if (!isMap(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  /** Notes for the keys Slime ignores (none of `known`), with a did-you-mean when one is close. */
  unknown(known: readonly string[]): Note[] {
    const names = known.flatMap((n) => [n, camel(n)]);
    return Object.keys(this.value)
      .filter((k) => !names.includes(k))
      .map((k) => {
        const near = names.find((n) => editDistance(k, n, 2) <= 2);
        return {
          kind: 'info' as const,
          path: [...this.path, k],
          message: `unknown field "${k}": Slime ignores it (its CRD preserves unknown fields), so it never took effect and is not converted`,
          hint: near ? `did you mean "${near}"? If so, fix the Slime object and migrate again` : 'remove it',
        };
      });
  }
}
