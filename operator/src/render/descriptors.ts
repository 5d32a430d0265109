/**
 * Turns a limit's `match` and `distinctBy` into Envoy rate limit actions
 * (envoy.config.route.v3.RateLimit.Action) and the descriptor entries they generate.
 * The same plan feeds the local filter's `descriptors` and the rate limit service's
 * configuration, so the two can never disagree.
 *
 * Conditions are ANDed by putting their actions in one RateLimit entry: a descriptor is
 * generated only when every action produces its entry. ORs (several source CIDRs, a
 * distinct header being present or absent) become several entries, one per variant.
 */
import type { Limit, StringMatch } from '../api/types.gen.js';
import { formatCidr, parseCidr } from './cidr.js';

/** One descriptor entry; `value: undefined` means one bucket per distinct value. */
export interface Entry {
  key: string;
  value?: string;
}

export interface Variant {
  /** The actions of one envoy.config.route.v3.RateLimit. */
  actions: unknown[];
  /** The descriptor those actions generate, in order. */
  entries: Entry[];
}

/** RE2 text matching `s` literally. */
export function quoteRe2(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** `:path` carries the query string; path conditions must ignore it (Envoy regexes match the whole value). */
const optionalQuery = '(?:\\?.*)?';

function stringMatcher(m: { exact?: string; prefix?: string; suffix?: string; regex?: string }): Record<string, unknown> {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.suffix !== undefined) return { suffix: m.suffix };
  return { safe_regex: { regex: m.regex } };
}

function headerMatcher(h: StringMatch): Record<string, unknown> {
  const base: Record<string, unknown> = { name: h.name };
  if (h.present) base.present_match = true;
  else base.string_match = stringMatcher(h);
  if (h.invert) base.invert_match = true;
  return base;
}

/** A header_value_match action: entry (header_match, value) when the headers match. */
function headerAction(value: string, headers: unknown[], expectMatch = true): { action: unknown; entry: Entry } {
  const action: Record<string, unknown> = { descriptor_value: value, headers };
  if (!expectMatch) action.expect_match = false;
  return { action: { header_value_match: action }, entry: { key: 'header_match', value } };
}

function conditionActions(limit: Limit): Array<{ action: unknown; entry: Entry }> {
  const out: Array<{ action: unknown; entry: Entry }> = [];
  const m = limit.match;
  if (!m) return out;
  if (m.path) {
    const p = m.path;
    const matcher = p.prefix !== undefined ? { prefix: p.prefix } : { safe_regex: { regex: (p.exact !== undefined ? quoteRe2(p.exact) : `(?:${p.regex})`) + optionalQuery } };
    out.push(headerAction('path', [{ name: ':path', string_match: matcher }]));
  }
  if (m.methods) {
    const matcher = m.methods.length === 1 ? { exact: m.methods[0] } : { safe_regex: { regex: m.methods.join('|') } };
    out.push(headerAction('method', [{ name: ':method', string_match: matcher }]));
  }
  m.headers?.forEach((h, i) => out.push(headerAction(`header-${i}`, [headerMatcher(h)])));
  m.query?.forEach((q, i) => {
    const qm: Record<string, unknown> = { name: q.name };
    if (q.present) qm.present_match = true;
    else qm.string_match = stringMatcher(q);
    const action: Record<string, unknown> = { descriptor_value: `query-${i}`, query_parameters: [qm] };
    if (q.invert) action.expect_match = false;
    out.push({ action: { query_parameter_value_match: action }, entry: { key: 'query_match', value: `query-${i}` } });
  });
  return out;
}

function cidrActions(limit: Limit): Array<{ action: unknown; entry: Entry }> | undefined {
  const cidrs = limit.match?.sourceCIDRs;
  if (!cidrs) return undefined;
  return cidrs.map((text) => {
    const c = parseCidr(text)!; // the schema's pattern admits only parseable CIDRs
    const action = c.family === 4 ? { v4_prefix_mask_len: c.prefix } : { v6_prefix_mask_len: c.prefix };
    return { action: { masked_remote_address: action }, entry: { key: 'masked_remote_address', value: formatCidr(c) } };
  });
}

/**
 * The per-value part. A header or query parameter can be absent: such requests share
 * one bucket (an explicit "absent" variant) instead of escaping the limit, which is what
 * a missing request_headers entry would otherwise do (failure mode 21).
 */
function distinctVariants(limit: Limit): Array<Array<{ action: unknown; entry: Entry }>> {
  const d = limit.distinctBy;
  if (!d) return [[]];
  if (d.sourceIP) return [[{ action: { remote_address: {} }, entry: { key: 'remote_address' } }]];
  if (d.header !== undefined) {
    const key = d.header.toLowerCase();
    return [[{ action: { request_headers: { header_name: key, descriptor_key: key } }, entry: { key } }], [headerAction('absent', [{ name: key, present_match: true }], false)]];
  }
  const q = d.query!;
  const key = `query.${q}`;
  return [
    [{ action: { query_parameters: { query_parameter_name: q, descriptor_key: key } }, entry: { key } }],
    [
      {
        action: { query_parameter_value_match: { descriptor_value: 'absent', expect_match: false, query_parameters: [{ name: q, present_match: true }] } },
        entry: { key: 'query_match', value: 'absent' },
      },
    ],
  ];
}

/**
 * The variants of one limit. `id` is the generic_key value that opens every descriptor;
 * it names the limit, so descriptors of different limits never collide.
 */
export function planDescriptors(limit: Limit, id: string): Variant[] {
  const head = { action: { generic_key: { descriptor_value: id } }, entry: { key: 'generic_key', value: id } };
  const conditions = conditionActions(limit);
  const cidrs = cidrActions(limit) ?? [undefined];
  const variants: Variant[] = [];
  for (const cidr of cidrs) {
    for (const distinct of distinctVariants(limit)) {
      const parts = [head, ...conditions, ...(cidr ? [cidr] : []), ...distinct];
      variants.push({ actions: parts.map((p) => p.action), entries: parts.map((p) => p.entry) });
    }
  }
  return variants;
}

/** True when the limit counts only some requests (so a default bucket must let the rest through). */
export function isSelective(limit: Limit): boolean {
  return limit.match !== undefined || limit.distinctBy !== undefined;
}
