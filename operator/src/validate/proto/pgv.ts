/**
 * protoc-gen-validate rules (`(validate.rules)` field options as decoded by ./load.ts, camelCase
 * keys), evaluated on already-decoded values. Each check returns the reasons it failed, worded
 * like the C++ validators Envoy runs ("value length must be at least 1 characters"), so a user
 * can match them with Envoy's `Proto constraint validation failed (...)` NACK.
 * https://github.com/bufbuild/protoc-gen-validate/blob/main/validate/validate.proto
 */

export type Rules = Record<string, unknown>;

/** A Duration or Timestamp as signed nanoseconds. */
export type Nanos = bigint;

const NUMERIC_KINDS = new Set(['float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);

export function isNumericRuleKind(k: string): boolean {
  return NUMERIC_KINDS.has(k);
}

function has(o: Rules, k: string): boolean {
  return o[k] !== undefined && o[k] !== null && Object.prototype.hasOwnProperty.call(o, k);
}

function list(xs: unknown[], fmt: (x: unknown) => string = String): string {
  return `[${xs.map(fmt).join(', ')}]`;
}

/** lt/lte/gt/gte checks, shared by numbers, durations and timestamps. */
function ranges<T>(r: Rules, v: T, conv: (x: unknown) => T, cmp: (a: T, b: T) => number, fmt: (x: T) => string): string[] {
  const lo = has(r, 'gt') ? { v: conv(r['gt']), incl: false } : has(r, 'gte') ? { v: conv(r['gte']), incl: true } : undefined;
  const hi = has(r, 'lt') ? { v: conv(r['lt']), incl: false } : has(r, 'lte') ? { v: conv(r['lte']), incl: true } : undefined;
  const aboveLo = (l: { v: T; incl: boolean }) => (l.incl ? cmp(v, l.v) >= 0 : cmp(v, l.v) > 0);
  const belowHi = (h: { v: T; incl: boolean }) => (h.incl ? cmp(v, h.v) <= 0 : cmp(v, h.v) < 0);
  if (lo && hi) {
    const br = `${lo.incl ? '[' : '('}${fmt(lo.v)}, ${fmt(hi.v)}${hi.incl ? ']' : ')'}`;
    if (cmp(hi.v, lo.v) > 0) {
      return aboveLo(lo) && belowHi(hi) ? [] : [`value must be inside range ${br}`];
    }
    // Exclusive range: lt < gt means "outside [lt, gt]".
    const out = `${hi.incl ? '(' : '['}${fmt(hi.v)}, ${fmt(lo.v)}${lo.incl ? ')' : ']'}`;
    return aboveLo(lo) || belowHi(hi) ? [] : [`value must be outside range ${out}`];
  }
  if (lo && !aboveLo(lo)) return [`value must be greater than ${lo.incl ? 'or equal to ' : ''}${fmt(lo.v)}`];
  if (hi && !belowHi(hi)) return [`value must be less than ${hi.incl ? 'or equal to ' : ''}${fmt(hi.v)}`];
  return [];
}

const num = (x: unknown): number => Number(x);
const cmpNum = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** Numeric rules (`int32`, `uint64`, `double`, ...) on a decoded number. */
export function checkNumber(r: Rules, v: number): string[] {
  if (r['ignoreEmpty'] === true && v === 0) return [];
  // Fast path for the common one-sided bounds (gt: 0, gte: 0, lte: N).
  const gt = r['gt'];
  const gte = r['gte'];
  const lt = r['lt'];
  const lte = r['lte'];
  let n = 0;
  for (const _k in r) n++;
  if (n === 1) {
    if (typeof gt === 'number') return v > gt ? [] : [`value must be greater than ${gt}`];
    if (typeof gte === 'number') return v >= gte ? [] : [`value must be greater than or equal to ${gte}`];
    if (typeof lt === 'number') return v < lt ? [] : [`value must be less than ${lt}`];
    if (typeof lte === 'number') return v <= lte ? [] : [`value must be less than or equal to ${lte}`];
  }
  if (has(r, 'const') && v !== num(r['const'])) return [`value must equal ${num(r['const'])}`];
  const out = ranges(r, v, num, cmpNum, String);
  if (Array.isArray(r['in']) && r['in'].length > 0 && !r['in'].map(num).includes(v)) out.push(`value must be in list ${list(r['in'])}`);
  if (Array.isArray(r['notIn']) && r['notIn'].map(num).includes(v)) out.push(`value must not be in list ${list(r['notIn'])}`);
  return out;
}

export function checkBool(r: Rules, v: boolean): string[] {
  return has(r, 'const') && v !== r['const'] ? [`value must equal ${String(r['const'])}`] : [];
}

/** Enum rules; `defined` tells whether the number is a value of the enum. */
export function checkEnum(r: Rules, v: number, defined: boolean): string[] {
  const out: string[] = [];
  if (has(r, 'const') && v !== num(r['const'])) out.push(`value must equal ${num(r['const'])}`);
  if (r['definedOnly'] === true && !defined) out.push('value must be one of the defined enum values');
  if (Array.isArray(r['in']) && r['in'].length > 0 && !r['in'].map(num).includes(v)) out.push(`value must be in list ${list(r['in'])}`);
  if (Array.isArray(r['notIn']) && r['notIn'].map(num).includes(v)) out.push(`value must not be in list ${list(r['notIn'])}`);
  return out;
}

// -- strings -----------------------------------------------------------------------------------

const regexCache = new Map<string, RegExp | null>();

/** RE2 pattern → JS RegExp (PGV patterns in the Envoy API are in the common subset); null if it does not compile. */
export function compilePattern(p: string): RegExp | null {
  let re = regexCache.get(p);
  if (re !== undefined) return re;
  try {
    re = new RegExp(p.replace(/\\z/g, '$').replace(/\(\?P</g, '(?<'), 'u');
  } catch {
    try {
      re = new RegExp(p);
    } catch {
      re = null;
    }
  }
  regexCache.set(p, re);
  return re;
}

// protoc-gen-validate's well-known regexes (validate.proto KnownRegex, and the non-strict variant).
const HEADER_NAME = "^:?[0-9a-zA-Z!#$%&'*+-.^_|~\\x60]+$";
const HEADER_VALUE = '^[^\\u0000-\\u0008\\u000A-\\u001F\\u007F]*$';
const HEADER_LOOSE = '^[^\\u0000\\u000A\\u000D]*$';

const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export function isHostname(s: string): boolean {
  const h = s.endsWith('.') ? s.slice(0, -1) : s;
  if (h.length === 0 || h.length > 253) return false;
  return h.split('.').every((l) => HOSTNAME_LABEL.test(l));
}
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) && !/%/.test(s)) return false;
  const [addr = ''] = s.split('%');
  if (addr.includes(':::')) return false;
  const dbl = addr.split('::');
  if (dbl.length > 2) return false;
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const parts = [...groups(dbl[0] ?? ''), ...(dbl.length === 2 ? groups(dbl[1] ?? '') : [])];
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (i === parts.length - 1 && p.includes('.')) {
      if (!isIPv4(p)) return false;
      n += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) n += 1;
    else return false;
  }
  return dbl.length === 2 ? n < 8 : n === 8;
}
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function utf8Len(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
function runeLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function lenRule(r: Rules, v: number, exact: string, min: string, max: string, unit: string): string[] {
  if (has(r, exact) && v !== num(r[exact])) return [`value length must be ${num(r[exact])} ${unit}`];
  const lo = has(r, min) ? num(r[min]) : undefined;
  const hi = has(r, max) ? num(r[max]) : undefined;
  if (lo !== undefined && hi !== undefined && lo === hi && v !== lo) return [`value length must be ${lo} ${unit}`];
  if (lo !== undefined && hi !== undefined && (v < lo || v > hi)) return [`value length must be between ${lo} and ${hi} ${unit}, inclusive`];
  if (lo !== undefined && v < lo) return [`value length must be at least ${lo} ${unit}`];
  if (hi !== undefined && v > hi) return [`value length must be at most ${hi} ${unit}`];
  return [];
}

export function checkString(r: Rules, v: string): string[] {
  if (r['ignoreEmpty'] === true && v === '') return [];
  const out: string[] = [];
  if (has(r, 'const') && v !== r['const']) out.push(`value must equal ${JSON.stringify(r['const'])}`);
  if (has(r, 'len') || has(r, 'minLen') || has(r, 'maxLen')) out.push(...lenRule(r, runeLen(v), 'len', 'minLen', 'maxLen', 'characters'));
  if (has(r, 'lenBytes') || has(r, 'minBytes') || has(r, 'maxBytes')) out.push(...lenRule(r, utf8Len(v), 'lenBytes', 'minBytes', 'maxBytes', 'bytes'));
  if (typeof r['pattern'] === 'string') {
    const re = compilePattern(r['pattern']);
    if (re && !re.test(v)) out.push(`value does not match regex pattern ${JSON.stringify(r['pattern'])}`);
  }
  if (typeof r['prefix'] === 'string' && !v.startsWith(r['prefix'])) out.push(`value does not have prefix ${JSON.stringify(r['prefix'])}`);
  if (typeof r['suffix'] === 'string' && !v.endsWith(r['suffix'])) out.push(`value does not have suffix ${JSON.stringify(r['suffix'])}`);
  if (typeof r['contains'] === 'string' && !v.includes(r['contains'])) out.push(`value does not contain substring ${JSON.stringify(r['contains'])}`);
  if (typeof r['notContains'] === 'string' && v.includes(r['notContains'])) out.push(`value contains substring ${JSON.stringify(r['notContains'])}`);
  if (Array.isArray(r['in']) && r['in'].length > 0 && !r['in'].includes(v)) out.push(`value must be in list ${list(r['in'], (x) => JSON.stringify(x))}`);
  if (Array.isArray(r['notIn']) && r['notIn'].includes(v)) out.push(`value must not be in list ${list(r['notIn'], (x) => JSON.stringify(x))}`);
  // well_known oneof
  if (r['email'] === true && !/^[^@\s]+@[^@\s]+$/.test(v)) out.push('value must be a valid email address');
  if (r['hostname'] === true && !isHostname(v)) out.push('value must be a valid hostname');
  if (r['ip'] === true && !isIPv4(v) && !isIPv6(v)) out.push('value must be a valid IP address');
  if (r['ipv4'] === true && !isIPv4(v)) out.push('value must be a valid IPv4 address');
  if (r['ipv6'] === true && !isIPv6(v)) out.push('value must be a valid IPv6 address');
  if (r['uri'] === true && !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(v)) out.push('value must be a valid URI');
  if (r['uriRef'] === true && /\s/.test(v)) out.push('value must be a valid URI');
  if (r['address'] === true && !isHostname(v) && !isIPv4(v) && !isIPv6(v)) out.push('value must be a valid hostname, or ip address');
  if (r['uuid'] === true && !UUID.test(v)) out.push('value must be a valid UUID');
  const wk = r['wellKnownRegex'];
  if (wk === 'HTTP_HEADER_NAME' || wk === 'HTTP_HEADER_VALUE') {
    const strict = r['strict'] !== false;
    const pat = !strict ? HEADER_LOOSE : wk === 'HTTP_HEADER_NAME' ? HEADER_NAME : HEADER_VALUE;
    const re = compilePattern(pat);
    if (re && !re.test(v)) out.push(`value does not match regex pattern ${JSON.stringify(pat)}`);
  }
  return out;
}

export function checkBytes(r: Rules, v: Uint8Array): string[] {
  if (r['ignoreEmpty'] === true && v.length === 0) return [];
  const out: string[] = [];
  if (has(r, 'len') || has(r, 'minLen') || has(r, 'maxLen')) out.push(...lenRule(r, v.length, 'len', 'minLen', 'maxLen', 'bytes'));
  const asText = Buffer.from(v).toString('latin1');
  if (typeof r['pattern'] === 'string') {
    const re = compilePattern(r['pattern']);
    if (re && !re.test(Buffer.from(v).toString('utf8'))) out.push(`value does not match regex pattern ${JSON.stringify(r['pattern'])}`);
  }
  const b = (k: string): string | undefined => (typeof r[k] === 'string' ? Buffer.from(r[k], 'base64').toString('latin1') : undefined);
  const pre = b('prefix');
  if (pre !== undefined && !asText.startsWith(pre)) out.push('value does not have the required prefix');
  const suf = b('suffix');
  if (suf !== undefined && !asText.endsWith(suf)) out.push('value does not have the required suffix');
  const con = b('contains');
  if (con !== undefined && !asText.includes(con)) out.push('value does not contain the required substring');
  if (r['ip'] === true && v.length !== 4 && v.length !== 16) out.push('value must be a valid IP address');
  if (r['ipv4'] === true && v.length !== 4) out.push('value must be a valid IPv4 address');
  if (r['ipv6'] === true && v.length !== 16) out.push('value must be a valid IPv6 address');
  return out;
}

// -- durations and timestamps -----------------------------------------------------------------------

export function toNanos(d: unknown): Nanos {
  const o = (d ?? {}) as { seconds?: number | string; nanos?: number };
  return BigInt(Math.trunc(Number(o.seconds ?? 0))) * 1_000_000_000n + BigInt(Math.trunc(Number(o.nanos ?? 0)));
}

/** `1.5s`, `0.05s`, `0s`: protobuf JSON duration text. */
export function formatDuration(n: Nanos): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const s = a / 1_000_000_000n;
  const frac = a % 1_000_000_000n;
  const fs = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${neg ? '-' : ''}${s}${fs}s`;
}

const cmpBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

export function checkDuration(r: Rules, v: Nanos): string[] {
  if (has(r, 'const') && v !== toNanos(r['const'])) return [`value must equal ${formatDuration(toNanos(r['const']))}`];
  const out = ranges(r, v, toNanos, cmpBig, formatDuration);
  if (Array.isArray(r['in']) && r['in'].length > 0 && !r['in'].some((x) => toNanos(x) === v)) {
    out.push(`value must be in list ${list(r['in'], (x) => formatDuration(toNanos(x)))}`);
  }
  if (Array.isArray(r['notIn']) && r['notIn'].some((x) => toNanos(x) === v)) {
    out.push(`value must not be in list ${list(r['notIn'], (x) => formatDuration(toNanos(x)))}`);
  }
  return out;
}

export function formatTimestamp(n: Nanos): string {
  return new Date(Number(n / 1_000_000n)).toISOString();
}

export function checkTimestamp(r: Rules, v: Nanos, now: Nanos = BigInt(Date.now()) * 1_000_000n): string[] {
  if (has(r, 'const') && v !== toNanos(r['const'])) return [`value must equal ${formatTimestamp(toNanos(r['const']))}`];
  const out = ranges(r, v, toNanos, cmpBig, formatTimestamp);
  const within = has(r, 'within') ? toNanos(r['within']) : undefined;
  if (r['ltNow'] === true && !(v < now)) out.push('value must be less than now');
  if (r['gtNow'] === true && !(v > now)) out.push('value must be greater than now');
  if (within !== undefined && (v - now > within || now - v > within)) out.push(`value must be within ${formatDuration(within)} of now`);
  return out;
}

export function checkAny(r: Rules, typeUrl: string): string[] {
  const out: string[] = [];
  if (Array.isArray(r['in']) && r['in'].length > 0 && !r['in'].includes(typeUrl)) out.push(`type URL must be in list ${list(r['in'])}`);
  if (Array.isArray(r['notIn']) && r['notIn'].includes(typeUrl)) out.push(`type URL must not be in list ${list(r['notIn'])}`);
  return out;
}

export function checkRepeatedCount(r: Rules, n: number): string[] {
  if (has(r, 'minItems') && n < num(r['minItems'])) return [`value must contain at least ${num(r['minItems'])} item(s)`];
  if (has(r, 'maxItems') && n > num(r['maxItems'])) return [`value must contain no more than ${num(r['maxItems'])} item(s)`];
  return [];
}

export function checkMapCount(r: Rules, n: number): string[] {
  if (has(r, 'minPairs') && n < num(r['minPairs'])) return [`value must contain at least ${num(r['minPairs'])} pair(s)`];
  if (has(r, 'maxPairs') && n > num(r['maxPairs'])) return [`value must contain no more than ${num(r['maxPairs'])} pair(s)`];
  return [];
}
