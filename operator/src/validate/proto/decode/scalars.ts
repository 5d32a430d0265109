/**
 * Scalars and enums as istiod's or Envoy's JSON parser reads them (MW204): the JSON type, integer
 * ranges, base64 bytes, number and bool spellings, enum names and numbers.
 */
import type protobuf from 'protobufjs';
import { badValue } from '../rules.js';
import { closest } from './closest.js';
import { deprecatedEnum } from './deprecation.js';
import { describe, INVALID, type Decoded } from './json.js';
import type { Scalar } from './reflect.js';
import type { DecodeState } from './state.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const FLOAT_MAX = 3.4028234663852886e38;
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Bool spellings Envoy's loader accepts in strings (checked against envoy --mode validate). */
const ENVOY_BOOL_TEXT = new Map([
  ['true', true],
  ['false', false],
  ['yes', true],
  ['no', false],
]);

/** Decodes a scalar; returns the JS value (number, string, boolean, Uint8Array) or INVALID. */
export function scalar(d: DecodeState, t: Scalar, v: unknown, mapKey = false): Decoded {
  switch (t) {
    case 'string':
      if (typeof v !== 'string') return wrongType(d, 'a string', v);
      return v;
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (d.envoyDialect && typeof v === 'string' && ENVOY_BOOL_TEXT.has(v.toLowerCase())) return ENVOY_BOOL_TEXT.get(v.toLowerCase());
      return wrongType(d, 'true or false', v);
    case 'bytes':
      if (typeof v !== 'string' || !BASE64_RE.test(v)) return wrongType(d, 'base64-encoded bytes', v);
      return Buffer.from(v, 'base64');
    case 'double':
    case 'float': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return Number(v);
      else if (typeof v === 'string' && NUMBER_TEXT.test(v)) n = Number(v);
      else return wrongType(d, 'a number', v);
      if (t === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) {
        d.report(badValue, `value ${n} is out of range for a float`);
        return INVALID;
      }
      return n;
    }
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'sint32':
    case 'sint64':
    case 'fixed32':
    case 'fixed64':
    case 'sfixed32':
    case 'sfixed64': {
      let n: number;
      let big: bigint | undefined;
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) return wrongType(d, `an integer (${t})`, v);
        n = v;
      } else if (typeof v === 'string' && /^-?\d+$/.test(v)) {
        big = BigInt(v);
        n = Number(v);
      } else if (typeof v === 'string' && NUMBER_TEXT.test(v) && Number.isInteger(Number(v))) {
        n = Number(v);
      } else {
        return wrongType(d, mapKey ? `an integer map key (${t})` : `an integer (${t})`, v);
      }
      const bad = (): Decoded => {
        d.report(badValue, `value ${typeof v === 'string' ? v : n} is out of range for ${t}`);
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
        case 'int64':
        case 'sint64':
        case 'sfixed64':
          if (big !== undefined && (big < -9223372036854775808n || big > 9223372036854775807n)) return bad();
      }
      return n;
    }
  }
}

export function wrongType(d: DecodeState, expected: string, v: unknown): Decoded {
  d.report(badValue, `expected ${expected}, got ${describe(v)}`);
  return INVALID;
}

/** Checks a map key (always a string in JSON) against the map's key type. */
export function mapKey(d: DecodeState, kt: Scalar, k: string): void {
  if (kt === 'string') return;
  if (kt === 'bool') {
    if (k !== 'true' && k !== 'false') d.report(badValue, `map key ${JSON.stringify(k)} is not a bool ("true" or "false")`);
    return;
  }
  if (scalar(d, kt, k, true) === INVALID) return;
}

/** Decodes an enum value (a name, or a number of the enum); NullValue when `isNull`. */
export function enumValue(d: DecodeState, e: protobuf.Enum, v: unknown, isNull: boolean): Decoded {
  if (isNull) {
    if (v === null || v === 'NULL_VALUE' || v === 0) return 0;
    return wrongType(d, 'null', v);
  }
  if (typeof v === 'string') {
    let n = Object.hasOwn(e.values, v) ? e.values[v] : undefined;
    if (n === undefined && d.envoyDialect) {
      const ci = Object.keys(e.values).find((x) => x.toLowerCase() === v.toLowerCase());
      if (ci !== undefined) n = e.values[ci];
    }
    if (n === undefined) {
      const names = Object.keys(e.values);
      const guess = names.find((x) => x.toLowerCase() === v.toLowerCase()) ?? closest(v, names);
      d.report(badValue, `unknown value ${JSON.stringify(v)} for enum ${e.fullName.slice(1)}`, `${guess ? `did you mean "${guess}"? ` : ''}allowed: ${names.join(', ')}`);
      return INVALID;
    }
    deprecatedEnum(d, e, v);
    return n;
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    const vname = Object.hasOwn(e.valuesById, v) ? e.valuesById[v] : undefined;
    if (vname === undefined) {
      d.report(
        badValue,
        `${v} is not a value of enum ${e.fullName.slice(1)}`,
        `allowed: ${Object.entries(e.values)
          .map(([k, n]) => `${k} (${n})`)
          .join(', ')}`,
      );
      return INVALID;
    }
    deprecatedEnum(d, e, vname);
    return v;
  }
  return wrongType(d, `an enum value name of ${e.fullName.slice(1)}`, v);
}
