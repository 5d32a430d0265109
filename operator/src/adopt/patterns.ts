/**
 * Reads a hand-written EnvoyFilter into the parts meshwarden can express: HTTP filters
 * inserted before the router (or first) of one context, per-route configs of those
 * filters, and the local-reply body meshwarden uses for limit responses. Every field of
 * every patch is either consumed or makes the whole EnvoyFilter unadoptable: a proposal
 * never silently drops a part of the original.
 */
import { normalizeKeys } from '../validate/istio/index.js';
import type { JsonObject } from '../validate/istio/index.js';
import type { Note } from '../migrate/notes.js';
import { isObject } from '../validate/istio/merge.js';

export type Context = 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';
type Path = Array<string | number>;

const typedStructTypes = new Set(['type.googleapis.com/udpa.type.v1.TypedStruct', 'type.googleapis.com/xds.type.v3.TypedStruct']);
export const hcmNames = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const routerNames = new Set(['envoy.filters.http.router', 'envoy.router']);
export const filterConfigType = 'envoy.config.route.v3.FilterConfig';

export interface FilterInsert {
  path: Path;
  context: Context;
  /** Listener port (match.listener.portNumber). */
  port?: number;
  /** INSERT_BEFORE the router, or first in the chain (INSERT_FIRST, INSERT_BEFORE without subFilter). */
  placement: 'beforeRouter' | 'first';
  name: string;
  /** Full message name of typed_config, TypedStruct unwrapped. */
  type: string;
  /** The config without `@type`, in proto field names. */
  config: JsonObject;
  disabled: boolean;
}

export interface RouteConfig {
  path: Path;
  applyTo: 'HTTP_ROUTE' | 'VIRTUAL_HOST';
  context: Context;
  /** match.routeConfiguration.portNumber. */
  port?: number;
  vhost?: string;
  /** match.routeConfiguration.vhost.domainName (how gateway vhosts are matched, see render/patches.ts). */
  domain?: string;
  route?: string;
  filter: string;
  type: string;
  config: JsonObject;
}

export interface ReplyBody {
  path: Path;
  context: Context;
  port?: number;
  status: number;
  body: string;
}

/** A route's (or virtual host's) own rate_limits, which a LocalRateLimit without rate_limits reads. */
export interface RouteRateLimits {
  path: Path;
  context: Context;
  port?: number;
  vhost?: string;
  domain?: string;
  route?: string;
  rateLimits: unknown[];
}

export interface Parsed {
  inserts: FilterInsert[];
  routes: RouteConfig[];
  rateLimits: RouteRateLimits[];
  bodies: ReplyBody[];
}

/** Fails with a note when `o` has keys outside `allowed`. */
function onlyKeys(o: JsonObject, allowed: readonly string[], path: Path, what: string): Note | undefined {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length === 0) return undefined;
  return {
    kind: 'dropped',
    path: [...path, extra[0]!],
    message: `${what} uses ${extra.map((k) => `"${k}"`).join(', ')}, which no meshwarden resource expresses`,
    hint: 'keep this EnvoyFilter (meshwarden validates it as it is)',
  };
}

/** `{'@type': T, ...}` or a TypedStruct → the message name and its fields (proto names). */
export function typedConfig(v: unknown): { type: string; config: JsonObject } | undefined {
  if (!isObject(v) || typeof v['@type'] !== 'string') return undefined;
  const n = normalizeKeys(v) as JsonObject;
  if (typedStructTypes.has(v['@type'])) {
    const url = n['type_url'];
    if (typeof url !== 'string') return undefined;
    const value = isObject(n['value']) ? (normalizeKeys(n['value']) as JsonObject) : {};
    return { type: url.slice(url.lastIndexOf('/') + 1), config: value };
  }
  const { '@type': t, ...rest } = n;
  return { type: String(t).slice(String(t).lastIndexOf('/') + 1), config: rest };
}

const contexts = new Set(['SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY']);

