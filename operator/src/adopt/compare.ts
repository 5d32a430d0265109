/**
 * The strong check of a proposal: the original EnvoyFilter and the EnvoyFilters rendered
 * from the proposal are each applied to the same Istio-generated config (the patch
 * simulator of the validator, with the ports and routes either one names), and compared
 * route by route as Envoy would run them: which added filters are active on the route, in
 * which position among istiod's own filters, with which effective config (the per-route
 * config where one overrides or enables the filter). Filter names, stat prefixes and
 * runtime keys are names, not behaviour, and are left out.
 */
import type { K8sObject } from '../k8s-object.js';
import { normalizeKeys, patchedConfigs, type EnvoyFilterObject, type Json, type JsonObject, type XdsConfig } from '../validate/istio/index.js';
import { filterConfigType, hcmNames, typedConfig } from './patterns.js';
import { isObject } from '../validate/istio/merge.js';

const localRateLimit = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const lua = 'envoy.extensions.filters.http.lua.v3.Lua';

function configPatches(ef: K8sObject): JsonObject[] {
  const p = (ef['spec'] as { configPatches?: unknown } | undefined)?.configPatches;
  return Array.isArray(p) ? (p as JsonObject[]) : [];
}

/** Names of the HTTP filters the patches insert: what the comparison looks at. */
function insertedNames(patches: JsonObject[]): Set<string> {
  const names = new Set<string>();
  for (const p of patches) {
    const v = isObject(p['patch']) ? p['patch']['value'] : undefined;
    if (p['applyTo'] === 'HTTP_FILTER' && isObject(v) && typeof v['name'] === 'string') names.add(v['name']);
  }
  return names;
}

function percent(v: unknown): number {
  const d = isObject(v) && isObject(v['default_value']) ? v['default_value'] : undefined;
  if (!d) return 0;
  const den = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[String(d['denominator'] ?? 'HUNDRED')] ?? 100;
  return (Number(d['numerator'] ?? 0) * 100) / den;
}

function ms(v: unknown): unknown {
  if (typeof v === 'string') {
    const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(v);
    if (m) return Number(m[1]) * 1000 + Number(`0.${m[2] ?? '0'}`) * 1000;
  }
  if (isObject(v) && ('seconds' in v || 'nanos' in v)) return Number(v['seconds'] ?? 0) * 1000 + Number(v['nanos'] ?? 0) / 1e6;
  return v;
}

function uint(v: unknown): unknown {
  return isObject(v) && Object.keys(v).length === 1 && 'value' in v ? Number(v['value']) : v;
}

function bucket(tb: JsonObject): JsonObject {
  return { max_tokens: uint(tb['max_tokens']) as Json, tokens_per_fill: (uint(tb['tokens_per_fill']) ?? 1) as Json, fill_interval_ms: ms(tb['fill_interval']) as Json };
}

/**
 * Descriptor values of generic_key / *_value_match actions and descriptor keys of
 * per-value actions are labels tying actions to descriptors: renamed by position, so two
 * configs that differ only in labels compare equal.
 */
function relabel(c: JsonObject): void {
  const values = new Map<string, string>();
  const keys = new Map<string, string>();
  const label = (m: Map<string, string>, v: unknown, prefix: string) => {
    const s = String(v);
    if (!m.has(s)) m.set(s, `${prefix}${m.size}`);
    return m.get(s)!;
  };
  const rls = Array.isArray(c['rate_limits']) ? c['rate_limits'] : [];
  c['rate_limits'] = rls.map((rl) => {
    if (!isObject(rl) || !Array.isArray(rl['actions'])) return rl;
    return {
      ...rl,
      actions: rl['actions'].map((a) => {
        if (!isObject(a)) return a;
        const out: JsonObject = {};
        for (const [kind, v] of Object.entries(a)) {
          if (!isObject(v)) {
            out[kind] = v;
            continue;
          }
          const w: JsonObject = { ...v };
          if (typeof w['descriptor_value'] === 'string') w['descriptor_value'] = label(values, w['descriptor_value'], 'v');
          if (typeof w['descriptor_key'] === 'string') w['descriptor_key'] = label(keys, w['descriptor_key'], 'k');
          out[kind] = w;
        }
        return out;
      }),
    };
  });
  c['descriptors'] = (c['descriptors'] as Json[]).map((d) => {
    if (!isObject(d) || !Array.isArray(d['entries'])) return d;
    return {
      ...d,
      entries: d['entries'].map((e) => {
        if (!isObject(e)) return e;
        const key = keys.get(String(e['key'])) ?? String(e['key']);
        const value = String(e['value'] ?? '');
        return { key, value: values.get(value) ?? value };
      }),
    };
  });
}

