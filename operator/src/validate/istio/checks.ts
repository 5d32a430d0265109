/**
 * Structural checks on the patched config: what Envoy would NACK or silently ignore. Each problem is
 * blamed on the patch that inserted the offending object (provenance) or last changed its container.
 */
import type { PatchWrapper, SimState } from './sim-state.js';
import { HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE } from './names.js';
import { isObject, isTypedStruct } from './merge.js';
import { MW401, MW402, MW403, MW404, MW405, MW406, MW407, MW408, MW409, MW410, MW411, MW412, MW418, MW422 } from './rules.js';
import type { JsonObject, XdsConfig } from './types.js';
import { joinPath, type Finding } from '../rule.js';
import { checkListenerCodecs, codecOrQuicPath } from '../semantic/index.js';

const TERMINAL_NETWORK = new Set([
  'envoy.filters.network.tcp_proxy',
  HCM_NAME,
  'envoy.filters.network.redis_proxy',
  'envoy.filters.network.thrift_proxy',
  'envoy.filters.network.dubbo_proxy',
  'envoy.filters.network.direct_response',
  'envoy.filters.network.echo',
  'envoy.filters.network.generic_proxy',
  'envoy.filters.network.rocketmq_proxy',
  'envoy.filters.network.kafka_mesh',
  'envoy.filters.network.mysql_proxy.terminal',
]);
const TERMINAL_NETWORK_TYPES = new Set([
  'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  HCM_TYPE,
  'type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
  'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy',
  'type.googleapis.com/envoy.extensions.filters.network.direct_response.v3.Config',
  'type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo',
]);
const LOCAL_RATELIMIT = 'envoy.filters.http.local_ratelimit';
const LOCAL_RATELIMIT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const objs = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const typeOf = (f: JsonObject): string => {
  const tc = f['typed_config'];
  return isObject(tc) ? str(tc['@type']) : '';
};

