/**
 * Slime `microservice.slime.io/v1alpha2` SmartLimiter → meshwarden SmartLimiters (one per
 * Slime set). Semantics follow slime-io/slime modules/limiter: `controllers/envoy_filters.go`
 * (sets, conditions, quota templates), `envoy_local_limit.go` (targets, matchers, token
 * buckets), `envoy_global_limit.go` (global descriptors, fill_interval units) and
 * `smartlimiter_controller.go` (Validate, the workload selector precedence).
 *
 * A descriptor that cannot be carried over exactly enough is dropped whole, never
 * converted into a broader limit: losing a matcher would limit more traffic than before.
 */
import type { Limit, RequestMatch, SmartLimiter, StringMatch, Target } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import { parseCidr, formatCidr } from '../render/cidr.js';
import { formatDuration } from '../render/rate.js';
import type { Note } from './notes.js';
import { Message, isMap } from './slime-json.js';
import { migratedMetadata, sanitizeName, type MigrateOptions } from './common.js';

const baseSet = '_base';
const known = {
  spec: ['sets', 'rls', 'workloadSelector', 'gateway', 'host', 'target'],
  descriptor: ['condition', 'action', 'match', 'target', 'custom_key', 'custom_value'],
  action: ['quota', 'fill_interval', 'strategy', 'headers_to_add'],
  target: ['direction', 'port', 'route', 'host'],
  matcher: ['name', 'regex_match', 'exact_match', 'prefix_match', 'suffix_match', 'present_match', 'invert_match', 'is_exact_match_empty', 'present_match_separate', 'useQueryMatch', 'matchSource'],
};
const matchSources = ['HeadMatch', 'QueryMatch', 'JsonBodyMatch', 'SourceIpMatch'] as const;

interface Out {
  objects: K8sObject[];
  notes: Note[];
}

/** Where Slime's proxies are, and the pod selection of non-base sets. */
type Scope = { kind: 'service' | 'workload' | 'gateway'; target: Target };

export function migrateSmartLimiter(obj: K8sObject, opts: MigrateOptions): Out {
  const notes: Note[] = [];
  const spec = new Message(isMap(obj['spec']) ? obj['spec'] : {}, ['spec']);
  notes.push(...spec.unknown(known.spec));
  const name = obj.metadata.name ?? '';
  const ns = obj.metadata.namespace;

  const scope = scopeOf(spec, name, notes);
  if (!scope) return { objects: [], notes };
  if (spec.key('rls') !== undefined) {
    notes.push({
      kind: 'info',
      path: spec.at('rls'),
      message: 'deprecated: Slime takes the rate limit service from the limiter module config, not from here',
      hint: 'see the note on global limits below, if any',
    });
  }

  const sets = spec.message('sets');
  if (!sets || Object.keys(sets.value).length === 0) {
    notes.push({ kind: 'dropped', path: spec.at('sets'), message: 'no sets: Slime generates nothing for this SmartLimiter', hint: 'nothing to migrate; delete it' });
    return { objects: [], notes };
  }
  const objects: K8sObject[] = [];
  for (const setName of Object.keys(sets.value)) {
    const set = sets.message(setName);
    if (!set) continue;
    const limits: Limit[] = [];
    const descriptors = set.messages('descriptor');
    notes.push(...set.unknown(['descriptor']));
    const outbound = descriptors.some((d) => (d.message('target') ?? spec.message('target'))?.string('direction') === 'outbound');
    let subset: Record<string, string> | undefined;
    if (setName !== baseSet) {
      // envoy_filters.go: subsets are looked up only for inbound limiters of a Service.
      if (scope.kind !== 'service' || outbound) {
        notes.push({
          kind: 'dropped',
          path: set.path,
          message: `Slime ignores set "${setName}": subsets apply only to inbound limits of a Service (no workloadSelector, gateway or outbound target)`,
          hint: 'nothing took effect; delete the set',
        });
        continue;
      }
      subset = subsetLabels(opts.facts.destinationRules, name, ns ?? 'default', setName);
      if (!subset) {
        notes.push({
          kind: 'dropped',
          path: set.path,
          message: `set "${setName}" names a DestinationRule subset whose labels are not in the input`,
          hint: `pass the DestinationRule of host ${name} with the input, or add a SmartLimiter with spec.subset set to the subset's labels by hand`,
        });
        continue;
      }
    }
    descriptors.forEach((d, i) => limits.push(...migrateDescriptor(d, i, spec, scope, setName, notes)));
    if (limits.length === 0) continue;

    const global = limits.some((l) => l.strategy === 'global');
    const out: SmartLimiter = {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'SmartLimiter',
      metadata: migratedMetadata(obj, setName === baseSet ? name : `${name}-${sanitizeName(setName)}`, setName === baseSet ? '' : ` set ${setName}`),
      spec: {
        target: scope.target,
        ...(subset ? { subset } : {}),
        ...(global && opts.rateLimitService ? { rateLimitService: opts.rateLimitService } : {}),
        limits,
      },
    };
    if (global) {
      notes.push({
        kind: 'info',
        path: set.path,
        message:
          'global limits: Slime\'s rate limit service, domain (default "slime") and ConfigMap (rate-limit-config) came from its limiter module config; meshwarden writes its own descriptors under the domain "meshwarden" into the ConfigMap it manages',
        hint: "give the rate limit service with --rate-limit-service (or the operator flag of the same name); after cut-over remove Slime's entries from rate-limit-config",
      });
    }
    objects.push(out as unknown as K8sObject);
  }
  return { objects, notes };
}