/**
 * A filter config in a form where equal behaviour is equal JSON: proto field names, the
 * TypedStruct unwrapped, defaults spelled out, names (stat_prefix, runtime keys) removed.
 */
function canonical(type: string, config: JsonObject): JsonObject {
  const c = normalizeKeys(config) as JsonObject;
  delete c['stat_prefix'];
  if (type === localRateLimit) {
    const tb = c['token_bucket'];
    if (isObject(tb)) c['token_bucket'] = bucket(tb);
    c['filter_enabled'] = percent(c['filter_enabled']);
    c['filter_enforced'] = percent(c['filter_enforced']);
    if (isObject(c['status']) && Number(c['status']['code']) === 429) delete c['status'];
    // The headers go only on the limited answer, which Envoy generates: append and overwrite add them alike.
    const hs = c['response_headers_to_add'];
    if (Array.isArray(hs))
      c['response_headers_to_add'] = hs.map((h) => (isObject(h) && isObject(h['header']) ? { key: String(h['header']['key']).toLowerCase(), value: h['header']['value'] ?? '' } : h));
    if (!Array.isArray(c['descriptors']) || c['descriptors'].length === 0) {
      delete c['always_consume_default_token_bucket'];
      delete c['descriptors'];
    } else {
      relabel(c);
      const tbc = c['token_bucket'] as JsonObject | undefined;
      // A default bucket that never empties: consuming it or not is the same.
      if (tbc && tbc['max_tokens'] === 4294967295 && tbc['tokens_per_fill'] === 4294967295) delete c['always_consume_default_token_bucket'];
      const wildcard = c['descriptors'].some((d) => isObject(d) && Array.isArray(d['entries']) && d['entries'].some((e) => isObject(e) && (e['value'] ?? '') === ''));
      if (wildcard) c['max_dynamic_descriptors'] ??= 20;
      c['descriptors'] = c['descriptors'].map((d) => (isObject(d) && isObject(d['token_bucket']) ? { ...d, token_bucket: bucket(d['token_bucket']) } : d));
    }
  }
  if (type === lua && typeof c['inline_code'] === 'string') {
    c['default_source_code'] = { inline_string: c['inline_code'] };
    delete c['inline_code'];
  }
  return c;
}

/** What one added filter does on one route: its type and effective config, or nothing (inactive). */
function effective(filter: JsonObject, perRoute: unknown, routeRateLimits: unknown): string[] {
  const one = effectiveConfig(filter, perRoute, routeRateLimits);
  if (!one) return [];
  if (one.type !== localRateLimit) return [`${one.type} ${stable(one.config)}`];
  return independentLimits(one.config).map((c) => `${localRateLimit} ${stable(c)}`);
}