export function parsePatches(patches: unknown[], notes: Note[]): Parsed | undefined {
  const out: Parsed = { inserts: [], routes: [], rateLimits: [], bodies: [] };
  const fail = (n: Note): undefined => {
    notes.push(n);
    return undefined;
  };
  for (let i = 0; i < patches.length; i++) {
    const path: Path = ['spec', 'configPatches', i];
    const p = patches[i];
    if (!isObject(p) || !isObject(p['match']) || !isObject(p['patch'])) return fail({ kind: 'dropped', path, message: 'a patch without match or patch', hint: 'fix the EnvoyFilter' });
    const bad =
      onlyKeys(p, ['applyTo', 'match', 'patch'], path, 'the patch') ??
      onlyKeys(p['match'], ['context', 'listener', 'routeConfiguration'], [...path, 'match'], 'the match') ??
      onlyKeys(p['patch'], ['operation', 'value'], [...path, 'patch'], 'the patch');
    if (bad) return fail(bad);
    const match = p['match'];
    const context = match['context'];
    if (typeof context !== 'string' || !contexts.has(context)) {
      return fail({
        kind: 'dropped',
        path: [...path, 'match', 'context'],
        message: `context ${context === undefined ? 'ANY (the default)' : String(context)}: a meshwarden resource targets one of SIDECAR_INBOUND, SIDECAR_OUTBOUND or GATEWAY`,
        hint: 'split the EnvoyFilter by context, or set match.context',
      });
    }
    const op = p['patch']['operation'];
    const value = p['patch']['value'];
    const ctx = context as Context;
    if (p['applyTo'] === 'HTTP_FILTER') {
      const r = parseInsert(ctx, match, op, value, path);
      if ('kind' in r) return fail(r);
      out.inserts.push(r);
    } else if ((p['applyTo'] === 'HTTP_ROUTE' || p['applyTo'] === 'VIRTUAL_HOST') && op === 'MERGE') {
      const r = parseRouteConfig(p['applyTo'], ctx, match, value, path);
      if ('kind' in r) return fail(r);
      if ('rateLimits' in r) out.rateLimits.push(r);
      else out.routes.push(r);
    } else if (p['applyTo'] === 'NETWORK_FILTER' && op === 'MERGE') {
      const r = parseReplyBody(ctx, match, value, path);
      if ('kind' in r) return fail(r);
      out.bodies.push(r);
    } else {
      return fail({
        kind: 'dropped',
        path,
        message: `${String(p['applyTo'])} ${String(op)}: not a pattern meshwarden resources express (HTTP filters before the router, their per-route config, limit responses)`,
        hint: 'keep this EnvoyFilter (meshwarden validates it as it is)',
      });
    }
  }
  return out;
}

function parseInsert(context: Context, match: JsonObject, op: unknown, value: unknown, path: Path): FilterInsert | Note {
  const listener = isObject(match['listener']) ? match['listener'] : {};
  const bad = onlyKeys(listener, ['portNumber', 'filterChain'], [...path, 'match', 'listener'], 'the listener match');
  if (bad) return bad;
  const chain = isObject(listener['filterChain']) ? listener['filterChain'] : {};
  const badChain = onlyKeys(chain, ['filter'], [...path, 'match', 'listener', 'filterChain'], 'the filter chain match');
  if (badChain) return badChain;
  const filter = isObject(chain['filter']) ? chain['filter'] : {};
  const badFilter = onlyKeys(filter, ['name', 'subFilter'], [...path, 'match', 'listener', 'filterChain', 'filter'], 'the filter match');
  if (badFilter) return badFilter;
  if (typeof filter['name'] === 'string' && !hcmNames.has(filter['name'])) {
    return {
      kind: 'dropped',
      path: [...path, 'match', 'listener', 'filterChain', 'filter', 'name'],
      message: `HTTP filters of ${filter['name']}: meshwarden plugins go into the HTTP connection manager`,
      hint: 'keep this EnvoyFilter',
    };
  }
  const sub = isObject(filter['subFilter']) ? filter['subFilter']['name'] : undefined;
  let placement: FilterInsert['placement'];
  if (op === 'INSERT_FIRST' || (op === 'INSERT_BEFORE' && sub === undefined)) placement = 'first';
  else if (op === 'INSERT_BEFORE' && typeof sub === 'string' && routerNames.has(sub)) placement = 'beforeRouter';
  else {
    return {
      kind: 'dropped',
      path: [...path, 'patch', 'operation'],
      message: `${String(op)}${sub ? ` relative to ${String(sub)}` : ''}: meshwarden inserts filters right before the router`,
      hint: 'insert before envoy.filters.http.router to adopt it, or keep this EnvoyFilter',
    };
  }
  if (!isObject(value)) return { kind: 'dropped', path: [...path, 'patch'], message: 'no filter in patch.value', hint: 'fix the EnvoyFilter' };
  const v = normalizeKeys(value) as JsonObject;
  const badValue = onlyKeys(v, ['name', 'typed_config', 'disabled'], [...path, 'patch', 'value'], 'the filter');
  if (badValue) return badValue;
  const tc = typedConfig(value['typed_config'] ?? value['typedConfig']);
  if (!tc) return { kind: 'dropped', path: [...path, 'patch', 'value'], message: 'a filter without a typed_config (@type, or a TypedStruct with type_url)', hint: 'fix the EnvoyFilter' };
  const port = listener['portNumber'];
  return {
    path,
    context,
    ...(typeof port === 'number' ? { port } : {}),
    placement,
    name: String(v['name'] ?? ''),
    type: tc.type,
    config: tc.config,
    disabled: v['disabled'] === true,
  };
}

