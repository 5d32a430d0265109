/**
 * MW3xx over a whole EnvoyFilter: every `configPatches[].patch.value` through
 * checkEnvoySemanticsIn (MERGE values as partial), and LuaPerRoute names in route patches
 * against the Lua HTTP filters the other patches of the same object add. Paths are relative to
 * the EnvoyFilter object (`spec.configPatches[2].patch.value.typed_config.token_bucket.fill_interval`).
 */
import { joinPath, type Finding } from '../rule.js';
import { formatPath } from '../../diagnostics.js';
import { arr, atType, field, get, isObj, str } from './json.js';
import { checkEnvoySemanticsIn, GLOBAL_RATELIMIT, GLOBAL_RATELIMIT_PER_ROUTE, LOCAL_RATELIMIT, LUA } from './check.js';
import { MW312, MW324 } from './rules.js';
import type { EnvoyMinor } from './types.js';

export interface EnvoyFilterSemanticsOptions {
  envoyVersion: EnvoyMinor;
  /** Lua HTTP filter configs by filter name already present on the proxy (other EnvoyFilters). */
  luaFilters?: ReadonlyMap<string, unknown>;
  /** Other EnvoyFilters on the same proxies set route/vhost `rate_limits` (silences MW324). */
  routeRateLimitsElsewhere?: boolean;
}

/** Does `v` set route-level rate limit actions: VirtualHost/RouteAction `rate_limits` or a RateLimitPerRoute with them? */
function setsRouteRateLimits(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(setsRouteRateLimits);
  if (!isObj(v)) return false;
  const t = atType(v);
  if (t === GLOBAL_RATELIMIT_PER_ROUTE) return arr(get(v, 'rate_limits')).length > 0;
  if (t === LOCAL_RATELIMIT || t === GLOBAL_RATELIMIT) return false; // their own rate_limits are filter-level
  if (t === undefined && arr(get(v, 'rate_limits')).length > 0) return true;
  return Object.values(v).some(setsRouteRateLimits);
}

export function checkEnvoyFilterSemantics(envoyFilter: unknown, opts: EnvoyFilterSemanticsOptions): Finding[] {
  const spec = get(envoyFilter, 'spec');
  const patches = Array.isArray(get(spec, 'configPatches')) ? (get(spec, 'configPatches') as unknown[]) : [];
  // Lua filters added by this object (HTTP_FILTER ADD/INSERT_*/REPLACE with a Lua typed_config).
  const lua = new Map<string, unknown>(opts.luaFilters ?? []);
  for (const cp of patches) {
    const value = get(get(cp, 'patch'), 'value');
    const name = str(get(value, 'name'));
    const tc = get(value, 'typed_config');
    if (get(cp, 'applyTo') === 'HTTP_FILTER' && name && atType(tc) === LUA) lua.set(name, tc);
  }
  const out: Finding[] = [];
  const routeLimits = opts.routeRateLimitsElsewhere === true || patches.some((cp) => setsRouteRateLimits(get(get(cp, 'patch'), 'value')));
  if (!routeLimits) {
    patches.forEach((cp, i) => {
      const patch = get(cp, 'patch');
      const op = str(get(patch, 'operation'));
      if (get(cp, 'applyTo') !== 'HTTP_FILTER' || op === 'REMOVE' || op === 'MERGE' || op === 'MERGE_AND_REPLACE_LIST') return;
      const tc = field(get(patch, 'value'), 'typed_config');
      const t = atType(tc?.value);
      if (!tc || (t !== GLOBAL_RATELIMIT && t !== LOCAL_RATELIMIT) || arr(get(tc.value, 'rate_limits')).length > 0) return;
      if (t === LOCAL_RATELIMIT && arr(get(tc.value, 'descriptors')).length === 0) return; // default bucket only: fine
      const at = formatPath(['spec', 'configPatches', i, 'patch', 'value', tc.key]);
      out.push(
        MW324.finding(
          at,
          t === GLOBAL_RATELIMIT
            ? 'the ratelimit filter has no rate_limits of its own and no patch of this EnvoyFilter sets route/vhost rate_limits: Envoy never builds a descriptor, so the rate limit service is never called'
            : 'the local_ratelimit descriptors need descriptors from rate_limits, but the filter has none and no patch of this EnvoyFilter sets route/vhost rate_limits: only the default bucket ever applies',
          'Set rate_limits in the filter config (Envoy >= 1.36 for the global filter), or add them with a VIRTUAL_HOST/HTTP_ROUTE patch.',
        ),
      );
    });
  }
  patches.forEach((cp, i) => {
    const patch = get(cp, 'patch');
    const op = str(get(patch, 'operation'));
    const value = get(patch, 'value');
    if (!isObj(value) || op === 'REMOVE') return;
    const at = formatPath(['spec', 'configPatches', i, 'patch', 'value']);
    const fs = checkEnvoySemanticsIn(value, { envoyVersion: opts.envoyVersion, partial: op === 'MERGE' || op === 'MERGE_AND_REPLACE_LIST', luaFilters: lua });
    out.push(...fs.map((f) => ({ ...f, path: joinPath(at, f.path) })));
  });
  // MW324 is the EnvoyFilter-level form of MW312 (info): keep one finding per filter.
  const escalated = out.filter((f) => f.rule === MW324.code).map((f) => f.path);
  return out.filter((f) => f.rule !== MW312.code || !escalated.some((p) => f.path.startsWith(p)));
}
