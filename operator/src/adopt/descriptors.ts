/**
 * The inverse of render/descriptors.ts for a LocalRateLimit that carries its own
 * `rate_limits` (Envoy ≥ 1.32) and `descriptors`: each descriptor, with the rate limit
 * entry whose actions generate it, becomes the match / distinctBy of a limit. Descriptors
 * that differ only by a source CIDR, or that are the per-value and "absent" buckets of one
 * header or query parameter, are one limit, as the renderer plans them.
 */
import type { DistinctBy, RequestMatch, StringMatch } from '../api/types.gen.js';
import type { JsonObject } from '../validate/istio/index.js';
import { formatCidr, parseCidr } from '../render/cidr.js';
import { isObject } from '../validate/istio/merge.js';

/** What one descriptor selects. */
export interface Selection {
  match: RequestMatch;
  distinctBy?: DistinctBy;
  bucket: JsonObject;
}

type Generated = { key: string; value?: string; cond?: Cond };
type Cond =
  | { header: StringMatch }
  | { query: StringMatch }
  | { distinctHeader: string }
  | { distinctQuery: string }
  | { distinctIP: true }
  | { cidr: number; family: 4 | 6 }
  | { absentHeader: string }
  | { absentQuery: string };

function stringMatch(name: string, m: unknown): StringMatch | undefined {
  if (!isObject(m)) return undefined;
  const keys = Object.keys(m).filter((k) => k !== 'ignore_case');
  if (m['ignore_case'] === true || keys.length !== 1) return undefined;
  const k = keys[0]!;
  if (k === 'safe_regex' && isObject(m[k]) && typeof m[k]['regex'] === 'string') return { name, regex: m[k]['regex'] };
  if (['exact', 'prefix', 'suffix'].includes(k) && typeof m[k] === 'string') return { name, [k]: m[k] };
  return undefined;
}

/** A header or query matcher as a StringMatch (exact/prefix/suffix/regex/present, invert). */
function matcher(h: unknown): StringMatch | undefined {
  if (!isObject(h) || typeof h['name'] !== 'string') return undefined;
  const rest = Object.keys(h).filter((k) => k !== 'name' && k !== 'invert_match');
  if (rest.length !== 1) return undefined;
  const base = h['present_match'] === true ? { name: h['name'], present: true as const } : rest[0] === 'string_match' ? stringMatch(h['name'], h['string_match']) : undefined;
  if (!base) return undefined;
  return h['invert_match'] === true ? { ...base, invert: true } : base;
}

