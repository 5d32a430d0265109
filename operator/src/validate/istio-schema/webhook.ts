/**
 * istiod's validating webhook (ValidateEnvoyFilter, ValidateWasmPlugin) and the `istioctl analyze`
 * EnvoyFilter analyzer, re-stated on plain objects. Checks MW52x (syntax layer) already makes for
 * WasmPlugin (url, sha256, env, ports, lengths) and MW2xx makes for patch values are not repeated.
 * Paths are relative to the object.
 */
import { checkProxyVersion } from '../syntax/index.js';
import type { Finding } from '../rule.js';
import { formatPath } from '../../diagnostics.js';
import { MW120, MW121, MW122, MW123, MW124, MW125, MW126, MW127, MW128, MW129, MW130, MW131, MW132, MW133, MW134 } from './rules.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const p = (...s: Array<string | number>) => formatPath(s);

const HCM = 'envoy.filters.network.http_connection_manager';
const LISTENER_CLASS = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
const MATCH_KINDS = ['listener', 'routeConfiguration', 'cluster', 'waypoint'] as const;
const REPLACE_OK = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'VIRTUAL_HOST', 'LISTENER_FILTER']);
const RELATIVE_OPS = new Set(['REMOVE', 'REPLACE', 'INSERT_BEFORE', 'INSERT_AFTER']);

export interface ScopeOptions {
  rootNamespace: string;
  /** Istio minors the object is checked for, e.g. ['1.28', '1.31']. */
  minors: readonly string[];
}

const minorNum = (m: string): number => {
  const x = /^(\d+)\.(\d+)/.exec(m);
  return x ? Number(x[1]) * 1000 + Number(x[2]) : 0;
};

/** Workload selection: empty selector, namespace-wide, mesh-wide (MW130/MW131). */
function checkScope(obj: Obj, kind: 'EnvoyFilter' | 'WasmPlugin', opts: ScopeOptions): Finding[] {
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  const meta = isObj(obj['metadata']) ? obj['metadata'] : {};
  const ns = str(meta['namespace']);
  const selKey = kind === 'EnvoyFilter' ? 'workloadSelector' : 'selector';
  const labelsKey = kind === 'EnvoyFilter' ? 'labels' : 'matchLabels';
  const sel = spec[selKey];
  const labels = isObj(sel) ? sel[labelsKey] : undefined;
  const hasLabels = isObj(labels) && Object.keys(labels).length > 0;
  const targeted = (Array.isArray(spec['targetRefs']) && spec['targetRefs'].length > 0) || isObj(spec['targetRef']);
  if (hasLabels || targeted) return [];
  const out: Finding[] = [];
  const at = sel !== undefined ? p('spec', selKey) : 'spec';
  if (ns !== undefined && ns === opts.rootNamespace) {
    out.push(
      MW131.finding(
        at,
        `${kind} in the root namespace ${ns} without ${selKey} labels or targetRefs: it applies to every sidecar and gateway in the mesh`,
        `Add ${selKey}.${labelsKey} (or targetRefs), or move it to the namespace of the workloads it is meant for.`,
      ),
    );
  } else if (sel !== undefined) {
    out.push(
      MW130.finding(
        at,
        `${selKey} has no labels: the ${kind} will be applied to all workloads in namespace ${ns ?? '(the object namespace)'}`,
        `Set ${selKey}.${labelsKey} to the labels of the target pods, or remove ${selKey} if namespace-wide is intended.`,
      ),
    );
  } else {
    out.push(
      MW130.finding(
        'spec',
        `no ${selKey} or targetRefs: the ${kind} applies to every workload in namespace ${ns ?? '(the object namespace)'}`,
        `Set ${selKey}.${labelsKey} to the labels of the target pods if it is not meant namespace-wide.`,
        'info',
      ),
    );
  }
  return out;
}

const ALLOWED_TARGETS = [
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
];

