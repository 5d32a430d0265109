/**
 * The meshwarden resource equivalent to a parsed EnvoyFilter: a SmartLimiter when every
 * filter is a local rate limit (token buckets, optionally per host or route), else an
 * EnvoyPlugin of Lua and native filters in the original order.
 */
import type { EnvoyPlugin, Limit, Plugin, RouteScope, SmartLimiter, Target } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import { formatDuration } from '../render/rate.js';
import { perRouteType } from '../render/per-route-types.js';
import { managedByLabel, ownerAnnotation } from '../render/objects.js';
import { GATEWAY_NAME_LABEL } from '../validate/istio/select.js';
import type { JsonObject } from '../validate/istio/index.js';
import { sanitizeName } from '../migrate/common.js';
import type { Note } from '../migrate/notes.js';
import { readDescriptors } from './descriptors.js';
import { filterConfigType, typedConfig, type Context, type FilterInsert, type Parsed, type RouteConfig } from './patterns.js';
import { isObject } from '../validate/istio/merge.js';

export const adoptedFromAnnotation = 'meshwarden.io/adopted-from';
const localRateLimit = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const lua = 'envoy.extensions.filters.http.lua.v3.Lua';
const wasm = 'envoy.extensions.filters.http.wasm.v3.Wasm';
type Path = Array<string | number>;