/** The entry one rate limit action generates, with the condition it stands for. */
function action(a: unknown): Generated | undefined {
  if (!isObject(a) || Object.keys(a).length !== 1) return undefined;
  const [kind, v] = Object.entries(a)[0]!;
  if (!isObject(v)) return undefined;
  switch (kind) {
    case 'generic_key':
      return typeof v['descriptor_value'] === 'string' ? { key: typeof v['descriptor_key'] === 'string' ? v['descriptor_key'] : 'generic_key', value: v['descriptor_value'] } : undefined;
    case 'header_value_match':
    case 'query_parameter_value_match': {
      const list = v[kind === 'header_value_match' ? 'headers' : 'query_parameters'];
      const value = v['descriptor_value'];
      if (!Array.isArray(list) || list.length !== 1 || typeof value !== 'string' || v['descriptor_key'] !== undefined) return undefined;
      const m = matcher(list[0]);
      if (!m) return undefined;
      const key = kind === 'header_value_match' ? 'header_match' : 'query_match';
      if (v['expect_match'] === false) {
        // Only "the parameter is absent" is a condition meshwarden writes this way.
        if (!m.present || m.invert) return undefined;
        return { key, value, cond: kind === 'header_value_match' ? { absentHeader: m.name } : { absentQuery: m.name } };
      }
      return { key, value, cond: kind === 'header_value_match' ? { header: m } : { query: m } };
    }
    case 'request_headers':
      if (typeof v['header_name'] !== 'string' || typeof v['descriptor_key'] !== 'string' || v['skip_if_absent'] !== undefined) return undefined;
      return { key: v['descriptor_key'], cond: { distinctHeader: v['header_name'] } };
    case 'query_parameters':
      if (typeof v['query_parameter_name'] !== 'string' || typeof v['descriptor_key'] !== 'string' || v['skip_if_absent'] !== undefined) return undefined;
      return { key: v['descriptor_key'], cond: { distinctQuery: v['query_parameter_name'] } };
    case 'remote_address':
      return Object.keys(v).length === 0 ? { key: 'remote_address', cond: { distinctIP: true } } : undefined;
    case 'masked_remote_address': {
      const v4 = v['v4_prefix_mask_len'];
      const v6 = v['v6_prefix_mask_len'];
      if (Object.keys(v).length !== 1) return undefined;
      if (typeof v4 === 'number') return { key: 'masked_remote_address', cond: { cidr: v4, family: 4 } };
      return typeof v6 === 'number' ? { key: 'masked_remote_address', cond: { cidr: v6, family: 6 } } : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether an action's entry can be the descriptor entry `want`. */
function generates(g: Generated, want: { key: string; value: string }): boolean {
  if (g.key !== want.key) return false;
  if (g.value !== undefined) return g.value === want.value;
  if (g.cond && 'cidr' in g.cond) {
    const c = parseCidr(want.value);
    return c !== undefined && c.prefix === g.cond.cidr && c.family === g.cond.family;
  }
  return true;
}

/**
 * The selections of a config's descriptors, or a reason why they cannot be read. Every
 * descriptor must be generated by exactly one rate limit entry, and every entry must
 * generate a descriptor (an entry without one would be a no-op meshwarden cannot write).
 */
export function readDescriptors(rateLimits: unknown, descriptors: unknown): Selection[] | string {
  if (!Array.isArray(rateLimits) || !Array.isArray(descriptors) || descriptors.length === 0) return "descriptors without the rate_limits that generate them (the route's rate_limits are not adopted)";
  const entries: Generated[][] = [];
  for (const rl of rateLimits) {
    if (!isObject(rl) || !Array.isArray(rl['actions']) || Object.keys(rl).some((k) => k !== 'actions')) return 'a rate_limits entry with more than actions (stage, limit, apply_on_stream_done…)';
    const gen = rl['actions'].map(action);
    if (gen.some((g) => g === undefined))
      return 'a rate limit action meshwarden does not write (only generic_key, header_value_match, query_parameter_value_match, request_headers, query_parameters, remote_address, masked_remote_address)';
    entries.push(gen as Generated[]);
  }
  const used = new Set<number>();
  const selections: Variant[] = [];
  for (const d of descriptors) {
    if (!isObject(d) || !Array.isArray(d['entries']) || !isObject(d['token_bucket']) || Object.keys(d).some((k) => k !== 'entries' && k !== 'token_bucket'))
      return 'a descriptor without entries and token_bucket';
    const want = d['entries'].map((e) => (isObject(e) ? { key: String(e['key']), value: typeof e['value'] === 'string' ? e['value'] : '' } : { key: '', value: '' }));
    const fits = entries.flatMap((gen, i) => (gen.length === want.length && gen.every((g, j) => generates(g, want[j]!)) ? [i] : []));
    if (fits.length !== 1) return fits.length === 0 ? 'a descriptor no rate_limits entry generates' : 'a descriptor several rate_limits entries generate';
    used.add(fits[0]!);
    const match: RequestMatch = {};
    const sel: Variant = { match, bucket: d['token_bucket'] };
    for (const [j, g] of entries[fits[0]!]!.entries()) {
      const value = want[j]!.value;
      const c = g.cond;
      if (!c) continue; // generic_key: names the limit, selects nothing
      if ('header' in c) (match.headers ??= []).push(c.header);
      else if ('query' in c) (match.query ??= []).push(c.query);
      else if ('absentHeader' in c) sel.absent = `header:${c.absentHeader}`;
      else if ('absentQuery' in c) sel.absent = `query:${c.absentQuery}`;
      else if ('cidr' in c)
        sel.cidr = formatCidr(parseCidr(value)!); // generates() checked it
      else if (value !== '') {
        // A fixed value of a per-value action: one value's bucket.
        if ('distinctHeader' in c) (match.headers ??= []).push({ name: c.distinctHeader, exact: value });
        else if ('distinctQuery' in c) (match.query ??= []).push({ name: c.distinctQuery, exact: value });
        else {
          const ip = parseCidr(`${value}/${value.includes(':') ? 128 : 32}`);
          if (!ip) return `remote_address value "${value}" is not an address`;
          sel.cidr = formatCidr(ip);
        }
      } else if ('distinctHeader' in c) {
        sel.distinctBy = { header: c.distinctHeader };
        sel.distinctKey = `header:${c.distinctHeader.toLowerCase()}`;
      } else if ('distinctQuery' in c) {
        sel.distinctBy = { query: c.distinctQuery };
        sel.distinctKey = `query:${c.distinctQuery}`;
      } else {
        sel.distinctBy = { sourceIP: true };
      }
    }
    selections.push(sel);
  }
  if (used.size !== entries.length) return 'a rate_limits entry no descriptor uses';
  return merge(selections);
}

type Variant = Selection & { cidr?: string; absent?: string; distinctKey?: string };

/** Folds the renderer's variants back: a per-value bucket with its "absent" bucket, and the CIDRs of one limit. */
function merge(all: Variant[]): Selection[] | string {
  const groups = new Map<string, Variant[]>();
  for (const s of all) {
    const key = JSON.stringify([s.match, s.bucket]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: Selection[] = [];
  for (const group of groups.values()) {
    const absent = group.filter((s) => s.absent);
    const rest: Variant[] = [];
    for (const s of group) {
      if (s.absent) continue;
      if (s.distinctKey) {
        const i = absent.findIndex((a) => a.absent === s.distinctKey && a.cidr === s.cidr);
        if (i < 0) return `one bucket per ${s.distinctKey.replace(':', ' ')} value without a bucket for requests that lack it (those would not be limited)`;
        absent.splice(i, 1);
      }
      rest.push(s);
    }
    if (absent.length > 0) return 'a bucket for requests without a header or parameter, alone';
    const folded = new Map<string, Selection & { cidrs: string[] }>();
    for (const s of rest) {
      const plain: Selection = { match: s.match, ...(s.distinctBy ? { distinctBy: s.distinctBy } : {}), bucket: s.bucket };
      if (!s.cidr) {
        out.push(plain);
        continue;
      }
      const key = JSON.stringify(s.distinctBy ?? null);
      const prior = folded.get(key);
      if (prior) prior.cidrs.push(s.cidr);
      else folded.set(key, { ...plain, cidrs: [s.cidr] });
    }
    for (const { cidrs, ...f } of folded.values()) out.push({ ...f, match: { ...f.match, sourceCIDRs: cidrs } });
  }
  return out;
}