function checkTargetRefs(obj: Obj, kind: 'EnvoyFilter' | 'WasmPlugin', opts: ScopeOptions): Finding[] {
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  const out: Finding[] = [];
  const refs: Array<[string, unknown]> = [];
  if (Array.isArray(spec['targetRefs'])) spec['targetRefs'].forEach((r, i) => refs.push([p('spec', 'targetRefs', i), r]));
  if (isObj(spec['targetRef'])) refs.push([p('spec', 'targetRef'), spec['targetRef']]);
  for (const [at, r] of refs) {
    if (!isObj(r)) continue;
    const group = str(r['group']) ?? '';
    const k = str(r['kind']) ?? '';
    const canonical = group === 'core' ? '' : group;
    if (!ALLOWED_TARGETS.some((t) => t.kind === k && t.group === canonical)) {
      out.push(
        MW133.finding(
          at,
          kind === 'WasmPlugin'
            ? `targetRef must be to one of Gateway/GatewayClass (gateway.networking.k8s.io), Service, ServiceEntry (networking.istio.io) but was ${group}/${k}`
            : `targetRefs to ${group}/${k}: Istio attaches EnvoyFilters only to Gateway/GatewayClass (gateway.networking.k8s.io), Service (waypoints) and ServiceEntry, so this matches nothing`,
          'Reference a gateway.networking.k8s.io Gateway (or use workloadSelector for sidecars).',
          kind === 'WasmPlugin' ? 'error' : 'warning',
        ),
      );
    }
  }
  if (kind === 'EnvoyFilter' && refs.length > 0) {
    const old = opts.minors.filter((m) => minorNum(m) < minorNum('1.22'));
    if (old.length > 0) {
      out.push(
        MW132.finding(
          p('spec', 'targetRefs'),
          `Istio ${old.join(', ')} ignores targetRefs: there the EnvoyFilter applies to the whole namespace`,
          'Pin the object to a 1.22+ revision with the istio.io/rev label.',
        ),
      );
    }
    if (opts.minors.some((m) => m === '1.26')) {
      out.push(
        MW132.finding(
          p('spec', 'targetRefs'),
          'Istio 1.26 applies a targetRefs EnvoyFilter to every gateway of the namespace (istio/istio#56417, fixed in 1.27)',
          'Upgrade to 1.27+, or use workloadSelector with the gateway.networking.k8s.io/gateway-name label.',
        ),
      );
    }
  }
  return out;
}

/** `spec.priority` is an int32 in the Istio protos (EnvoyFilter, WasmPlugin's Int32Value). */
function checkPriority(obj: Obj): Finding[] {
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  const v = spec['priority'];
  if (typeof v !== 'number' || !Number.isInteger(v) || (v >= -(2 ** 31) && v < 2 ** 31)) return [];
  return [MW134.finding('spec.priority', `priority ${v} does not fit in int32: the API server accepts it, but istiod cannot decode the object`, 'Use a priority between -2147483648 and 2147483647.')];
}

