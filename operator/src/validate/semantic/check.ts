/**
 * MW3xx checks of typed configs (re-exported by index.ts, the layer's entry).
 * `checkEnvoySemantics` checks one typed config (the JSON of a typed config,
 * `@type` optional, snake_case or camelCase); `checkEnvoySemanticsIn` finds every typed config,
 * per-route config and route `rate_limits` inside any Envoy JSON (an EnvoyFilter patch value, an
 * HCM, a route configuration) and checks each. Paths are relative to what was given.
 */
import { joinPath, type Finding } from '../rule.js';
import { arr, atType, field, get, isObj, str, typeNameOf, type Seg } from './json.js';
import { path as fmt } from './json.js';
import { checkLocalRateLimit } from './local-ratelimit.js';
import { checkListenerCodecs, LISTENER } from './hcm.js';
import { checkLua, checkLuaPerRoute } from './lua.js';
import { checkRateLimitList } from './rate-limit-actions.js';
import { checkGlobalRateLimit, checkGlobalRateLimitPerRoute, checkRouteRateLimit } from './ratelimit.js';
import { MW340 } from './rules.js';
import type { EnvoyMinor, SemanticOptions } from './types.js';
import { since } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

export const LOCAL_RATELIMIT = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
export const GLOBAL_RATELIMIT = 'envoy.extensions.filters.http.ratelimit.v3.RateLimit';
export const GLOBAL_RATELIMIT_PER_ROUTE = 'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute';
export const LUA = 'envoy.extensions.filters.http.lua.v3.Lua';
export const LUA_PER_ROUTE = 'envoy.extensions.filters.http.lua.v3.LuaPerRoute';
export const ROUTE_RATE_LIMIT = 'envoy.config.route.v3.RateLimit';
export const FILTER_CONFIG = 'envoy.config.route.v3.FilterConfig';
export const TYPED_STRUCTS = ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'] as const;

/**
 * The Envoy versions from which some rule of this layer judges differently: the named
 * ENVOY_BOUNDARIES of the version table. Versions between two boundaries get the same
 * findings, so callers may check once per class. A rule that starts to depend on a version
 * names its boundary there.
 */
export const SEMANTIC_VERSION_BOUNDARIES: readonly string[] = [...new Set(Object.values(ENVOY_BOUNDARIES))];

/** The class of `envoyVersion` under SEMANTIC_VERSION_BOUNDARIES (by the table's order): equal classes, equal findings. */
export function semanticVersionClass(envoyVersion: string): number {
  return SEMANTIC_VERSION_BOUNDARIES.filter((b) => since(envoyVersion, b)).length;
}

type Checker = (cfg: unknown, opts: SemanticOptions) => Finding[];
const checkers: Record<string, Checker> = {
  [LOCAL_RATELIMIT]: checkLocalRateLimit,
  [GLOBAL_RATELIMIT]: checkGlobalRateLimit,
  [GLOBAL_RATELIMIT_PER_ROUTE]: checkGlobalRateLimitPerRoute,
  [LUA]: (cfg) => checkLua(cfg),
  [LUA_PER_ROUTE]: () => [], // needs the filter config: checkLuaPerRoute
  [ROUTE_RATE_LIMIT]: checkRouteRateLimit,
};

/** Every type name `checkEnvoySemantics` understands (wrappers included). */
export const semanticTypes: ReadonlySet<string> = new Set([...Object.keys(checkers), FILTER_CONFIG, ...TYPED_STRUCTS]);

const prefixed = (prefix: string, fs: Finding[]): Finding[] => fs.map((f) => ({ ...f, path: joinPath(prefix, f.path) }));

/**
 * MW3xx findings for one typed config of type `typeName` (a type URL or full message name).
 * Unknown types give no findings. TypedStruct and route FilterConfig wrappers are unwrapped
 * (a FilterConfig's `config` is checked as a per-route config).
 */
export function checkEnvoySemantics(typeName: string, config: unknown, opts: SemanticOptions): Finding[] {
  const name = typeNameOf(typeName);
  if ((TYPED_STRUCTS as readonly string[]).includes(name)) {
    const inner = str(get(config, 'type_url'));
    const v = field(config, 'value');
    return inner && v ? prefixed(v.key, checkEnvoySemantics(inner, v.value, opts)) : [];
  }
  if (name === FILTER_CONFIG) return checkFilterConfig(config, opts);
  // A whole listener: its HCMs' codecs against its kind. Not in semanticTypes, so the walker
  // still descends into listeners inside patch values; the patch layer checks every patched
  // listener instead, where a MERGE has met the listener it lands in.
  if (name === LISTENER) return checkListenerCodecs(config);
  const c = checkers[name];
  return c ? c(config, opts) : [];
}

