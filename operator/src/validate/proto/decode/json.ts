/** JSON values as the decoder meets them, and the marker of a value it could not decode. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

/** The result of decoding a value: `undefined` when the JSON could not be decoded (already reported). */
export type Decoded = unknown;
export const INVALID = Symbol('invalid');