/** istiod's ValidateEnvoyFilter and the EnvoyFilter analyzer (IST0151/IST0152-0154). */
export function checkEnvoyFilterWebhook(obj: Obj, opts: ScopeOptions): Finding[] {
  const out: Finding[] = [];
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  out.push(...checkPriority(obj), ...checkScope(obj, 'EnvoyFilter', opts), ...checkTargetRefs(obj, 'EnvoyFilter', opts));
  const patches = Array.isArray(spec['configPatches']) ? spec['configPatches'] : [];
  const relative: number[] = [];
  patches.forEach((cp, i) => {
    const at = (...s: Array<string | number>) => p('spec', 'configPatches', i, ...s);
    if (!isObj(cp)) {
      out.push(MW120.finding(at(), 'Envoy filter: null config patch'));
      return;
    }
    // istiod (1.29+) skips every check of a WAYPOINT patch ("TODO: Add validation for waypoint proxy").
    if (isObj(cp['match']) && cp['match']['context'] === 'WAYPOINT') return;
    const applyTo = str(cp['applyTo']);
    if (applyTo === undefined || applyTo === 'INVALID') {
      out.push(MW120.finding(at('applyTo'), 'Envoy filter: missing applyTo', 'Set applyTo (HTTP_FILTER, NETWORK_FILTER, HTTP_ROUTE, ...).'));
      return;
    }
    const patch = cp['patch'];
    if (!isObj(patch)) {
      out.push(MW121.finding(at('patch'), 'Envoy filter: missing patch'));
      return;
    }
    const op = str(patch['operation']);
    if (op === undefined || op === 'INVALID') {
      out.push(MW121.finding(at('patch', 'operation'), 'Envoy filter: missing patch operation'));
      return;
    }
    if (op !== 'REMOVE' && (patch['value'] === undefined || patch['value'] === null)) {
      out.push(MW122.finding(at('patch', 'value'), 'Envoy filter: missing patch value for non-remove operation'));
      return;
    }
    const match = isObj(cp['match']) ? cp['match'] : undefined;
    const proxy = isObj(match?.['proxy']) ? match['proxy'] : undefined;
    const pv = str(proxy?.['proxyVersion']);
    if (pv !== undefined && pv !== '') out.push(...checkProxyVersion(pv, { path: at('match', 'proxy', 'proxyVersion') }));

    const kinds = match ? MATCH_KINDS.filter((k) => match[k] !== undefined && match[k] !== null) : [];
    if (kinds.length > 0) {
      const mk = kinds[0]!;
      if (LISTENER_CLASS.has(applyTo) && mk !== 'listener') {
        out.push(
          MW123.finding(
            at('match', mk),
            `Envoy filter: applyTo for listener class objects cannot have non listener match (applyTo ${applyTo}, match.${mk})`,
            'Use match.listener for LISTENER, FILTER_CHAIN, NETWORK_FILTER and HTTP_FILTER.',
          ),
        );
        return;
      }
      if (ROUTE_CLASS.has(applyTo) && mk !== 'routeConfiguration') {
        out.push(
          MW123.finding(
            at('match', mk),
            `Envoy filter: applyTo for http route class objects cannot have non route configuration match (applyTo ${applyTo}, match.${mk})`,
            'Use match.routeConfiguration for ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE.',
          ),
        );
      } else if (applyTo === 'CLUSTER' && mk !== 'cluster') {
        out.push(MW123.finding(at('match', mk), `Envoy filter: applyTo for cluster class objects cannot have non cluster match (match.${mk})`, 'Use match.cluster for CLUSTER.'));
      }
      if (LISTENER_CLASS.has(applyTo) && mk === 'listener') {
        const listener = match!['listener'];
        const fc = isObj(listener) ? listener['filterChain'] : undefined;
        const filter = isObj(fc) ? fc['filter'] : undefined;
        if (isObj(filter)) {
          const fat = (...s: string[]) => at('match', 'listener', 'filterChain', 'filter', ...s);
          if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') {
            out.push(MW126.finding(fat(), `Envoy filter: filter match has no effect when used with ${applyTo}`, 'Match the chain by name, destinationPort, sni or transportProtocol instead.'));
          }
          const name = str(filter['name']) ?? '';
          if (name === '') {
            out.push(MW124.finding(fat('name'), 'Envoy filter: filter match has no name to match on', `Set the filter name, e.g. ${HCM}.`));
            return;
          }
          const sub = filter['subFilter'];
          if (sub !== undefined && sub !== null) {
            if (applyTo !== 'HTTP_FILTER') {
              out.push(MW125.finding(fat('subFilter'), 'Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only'));
              return;
            }
            if (name !== HCM && name !== 'envoy.http_connection_manager') {
              out.push(MW125.finding(fat('name'), `Envoy filter: subfilter match requires filter match with ${HCM}`, `Set filter.name: ${HCM}.`));
              return;
            }
            if ((str(isObj(sub) ? sub['name'] : undefined) ?? '') === '') {
              out.push(MW124.finding(fat('subFilter', 'name'), 'Envoy filter: subfilter match has no name to match on', 'Set subFilter.name, e.g. envoy.filters.http.router.'));
              return;
            }
          }
        }
      }
    }

    // Operations istiod does not implement for this applyTo (IST0152-IST0154, corrected).
    if (op === 'REPLACE' && !REPLACE_OK.has(applyTo)) {
      out.push(
        MW127.finding(
          at('patch', 'operation'),
          `istiod implements REPLACE only for HTTP_FILTER, NETWORK_FILTER, VIRTUAL_HOST and LISTENER_FILTER: on ${applyTo} the patch is ignored`,
          applyTo === 'CLUSTER' || applyTo === 'LISTENER' ? `REMOVE the ${applyTo.toLowerCase()} and ADD the new one, or MERGE.` : 'Use MERGE.',
        ),
      );
    } else if (applyTo === 'ROUTE_CONFIGURATION' && op !== 'MERGE' && op !== 'MERGE_AND_REPLACE_LIST') {
      out.push(MW127.finding(at('patch', 'operation'), `istiod implements only MERGE for ROUTE_CONFIGURATION: ${op} is ignored`, 'Patch VIRTUAL_HOST or HTTP_ROUTE instead.'));
    }
    if (RELATIVE_OPS.has(op)) relative.push(i);
    if (patch['filterClass'] !== undefined && patch['filterClass'] !== 'UNSPECIFIED') {
      out.push(
        MW129.finding(
          at('patch', 'filterClass'),
          'filterClass is read by no istiod version; the filter is placed by the operation alone (ADD appends after the router)',
          'Use INSERT_BEFORE with subFilter envoy.filters.http.router (or another anchor) instead.',
        ),
      );
    }
  });
  const prio = spec['priority'];
  if (relative.length > 0 && (prio === undefined || prio === null || prio === 0)) {
    out.push(
      MW128.finding(
        'spec.priority',
        `priority is unset while configPatches ${relative.map((i) => `[${i}]`).join(', ')} use relative operations: their order against other EnvoyFilters depends on creation time and changes when an object is recreated`,
        'Set spec.priority (e.g. 10) so the order is explicit and stable.',
      ),
    );
  }
  return out;
}

/** istiod's ValidateWasmPlugin checks not already made by MW52x, plus the scope checks. */
export function checkWasmPluginWebhook(obj: Obj, opts: ScopeOptions): Finding[] {
  return [...checkPriority(obj), ...checkScope(obj, 'WasmPlugin', opts), ...checkTargetRefs(obj, 'WasmPlugin', opts)];
}