function checkFilterConfig(cfg: unknown, opts: SemanticOptions): Finding[] {
  if (!isObj(cfg)) return [];
  const inner = field(cfg, 'config');
  const disabled = get(cfg, 'disabled') === true || get(cfg, 'disabled') === 'true';
  if (!inner && !disabled && !opts.partial) {
    return [
      MW340.finding(
        '',
        'Empty route/virtual host per filter configuration: a FilterConfig needs config or disabled: true',
        'To enable the filter with its listener-level config set config: {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig"} and is_optional: true (istiod drops config: {}; docs/envoy-semantics.md §8), or give a real per-route config.',
      ),
    ];
  }
  if (!inner || disabled) return [];
  const t = atType(inner.value);
  // A FilterConfig inside a FilterConfig is the enable marker: Envoy never decodes it (no HTTP
  // filter claims the type; optional → skipped, otherwise a NACK the proto layer reports, MW203).
  if (t === FILTER_CONFIG) return [];
  return t ? prefixed(inner.key, checkEnvoySemantics(t, inner.value, { perRoute: true, envoyVersion: opts.envoyVersion })) : [];
}

/** The per-route config inside a typed_per_filter_config value (unwrapping FilterConfig). */
function perRouteInner(v: unknown): unknown {
  return atType(v) === FILTER_CONFIG ? get(v, 'config') : v;
}

export interface SemanticWalkOptions {
  envoyVersion: EnvoyMinor;
  /** `value` itself is a per-route config (e.g. an HTTP_ROUTE MERGE's typed_per_filter_config entry). */
  perRoute?: boolean;
  /**
   * `value` is an EnvoyFilter MERGE value: the typed config at its root (or its `typed_config`)
   * merges into an existing one, so absence-based rules are skipped there. Nested list entries
   * and map values (http_filters, typed_per_filter_config) are complete and checked in full.
   */
  partial?: boolean;
  /**
   * Lua HTTP filter configs by filter name, from elsewhere (other patches, the baseline), for the
   * LuaPerRoute cross-check. Lua filters inside `value` are added automatically.
   */
  luaFilters?: ReadonlyMap<string, unknown>;
}

/**
 * Walks any Envoy JSON and checks every typed config in it: HTTP filter typed_config (and
 * TypedStruct), typed_per_filter_config values (bare or FilterConfig-wrapped, as per-route
 * configs), VirtualHost/RouteAction `rate_limits`, and LuaPerRoute names against the Lua filters
 * of the same value or `luaFilters`.
 */
export function checkEnvoySemanticsIn(value: unknown, opts: SemanticWalkOptions): Finding[] {
  const out: Finding[] = [];
  const lua = new Map<string, unknown>(opts.luaFilters ?? []);
  const perRouteLua: Array<{ filter: string; cfg: unknown; at: Seg[] }> = [];
  const rootPartial = (at: Seg[]): boolean => opts.partial === true && (at.length === 0 || (at.length === 1 && (at[0] === 'typed_config' || at[0] === 'typedConfig')));
  const visit = (node: unknown, at: Seg[], perRoute: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, [...at, i], perRoute));
      return;
    }
    if (!isObj(node)) return;
    const t = atType(node);
    if (t !== undefined && semanticTypes.has(t)) {
      out.push(...prefixed(fmt(at), checkEnvoySemantics(t, node, { perRoute, envoyVersion: opts.envoyVersion, partial: rootPartial(at) })));
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'typed_per_filter_config' || k === 'typedPerFilterConfig') {
        if (!isObj(v)) continue;
        for (const [filter, cfg] of Object.entries(v)) {
          const inner = perRouteInner(cfg);
          if (atType(inner) === LUA_PER_ROUTE) perRouteLua.push({ filter, cfg: inner, at: [...at, k, filter, ...(inner === cfg ? [] : [field(cfg, 'config')!.key])] });
          visit(cfg, [...at, k, filter], true);
        }
      } else if ((k === 'rate_limits' || k === 'rateLimits') && t === undefined) {
        out.push(...prefixed(fmt(at), checkRateLimitList(v, [k], 'route')));
      } else if (k === 'http_filters' || k === 'httpFilters') {
        for (const hf of arr(v)) {
          const n = str(get(hf, 'name'));
          const tc = get(hf, 'typed_config');
          if (n && atType(tc) === LUA) lua.set(n, tc);
        }
        visit(v, [...at, k], false);
      } else if (typeof v === 'object' && v !== null) {
        visit(v, [...at, k], false);
      }
    }
  };
  if (opts.perRoute && isObj(value) && atType(value) === undefined) {
    // A bare typed_per_filter_config map given as the value.
    visit(value, [], true);
  } else visit(value, [], opts.perRoute ?? false);
  // A top-level Lua HTTP filter (HttpFilter {name, typed_config}).
  const topName = str(get(value, 'name'));
  if (topName && atType(get(value, 'typed_config')) === LUA) lua.set(topName, get(value, 'typed_config'));
  for (const p of perRouteLua) {
    const filterCfg = lua.get(p.filter);
    if (filterCfg !== undefined) out.push(...prefixed(fmt(p.at), checkLuaPerRoute(p.cfg, filterCfg)));
  }
  return out;
}
