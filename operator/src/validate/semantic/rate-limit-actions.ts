/**
 * What request descriptor a `envoy.config.route.v3.RateLimit` entry can produce, and the checks
 * shared by every place such entries appear (local/global filter level, RateLimitPerRoute,
 * virtual host and route action `rate_limits`).
 */
import type { Finding } from '../rule.js';
import { arr, field, get, isObj, keyOf, path, str, truthy, type Seg } from './json.js';
import { MW308, MW323 } from './rules.js';
import { since } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

/** One entry an action contributes: a fixed value, any value (from the request), or unknown key. */
export interface GenEntry {
  key: string | undefined; // undefined: extension action, key unknown
  value: string | undefined; // fixed value; undefined = from the request
  optional: boolean; // skip_if_absent: may be left out
  header?: string; // request_headers: the header the value comes from
}

/** The entry an action produces, or `undefined` for an action we do not understand. */
export function actionEntry(action: unknown): GenEntry | undefined {
  if (!isObj(action)) return undefined;
  const dyn = (key: string | undefined, optional = false): GenEntry => ({ key, value: undefined, optional });
  let a: unknown;
  if (get(action, 'source_cluster') !== undefined) return dyn('source_cluster');
  if (get(action, 'destination_cluster') !== undefined) return dyn('destination_cluster');
  if ((a = get(action, 'request_headers')) !== undefined) {
    const h = str(get(a, 'header_name'));
    return { ...dyn(str(get(a, 'descriptor_key')), truthy(get(a, 'skip_if_absent'))), ...(h ? { header: h.toLowerCase() } : {}) };
  }
  if ((a = get(action, 'query_parameters')) !== undefined) return dyn(str(get(a, 'descriptor_key')), truthy(get(a, 'skip_if_absent')));
  if (get(action, 'remote_address') !== undefined) return dyn('remote_address');
  if (get(action, 'masked_remote_address') !== undefined) return dyn('masked_remote_address');
  if ((a = get(action, 'generic_key')) !== undefined) return { key: str(get(a, 'descriptor_key')) || 'generic_key', value: str(get(a, 'descriptor_value')), optional: false };
  if ((a = get(action, 'header_value_match')) !== undefined) return { key: str(get(a, 'descriptor_key')) || 'header_match', value: str(get(a, 'descriptor_value')), optional: false };
  if ((a = get(action, 'query_parameter_value_match')) !== undefined) return { key: str(get(a, 'descriptor_key')) || 'query_match', value: str(get(a, 'descriptor_value')), optional: false };
  if ((a = get(action, 'metadata')) !== undefined) return dyn(str(get(a, 'descriptor_key')), truthy(get(a, 'skip_if_absent')));
  if ((a = get(action, 'dynamic_metadata')) !== undefined) return dyn(str(get(a, 'descriptor_key')));
  if (get(action, 'extension') !== undefined) return { key: undefined, value: undefined, optional: false };
  return undefined;
}

/** The descriptor shapes (entry lists) one RateLimit can generate; `undefined` if not knowable. */
export function generatedShapes(rateLimit: unknown, cap = 64): GenEntry[][] | undefined {
  const entries: GenEntry[] = [];
  for (const action of arr(get(rateLimit, 'actions'))) {
    const e = actionEntry(action);
    if (!e) return undefined;
    entries.push(e);
  }
  let shapes: GenEntry[][] = [[]];
  for (const e of entries) {
    const next: GenEntry[][] = [];
    for (const s of shapes) {
      next.push([...s, e]);
      if (e.optional) next.push(s);
    }
    shapes = next;
    if (shapes.length > cap) return undefined;
  }
  return shapes;
}

export interface ConfiguredEntry {
  key: string;
  value: string; // '' = wildcard
}

/** Can a request descriptor of `shape` match the configured descriptor `entries` (Envoy's rules)? */
export function shapeMatches(shape: readonly GenEntry[], entries: readonly ConfiguredEntry[]): boolean {
  if (shape.length !== entries.length) return false;
  return shape.every((g, i) => {
    const c = entries[i]!;
    if (g.key !== undefined && g.key !== c.key) return false;
    if (c.value === '' || g.value === undefined) return true;
    return g.value === c.value;
  });
}

export function describeShape(shape: readonly GenEntry[]): string {
  return `[${shape.map((e) => `${e.key ?? '?'}=${e.value ?? '<request>'}`).join(', ')}]`;
}

export type RateLimitsWhere = 'local-filter' | 'global-filter' | 'global-per-route' | 'route';