/** Who the EnvoyFilter applies to: its workloadSelector, or a Gateway API Gateway it targets. */
function targetOf(ef: K8sObject, context: Context, notes: Note[]): Target | undefined {
  const spec = (ef['spec'] ?? {}) as { workloadSelector?: { labels?: Record<string, string> }; targetRefs?: Array<{ kind?: string; group?: string; name?: string; namespace?: string }> };
  const refs = spec.targetRefs ?? [];
  let labels = spec.workloadSelector?.labels ?? {};
  if (refs.length > 0) {
    const ref = refs[0]!;
    if (refs.length > 1 || ref.kind !== 'Gateway' || (ref.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io' || !ref.name) {
      notes.push({
        kind: 'dropped',
        path: ['spec', 'targetRefs'],
        message: 'targetRefs other than one Gateway API Gateway (a Service or GatewayClass ref targets waypoints or many gateways)',
        hint: 'keep this EnvoyFilter',
      });
      return undefined;
    }
    // Istio attaches a Gateway targetRef to the pods labelled with the Gateway's name (pilot/pkg/model/policyattachment.go).
    labels = { [GATEWAY_NAME_LABEL]: ref.name };
    notes.push({
      kind: 'info',
      path: ['spec', 'targetRefs', 0],
      message: `targetRefs Gateway ${ref.name}: the proposal selects its pods by the label ${GATEWAY_NAME_LABEL}=${ref.name}, which is how Istio attaches it`,
    });
  }
  if (Object.keys(labels).length === 0) {
    notes.push({
      kind: 'dropped',
      path: ['spec'],
      message: 'no workloadSelector: the EnvoyFilter applies to every proxy of its namespace (of the mesh in the root namespace); a meshwarden target selects pods by labels',
      hint: 'add a workloadSelector to adopt it, or keep this EnvoyFilter',
    });
    return undefined;
  }
  return context === 'GATEWAY' ? { gateway: { selector: labels } } : { workloadSelector: { matchLabels: labels } };
}

/** Gateways listen on the container port; meshwarden's gateway ports are Gateway server ports (Istio's chart maps 80→8080, 443→8443). */
function serverPort(listenerPort: number, path: Path, notes: Note[]): number {
  const server = listenerPort === 8080 ? 80 : listenerPort === 8443 ? 443 : listenerPort;
  notes.push({
    kind: 'approximate',
    path,
    message: `gateway listener port ${listenerPort} is assumed to serve Gateway server port ${server} (Istio's default gateway Service)`,
    hint: 'check the port in the proposal against your gateway Service',
  });
  return server;
}

/** A route config's scope as a meshwarden host/port/route. */
function scopeOf(r: RouteConfig, notes: Note[]): { port?: number; host?: string; route?: string } | undefined {
  const route = r.route !== undefined && !(r.context === 'SIDECAR_INBOUND' && r.route === 'default') ? r.route : undefined;
  if (r.domain !== undefined && r.context !== 'SIDECAR_INBOUND') {
    // Matched by one of the vhost's domains: the host itself (with a name too, both must match).
    const m = r.vhost === undefined ? undefined : /^(.+):(\d+)$/.exec(r.vhost);
    if (r.vhost !== undefined && (!m || m[1] !== r.domain)) {
      notes.push({
        kind: 'dropped',
        path: [...r.path, 'match', 'routeConfiguration', 'vhost'],
        message: `virtual host "${r.vhost}" matched by the domain "${r.domain}" of another host`,
        hint: 'keep this EnvoyFilter',
      });
      return undefined;
    }
    const port = r.port ?? (m ? Number(m[2]) : undefined);
    return { host: r.domain, ...(port !== undefined ? { port } : {}), ...(route ? { route } : {}) };
  }
  if (r.vhost === undefined) return { ...(r.port !== undefined ? { port: r.port } : {}), ...(route ? { route } : {}) };
  if (r.context === 'SIDECAR_INBOUND') {
    const m = /^inbound\|http\|(\d+)$/.exec(r.vhost);
    if (!m) {
      notes.push({
        kind: 'dropped',
        path: [...r.path, 'match', 'routeConfiguration', 'vhost', 'name'],
        message: `inbound virtual host "${r.vhost}" is not inbound|http|<port>`,
        hint: 'keep this EnvoyFilter',
      });
      return undefined;
    }
    return { port: Number(m[1]), ...(route ? { route } : {}) };
  }
  const m = /^(.+):(\d+)$/.exec(r.vhost);
  if (!m || (r.port !== undefined && r.port !== Number(m[2]))) {
    notes.push({
      kind: 'dropped',
      path: [...r.path, 'match', 'routeConfiguration', 'vhost', 'name'],
      message: `virtual host "${r.vhost}" is not <host>:<port>${r.port !== undefined ? ` of port ${r.port}` : ''}`,
      hint: 'keep this EnvoyFilter',
    });
    return undefined;
  }
  return { host: m[1]!, port: Number(m[2]), ...(route ? { route } : {}) };
}

function percent(v: unknown): number | undefined {
  if (v === undefined) return 0;
  const d = isObject(v) && isObject(v['default_value']) ? v['default_value'] : undefined;
  if (!d) return 0;
  const num = Number(d['numerator'] ?? 0);
  const den = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[String(d['denominator'] ?? 'HUNDRED')];
  return den === undefined ? undefined : (num * 100) / den;
}

function durationMs(v: unknown): number | undefined {
  if (typeof v === 'string') {
    const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(v);
    return m ? Number(m[1]) * 1000 + Number(`0.${m[2] ?? '0'}`) * 1000 : undefined;
  }
  if (isObject(v)) return Number(v['seconds'] ?? 0) * 1000 + Number(v['nanos'] ?? 0) / 1e6;
  return undefined;
}

function uint(v: unknown): number | undefined {
  const n = isObject(v) ? Number(v['value']) : v === undefined ? undefined : Number(v);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

const limitFields = [
  'stat_prefix',
  'token_bucket',
  'filter_enabled',
  'filter_enforced',
  'status',
  'response_headers_to_add',
  'always_consume_default_token_bucket',
  'local_rate_limit_per_downstream_connection',
  'descriptors',
  'rate_limits',
  'max_dynamic_descriptors',
  'enable_retry_after_header',
];
/** The default bucket of a selective limit (render/rate.ts unlimitedBucket): it never limits. */
const unlimited = 4294967295;
/** Envoy's default LRU size of per-value buckets (LocalRateLimit.max_dynamic_descriptors). */
const envoyMaxDynamicDescriptors = 20;

type LimitBody = Pick<Limit, 'rate' | 'burst' | 'mode' | 'response' | 'match' | 'distinctBy'>;

/** A token bucket as rate and burst, or why not. */
function rateOf(tb: unknown): Pick<Limit, 'rate' | 'burst'> | string {
  if (!isObject(tb)) return 'no token bucket';
  const max = uint(tb['max_tokens']);
  const fill = uint(tb['tokens_per_fill'] ?? 1);
  const ms = durationMs(tb['fill_interval']);
  if (max === undefined || fill === undefined || ms === undefined || !Number.isInteger(ms) || ms < 50 || fill < 1 || fill > 1e9)
    return 'a token bucket meshwarden cannot express (whole milliseconds of at least 50ms, 1 to 10⁹ tokens per fill)';
  if (max < fill) return `max_tokens ${max} below tokens_per_fill ${fill}: meshwarden's bucket holds at least one fill`;
  return { rate: { requests: fill, per: formatDuration(ms) }, ...(max > fill ? { burst: max - fill } : {}) };
}

/**
 * A LocalRateLimit config as the limits it enforces: one for a plain token bucket, one per
 * selection for descriptors (render/descriptors.ts in reverse); undefined (with a note)
 * when it holds more than meshwarden writes.
 */
function limitsOf(config: JsonObject, path: Path, notes: Note[]): LimitBody[] | undefined {
  const drop = (field: string, message: string): undefined => {
    notes.push({ kind: 'dropped', path: [...path, field], message, hint: 'keep this EnvoyFilter, or write the SmartLimiter by hand' });
    return undefined;
  };
  const extra = Object.keys(config).find((k) => !limitFields.includes(k));
  if (extra) return drop(extra, `${extra}: not adopted; a proposal without it would limit differently`);
  if (config['local_rate_limit_per_downstream_connection'] === true) return drop('local_rate_limit_per_downstream_connection', 'a bucket per connection: meshwarden buckets are per pod');
  const enforced = percent(config['filter_enforced']);
  if (enforced !== 0 && enforced !== 100) return drop('filter_enforced', `enforced for ${String(enforced)}% of requests: meshwarden enforces all (enforce) or none (shadow)`);
  const status = isObject(config['status']) ? Number(config['status']['code']) : undefined;
  const headers: Record<string, string> = {};
  const list = config['response_headers_to_add'];
  for (const h of Array.isArray(list) ? list : []) {
    const hv = isObject(h) && isObject(h['header']) ? h['header'] : undefined;
    if (!hv || typeof hv['key'] !== 'string') return drop('response_headers_to_add', 'a response header without key');
    headers[hv['key'].toLowerCase()] = String(hv['value'] ?? '');
  }
  // Envoy 1.40's computed Retry-After (ADR 0111); the SmartLimiter renders it back only for Istio ≥ 1.32 (MW613).
  const retryAfter = config['enable_retry_after_header'] === true;
  const response = {
    ...(status !== undefined && status !== 429 ? { status: status as NonNullable<Limit['response']>['status'] } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
  const common = { ...(enforced === 0 ? { mode: 'shadow' as const } : {}), ...(Object.keys(response).length > 0 ? { response } : {}) };

  if (config['descriptors'] === undefined && config['rate_limits'] === undefined) {
    const rate = rateOf(config['token_bucket']);
    return typeof rate === 'string' ? drop('token_bucket', rate) : [{ ...rate, ...common }];
  }
  const tb = config['token_bucket'];
  if (!isObject(tb) || uint(tb['max_tokens']) !== unlimited || uint(tb['tokens_per_fill'] ?? 1) !== unlimited) {
    return drop('token_bucket', 'with descriptors, a default bucket that limits the requests no descriptor selects: meshwarden lets those through (its default bucket never empties)');
  }
  const selections = readDescriptors(config['rate_limits'], config['descriptors']);
  if (typeof selections === 'string') return drop('descriptors', selections);
  const out: LimitBody[] = [];
  for (const [i, sel] of selections.entries()) {
    const rate = rateOf(sel.bucket);
    if (typeof rate === 'string') return drop('descriptors', `descriptor ${i}: ${rate}`);
    const maxValues = uint(config['max_dynamic_descriptors']) ?? envoyMaxDynamicDescriptors;
    out.push({
      ...(Object.keys(sel.match).length > 0 ? { match: sel.match } : {}),
      ...(sel.distinctBy ? { distinctBy: { ...sel.distinctBy, maxValues } } : {}),
      ...rate,
      ...common,
    });
  }
  return out;
}

function enabled(config: JsonObject): boolean {
  return (percent(config['filter_enabled']) ?? 0) > 0;
}

export function propose(ef: K8sObject, parsed: Parsed, notes: Note[]): K8sObject | undefined {
  const { inserts } = parsed;
  if (inserts.length === 0) {
    notes.push({
      kind: 'dropped',
      path: ['spec', 'configPatches'],
      message: 'no HTTP filter inserted: only per-route config or responses of filters inserted elsewhere',
      hint: 'keep this EnvoyFilter, or adopt the one that inserts the filters together with it',
    });
    return undefined;
  }
  const context = inserts[0]!.context;
  const other = [...inserts, ...parsed.routes, ...parsed.bodies].find((x) => x.context !== context);
  if (other) {
    notes.push({
      kind: 'dropped',
      path: [...other.path, 'match', 'context'],
      message: `patches for ${context} and ${other.context}: a meshwarden resource targets one`,
      hint: 'split the EnvoyFilter by context',
    });
    return undefined;
  }
  const w = inserts.find((i) => i.type === wasm);
  if (w) {
    notes.push({
      kind: 'dropped',
      path: [...w.path, 'patch', 'value'],
      message: 'an inline Wasm filter: meshwarden delivers Wasm as an Istio WasmPlugin (an OCI or HTTP module), not an inline one',
      hint: 'write an EnvoyPlugin wasm plugin with the module url by hand',
    });
    return undefined;
  }
  const target = targetOf(ef, context, notes);
  if (!target) return undefined;
  const first = inserts.find((i) => i.placement === 'first');
  if (first) {
    notes.push({
      kind: 'approximate',
      path: [...first.path, 'patch', 'operation'],
      message: 'the original inserts its filter first in the chain, ahead of the filters istiod generates (authn, authz, stats); the proposal inserts it before the router, after them',
      hint: "see the differences listed for this EnvoyFilter: requests that istiod's filters reject are no longer counted",
    });
  }
  const unmatched = parsed.routes.find((r) => !inserts.some((i) => i.name === r.filter));
  if (unmatched) {
    notes.push({
      kind: 'dropped',
      path: [...unmatched.path, 'patch', 'value'],
      message: `per-route config of "${unmatched.filter}", a filter this EnvoyFilter does not insert`,
      hint: 'adopt it together with the EnvoyFilter that inserts the filter, or keep it',
    });
    return undefined;
  }
  const meta = adoptedMetadata(ef);
  const priority = Number((ef['spec'] as { priority?: number } | undefined)?.priority ?? 0);
  if (inserts.every((i) => i.type === localRateLimit)) return smartLimiter(meta, target, priority, parsed, notes);
  const extra = parsed.bodies[0] ?? parsed.rateLimits[0];
  if (extra) {
    notes.push({
      kind: 'dropped',
      path: extra.path,
      message: `${'body' in extra ? 'a local reply body' : 'route rate_limits'} next to filters other than local rate limits`,
      hint: 'keep this EnvoyFilter',
    });
    return undefined;
  }
  return envoyPlugin(meta, target, priority, parsed, notes);
}

/** The EnvoyFilter's name, namespace, labels and annotations, less what describes the EnvoyFilter itself. */
function adoptedMetadata(ef: K8sObject) {
  const m = ef.metadata;
  const annotations = Object.fromEntries(Object.entries(m.annotations ?? {}).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration' && k !== ownerAnnotation));
  annotations[adoptedFromAnnotation] = `EnvoyFilter ${m.namespace ?? 'default'}/${m.name ?? ''}`;
  const labels = Object.fromEntries(Object.entries(m.labels ?? {}).filter(([k, v]) => !(k === managedByLabel && v === 'meshwarden')));
  return { name: m.name ?? '', ...(m.namespace ? { namespace: m.namespace } : {}), ...(Object.keys(labels).length > 0 ? { labels } : {}), annotations };
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = sanitizeName(base);
  for (let k = 2; taken.has(name); k++) name = sanitizeName(`${base}-${k}`);
  taken.add(name);
  return name;
}

function shortName(filter: string): string {
  return filter.replace(/^envoy\.filters\.http\./, '').replace(/^meshwarden\.(ratelimit\.)?/, '');
}

function smartLimiter(metadata: ReturnType<typeof adoptedMetadata>, target: Target, priority: number, parsed: Parsed, notes: Note[]): K8sObject | undefined {
  const limits: Limit[] = [];
  const usedRateLimits = new Set<object>();
  const taken = new Set<string>();
  for (const f of parsed.inserts) {
    // A filter inserted on several ports (same name) is enabled per port by route configs of that port.
    const routes = parsed.routes.filter((r) => r.filter === f.name && (f.port === undefined || r.port === undefined || r.port === f.port));
    const direction = f.context === 'SIDECAR_OUTBOUND' ? { direction: 'outbound' as const } : {};
    if (enabled(f.config)) {
      if (routes.length > 0) {
        notes.push({
          kind: 'dropped',
          path: [...routes[0]!.path],
          message: 'per-route buckets replacing an active filter-level bucket: meshwarden limits add up, they do not replace each other',
          hint: 'keep this EnvoyFilter',
        });
        return undefined;
      }
      if (f.context === 'SIDECAR_OUTBOUND') {
        notes.push({
          kind: 'dropped',
          path: f.path,
          message: 'an outbound limit for every destination: meshwarden outbound limits name their destination host',
          hint: 'keep this EnvoyFilter, or scope it to a host:port virtual host',
        });
        return undefined;
      }
      const bodies = limitsOf(f.config, [...f.path, 'patch', 'value', 'typed_config'], notes);
      if (!bodies) return undefined;
      const port = f.port === undefined ? undefined : f.context === 'GATEWAY' ? serverPort(f.port, [...f.path, 'match', 'listener', 'portNumber'], notes) : f.port;
      for (const l of bodies) limits.push({ name: uniqueName(shortName(f.name), taken), ...(port !== undefined ? { port } : {}), ...l });
      continue;
    }
    if (routes.length === 0) {
      notes.push({
        kind: 'dropped',
        path: f.path,
        message: 'a local rate limit filter that is not enabled (filter_enabled 0%) and no route enables it: it does nothing',
        hint: 'nothing to adopt; delete it',
      });
      return undefined;
    }
    const passthrough = Object.keys(f.config).filter((k) => k !== 'stat_prefix');
    if (passthrough.length > 0) {
      notes.push({
        kind: 'dropped',
        path: [...f.path, 'patch', 'value', 'typed_config', passthrough[0]!],
        message: 'filter-level settings of a filter whose buckets are per route',
        hint: 'keep this EnvoyFilter',
      });
      return undefined;
    }
    for (const r of routes) {
      const scope = scopeOf(r, notes);
      if (!scope) return undefined;
      // Descriptors without their own rate_limits are generated by the route's (Envoy reads the route's, then the virtual host's).
      if (r.config['descriptors'] !== undefined && r.config['rate_limits'] === undefined) {
        const same = (x: { port?: number; vhost?: string; domain?: string; route?: string }) => x.port === r.port && x.vhost === r.vhost && x.domain === r.domain && x.route === r.route;
        const rl = parsed.rateLimits.find(same) ?? parsed.rateLimits.find((x) => x.port === r.port && x.vhost === r.vhost && x.domain === r.domain && x.route === undefined);
        if (rl) {
          usedRateLimits.add(rl);
          r.config['rate_limits'] = rl.rateLimits as JsonObject[];
        }
      }
      const bodies = limitsOf(r.config, [...r.path, 'patch', 'value', 'typed_per_filter_config', r.filter], notes);
      if (!bodies) return undefined;
      if (!enabled(r.config)) {
        notes.push({
          kind: 'dropped',
          path: [...r.path, 'patch', 'value'],
          message: 'a per-route bucket that is not enabled (filter_enabled 0%): it does nothing',
          hint: 'nothing to adopt for this route',
        });
        continue;
      }
      if (f.port !== undefined && scope.port !== undefined && r.port === undefined && f.context === 'SIDECAR_INBOUND' && f.port !== scope.port) {
        notes.push({
          kind: 'approximate',
          path: [...r.path, 'match'],
          message: `the filter is on listener port ${f.port} and the bucket on virtual host port ${scope.port}; meshwarden's port for a workloadSelector target is the container port, ${f.port}`,
        });
        scope.port = f.port;
      }
      for (const l of bodies) limits.push({ name: uniqueName(`${shortName(f.name)}-${scope.route ?? scope.host ?? 'route'}`, taken), ...direction, ...scope, ...l });
    }
  }
  const unused = parsed.rateLimits.find((x) => !usedRateLimits.has(x));
  if (unused) {
    notes.push({
      kind: 'dropped',
      path: [...unused.path, 'patch', 'value'],
      message: "route rate_limits that no local rate limit's descriptors use here (other filters, such as a global rate limit, read them too)",
      hint: 'keep this EnvoyFilter',
    });
    return undefined;
  }
  for (const b of parsed.bodies) {
    const users = limits.filter((l) => (l.response?.status ?? 429) === b.status && (b.port === undefined || l.port === b.port));
    if (users.length === 0) {
      notes.push({ kind: 'dropped', path: b.path, message: `a local reply body for status ${b.status} that no limit answers with`, hint: 'keep this EnvoyFilter' });
      return undefined;
    }
    for (const l of users) l.response = { ...l.response, ...(b.status !== 429 ? { status: b.status as NonNullable<Limit['response']>['status'] } : {}), body: b.body };
  }
  if (limits.length === 0) return undefined;
  const sl: SmartLimiter = { apiVersion: 'meshwarden.io/v1alpha1', kind: 'SmartLimiter', metadata, spec: { target, priority, limits } };
  return sl as unknown as K8sObject;
}

function envoyPlugin(metadata: ReturnType<typeof adoptedMetadata>, target: Target, priority: number, parsed: Parsed, notes: Note[]): K8sObject | undefined {
  const context = parsed.inserts[0]!.context;
  const listenerPorts = new Set(parsed.inserts.map((i) => i.port));
  if (listenerPorts.size > 1) {
    notes.push({
      kind: 'dropped',
      path: parsed.inserts[1]!.path,
      message: 'filters on different ports: one EnvoyPlugin puts all its plugins on the same ports',
      hint: 'split the EnvoyFilter by port',
    });
    return undefined;
  }
  const listenerPort = parsed.inserts[0]!.port;
  // meshwarden's gateway ports: every filter in every gateway HCM, disabled, and enabled on the
  // route configurations of those Gateway server ports (render/patches.ts gatewayInstall).
  const gatewayPorts = context === 'GATEWAY' && listenerPort === undefined && parsed.routes.length > 0 ? [...new Set(parsed.routes.map((r) => r.port))] : undefined;
  if (gatewayPorts?.includes(undefined)) {
    const r = parsed.routes.find((x) => x.port === undefined)!;
    notes.push({
      kind: 'dropped',
      path: [...r.path, 'match', 'routeConfiguration'],
      message: 'gateway per-route config without routeConfiguration.portNumber next to per-port config',
      hint: 'keep this EnvoyFilter',
    });
    return undefined;
  }
  const ports = gatewayPorts
    ? (gatewayPorts as number[]).sort((a, b) => a - b)
    : listenerPort === undefined
      ? undefined
      : [context === 'GATEWAY' ? serverPort(listenerPort, [...parsed.inserts[0]!.path, 'match', 'listener', 'portNumber'], notes) : listenerPort];
  const taken = new Set<string>();
  const plugins: Plugin[] = [];
  for (const f of parsed.inserts) {
    const routes = parsed.routes.filter((r) => r.filter === f.name);
    const plugin: Plugin = { name: uniqueName(shortName(f.name), taken), ...pluginBody(f) };
    if (routes.length > 0 || f.disabled || gatewayPorts) {
      if (!f.disabled) {
        notes.push({
          kind: 'dropped',
          path: routes[0]?.path ?? f.path,
          message:
            routes.length > 0
              ? `per-route config of "${f.name}", which runs on every route: meshwarden's plugin routes restrict the plugin to those routes`
              : `"${f.name}" runs on every gateway port while other filters are enabled per port`,
          hint: 'keep this EnvoyFilter',
        });
        return undefined;
      }
      const scopes = routeScopes(f, routes, notes);
      if (!scopes) return undefined;
      const wholePorts = new Set(scopes.filter((x) => x.scope === undefined).map((x) => x.port));
      const scoped = scopes.flatMap((x) => (x.scope ? [x.scope] : []));
      if (wholePorts.size > 0 && (scoped.length > 0 || !gatewayPorts || wholePorts.size !== gatewayPorts.length)) {
        notes.push({
          kind: 'dropped',
          path: f.path,
          message: `"${f.name}" is enabled on every route of some ports and on chosen routes of others: one EnvoyPlugin scopes all its plugins to the same ports`,
          hint: 'split the EnvoyFilter, or keep it',
        });
        return undefined;
      }
      if (wholePorts.size === 0 && scoped.length === 0) {
        notes.push({ kind: 'dropped', path: f.path, message: `"${f.name}" is disabled and no route enables it: it does nothing`, hint: 'nothing to adopt' });
        return undefined;
      }
      // The renderer enables a scoped plugin once per port: the same scope on several ports is one scope.
      const unique = [...new Map(scoped.map((x) => [JSON.stringify(x), x])).values()];
      if (unique.length > 0) plugin.routes = unique;
    }
    plugins.push(plugin);
  }
  const ep: EnvoyPlugin = {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'EnvoyPlugin',
    metadata,
    spec: {
      target,
      ...(context === 'SIDECAR_OUTBOUND' ? { direction: 'outbound' } : {}),
      ...(ports ? { ports } : {}),
      priority,
      plugins,
    },
  };
  return ep as unknown as K8sObject;
}

/** The FilterConfigs enabling a disabled filter: a host/route scope each, or none for a whole port. */
function routeScopes(f: FilterInsert, routes: RouteConfig[], notes: Note[]): Array<{ port?: number; scope?: RouteScope }> | undefined {
  const out: Array<{ port?: number; scope?: RouteScope }> = [];
  for (const r of routes) {
    // A FilterConfig enables the disabled filter (with the config it holds); any other per-route config enables it too.
    // is_optional belongs to the enable marker (an optional FilterConfig inside; the renderer writes it).
    if (r.type === filterConfigType && Object.keys(r.config).some((k) => k !== 'config' && !(k === 'is_optional' && isEnableMarker(r.config)))) {
      notes.push({
        kind: 'dropped',
        path: [...r.path, 'patch', 'value'],
        message: `a FilterConfig of the disabled filter "${f.name}" with more than config (disabled, is_optional)`,
        hint: 'keep this EnvoyFilter',
      });
      return undefined;
    }
    const s = scopeOf(r, notes);
    if (!s) return undefined;
    const inner = r.type === filterConfigType ? typedConfig(r.config['config']) : { type: r.type, config: r.config };
    // The renderer adds the @type of the per-route messages it knows; others keep theirs.
    const known = f.type === lua ? 'envoy.extensions.filters.http.lua.v3.LuaPerRoute' : perRouteType(f.type);
    const config = inner && Object.keys(inner.config).length > 0 ? (inner.type === known ? inner.config : { '@type': `type.googleapis.com/${inner.type}`, ...inner.config }) : undefined;
    const scope: RouteScope = { ...(s.host ? { host: s.host } : {}), ...(s.route ? { route: s.route } : {}), ...(config ? { config } : {}) };
    if (!scope.host && !scope.route) {
      if (scope.config) {
        notes.push({
          kind: 'dropped',
          path: [...r.path, 'patch', 'value'],
          message: 'per-port config of a filter: meshwarden gives per-route config to hosts or routes',
          hint: 'keep this EnvoyFilter',
        });
        return undefined;
      }
      out.push({ ...(r.port !== undefined ? { port: r.port } : {}) });
    } else {
      out.push({ ...(r.port !== undefined ? { port: r.port } : {}), scope });
    }
  }
  return out;
}

/** FilterConfig{config: {"@type": FilterConfig}, is_optional: true}: enabled with the listener-level config. */
function isEnableMarker(fc: Record<string, unknown>): boolean {
  return fc['is_optional'] === true && typedConfig(fc['config'])?.type === filterConfigType;
}

/** Lua when the config is one inline chunk, native otherwise. */
function pluginBody(f: FilterInsert): Pick<Plugin, 'lua' | 'native'> {
  const keys = Object.keys(f.config);
  if (f.type === lua && keys.length === 1) {
    const v = f.config[keys[0]!];
    if (keys[0] === 'inline_code' && typeof v === 'string') return { lua: { code: v } };
    if (keys[0] === 'default_source_code' && isObject(v) && typeof v['inline_string'] === 'string' && Object.keys(v).length === 1) return { lua: { code: v['inline_string'] } };
  }
  return { native: { type: f.type, ...(keys.length > 0 ? { config: f.config } : {}) } };
}