/** smartlimiter_controller.go generateServiceSelector: workloadSelector (or gateway) > host > the Service named like the CR. */
function scopeOf(spec: Message, name: string, notes: Note[]): Scope | undefined {
  const selector = spec.stringMap('workloadSelector');
  const hasSelector = Object.keys(selector).length > 0;
  if (spec.bool('gateway')) {
    if (!hasSelector) {
      notes.push({
        kind: 'dropped',
        path: spec.at('gateway'),
        message: 'a gateway limiter without workloadSelector: Slime takes the pods of the Service named like the SmartLimiter, which meshwarden cannot express for a gateway',
        hint: "add the gateway pods' labels as target.gateway.selector by hand (Slime's docs require workloadSelector for gateways)",
      });
      return undefined;
    }
    return { kind: 'gateway', target: { gateway: { selector } } };
  }
  if (hasSelector) return { kind: 'workload', target: { workloadSelector: { matchLabels: selector } } };
  if (spec.string('host') !== '') {
    notes.push({
      kind: 'dropped',
      path: spec.at('host'),
      message: 'a limiter of a ServiceEntry host: meshwarden targets a Service, labelled pods or a gateway',
      hint: "target the ServiceEntry's workloads with a SmartLimiter target.workloadSelector by hand",
    });
    return undefined;
  }
  return { kind: 'service', target: { service: name } };
}

function subsetLabels(rules: readonly K8sObject[], service: string, ns: string, subset: string): Record<string, string> | undefined {
  const hosts = new Set([service, `${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`]);
  for (const dr of rules) {
    const spec = dr['spec'] as { host?: string; subsets?: Array<{ name?: string; labels?: Record<string, string> }> } | undefined;
    if ((dr.metadata.namespace ?? 'default') !== ns || !hosts.has(spec?.host ?? '')) continue;
    const s = spec?.subsets?.find((x) => x.name === subset);
    if (s?.labels && Object.keys(s.labels).length > 0) return s.labels;
  }
  return undefined;
}

/** Where one limit applies (direction, port, host, route), one per Slime route or host. */
type Placement = Pick<Limit, 'direction' | 'port' | 'host' | 'route'>;

