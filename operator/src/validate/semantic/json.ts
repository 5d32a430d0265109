/**
 * Plain-JSON access for typed configs written either in proto JSON (camelCase) or in the
 * snake_case Istio users copy from Envoy docs. Lookups return the key actually used so that
 * finding paths name the field as the user wrote it.
 */
import { formatPath } from '../../diagnostics.js';

export type Seg = string | number;
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** camelCase spellings of the field names the rules ask for (a fixed set: they are written in the code). */
const camels = new Map<string, string>();

export function camel(snake: string): string {
  let c = camels.get(snake);
  if (c === undefined) {
    c = snake.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase());
    if (camels.size < 4096) camels.set(snake, c);
  }
  return c;
}

/** The value of field `snake` (or its camelCase spelling) and the key it was found under. */
export function field(o: unknown, snake: string): { key: string; value: unknown } | undefined {
  if (!isObj(o)) return undefined;
  if (Object.prototype.hasOwnProperty.call(o, snake) && o[snake] !== null && o[snake] !== undefined) return { key: snake, value: o[snake] };
  const c = camel(snake);
  if (c !== snake && Object.prototype.hasOwnProperty.call(o, c) && o[c] !== null && o[c] !== undefined) return { key: c, value: o[c] };
  return undefined;
}

export const get = (o: unknown, snake: string): unknown => field(o, snake)?.value;
export const has = (o: unknown, snake: string): boolean => field(o, snake) !== undefined;
/** Key to put into a path: the spelling used, or snake_case when absent. */
export const keyOf = (o: unknown, snake: string): string => field(o, snake)?.key ?? snake;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const path = (segs: readonly Seg[]): string => formatPath(segs);

/** Proto JSON bool (also accepts "true"). */
export const truthy = (v: unknown): boolean => v === true || v === 'true';

/**
 * A google.protobuf.Duration in seconds: proto JSON `"1.5s"`, or `{seconds, nanos}` as some YAML
 * writers emit. `undefined` when malformed (the proto layer reports that).
 */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v === 'string') {
    const m = /^(-?\d+(?:\.\d{1,9})?)s$/.exec(v.trim());
    return m ? Number(m[1]) : undefined;
  }
  if (isObj(v)) {
    const s = Number(get(v, 'seconds') ?? 0);
    const n = Number(get(v, 'nanos') ?? 0);
    return Number.isFinite(s) && Number.isFinite(n) ? s + n / 1e9 : undefined;
  }
  return undefined;
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000, '0': 100, '1': 10_000, '2': 1_000_000 };

/** A RuntimeFractionalPercent's default fraction in [0, 1]; `undefined` if malformed. */
export function runtimeFraction(v: unknown): number | undefined {
  const dv = get(v, 'default_value');
  if (!isObj(dv)) return undefined;
  const num = Number(get(dv, 'numerator') ?? 0);
  const den = DENOMINATORS[String(get(dv, 'denominator') ?? 'HUNDRED')];
  if (!Number.isFinite(num) || den === undefined) return undefined;
  return Math.min(1, num / den);
}

/** The message type name of a type URL or full name: `type.googleapis.com/a.b.C` → `a.b.C`. */
export function typeNameOf(typeUrlOrName: string): string {
  return typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1);
}

/** `@type` of a typed config, as a message name. */
export function atType(o: unknown): string | undefined {
  const t = isObj(o) ? o['@type'] : undefined;
  return typeof t === 'string' ? typeNameOf(t) : undefined;
}