function parseRouteConfig(applyTo: 'HTTP_ROUTE' | 'VIRTUAL_HOST', context: Context, match: JsonObject, value: unknown, path: Path): RouteConfig | RouteRateLimits | Note {
  const rc = isObject(match['routeConfiguration']) ? match['routeConfiguration'] : {};
  const bad = onlyKeys(rc, ['portNumber', 'vhost'], [...path, 'match', 'routeConfiguration'], 'the route configuration match');
  if (bad) return bad;
  const vhost = isObject(rc['vhost']) ? rc['vhost'] : {};
  const badVh = onlyKeys(vhost, ['name', 'domainName', 'route'], [...path, 'match', 'routeConfiguration', 'vhost'], 'the virtual host match');
  if (badVh) return badVh;
  const route = isObject(vhost['route']) ? vhost['route'] : {};
  const badRoute = onlyKeys(route, ['name', 'action'], [...path, 'match', 'routeConfiguration', 'vhost', 'route'], 'the route match');
  if (badRoute) return badRoute;
  if (route['action'] !== undefined && route['action'] !== 'ANY') {
    return {
      kind: 'dropped',
      path: [...path, 'match', 'routeConfiguration', 'vhost', 'route', 'action'],
      message: `routes by action ${String(route['action'])}: meshwarden scopes by host and route name`,
      hint: 'keep this EnvoyFilter',
    };
  }
  const v = isObject(value) ? (normalizeKeys(value) as JsonObject) : {};
  const where = {
    path,
    context,
    ...(typeof rc['portNumber'] === 'number' ? { port: rc['portNumber'] } : {}),
    ...(typeof vhost['name'] === 'string' ? { vhost: vhost['name'] } : {}),
    ...(typeof vhost['domainName'] === 'string' ? { domain: vhost['domainName'] } : {}),
    ...(typeof route['name'] === 'string' ? { route: route['name'] } : {}),
  };
  // The route's rate_limits (route.rate_limits on a route, rate_limits on a virtual host).
  const holder = applyTo === 'HTTP_ROUTE' ? v['route'] : v;
  if (Object.keys(v).length === 1 && isObject(holder) && Object.keys(holder).length === 1 && Array.isArray(holder['rate_limits'])) {
    return { ...where, rateLimits: holder['rate_limits'] };
  }
  const tpfc = v['typed_per_filter_config'];
  if (Object.keys(v).length !== 1 || !isObject(tpfc) || Object.keys(tpfc).length !== 1) {
    return {
      kind: 'dropped',
      path: [...path, 'patch', 'value'],
      message: `${applyTo} MERGE of anything but one typed_per_filter_config entry or the route's rate_limits: no meshwarden field expresses it`,
      hint: 'keep this EnvoyFilter (meshwarden validates it as it is)',
    };
  }
  const filter = Object.keys(tpfc)[0]!;
  const tc = typedConfig(tpfc[filter]);
  if (!tc) return { kind: 'dropped', path: [...path, 'patch', 'value'], message: 'per-route config without @type', hint: 'fix the EnvoyFilter' };
  return {
    ...where,
    applyTo,
    filter,
    type: tc.type,
    config: tc.config,
  };
}

/** The local_reply_config mapper meshwarden renders for a limit's response body (envoy-templates/local-reply-body.yaml). */
function parseReplyBody(context: Context, match: JsonObject, value: unknown, path: Path): ReplyBody | Note {
  const refuse: Note = {
    kind: 'dropped',
    path: [...path, 'patch', 'value'],
    message: 'a NETWORK_FILTER MERGE other than one local reply body for a status code: no meshwarden field expresses it',
    hint: 'keep this EnvoyFilter (meshwarden validates it as it is)',
  };
  const listener = isObject(match['listener']) ? match['listener'] : {};
  const chain = isObject(listener['filterChain']) ? listener['filterChain'] : {};
  const filter = isObject(chain['filter']) ? chain['filter'] : {};
  if (!hcmNames.has(String(filter['name'])) || Object.keys(filter).length !== 1 || Object.keys(chain).length !== 1) return refuse;
  if (Object.keys(listener).some((k) => k !== 'portNumber' && k !== 'filterChain')) return refuse;
  const v = isObject(value) ? (normalizeKeys(value) as JsonObject) : {};
  const tc = typedConfig(v['typed_config']);
  if (Object.keys(v).length !== 1 || !tc || Object.keys(tc.config).length !== 1) return refuse;
  const lrc = tc.config['local_reply_config'];
  const mappers = isObject(lrc) && Object.keys(lrc).length === 1 ? lrc['mappers'] : undefined;
  if (!Array.isArray(mappers) || mappers.length !== 1 || !isObject(mappers[0])) return refuse;
  const m = mappers[0];
  const cmp = isObject(m['filter']) && isObject(m['filter']['status_code_filter']) ? m['filter']['status_code_filter']['comparison'] : undefined;
  const body = isObject(m['body']) ? m['body']['inline_string'] : undefined;
  const status = isObject(cmp) && isObject(cmp['value']) ? Number(cmp['value']['default_value']) : NaN;
  if (Object.keys(m).length !== 2 || !isObject(cmp) || cmp['op'] !== 'EQ' || typeof body !== 'string' || !Number.isInteger(status)) return refuse;
  return { path, context, ...(typeof listener['portNumber'] === 'number' ? { port: listener['portNumber'] } : {}), status, body };
}