function migrateDescriptor(d: Message, i: number, spec: Message, scope: Scope, setName: string, notes: Note[]): Limit[] {
  notes.push(...d.unknown(known.descriptor));
  const drop = (path: Array<string | number>, message: string, hint: string): Limit[] => {
    notes.push({ kind: 'dropped', path, message, hint });
    return [];
  };
  // Validate(): a descriptor needs a condition, an action and a target (its own or the spec's).
  const condition = d.string('condition').trim();
  if (condition === '') return drop(d.path, 'no condition: Slime rejects the whole SmartLimiter (Validate: "invalid condition")', 'fix the Slime object (condition: "true") and migrate again');
  if (condition !== 'true') {
    return drop(
      d.at('condition'),
      condition === 'false' ? 'condition "false": the limit never applies' : `condition "${condition}" is evaluated by Slime from metrics (adaptive limiting); meshwarden limits have no conditions`,
      condition === 'false' ? 'nothing to migrate' : 'write a SmartLimiter limit by hand if the limit should always apply, or keep this one on Slime',
    );
  }
  const action = d.message('action');
  if (!action) return drop(d.path, 'no action: Slime rejects the whole SmartLimiter (Validate: "invalid action")', 'fix the Slime object and migrate again');
  notes.push(...action.unknown(known.action));
  const target = d.message('target') ?? spec.message('target');
  if (!target) return drop(d.path, 'no target here nor in spec.target: Slime rejects the whole SmartLimiter (Validate: "invalid target")', 'add target (e.g. port) and migrate again');
  notes.push(...target.unknown(known.target));
  if (d.string('custom_key') !== '' && d.string('custom_value') !== '') {
    return drop(
      d.at('custom_key'),
      'custom_key/custom_value: Slime generates no route action and relies on a hand-written EnvoyPlugin for the descriptor',
      'express the condition as match.headers/query/path of a SmartLimiter limit by hand',
    );
  }

  const rate = rateOf(action, scope, setName, notes);
  if (!rate) return [];
  const match = matchOf(d, rate.strategy, notes);
  if (match === null) return [];
  const placements = placementsOf(target, scope, notes);
  if (placements.length === 0) return [];

  const headers = rate.strategy === 'global' ? undefined : responseHeaders(action, notes);
  if (rate.strategy === 'global' && action.key('headers_to_add') !== undefined) {
    notes.push({
      kind: 'info',
      path: action.at('headers_to_add'),
      message: 'Slime adds headers_to_add only to local limits; for this global limit they were never sent, so they are not converted',
      hint: 'add response.headers by hand if you want them',
    });
  }
  return placements.map((p, k) => ({
    name: placements.length > 1 ? `descriptor-${i}-${k}` : `descriptor-${i}`,
    ...p,
    ...(match.match ? { match: match.match } : {}),
    ...(match.distinctBy ? { distinctBy: match.distinctBy } : {}),
    rate: { requests: rate.requests, per: rate.per },
    ...(rate.strategy !== 'perPod' ? { strategy: rate.strategy } : {}),
    ...(headers ? { response: { headers } } : {}),
  }));
}

interface RateOut {
  requests: number;
  per: string;
  strategy: 'perPod' | 'average' | 'global';
}

