/**
 * The `Effective` condition: did the proxies this resource selects accept the configuration
 * istiod built with its objects? Pure: selection, the per-proxy verdict and the condition,
 * from istiod's syncz report (operator/src/xds/syncz.ts). The rule, ADR 0085:
 *
 * istiod reports no config version per proxy, only per xDS type a status (SYNCED, STALE,
 * NOT_SENT, ERROR with Envoy's NACK text) and when it last sent that type. Let W be when the
 * operator started writing this resource's EnvoyFilters/WasmPlugins (its own clock, taken before
 * the request; istiod pushes at least one debounce period, 100 ms, after it sees the change, so
 * small clock skew does not matter). For each selected proxy, over the types an EnvoyFilter or
 * WasmPlugin can change (LDS, RDS, CDS, ECDS):
 *   - rejected: a type is ERROR for a send at or after W (Envoy NACKed a push that came after
 *     our write; the NACK does not name the EnvoyFilter, so the message says what we know);
 *   - pending: a type is STALE (sent, not acknowledged), or none was sent since W;
 *   - accepted: otherwise — no error since W, nothing in flight, and at least one type sent at
 *     or after W and acknowledged.
 * Effective=True only when every connected selected proxy accepted and the last send is
 * `quietMs` old (a push sends CDS, LDS, RDS one after another: a snapshot between them must
 * not settle the verdict). Any rejection → False. Otherwise Unknown with a reason.
 */
import type { K8sObject } from '../k8s-object.js';
import { matchesLabels, type Pod, type Service } from '../render/context.js';
import type { ProxySync, XdsTypeStatus } from '../xds/syncz.js';
import { selectorOf } from './target-selector.js';
import type { Cache } from './informers.js';

export const effectiveConditionType = 'Effective';

export const effectiveReasons = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  pending: 'Pending',
  noProxies: 'NoProxies',
  istiodUnreachable: 'IstiodUnreachable',
} as const;

export const xdsTypeUrls = {
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ECDS: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
} as const;
type XdsName = keyof typeof xdsTypeUrls;
const judged = Object.entries(xdsTypeUrls) as Array<[XdsName, string]>;

export interface EffectiveCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** How soon to look again: soon (with backoff), slowly (a stable but not final state), or not until something changes. */
export type NextCheck = 'soon' | 'slow' | 'stop';

/** istiod's proxy ID of a Kubernetes pod. */
export const proxyIdOf = (p: { metadata: { name?: string; namespace?: string } }): string => `${p.metadata.name}.${p.metadata.namespace}`;

/**
 * The pods whose proxies apply this resource's objects: the target's selector (plus subset) in
 * the resource's namespace — where its EnvoyFilters and WasmPlugins live — or in every namespace
 * for a resource in Istio's root namespace. Finished pods have no proxy.
 */
export function selectedProxyIds(cr: K8sObject, pods: Cache<Pod>, services: Cache<Service>, rootNamespace: string): string[] {
  const sel = selectorOf(cr, services);
  if (!sel) return [];
  const ns = cr.metadata.namespace ?? 'default';
  return (ns === rootNamespace ? pods.list() : pods.list(ns))
    .filter((p) => matchesLabels(p.metadata.labels, sel) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp)
    .map(proxyIdOf)
    .sort();
}

export type ProxyVerdict = { state: 'accepted'; lastSentMs: number } | { state: 'rejected'; type: XdsName; details: string; atMs: number } | { state: 'pending' };

export function judgeProxy(p: ProxySync, writtenAtMs: number): ProxyVerdict {
  const types = judged.flatMap(([name, url]) => {
    const t = p.types.find((x) => x.typeUrl === url);
    return t ? [[name, t] as [XdsName, XdsTypeStatus]] : [];
  });
  for (const [name, t] of types) {
    const at = t.error?.atMs ?? t.lastSentMs ?? 0;
    if (t.status === 'ERROR' && at >= writtenAtMs) return { state: 'rejected', type: name, details: t.error?.details ?? '(no error text)', atMs: at };
  }
  if (types.some(([, t]) => t.status === 'STALE')) return { state: 'pending' };
  const fresh = types.filter(([, t]) => t.status === 'SYNCED' && (t.lastSentMs ?? 0) >= writtenAtMs).map(([, t]) => t.lastSentMs ?? 0);
  if (fresh.length === 0) return { state: 'pending' };
  return { state: 'accepted', lastSentMs: Math.max(...fresh) };
}

/**
 * Proxies whose acceptance is final: accepted, and the push is `quietMs` old (mid-push, CDS may
 * be acknowledged while the LDS that carries our filter is still to come).
 */
export function settledAcceptances(i: Pick<EffectiveInput, 'selected' | 'proxies' | 'writtenAtMs' | 'nowMs' | 'quietMs'>): string[] {
  return i.selected.filter((id) => {
    const p = i.proxies.get(id);
    const v = p && judgeProxy(p, i.writtenAtMs);
    return v?.state === 'accepted' && i.nowMs - v.lastSentMs >= i.quietMs;
  });
}

