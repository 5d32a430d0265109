/**
 * The well-known types other than Any (google.protobuf.*): wrappers, Duration (istiod's Go
 * durations or Envoy's "1.5s"), Timestamp, Struct, ListValue, Value, FieldMask (MW204).
 * An Any, which holds a message, is decoded by the decoder itself (../decode.ts).
 */
import { badValue, unknownField } from '../rules.js';
import { INVALID, isObject, type Decoded } from './json.js';
import type { TypeInfo } from './reflect.js';
import { scalar, wrongType } from './scalars.js';
import type { DecodeState } from './state.js';

const MAX_DURATION_S = 315576000000;
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{0,9}))?s$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
/** Go's time.ParseDuration, which istiod's jsonpb uses for google.protobuf.Duration. */
const GO_DURATION_RE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const GO_UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Decodes `v` as the wrapper or well-known type `ti` (not an Any). */
export function wellKnown(d: DecodeState, ti: TypeInfo, v: unknown): Decoded {
  if (ti.wrapped !== undefined) {
    if (isObject(v) && 'value' in v && Object.keys(v).length === 1) {
      if (d.envoyDialect) {
        d.segs.push('value');
        const r = scalar(d, ti.wrapped, v['value']);
        d.segs.pop();
        return r;
      }
      d.report(badValue, `${ti.fullName} is written as the bare value, not as an object: istiod rejects {"value": …}`, `write ${JSON.stringify(v['value'])} instead of {"value": …}`);
      return INVALID;
    }
    return scalar(d, ti.wrapped, v);
  }
  switch (ti.wkt) {
    case 'duration':
      return duration(d, v);
    case 'timestamp':
      return timestamp(d, v);
    case 'struct':
      if (!isObject(v)) return wrongType(d, 'an object (google.protobuf.Struct)', v);
      return v;
    case 'listvalue':
      if (!Array.isArray(v)) return wrongType(d, 'a list (google.protobuf.ListValue)', v);
      return v;
    case 'value':
      return v;
    case 'fieldmask':
      if (typeof v !== 'string') return wrongType(d, 'a comma-separated string of field paths (google.protobuf.FieldMask)', v);
      return v;
    case 'any': // the message walk (decode.ts) resolves an Any's type URL before it gets here
    case 'wrapper': // decoded as its wrapped scalar above
    case undefined:
      return v;
  }
}

function duration(d: DecodeState, v: unknown): Decoded {
  if (typeof v === 'string' && !d.envoyDialect) return goDuration(d, v);
  if (isObject(v) && !d.envoyDialect) {
    const s = typeof v['seconds'] === 'number' || typeof v['seconds'] === 'string' ? Number(v['seconds']) : 0;
    const ns = typeof v['nanos'] === 'number' ? v['nanos'] : 0;
    const text = Number.isFinite(s) ? `${parseFloat((s + ns / 1e9).toFixed(9))}s` : '1s';
    d.report(badValue, 'istiod reads a Duration only as a string: the {seconds, nanos} form is rejected', `write "${text}"`);
    return INVALID;
  }
  if (typeof v === 'string') {
    const m = DURATION_RE.exec(v);
    if (!m) {
      d.report(badValue, `invalid Duration ${JSON.stringify(v)}`, durationHint(v));
      return INVALID;
    }
    const secs = BigInt(m[2] ?? '0');
    const nanos = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
    if (secs > BigInt(MAX_DURATION_S)) {
      d.report(badValue, `Duration ${v} is out of range (at most ${MAX_DURATION_S}s)`);
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
        d.report(unknownField, `unknown field "${k}" in google.protobuf.Duration`, 'a Duration has only "seconds" and "nanos" (or write it as "1.5s")', k);
        ok = false;
      }
    }
    d.segs.push('seconds');
    const s = v['seconds'] === undefined ? 0 : scalar(d, 'int64', v['seconds']);
    d.segs.pop();
    d.segs.push('nanos');
    const ns = v['nanos'] === undefined ? 0 : scalar(d, 'int32', v['nanos']);
    d.segs.pop();
    if (!ok || s === INVALID || ns === INVALID) return INVALID;
    if (Math.abs(ns as number) > 999_999_999) {
      d.report(badValue, 'Duration nanos must be between -999999999 and 999999999', undefined, 'nanos');
      return INVALID;
    }
    return BigInt(s as number) * 1_000_000_000n + BigInt(ns as number);
  }
  return wrongType(d, 'a Duration such as "1s" or "0.05s"', v);
}

/** istiod's jsonpb: `time.ParseDuration` (`"60s"`, `"1m30s"`, `"500ms"`, `".5s"`). */
function goDuration(d: DecodeState, v: string): Decoded {
  if (!GO_DURATION_RE.test(v) && v !== '0' && v !== '-0' && v !== '+0') {
    d.report(badValue, `invalid Duration ${JSON.stringify(v)}`, durationHint(v, true));
    return INVALID;
  }
  const neg = v.startsWith('-');
  let nanos = 0;
  const re = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) nanos += Number(m[1]) * (GO_UNIT_NANOS[m[2] ?? 's'] ?? 1e9);
  if (nanos > 9.223372036854775e18) {
    d.report(badValue, `Duration ${v} is out of range (at most about 292 years)`);
    return INVALID;
  }
  const n = BigInt(Math.round(nanos));
  return neg ? -n : n;
}

function timestamp(d: DecodeState, v: unknown): Decoded {
  if (typeof v === 'string') {
    const m = TIMESTAMP_RE.exec(v);
    const ms = m ? Date.parse(v.replace(/\.\d+/, '')) : NaN;
    if (!m || Number.isNaN(ms)) {
      d.report(badValue, `invalid Timestamp ${JSON.stringify(v)}`, 'use RFC 3339, e.g. "2026-01-02T15:04:05Z"');
      return INVALID;
    }
    return BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  }
  if (isObject(v)) {
    const s = scalar(d, 'int64', v['seconds'] ?? 0);
    const ns = scalar(d, 'int32', v['nanos'] ?? 0);
    if (s === INVALID || ns === INVALID) return INVALID;
    return BigInt(s as number) * 1_000_000_000n + BigInt(ns as number);
  }
  return wrongType(d, 'an RFC 3339 Timestamp string', v);
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
