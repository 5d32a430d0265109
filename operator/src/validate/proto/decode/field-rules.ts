/**
 * The protoc-gen-validate rules of one value (a single-valued field, or one item, key or value of
 * a list or map), as the messages Envoy's generated validators would give. Pure: the shared-decode
 * check (./shared-decodes.ts) replays them against another version's rules.
 */
import * as pgv from '../pgv.js';
import type { FieldInfo } from './reflect.js';

const ruleKinds = new WeakMap<pgv.Rules, string[]>();

/** PGV messages about one single-valued field (`v` as decoded; absent: `present` false). */
export function singleFieldRules(r: pgv.Rules, fi: FieldInfo, v: unknown, present: boolean): string[] {
  if (fi.messageType && !present) {
    const required = (k: string) => (r[k] as pgv.Rules | undefined)?.['required'] === true;
    return required('message') || required('duration') || required('timestamp') || required('any') ? ['value is required'] : [];
  }
  return singleRules(r, fi, present ? v : defaultOf(fi), present);
}

/** Rules of one (non-repeated) value. */
export function singleRules(r: pgv.Rules, fi: FieldInfo, v: unknown, present: boolean): string[] {
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
    case 'double':
    case 'float':
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'sint32':
    case 'sint64':
    case 'fixed32':
    case 'fixed64':
    case 'sfixed32':
    case 'sfixed64':
    case undefined:
      return 0;
  }
}