/** The newest report of each proxy: a proxy that reconnected may linger on a second istiod for a moment. */
export function indexProxies(reports: readonly ProxySync[]): Map<string, ProxySync> {
  const latest = (p: ProxySync): number => Math.max(0, ...p.types.map((t) => t.lastSentMs ?? 0));
  const out = new Map<string, ProxySync>();
  for (const p of reports) {
    const prior = out.get(p.id);
    if (!prior || latest(p) > latest(prior)) out.set(p.id, p);
  }
  return out;
}

export interface EffectiveInput {
  /** Proxy IDs of the selected pods. */
  selected: readonly string[];
  /** Every proxy reported by the reachable istiods, by ID (indexProxies). */
  proxies: ReadonlyMap<string, ProxySync>;
  /** istiods that did not answer, with the error. */
  unreachable: ReadonlyArray<{ address: string; error: string }>;
  writtenAtMs: number;
  nowMs: number;
  quietMs: number;
  /**
   * Proxies already seen accepting since the write. syncz keeps only the last state per type, so
   * a NACK of a later push (someone else's change) would otherwise be blamed on this resource,
   * whose configuration the proxy still runs.
   */
  acceptedBefore?: ReadonlySet<string>;
}

/** One message for the whole wait, from the write on: progress would cost a status write per step. */
export function pendingCondition(writtenAtMs: number): EffectiveCondition {
  return {
    status: 'Unknown',
    reason: effectiveReasons.pending,
    message: `waiting for the selected proxies to acknowledge the configuration written at ${new Date(writtenAtMs).toISOString()}`,
  };
}

const maxListed = 3;
const list = (ids: readonly string[]): string => ids.slice(0, maxListed).join(', ') + (ids.length > maxListed ? ` and ${ids.length - maxListed} more` : '');

/** The verdict, when to look again, and (while only the quiet period is missing) the moment it ends. */
export function effectiveCondition(i: EffectiveInput): { condition: EffectiveCondition; next: NextCheck; quietAtMs?: number } {
  const written = new Date(i.writtenAtMs).toISOString();
  if (i.selected.length === 0) {
    return { condition: { status: 'Unknown', reason: effectiveReasons.noProxies, message: 'no pod is selected by the target, so no proxy applies the generated objects' }, next: 'stop' };
  }
  const found = i.selected.filter((id) => i.proxies.has(id));
  if (found.length === 0) {
    if (i.unreachable.length > 0) {
      const errs = i.unreachable.map((u) => `${u.address}: ${u.error}`).join('; ');
      return {
        condition: { status: 'Unknown', reason: effectiveReasons.istiodUnreachable, message: `no reachable istiod knows the proxies of the ${i.selected.length} selected pods; ${errs}` },
        next: 'slow',
      };
    }
    return {
      condition: { status: 'Unknown', reason: effectiveReasons.noProxies, message: `none of the ${i.selected.length} selected pods (${list(i.selected)}) has a proxy connected to istiod` },
      next: 'soon',
    };
  }
  const verdicts = found.map((id) => {
    const v = judgeProxy(i.proxies.get(id)!, i.writtenAtMs);
    return [id, v.state !== 'accepted' && i.acceptedBefore?.has(id) ? ({ state: 'accepted', lastSentMs: 0 } as const) : v] as const;
  });
  const rejected = verdicts.filter((v): v is readonly [string, Extract<ProxyVerdict, { state: 'rejected' }>] => v[1].state === 'rejected');
  if (rejected.length > 0) {
    const [id, r] = rejected[0]!;
    const others = rejected.length > 1 ? ` (${rejected.length} of ${found.length} proxies rejected it: ${list(rejected.map(([x]) => x))})` : '';
    return {
      condition: {
        status: 'False',
        reason: effectiveReasons.rejected,
        message: `proxy ${id} rejected the ${r.type} update istiod pushed after this resource's objects were written${others}: ${r.details}`,
      },
      next: 'slow',
    };
  }
  const pending = verdicts.filter(([, v]) => v.state !== 'accepted');
  const lastSent = Math.max(0, ...verdicts.map(([, v]) => (v.state === 'accepted' ? v.lastSentMs : 0)));
  if (pending.length > 0) return { condition: pendingCondition(i.writtenAtMs), next: 'soon' };
  if (i.nowMs - lastSent < i.quietMs) return { condition: pendingCondition(i.writtenAtMs), next: 'soon', quietAtMs: lastSent + i.quietMs };
  const missing = i.selected.length - found.length;
  const note = missing > 0 ? `; ${missing} selected pods have no proxy connected to a reachable istiod` : '';
  return {
    condition: { status: 'True', reason: effectiveReasons.accepted, message: `all ${found.length} connected selected proxies accepted the configuration written at ${written}${note}` },
    next: missing > 0 ? 'slow' : 'stop',
  };
}

/**
 * When the generated objects were last written, for a resource the operator did not write
 * since it started: the newest `meshwarden` managedFields time (the API server's clock, whole
 * seconds — a push in the same second before the write could be taken for ours; ADR 0085).
 */
export function lastWriteMs(objects: readonly K8sObject[]): number | undefined {
  let best: number | undefined;
  for (const o of objects) {
    const mf = (o.metadata as { managedFields?: Array<{ manager?: string; time?: string }> }).managedFields ?? [];
    for (const f of mf) {
      if (f.manager !== 'meshwarden' || !f.time) continue;
      const t = Date.parse(f.time);
      if (!Number.isNaN(t) && (best === undefined || t > best)) best = t;
    }
  }
  return best;
}