function isTerminalNetwork(f: JsonObject): boolean {
  return TERMINAL_NETWORK.has(str(f['name'])) || TERMINAL_NETWORK_TYPES.has(typeOf(f));
}
function isRouter(f: JsonObject): boolean {
  return f['name'] === ROUTER_NAME || typeOf(f) === ROUTER_TYPE;
}
function isHcm(f: JsonObject): boolean {
  return f['name'] === HCM_NAME || typeOf(f) === HCM_TYPE;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** canonical() of a filter_chain_match, once per object: the checks run after patching, and the baseline's objects never change. */
const matchKeys = new WeakMap<JsonObject, string>();
function matchKey(m: unknown): string {
  if (!isObject(m)) return canonical(m ?? {});
  let k = matchKeys.get(m);
  if (k === undefined) matchKeys.set(m, (k = canonical(m)));
  return k;
}

const routeLevel = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'] as const;

/**
 * Checks the patched config. Findings are blamed on the patch that inserted or last changed an
 * object (provenance, touched): objects of the baseline snapshot no patch reached (a listener
 * no patch copied, every route config when no route patch exists) cannot be blamed, so their
 * per-object checks are skipped; they still count for names and addresses.
 */
export function runStructuralChecks(s: SimState, config: XdsConfig): void {
  const routesPatched = routeLevel.some((a) => (s.patches.get(a)?.length ?? 0) > 0);
  const fromSnapshot = (lis: JsonObject): boolean => !s.owned.has(lis) && !s.shallow.has(lis) && !s.provenance.has(lis);
  const blame = (...objsToTry: Array<object | undefined>): PatchWrapper | undefined => {
    for (const o of objsToTry)
      if (o) {
        const p = s.provenance.get(o);
        if (p) return p;
      }
    for (const o of objsToTry)
      if (o) {
        const p = s.touched.get(o);
        if (p) return p;
      }
    return undefined;
  };
  const emit = (p: PatchWrapper | undefined, mk: (p: PatchWrapper) => Finding) => {
    if (p) s.findings.push({ filterIndex: p.filterIndex, finding: mk(p) });
  };

  const ecdsNames = new Set((config.extension_configs ?? []).map((e) => str(e['name'])));
  /** RDS name → HTTP filter names of every HCM that uses it. */
  const rdsUsers = new Map<string, Set<string>>();
  const inlineRoutes: Array<{ rc: JsonObject; filters: Set<string>; where: string }> = [];

  // ---- listeners
  const names = new Map<string, JsonObject>();
  const addrs = new Map<string, JsonObject>();
  for (const lis of config.listeners) {
    const lname = str(lis['name']);
    if (names.has(lname)) {
      emit(blame(lis, names.get(lname)), (p) =>
        MW408.finding(p.path, `two listeners are named ${JSON.stringify(lname)}`, 'Listener names must be unique: MERGE into the generated listener instead of ADDing another one.'),
      );
    } else names.set(lname, lis);
    const addr = lis['address'];
    const sa = isObject(addr) ? addr['socket_address'] : undefined;
    if (isObject(sa)) {
      const key = `${str(sa['address'])}:${String(sa['port_value'] ?? '')}`;
      const other = addrs.get(key);
      if (other && other !== names.get(lname)) {
        emit(blame(lis, other), (p) =>
          MW408.finding(
            p.path,
            `listener ${JSON.stringify(lname)} reuses address ${key} of listener ${JSON.stringify(str(other['name']))}`,
            'Pick a free address/port, or add a filter chain to the existing listener (FILTER_CHAIN ADD with a distinct filter_chain_match).',
          ),
        );
      } else if (!other) addrs.set(key, lis);
    }

    // Its chains, HCMs and inline routes: nothing to blame, and no route check needs what they serve.
    if (!routesPatched && fromSnapshot(lis)) continue;
    // MW350/MW351 (Envoy's HCM codec vs listener check), on the merged HCM: blamed on the patch that
    // added the listener, else on the last one writing codec_type or quic_options.
    for (const f of fromSnapshot(lis) ? [] : checkListenerCodecs(lis)) {
      const by = s.provenance.get(lis) ?? [...s.all].reverse().find((p) => p.applied && codecOrQuicPath(p.value) !== undefined) ?? blame(lis);
      emit(by, (p) => ({ ...f, path: joinPath(`${p.path}.patch.value`, codecOrQuicPath(p.value) ?? ''), message: `listener ${lname}, ${f.path}: ${f.message}` }));
    }
    const chains = objs(lis['filter_chains']);
    const seenMatch = new Map<string, JsonObject>();
    for (const fc of chains) {
      const key = matchKey(fc['filter_chain_match']);
      const prev = seenMatch.get(key);
      if (prev) {
        emit(blame(fc, prev, lis), (p) =>
          MW409.finding(
            p.path,
            `listener ${lname}: filter chains ${JSON.stringify(str(prev['name']))} and ${JSON.stringify(str(fc['name']))} have the same filter_chain_match ${key}`,
            'Give the added chain a distinct filter_chain_match (destination_port, server_names, transport_protocol, application_protocols), or MERGE into the existing chain.',
          ),
        );
      } else seenMatch.set(key, fc);
    }
    const dfc = lis['default_filter_chain'];
    for (const fc of [...chains, ...(isObject(dfc) ? [dfc] : [])]) {
      const where = `listener ${lname}, filter chain ${str(fc['name']) || '(unnamed)'}`;
      const filters = objs(fc['filters']);
      const t = filters.findIndex(isTerminalNetwork);
      if (t >= 0 && t < filters.length - 1) {
        const after = filters[t + 1]!;
        emit(blame(after, filters[t], fc), (p) =>
          MW403.finding(
            p.path,
            `${where}: ${JSON.stringify(str(after['name']))} follows the terminal network filter ${JSON.stringify(str(filters[t]!['name']))} (LDS NACK: terminal filter must be the last filter in a network filter chain)`,
            'Use INSERT_BEFORE with match.listener.filterChain.filter.name set to the terminal filter, never ADD/INSERT_AFTER on it.',
          ),
        );
      } else if (filters.length > 0 && t < 0) {
        const last = filters[filters.length - 1]!;
        emit(blame(last, fc), (p) =>
          MW403.finding(
            p.path,
            `${where}: the last network filter ${JSON.stringify(str(last['name']))} is not terminal (LDS NACK: non-terminal filter is the last filter in a network filter chain)`,
            'Keep tcp_proxy / http_connection_manager as the last network filter; do not REMOVE or REPLACE it with a non-terminal filter.',
          ),
        );
      }
      for (const f of filters) {
        if (!isHcm(f)) continue;
        const hcm = f['typed_config'];
        if (!isObject(hcm)) continue;
        checkHcm(hcm, f, `${where}, HCM ${str(hcm['stat_prefix'])}`);
      }
    }
  }

  function checkHcm(hcm: JsonObject, filter: JsonObject, where: string): void {
    if (!('rds' in hcm) && !('route_config' in hcm) && !('scoped_routes' in hcm)) {
      emit(blame(filter, hcm), (p) =>
        MW405.finding(
          `${p.path}.patch.value`,
          `${where}: the HTTP connection manager has no rds, route_config or scoped_routes (LDS NACK); Istio's routes, metadata exchange, authz and stats filters are gone too`,
          'Do not REPLACE the HCM; MERGE the fields you need into it (or patch HTTP_FILTER / HTTP_ROUTE).',
        ),
      );
    }
    const hfs = objs(hcm['http_filters']);
    const r = hfs.findIndex(isRouter);
    if (r >= 0 && r < hfs.length - 1) {
      for (const after of hfs.slice(r + 1)) {
        emit(blame(after, hcm), (p) =>
          MW401.finding(
            `${p.path}.patch.operation`,
            `${where}: HTTP filter ${JSON.stringify(str(after['name']))} ends up after envoy.filters.http.router (LDS NACK: terminal filter must be the last filter; new pods never become ready)`,
            'Use INSERT_BEFORE with match.listener.filterChain.filter.subFilter.name: envoy.filters.http.router; never ADD, INSERT_AFTER the router, or MERGE http_filters into the HCM (lists append).',
          ),
        );
      }
    } else if (r < 0 && hfs.length > 0) {
      const last = hfs[hfs.length - 1]!;
      emit(s.routerRemovedBy.get(hcm) ?? blame(last, hcm), (p) =>
        MW402.finding(
          p.path,
          `${where}: no router left; the last HTTP filter is ${JSON.stringify(str(last['name']))} (LDS NACK: non-terminal filter is the last filter in a http filter chain)`,
          'Never REMOVE or REPLACE envoy.filters.http.router; insert your filter before it instead.',
        ),
      );
    }
    const seen = new Set<string>();
    for (const hf of hfs) {
      const n = str(hf['name']);
      if (seen.has(n)) {
        // istiod itself emits two envoy.filters.http.rbac (DENY and ALLOW): only duplicates a patch inserted count.
        const first = hfs.find((x) => x['name'] === n);
        const by = s.provenance.get(hf) ?? (first ? s.provenance.get(first) : undefined);
        emit(by, (p) =>
          MW404.finding(
            p.path,
            `${where}: HTTP filter ${JSON.stringify(n)} appears twice; Envoy accepts it, but per-route typed_per_filter_config and ECDS resolve by name, so both instances get the same per-route config`,
            'Give each filter instance a unique name (e.g. suffix it with the owning object), or check whether two EnvoyFilters insert the same filter.',
          ),
        );
      }
      seen.add(n);
      const cd = hf['config_discovery'];
      if (isObject(cd) && !ecdsNames.has(n)) {
        emit(blame(hf, hcm), (p) =>
          MW422.finding(
            p.path,
            `${where}: HTTP filter ${JSON.stringify(n)} is discovered via ECDS but no EXTENSION_CONFIG ADD provides a config of that name; the listener waits for it`,
            'Add an EXTENSION_CONFIG ADD patch whose value.name equals the filter name, with a matching type_urls entry, or set default_config.',
          ),
        );
      }
    }
    const rds = hcm['rds'];
    if (isObject(rds)) {
      const n = str(rds['route_config_name']);
      const set = rdsUsers.get(n) ?? new Set<string>();
      for (const x of seen) set.add(x);
      rdsUsers.set(n, set);
    }
    const rc = hcm['route_config'];
    if (isObject(rc)) inlineRoutes.push({ rc, filters: seen, where });
  }

  // ---- routes
  const checkRoutes = (rc: JsonObject, served: Set<string> | undefined, where: string) => {
    const domains = new Map<string, JsonObject>();
    for (const vh of objs(rc['virtual_hosts'])) {
      const vname = str(vh['name']);
      for (const d of Array.isArray(vh['domains']) ? vh['domains'] : []) {
        const dn = str(d).toLowerCase();
        const prev = domains.get(dn);
        if (prev && prev !== vh) {
          emit(blame(vh, rc), (p) =>
            MW410.finding(
              p.path,
              `${where}: domain ${JSON.stringify(dn)} is served by virtual hosts ${JSON.stringify(str(prev['name']))} and ${JSON.stringify(vname)} (NACK: Only unique values for domains are permitted)`,
              dn === '*'
                ? 'The catch-all vhost already owns "*": add your routes to it with HTTP_ROUTE, or use specific domains.'
                : 'MERGE into the existing vhost instead of ADDing one (note MERGE appends to domains), or use distinct domains.',
            ),
          );
        } else domains.set(dn, vh);
      }
      const routes = objs(vh['routes']);
      const c = routes.findIndex(isCatchAll);
      if (c >= 0) {
        for (const late of routes.slice(c + 1)) {
          emit(blame(late, vh), (p) =>
            MW411.finding(
              p.path,
              `${where}, vhost ${vname}: route ${JSON.stringify(str(late['name']))} comes after the catch-all route ${JSON.stringify(str(routes[c]!['name']))} and never matches`,
              'Use INSERT_BEFORE (or INSERT_FIRST) anchored on the catch-all route instead of ADD.',
            ),
          );
        }
      }
      checkPerFilter(rc, vh, vh, served, `${where}, vhost ${vname}`);
      for (const r of routes) checkPerFilter(rc, vh, r, served, `${where}, vhost ${vname}, route ${str(r['name']) || '(unnamed)'}`);
    }
    checkPerFilter(rc, undefined, rc, served, where);
  };

  const checkPerFilter = (rc: JsonObject, vh: JsonObject | undefined, holder: JsonObject, served: Set<string> | undefined, where: string) => {
    const tpfc = holder['typed_per_filter_config'];
    if (!isObject(tpfc)) return;
    for (const [name, cfg] of Object.entries(tpfc)) {
      // is_optional reads as "this filter may be absent"; but on the enable marker (an optional
      // FilterConfig inside, docs/envoy-semantics.md §8) it is required by Envoy and says nothing
      // of the HCM: a marker for a filter the HCM lacks enables nothing.
      const optional = isObject(cfg) && cfg['@type'] === FILTER_CONFIG_TYPE && cfg['is_optional'] === true && !(isObject(cfg['config']) && cfg['config']['@type'] === FILTER_CONFIG_TYPE);
      if (served && !served.has(name) && !optional) {
        emit(blame(holder, vh, rc), (p) =>
          MW412.finding(
            `${p.path}.patch.value`,
            `${where}: typed_per_filter_config ${JSON.stringify(name)} is never used: the HCM serving this route has no HTTP filter of that name`,
            'Insert the HTTP filter into the HCM that serves this route (same context: inbound routes are served by the inbound HCM of the targetPort, outbound RDS by the outbound listener of that port), or fix the key.',
          ),
        );
      }
      if (isLocalRateLimit(name, cfg) && !hasTokenBucket(cfg)) {
        emit(blame(holder, vh, rc), (p) =>
          MW418.finding(
            `${p.path}.patch.value`,
            `${where}: local_ratelimit per-route config has no token_bucket (Envoy: "token bucket must be set for per filter configs"; ${served && where.startsWith('listener') ? 'LDS' : 'RDS'} NACK)`,
            'Set token_bucket {max_tokens, tokens_per_fill, fill_interval} in every per-route LocalRateLimit.',
          ),
        );
      }
    }
  };

  // Without a route patch every route config is the baseline's: nothing to blame.
  if (routesPatched) {
    for (const { rc, filters, where } of inlineRoutes) checkRoutes(rc, filters, `${where}, route_config ${str(rc['name'])}`);
    for (const rc of config.routes) checkRoutes(rc, rdsUsers.get(str(rc['name'])), `route config ${str(rc['name'])}`);
  }

  // ---- clusters
  const cnames = new Map<string, JsonObject>();
  for (const c of config.clusters) {
    const n = str(c['name']);
    if (n === '') {
      emit(blame(c), (p) =>
        MW406.finding(
          p.path,
          'a cluster without a name is pushed (CDS NACK: ClusterValidationError.Name: value length must be at least 1)',
          'Use MERGE with match.cluster to change an existing cluster; an ADDed cluster needs a name (INSERT_* on CLUSTER is an ADD).',
        ),
      );
      continue;
    }
    const prev = cnames.get(n);
    if (prev && !s.provenance.get(c) && !s.provenance.get(prev)) {
      emit(blame(c, prev), (p) => MW407.finding(p.path, `two clusters are named ${JSON.stringify(n)} after patching`, 'Do not rename clusters with MERGE.'));
    }
    cnames.set(n, c);
  }
}

function isCatchAll(r: JsonObject): boolean {
  const m = r['match'];
  if (!isObject(m)) return false;
  for (const k of ['headers', 'query_parameters', 'runtime_fraction', 'grpc', 'tls_context', 'dynamic_metadata', 'filter_state', 'cookies']) {
    const v = m[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) return false;
  }
  if (m['prefix'] === '/') return true;
  const sr = m['safe_regex'];
  return isObject(sr) && (sr['regex'] === '.*' || sr['regex'] === '/.*');
}

function unwrap(cfg: unknown): { type: string; body: JsonObject | undefined } {
  let v = cfg;
  if (isObject(v) && v['@type'] === FILTER_CONFIG_TYPE) v = v['config'];
  if (!isObject(v)) return { type: '', body: undefined };
  if (isTypedStruct(v)) return { type: str(v['type_url']), body: isObject(v['value']) ? v['value'] : undefined };
  return { type: str(v['@type']), body: v };
}

function isLocalRateLimit(name: string, cfg: unknown): boolean {
  // A FilterConfig without config holds no LocalRateLimit: `disabled: true` turns the filter off on
  // this route (Envoy accepts it), an empty one is MW340's (Envoy: "Empty route/virtual host per filter configuration").
  if (isObject(cfg) && cfg['@type'] === FILTER_CONFIG_TYPE && !isObject(cfg['config'])) return false;
  const { type } = unwrap(cfg);
  return type === LOCAL_RATELIMIT_TYPE || (type === '' && name === LOCAL_RATELIMIT) || (name === LOCAL_RATELIMIT && type.endsWith('LocalRateLimit'));
}

function hasTokenBucket(cfg: unknown): boolean {
  const { body } = unwrap(cfg);
  return !!body && (isObject(body['token_bucket']) || isObject(body['tokenBucket']));
}