/** `quota` (a Go template over metrics, evaluated by Slime's integer calculator), `fill_interval` and `strategy`. */
function rateOf(action: Message, scope: Scope, setName: string, notes: Note[]): RateOut | undefined {
  const drop = (path: Array<string | number>, message: string, hint: string) => {
    notes.push({ kind: 'dropped', path, message, hint });
    return undefined;
  };
  const fill = action.message('fill_interval');
  if (!fill) return drop(action.path, 'no fill_interval: Slime cannot build a token bucket', 'add fill_interval and migrate again');
  const ms = fill.int('seconds') * 1000 + fill.int('nanos') / 1e6;
  if (ms < 50) return drop(fill.path, `fill_interval of ${ms}ms: Envoy's token bucket needs at least 50ms`, 'use a longer interval');
  const per = formatDuration(Math.round(ms));
  if (!Number.isInteger(ms)) notes.push({ kind: 'approximate', path: fill.path, message: `fill_interval rounded to ${per}: meshwarden durations are whole milliseconds`, hint: 'check rate.per' });

  const rawStrategy = action.string('strategy');
  const quotaPath = action.at('quota');
  const quota = action.string('quota').trim();
  if (rawStrategy === 'global') {
    const n = plainQuota(quota);
    if (n === undefined) return drop(quotaPath, `a global quota must be a number; "${quota}" is an expression Slime evaluates from metrics`, 'write rate.requests by hand');
    if (!['1s', '1m', '1h', '1d'].includes(per))
      return drop(
        fill.path,
        `fill_interval ${per}: a global limit's interval must be 1s, 1m, 1h or 1d (Slime reported "invalid time in global rate limit" and wrote no descriptor)`,
        'use one of those intervals',
      );
    return checked(n, per, 'global', quotaPath, notes);
  }
  if (rawStrategy !== 'single' && rawStrategy !== 'average') {
    notes.push({
      kind: 'approximate',
      path: action.at('strategy'),
      message: rawStrategy === '' ? 'no strategy: Slime treats it as a local limit (single)' : `unknown strategy "${rawStrategy}": Slime treats it as a local limit (single)`,
      hint: 'check strategy in the output',
    });
  }
  const n = plainQuota(quota);
  if (n !== undefined) {
    if (rawStrategy === 'average') {
      notes.push({
        kind: 'info',
        path: quotaPath,
        message: `strategy average with the plain quota "${quota}": Slime divides only through a quota expression such as "${quota}/{{._base.pod}}", so every pod allowed ${quota}; converted to perPod`,
        hint: 'use strategy average with the total rate if the rate should be shared',
      });
    }
    return checked(n, per, 'perPod', quotaPath, notes);
  }
  // "<total>/{{.<set>.pod}}": the total shared by the set's Running pods, which is meshwarden's average.
  const shared = /^(\d+)\s*\/\s*\{\{\s*\.([A-Za-z0-9_-]+)\.pod\s*\}\}$/.exec(quota);
  if (shared) {
    const total = Number(shared[1]);
    const over = shared[2]!;
    const sameSet = over === setName || (over === baseSet && setName === baseSet) || (over === baseSet && scope.kind !== 'service');
    notes.push(
      sameSet
        ? {
            kind: 'info',
            path: quotaPath,
            message: `"${quota}" is ${total} shared by the pods: converted to strategy average (meshwarden divides by ready pods and recomputes as they scale; Slime counted Running pods every 30s)`,
          }
        : {
            kind: 'approximate',
            path: quotaPath,
            message: `"${quota}" divides by the pods of set "${over}", not of this set "${setName}"; meshwarden's average divides by the pods this resource selects`,
            hint: 'check rate.requests',
          },
    );
    return checked(total, per, 'average', quotaPath, notes);
  }
  return drop(
    quotaPath,
    `quota "${quota}" is an expression over metrics that Slime recomputes; meshwarden rates are numbers (or a total shared with strategy average)`,
    'choose a fixed rate.requests, or a total with strategy average, by hand',
  );
}

function plainQuota(q: string): number | undefined {
  return /^\d+$/.test(q) ? Number(q) : undefined;
}

function checked(n: number, per: string, strategy: RateOut['strategy'], path: Array<string | number>, notes: Note[]): RateOut | undefined {
  if (n < 1 || n > 1e9) {
    notes.push({
      kind: 'dropped',
      path,
      message: `quota ${n}: meshwarden rates are 1 to 1000000000 requests${n === 0 ? " (Slime's 0 produced a bucket Envoy rejects)" : ''}`,
      hint: 'choose a rate in range by hand',
    });
    return undefined;
  }
  return { requests: n, per, strategy };
}

/**
 * envoy_local_limit.go generateRouteConfigs: outbound (and gateway) limits name routes
 * `host[:port]/route` or virtual hosts `host`, with target.port appended when set;
 * anything else is the inbound route `default` of `inbound|http|<port>` (every port for 0).
 */