/** JSON with object keys sorted: field order is not meaning. */
function stable(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/**
 * A LocalRateLimit whose default bucket never empties is a set of independent limits, one
 * per descriptor with the rate limit entry that generates it: one filter with two
 * descriptors does what two filters with one each do.
 */
function independentLimits(c: JsonObject): JsonObject[] {
  const tb = c['token_bucket'] as JsonObject | undefined;
  const descriptors = c['descriptors'];
  const rls = c['rate_limits'];
  if (!Array.isArray(descriptors) || !Array.isArray(rls) || tb?.['max_tokens'] !== 4294967295 || tb['tokens_per_fill'] !== 4294967295) return [c];
  const out: JsonObject[] = [];
  for (const d of descriptors) {
    const entries = isObject(d) && Array.isArray(d['entries']) ? d['entries'] : [];
    const from = rls.filter((rl) => isObject(rl) && Array.isArray(rl['actions']) && rl['actions'].length === entries.length && rl['actions'].every((a, j) => actionGenerates(a, entries[j])));
    if (from.length !== 1) return [c];
    const split: JsonObject = { ...c, ...sameCondition(from[0] as JsonObject, d as JsonObject) };
    relabel(split);
    out.push(split);
  }
  return out;
}

/**
 * One rate limit entry and the descriptor it generates, with each condition written one
 * way: generic_key pairs (they select nothing) are left out, and a per-value action whose
 * descriptor fixes the value is the value-match action it equals.
 */
function sameCondition(rl: JsonObject, d: JsonObject): { rate_limits: Json[]; descriptors: Json[] } {
  const actions: Json[] = [];
  const entries: Json[] = [];
  (rl['actions'] as Json[]).forEach((a, j) => {
    const e = (d['entries'] as JsonObject[])[j]!;
    const [kind, v] = Object.entries(a as JsonObject)[0]! as [string, JsonObject];
    const value = String(e['value'] ?? '');
    if (kind === 'generic_key') return;
    if (kind === 'request_headers' && value !== '') {
      actions.push({ header_value_match: { descriptor_value: value, headers: [{ name: String(v['header_name']).toLowerCase(), string_match: { exact: value } }] } });
      entries.push({ key: 'header_match', value });
    } else if (kind === 'query_parameters' && value !== '') {
      actions.push({ query_parameter_value_match: { descriptor_value: value, query_parameters: [{ name: v['query_parameter_name'] ?? '', string_match: { exact: value } }] } });
      entries.push({ key: 'query_match', value });
    } else if (kind === 'remote_address' && value !== '') {
      const v6 = value.includes(':');
      actions.push({ masked_remote_address: v6 ? { v6_prefix_mask_len: 128 } : { v4_prefix_mask_len: 32 } });
      entries.push({ key: 'masked_remote_address', value: `${value}/${v6 ? 128 : 32}` });
    } else {
      const headers = v['headers'];
      actions.push(Array.isArray(headers) ? { [kind]: { ...v, headers: headers.map((h) => (isObject(h) ? { ...h, name: String(h['name']).toLowerCase() } : h)) } } : a);
      entries.push(e);
    }
  });
  return { rate_limits: [{ ...rl, actions }], descriptors: [{ ...d, entries }] };
}

/** Whether an action (labels already positional) can generate the descriptor entry. */
function actionGenerates(a: unknown, e: unknown): boolean {
  if (!isObject(a) || !isObject(e)) return false;
  const [kind, v] = Object.entries(a)[0] ?? [];
  if (!isObject(v)) return false;
  const key =
    typeof v['descriptor_key'] === 'string'
      ? v['descriptor_key']
      : (
          {
            generic_key: 'generic_key',
            header_value_match: 'header_match',
            query_parameter_value_match: 'query_match',
            remote_address: 'remote_address',
            masked_remote_address: 'masked_remote_address',
          } as Record<string, string>
        )[kind!];
  if (e['key'] !== key) return false;
  return typeof v['descriptor_value'] === 'string' ? e['value'] === v['descriptor_value'] : true;
}

function effectiveConfig(filter: JsonObject, perRoute: unknown, routeRateLimits: unknown): { type: string; config: JsonObject } | undefined {
  const own = typedConfig(filter['typed_config']);
  if (!own) return { type: 'untyped', config: { name: String(filter['name']) } };
  let type = own.type;
  let config = own.config;
  const route = typedConfig(perRoute);
  if (route?.type === filterConfigType) {
    if (route.config['disabled'] === true) return undefined;
    const inner = typedConfig(route.config['config']);
    if (inner && Object.keys(inner.config).length > 0) ({ type, config } = inner.type === type ? inner : { type, config: { ...config, per_route: { '@type': inner.type, ...inner.config } } });
  } else if (filter['disabled'] === true && !route) {
    return undefined;
  } else if (route) {
    // Any per-route config of a disabled filter enables it (Envoy router/per_filter_config.cc).
    // A LocalRateLimit per-route config replaces the filter's; other filters read both.
    config = route.type === type ? route.config : { ...config, per_route: { '@type': route.type, ...route.config } };
  }
  // Descriptors without the filter's own rate_limits are generated by the route's.
  if (type === localRateLimit && config['descriptors'] !== undefined && config['rate_limits'] === undefined && Array.isArray(routeRateLimits)) {
    config = { ...config, rate_limits: routeRateLimits as Json[] };
  }
  const c = canonical(type, config);
  if (type === localRateLimit && c['filter_enabled'] === 0) return undefined;
  return { type, config: c };
}

function perFilter(o: JsonObject | undefined, name: string): unknown {
  const m = o?.['typed_per_filter_config'];
  return isObject(m) ? m[name] : undefined;
}

/** Route → the HTTP filter chain Envoy runs for it: istiod's filters by name, added ones by behaviour. */
function view(config: XdsConfig, added: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of config.listeners) {
    const chains = Array.isArray(l['filter_chains']) ? (l['filter_chains'] as JsonObject[]) : [];
    chains.forEach((fc, ci) => {
      for (const f of Array.isArray(fc['filters']) ? (fc['filters'] as JsonObject[]) : []) {
        if (!hcmNames.has(String(f['name'])) || !isObject(f['typed_config'])) continue;
        const hcm = f['typed_config'];
        const filters = Array.isArray(hcm['http_filters']) ? (hcm['http_filters'] as JsonObject[]) : [];
        const rds = isObject(hcm['rds']) ? hcm['rds']['route_config_name'] : undefined;
        const rc = isObject(hcm['route_config']) ? hcm['route_config'] : config.routes.find((r) => r['name'] === rds);
        const where = `listener ${String(l['name'])}${chains.length > 1 ? ` (filter chain ${String(fc['name'] ?? ci)})` : ''}`;
        const vhosts = Array.isArray(rc?.['virtual_hosts']) ? (rc['virtual_hosts'] as JsonObject[]) : [];
        const routes = vhosts.flatMap((vh) => (Array.isArray(vh['routes']) ? (vh['routes'] as JsonObject[]) : []).map((r, ri) => ({ vh, r, ri })));
        if (routes.length === 0) routes.push({ vh: {}, r: {}, ri: 0 });
        for (const { vh, r, ri } of routes) {
          const chain = filters.flatMap((hf) => {
            const name = String(hf['name']);
            if (!added.has(name)) return [name];
            const own = isObject(r['route']) ? r['route']['rate_limits'] : undefined;
            const routeRateLimits = Array.isArray(own) && own.length > 0 ? own : vh['rate_limits'];
            return effective(hf, perFilter(r, name) ?? perFilter(vh, name) ?? perFilter(rc, name), routeRateLimits).map((e) => `+ ${e}`);
          });
          out.set(`${where}, route ${String(vh['name'] ?? '-')}/${String(r['name'] ?? ri)}`, commuted(chain));
        }
      }
    });
  }
  return out;
}

