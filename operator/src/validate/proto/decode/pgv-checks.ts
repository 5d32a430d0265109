/**
 * The protoc-gen-validate hook of the decoder: after a message's fields are decoded, its required
 * oneofs and the rules of its fields are judged on the decoded values (MW206).
 */
import * as pgv from '../pgv.js';
import { pgvViolation } from '../rules.js';
import { singleFieldRules, singleRules } from './field-rules.js';
import { INVALID } from './json.js';
import type { FieldInfo, TypeInfo } from './reflect.js';
import type { TypeUse } from './shared-decodes.js';
import type { DecodeState } from './state.js';

/** Judges the required oneofs of `ti` and the rules of its fields, given the decoded `values` at `keys`. */
export function messageRules(d: DecodeState, ti: TypeInfo, values: unknown[], keys: string[], oneofSet: Array<FieldInfo | undefined> | undefined, use: TypeUse | undefined): void {
  if (!d.partial) {
    for (const o of ti.oneofs) {
      if (o.required && oneofSet?.[o.index] === undefined) {
        d.rootWide(); // the hint lists every member of the oneof
        pgvFinding(d, ti, o.name, 'value is required', undefined, `set one of ${o.fields.map((f) => f.name).join(', ')}`);
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
    if (!present && (fi.oneof || fi.optional || d.partial)) continue;
    const seg = key ?? fi.name;
    if (!fi.repeated && !fi.map) {
      const messages = singleFieldRules(r, fi, v, present);
      if (d.deps) use?.ruled.push({ field: fi.name, value: v, present, messages });
      for (const msg of messages) pgvFinding(d, ti, seg, msg, fi);
      continue;
    }
    if (fi.map) {
      const m = (present ? v : {}) as Record<string, unknown>;
      const mrules = r['map'] as pgv.Rules | undefined;
      if (!mrules) continue;
      const n = Object.keys(m).length;
      if (mrules['ignoreEmpty'] === true && n === 0) continue;
      for (const msg of pgv.checkMapCount(mrules, n)) pgvFinding(d, ti, seg, msg, fi);
      const kr = mrules['keys'] as pgv.Rules | undefined;
      const vr = mrules['values'] as pgv.Rules | undefined;
      if (kr || vr) {
        d.segs.push(seg);
        for (const k of Object.keys(m)) {
          if (kr) for (const msg of singleRules(kr, fi, k, true)) pgvFinding(d, ti, k, msg, fi, undefined, `key ${JSON.stringify(k)}`);
          if (vr && m[k] !== INVALID) for (const msg of singleRules(vr, fi, m[k], true)) pgvFinding(d, ti, k, msg, fi);
        }
        d.segs.pop();
      }
      continue;
    }
    if (fi.repeated) {
      const arr = (present ? v : []) as unknown[];
      const rr = r['repeated'] as pgv.Rules | undefined;
      if (!rr) continue;
      if (rr['ignoreEmpty'] === true && arr.length === 0) continue;
      for (const msg of pgv.checkRepeatedCount(rr, arr.length)) pgvFinding(d, ti, seg, msg, fi);
      if (rr['unique'] === true) {
        const s = new Set<string>();
        for (const x of arr) {
          const k = typeof x === 'object' ? JSON.stringify(x, (_, y: unknown) => (typeof y === 'bigint' ? y.toString() : y)) : `${typeof x}:${String(x)}`;
          if (s.has(k)) {
            pgvFinding(d, ti, seg, 'repeated value must contain unique items', fi);
            break;
          }
          s.add(k);
        }
      }
      const ir = rr['items'] as pgv.Rules | undefined;
      if (ir) {
        d.segs.push(seg);
        for (let i = 0; i < arr.length; i++) {
          if (arr[i] === INVALID) continue;
          for (const msg of singleRules(ir, fi, arr[i], true)) pgvFinding(d, ti, i, msg, fi);
        }
        d.segs.pop();
      }
      continue;
    }
  }
}

function pgvFinding(d: DecodeState, ti: TypeInfo, seg: string | number, reason: string, fi?: FieldInfo, hint?: string, what?: string): void {
  const fname = typeof seg === 'number' ? `${fi?.name ?? ''}[${seg}]` : (fi?.name ?? seg);
  const errType = `${ti.type.name}ValidationError.${pascal(typeof seg === 'number' ? (fi?.name ?? '') : (fi?.name ?? seg))}`;
  d.report(pgvViolation, `${fname}${what ? ` ${what}` : ''}: ${reason}`, hint ?? `Envoy rejects the config: "Proto constraint validation failed (${errType}: ${reason})"`, seg);
}

function pascal(s: string): string {
  return s.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