function placementsOf(target: Message, scope: Scope, notes: Note[]): Placement[] {
  const port = target.int('port') || undefined;
  const outbound = target.string('direction') === 'outbound';
  const routes = target.strings('route');
  const hosts = target.strings('host');
  if (!outbound || (routes.length === 0 && hosts.length === 0)) {
    if (scope.kind === 'gateway') {
      notes.push({
        kind: 'dropped',
        path: target.path,
        message: 'a gateway limit without direction: outbound and a route or host: Slime matched the inbound route "default", which gateways do not have',
        hint: 'give the gateway route as host:port/route (a meshwarden limit with host, port and route)',
      });
      return [];
    }
    if (outbound) {
      notes.push({
        kind: 'dropped',
        path: target.path,
        message: 'an outbound target without route or host: Slime silently limited the INBOUND traffic instead',
        hint: 'add route (host:port/route) or host and migrate again, or write the limit by hand',
      });
      return [];
    }
    for (const f of ['route', 'host'] as const) {
      if (target.key(f) !== undefined) notes.push({ kind: 'info', path: target.at(f), message: `${f} is ignored by Slime for inbound limits; not converted` });
    }
    if (port !== undefined && scope.kind === 'workload') {
      notes.push({
        kind: 'approximate',
        path: target.at('port'),
        message: `Slime matched the inbound virtual host inbound|http|${port}, named by the Service port; with a workloadSelector target meshwarden's port is the container port`,
        hint: 'if the Service maps this port to another targetPort, put the container port in the limit',
      });
    }
    return [port !== undefined ? { port } : {}];
  }
  const out: Placement[] = [];
  const add = (vhost: string, route: string | undefined, path: Array<string | number>) => {
    const full = port !== undefined ? `${vhost}:${port}` : vhost;
    const m = /^([^:]+):(\d+)$/.exec(full);
    if (!m) {
      notes.push({
        kind: 'dropped',
        path,
        message: `virtual host "${full}" ${port !== undefined && vhost.includes(':') ? 'has its port twice (route and target.port)' : 'has no port'}: Istio names virtual hosts <host>:<port>, so Slime's patch matched nothing`,
        hint: 'write host:port/route with exactly one port and migrate again',
      });
      return;
    }
    out.push({ ...(scope.kind === 'gateway' ? {} : { direction: 'outbound' as const }), host: m[1]!, port: Number(m[2]), ...(route ? { route } : {}) });
  };
  if (routes.length > 0) {
    if (hosts.length > 0) notes.push({ kind: 'info', path: target.at('host'), message: 'host is ignored by Slime when route is set; not converted' });
    routes.forEach((r, j) => {
      const parts = r.split('/');
      if (parts.length !== 2) {
        notes.push({
          kind: 'dropped',
          path: target.at('route', j),
          message: `route "${r}" is not host:port/route: Slime skips it`,
          hint: 'nothing took effect; fix it in Slime or write the limit by hand',
        });
        return;
      }
      add(parts[0]!, parts[1] || undefined, target.at('route', j));
    });
  } else {
    hosts.forEach((h, j) => add(h, undefined, target.at('host', j)));
  }
  return out;
}

type MatchOut = { match?: RequestMatch; distinctBy?: { header: string } } | null;