/** Adjacent local rate limits are independent: their order does not matter, so runs of them are sorted. */
function commuted(chain: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const x of chain) {
    if (x.startsWith(`+ ${localRateLimit} `)) run.push(x);
    else {
      flush();
      out.push(x);
    }
  }
  flush();
  return out;
}

/** The first place two filter chains part, said in words. */
function describe(where: string, a: string[], b: string[]): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const say = (x: string | undefined) => (x === undefined ? 'nothing' : x.startsWith('+ ') ? x.slice(2) : `istiod's ${x}`);
  const next = (list: string[]) => list.slice(i + 1).find((x) => !x.startsWith('+ '));
  return `${where}: at filter ${i + 1} the original runs ${say(a[i])}${a[i]?.startsWith('+ ') ? ` (before ${next(a) ?? 'the end'})` : ''}, the proposal ${say(b[i])}${b[i]?.startsWith('+ ') ? ` (before ${next(b) ?? 'the end'})` : ''}`;
}

export interface Comparison {
  /** Behaviour differences; empty means equivalent. */
  differences: string[];
}

/**
 * Applies `original` and the proposal's EnvoyFilters to one baseline, built from the
 * ports and routes both name, and compares every route's filter chain.
 */
export function compare(original: K8sObject, rendered: K8sObject[], istioVersion: string): Comparison {
  const mine = configPatches(original);
  const theirs = rendered.filter((o) => o.kind === 'EnvoyFilter').flatMap(configPatches);
  const differences: string[] = [];
  const priority = (o: K8sObject) => Number((o['spec'] as { priority?: number } | undefined)?.priority ?? 0);
  for (const r of rendered.filter((o) => o.kind === 'EnvoyFilter')) {
    if (priority(r) !== priority(original)) differences.push(`priority ${priority(original)} becomes ${priority(r)}: the order against other EnvoyFilters changes`);
  }
  const selector = (rendered.find((o) => o.kind === 'EnvoyFilter')?.['spec'] as { workloadSelector?: { labels?: Record<string, string> } } | undefined)?.workloadSelector;
  // One EnvoyFilter holding both sets of patches gives one baseline; each run skips the other set.
  const union = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: original.metadata.name, namespace: original.metadata.namespace ?? 'default' },
    spec: { ...(selector ? { workloadSelector: selector } : {}), configPatches: [...mine, ...theirs] },
  } as unknown as EnvoyFilterObject;
  const indexes = (from: number, n: number) => new Set(Array.from({ length: n }, (_, i) => from + i));
  const run = (skip: Set<number>) => patchedConfigs(union, { istioVersions: [istioVersion], istioVersion, skip });
  const before = run(indexes(mine.length, theirs.length));
  const after = run(indexes(0, mine.length));
  const addedA = insertedNames(mine);
  const addedB = insertedNames(theirs);
  const seen = new Set<string>();
  before.forEach(({ kind, config }, k) => {
    const a = view(config, addedA);
    const b = view(after[k]!.config, addedB);
    for (const [where, chainA] of a) {
      const chainB = b.get(where) ?? [];
      if (JSON.stringify(chainA) === JSON.stringify(chainB)) continue;
      const text = describe(`${kind} ${where}`, chainA, chainB);
      // The same difference on many routes is said once.
      const key = text.replace(/^.*?: /, '');
      if (!seen.has(key)) {
        seen.add(key);
        differences.push(text);
      }
    }
  });
  return { differences };
}