/**
 * Checks a `rate_limits` list at `at`. Filter-level lists (local/global filter, RateLimitPerRoute)
 * reject stage/disable_key/limit and dynamic_metadata (MW308). MW323 (missing header → no
 * descriptor) is reported for global and route-level lists; the local filter's per-value
 * buckets rely on exactly that behaviour.
 */
export function checkRateLimitList(list: unknown, at: readonly Seg[], where: RateLimitsWhere, envoyVersion?: string): Finding[] {
  // The global filter accepts `limit` in its own rate_limits since globalFilterRateLimitLimit
  // (1.37/1.38 untested, treated like 1.36). The local filter never does.
  const limitOk = where !== 'local-filter' && envoyVersion !== undefined && since(envoyVersion, ENVOY_BOUNDARIES.globalFilterRateLimitLimit);
  const out: Finding[] = [];
  // Headers/query parameters that another entry matches with header_value_match /
  // query_parameter_value_match: the absent case is then handled there (e.g. an `absent` bucket).
  const matchedElsewhere = (self: number, kind: 'header' | 'query', name: string): boolean =>
    arr(list).some(
      (rl, j) =>
        j !== self &&
        arr(get(rl, 'actions')).some((a) => {
          const m = get(a, kind === 'header' ? 'header_value_match' : 'query_parameter_value_match');
          const ms = arr(get(m, kind === 'header' ? 'headers' : 'query_parameters'));
          return ms.some((h) => (str(get(h, 'name')) ?? '').toLowerCase() === name.toLowerCase());
        }),
    );
  arr(list).forEach((rl, i) => {
    const here = [...at, i];
    if (where !== 'route') {
      for (const f of ['stage', 'disable_key'] as const) {
        const got = field(rl, f);
        // Envoy tests has_stage()/!disable_key().empty(): an explicit stage 0 is still rejected.
        if (got && !(f === 'disable_key' && got.value === '')) {
          out.push(
            MW308.finding(
              path([...here, got.key]),
              `'stage' field and 'disable_key' field are not supported in the filter's own rate_limits (Envoy rejects the config)`,
              `Remove ${got.key}; stages only select route/vhost rate_limits.`,
            ),
          );
        }
      }
      const limit = field(rl, 'limit');
      if (limit && !limitOk)
        out.push(
          MW308.finding(
            path([...here, limit.key]),
            `'limit' field is not supported in the filter's own rate_limits (Envoy rejects the config${where === 'local-filter' ? '' : '; the global filter accepts it from Envoy 1.39'})`,
            'Remove limit (the RLS override); set the limit in the descriptor or the RLS config.',
          ),
        );
    }
    arr(get(rl, 'actions')).forEach((action, j) => {
      const ah = [...here, keyOf(rl, 'actions'), j];
      const dm = field(action, 'dynamic_metadata');
      if (dm && where !== 'route') {
        out.push(
          MW308.finding(
            path([...ah, dm.key]),
            `the deprecated dynamic_metadata action is not supported in the filter's own rate_limits ("Unsupported rate limit action")`,
            'Use the metadata action with source: DYNAMIC.',
          ),
        );
      }
      if (where === 'local-filter') return;
      for (const kind of ['request_headers', 'query_parameters', 'metadata'] as const) {
        const a = field(action, kind);
        if (!a || !isObj(a.value) || truthy(get(a.value, 'skip_if_absent'))) continue;
        const what =
          kind === 'request_headers'
            ? `header ${JSON.stringify(str(get(a.value, 'header_name')) ?? '')}`
            : kind === 'query_parameters'
              ? `query parameter ${JSON.stringify(str(get(a.value, 'query_parameter_name')) ?? '')}`
              : 'metadata key';
        const hasDefault = kind === 'metadata' && str(get(a.value, 'default_value'));
        if (hasDefault) continue;
        const hn = str(get(a.value, 'header_name'));
        const qn = str(get(a.value, 'query_parameter_name'));
        if ((kind === 'request_headers' && hn && matchedElsewhere(i, 'header', hn)) || (kind === 'query_parameters' && qn && matchedElsewhere(i, 'query', qn))) continue;
        out.push(
          MW323.finding(
            path([...ah, a.key]),
            `requests without the ${what} produce no descriptor for this rate_limits entry, so they are never limited by it`,
            `Set skip_if_absent: true to keep the other entries${kind === 'metadata' ? ', or a default_value' : ''}, or make sure every request carries it.`,
          ),
        );
      }
    });
  });
  return out;
}