/** envoy_local_limit.go generateRouteRateLimitAction: every matcher is ANDed; null drops the descriptor. */
function matchOf(d: Message, strategy: RateOut['strategy'], notes: Note[]): MatchOut {
  const matchers = d.messages('match');
  const headers: StringMatch[] = [];
  const query: StringMatch[] = [];
  const cidrs: string[] = [];
  const drop = (path: Array<string | number>, message: string, hint: string): null => {
    notes.push({ kind: 'dropped', path, message: `${message}; the descriptor is not converted (a limit without this matcher would count more traffic)`, hint });
    return null;
  };
  const separate = matchers.find((m) => m.bool('present_match_separate'));
  if (separate) {
    // generatePresentMatchSeparate returns at that matcher: one bucket per value of the header, nothing else.
    notes.push(
      strategy === 'global'
        ? { kind: 'info', path: separate.at('present_match_separate'), message: 'present_match_separate: one counter per header value, converted to distinctBy.header' }
        : {
            kind: 'approximate',
            path: separate.at('present_match_separate'),
            message: 'present_match_separate works only for global limits in Slime (its local descriptor never matched); converted to distinctBy.header, which meshwarden supports locally',
            hint: 'check that a per-value local limit is what you want',
          },
    );
    for (const m of matchers) {
      if (m !== separate) notes.push({ kind: 'info', path: m.path, message: 'ignored by Slime in a descriptor with present_match_separate; not converted' });
    }
    return { distinctBy: { header: separate.string('name') } };
  }
  for (const m of matchers) {
    notes.push(...m.unknown(known.matcher));
    const name = m.string('name');
    const source = m.enumOf('matchSource', matchSources);
    if (source === undefined) return drop(m.at('matchSource'), `unknown matchSource "${String(m.get('matchSource'))}"`, 'use HeadMatch, QueryMatch or SourceIpMatch');
    if (source === 'JsonBodyMatch')
      return drop(
        m.at('matchSource'),
        'JsonBodyMatch needs a custom Envoy build (body_value_match); meshwarden limits match headers, query, path and source addresses',
        'keep this limit on Slime, or match a header the client sets',
      );
    if (source === 'SourceIpMatch') {
      // exactIPs: a comma list is one descriptor (one bucket) per address.
      for (const ip of m
        .string('exact_match')
        .split(',')
        .map((s) => s.trim())) {
        const c = parseCidr(`${ip}/${ip.includes(':') ? 128 : 32}`);
        if (!c) return drop(m.at('exact_match'), `"${ip}" is not an IP address (Slime compares the client address to it as a string)`, 'use addresses, or CIDRs in match.sourceCIDRs by hand');
        cidrs.push(formatCidr(c));
      }
      continue;
    }
    if (name === '') return drop(m.path, 'a matcher without name', 'add the header or parameter name');
    const isQuery = source === 'QueryMatch' || m.bool('useQueryMatch');
    const kinds: Array<[string, keyof StringMatch]> = [
      ['regex_match', 'regex'],
      ['exact_match', 'exact'],
      ['prefix_match', 'prefix'],
      ['suffix_match', 'suffix'],
    ];
    const set = kinds.filter(([f]) => m.string(f) !== '');
    if (!isQuery && m.bool('is_exact_match_empty')) set.push(['is_exact_match_empty', 'exact']);
    if (!isQuery && m.bool('present_match')) set.push(['present_match', 'present']);
    if (set.length === 0) {
      return drop(
        m.path,
        isQuery
          ? 'a query matcher needs regex_match, exact_match, prefix_match or suffix_match (Slime fails on anything else)'
          : 'a header matcher needs one of regex_match, exact_match, prefix_match, suffix_match, is_exact_match_empty or present_match: true (Slime fails on anything else)',
        'fix the matcher and migrate again',
      );
    }
    // The first kind in Slime's switch order wins.
    const [field, kind] = set[0]!;
    if (set.length > 1)
      notes.push({
        kind: 'info',
        path: m.at(set[1]![0]),
        message: `Slime uses only ${field} when several kinds are set; ${set
          .slice(1)
          .map(([f]) => f)
          .join(', ')} not converted`,
      });
    const value = field === 'is_exact_match_empty' ? '' : field === 'present_match' ? true : m.string(field);
    const sm = { name, [kind]: value } as unknown as StringMatch;
    if (m.bool('invert_match')) {
      if (isQuery) notes.push({ kind: 'info', path: m.at('invert_match'), message: 'Slime ignores invert_match on query matchers; not converted' });
      else sm.invert = true;
    }
    (isQuery ? query : headers).push(sm);
  }
  const match: RequestMatch = {};
  if (headers.length > 0) match.headers = headers;
  if (query.length > 0) match.query = query;
  if (cidrs.length > 0) match.sourceCIDRs = [...new Set(cidrs)];
  return Object.keys(match).length > 0 ? { match } : {};
}

function responseHeaders(action: Message, notes: Note[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const h of action.messages('headers_to_add')) {
    const key = h.string('key').toLowerCase();
    if (key === '') {
      notes.push({ kind: 'info', path: h.path, message: 'a header without key: Envoy rejects it; not converted' });
      continue;
    }
    out[key] = h.string('value');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
