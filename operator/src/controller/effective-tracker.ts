/**
 * Keeps the `Effective` condition of every resource up to date by polling istiod's syncz
 * (ADR 0085). Cheap by construction:
 *
 *   - only the leader polls (observe() is called by reconciles, which run only there);
 *   - a resource is looked at only after its objects were written, when the pods it selects
 *     change, or when the operator first sees it: with backoff (300 ms doubling to 30 s) while
 *     pending, every 5 minutes while rejected or while istiod is unreachable, and not at all
 *     once every selected proxy accepted; a wait gives up after 10 minutes (Pending stays);
 *   - one round serves every resource that is due: one syncz query per istiod, whatever the
 *     number of resources; rounds are at least 250 ms apart.
 *
 * A changed verdict enqueues the resource; its reconcile asks observe() and writes the
 * condition with the rest of the status (one status path, Events on transitions).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Condition, GeneratedRef } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import type { Pod } from '../render/context.js';
import type { ProxySync } from '../xds/syncz.js';
import { effectiveCondition, effectiveConditionType, indexProxies, pendingCondition, settledAcceptances, lastWriteMs, selectedProxyIds, type EffectiveCondition, type NextCheck } from './effective.js';
import type { Cache } from './informers.js';
import type { Caches, ResourceKind } from './caches.js';

export interface EffectiveTiming {
  firstMs: number;
  maxMs: number;
  slowMs: number;
  quietMs: number;
  giveUpMs: number;
  minRoundMs: number;
}

export const defaultTiming: EffectiveTiming = { firstMs: 300, maxMs: 30_000, slowMs: 300_000, quietMs: 500, giveUpMs: 600_000, minRoundMs: 250 };

export interface EffectiveDeps {
  caches: Caches;
  /** istiod xDS addresses (HOST:PORT) to ask; a proxy's status comes from the one it is connected to. */
  istiods: () => string[];
  syncz: { fetch(address: string): Promise<ProxySync[]>; retain?(addresses: readonly string[]): void };
  enqueue: (kind: ResourceKind, namespace: string, name: string) => void;
  rootNamespace: string;
  log: Logger;
  registry?: Registry;
  timing?: Partial<EffectiveTiming>;
  now?: () => number;
}

/** What a reconcile tells the tracker. */
export interface Observation {
  /** When the reconcile started writing (before any request). */
  startedMs: number;
  /** Whether it created, updated or deleted EnvoyFilters or WasmPlugins. */
  wrote: boolean;
  /** status.generated as written. */
  generated: readonly GeneratedRef[];
}

interface Entry {
  kind: ResourceKind;
  namespace: string;
  name: string;
  uid: string | undefined;
  writtenAtMs: number;
  condition: EffectiveCondition;
  selected: string;
  delayMs: number;
  dueAt: number | undefined;
  /** When the current wait began (for giving up). */
  since: number;
  /** Proxies seen accepting since writtenAtMs (effective.ts, acceptedBefore). */
  accepted: Set<string>;
  /**
   * The condition came from status (first sight after a restart): a first verdict of the same
   * status and reason keeps its message, whose time differs only in resolution (managedFields),
   * so a restart costs no status write per resource.
   */
  inherited: boolean;
}

const sameCondition = (a: EffectiveCondition, b: EffectiveCondition): boolean => a.status === b.status && a.reason === b.reason && a.message === b.message;

/**
 * istiod pods of a namespace (label app=istiod, every revision), by pod IP and the container port
 * istiod's chart names `grpc-xds` (plaintext, 15010) or `tls-xds` (15012).
 */
export function discoveredIstiods(pods: Cache<Pod>, namespace: string, tls: boolean): () => string[] {
  const [portName, defaultPort] = tls ? ['tls-xds', 15012] : ['grpc-xds', 15010];
  return () =>
    pods
      .list(namespace)
      .filter((p) => p.metadata.labels?.app === 'istiod' && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)
      .flatMap((p) => {
        const ip = (p.status as { podIP?: string } | undefined)?.podIP;
        const port = p.spec?.containers?.flatMap((c) => c.ports ?? []).find((x) => x.name === portName)?.containerPort ?? defaultPort;
        return ip ? [ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`] : [];
      });
}

export class EffectiveTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #timing: EffectiveTiming;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastRound = 0;
  #round: Promise<void> | undefined;
  #stopped = false;
  readonly #queries: Counter<'result'> | undefined;
  readonly #latency: Histogram | undefined;

  constructor(private readonly deps: EffectiveDeps) {
    this.#timing = { ...defaultTiming, ...deps.timing };
    this.#now = deps.now ?? Date.now;
    if (deps.registry) {
      this.#queries = new Counter({ name: 'meshwarden_syncz_queries_total', help: 'syncz queries to istiod by result', labelNames: ['result'] as const, registers: [deps.registry] });
      this.#latency = new Histogram({
        name: 'meshwarden_syncz_query_seconds',
        help: 'Latency of one syncz query to one istiod',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [deps.registry],
      });
      const size = (): { tracked: number; polling: number } => this.size;
      new Gauge({
        name: 'meshwarden_effective_resources',
        help: 'Resources with an Effective condition, by whether they are still polled',
        labelNames: ['state'] as const,
        registers: [deps.registry],
        collect() {
          const { tracked, polling } = size();
          this.set({ state: 'polling' }, polling);
          this.set({ state: 'settled' }, tracked - polling);
        },
      });
    }
  }

  /**
   * Called by every reconcile (an invalid spec keeps its last good objects, so their verdict too):
   * returns the Effective condition to write now, or undefined when the resource generates
   * nothing a proxy applies (only a rate limit ConfigMap).
   */
  observe(kind: ResourceKind, cr: K8sObject & { status?: { conditions?: Condition[] } }, o: Observation): EffectiveCondition | undefined {
    const namespace = cr.metadata.namespace ?? 'default';
    const name = cr.metadata.name ?? '';
    const key = `${kind}/${namespace}/${name}`;
    const objects = o.generated.filter((g) => g.kind === 'EnvoyFilter' || g.kind === 'WasmPlugin');
    if (objects.length === 0) {
      this.#entries.delete(key);
      return undefined;
    }
    const now = this.#now();
    const selected = selectedProxyIds(cr, this.deps.caches.Pod, this.deps.caches.Service, this.deps.rootNamespace).join(',');
    let e = this.#entries.get(key);
    if (!e || e.uid !== cr.metadata.uid) {
      // First sight since start: keep the condition already in status until the first round says otherwise.
      const cached = objects.flatMap((g) => {
        const obj = (g.kind === 'EnvoyFilter' ? this.deps.caches.EnvoyFilter : this.deps.caches.WasmPlugin).get(g.name, g.namespace ?? namespace);
        return obj ? [obj] : [];
      });
      const prior = cr.status?.conditions?.find((c) => c.type === effectiveConditionType);
      const writtenAtMs = o.wrote ? o.startedMs : (lastWriteMs(cached) ?? 0);
      e = {
        kind,
        namespace,
        name,
        uid: cr.metadata.uid,
        writtenAtMs,
        condition: prior && !o.wrote ? { status: prior.status, reason: prior.reason, message: prior.message } : pendingCondition(writtenAtMs),
        selected,
        delayMs: this.#timing.firstMs,
        dueAt: now,
        since: now,
        accepted: new Set(),
        inherited: prior !== undefined && !o.wrote,
      };
      this.#entries.set(key, e);
    } else if (o.wrote) {
      e.writtenAtMs = o.startedMs;
      e.condition = pendingCondition(o.startedMs);
      e.accepted.clear();
      e.inherited = false;
      this.#restart(e, now);
    } else if (e.selected !== selected) {
      e.selected = selected;
      this.#restart(e, now);
    }
    this.#schedule();
    return e.condition;
  }

  #restart(e: Entry, now: number): void {
    e.delayMs = this.#timing.firstMs;
    e.dueAt = now + this.#timing.firstMs;
    e.since = now;
  }

  #schedule(): void {
    if (this.#stopped || this.#round) return;
    let due: number | undefined;
    for (const e of this.#entries.values()) if (e.dueAt !== undefined && (due === undefined || e.dueAt < due)) due = e.dueAt;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (due === undefined) return;
    const at = Math.max(due, this.#lastRound + this.#timing.minRoundMs);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        // A round that throws (istiod discovery, judging) is logged; round()'s finally schedules the next.
        this.round().catch((err: unknown) => this.deps.log.error({ err }, 'Effective: polling round failed; the next one is scheduled'));
      },
      Math.max(0, at - this.#now()),
    );
    this.#timer.unref();
  }

  /** One polling round: every istiod once, then every due resource judged. Joins a round under way. */
  round(): Promise<void> {
    this.#round ??= this.#poll().finally(() => {
      this.#round = undefined;
      this.#schedule();
    });
    return this.#round;
  }

  async #poll(): Promise<void> {
    const now = this.#now();
    this.#lastRound = now;
    const due = [...this.#entries.entries()].filter(([, e]) => e.dueAt !== undefined && e.dueAt <= now);
    if (due.length === 0) return;
    const addresses = this.deps.istiods();
    this.deps.syncz.retain?.(addresses);
    const results = await Promise.allSettled(
      addresses.map(async (a) => {
        const t0 = process.hrtime.bigint();
        try {
          const r = await this.deps.syncz.fetch(a);
          this.#queries?.inc({ result: 'success' });
          return r;
        } catch (err) {
          this.#queries?.inc({ result: 'error' });
          throw err;
        } finally {
          this.#latency?.observe(Number(process.hrtime.bigint() - t0) / 1e9);
        }
      }),
    );
    const reports: ProxySync[] = [];
    const unreachable: Array<{ address: string; error: string }> = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') reports.push(...r.value);
      else unreachable.push({ address: addresses[i]!, error: (r.reason as Error).message });
    });
    if (addresses.length === 0) unreachable.push({ address: '(none)', error: 'no istiod address configured or discovered' });
    if (unreachable.length > 0) this.deps.log.debug({ unreachable }, 'syncz: istiod did not answer');
    const proxies = indexProxies(reports);
    const judgedAt = this.#now();
    for (const [key, e] of due) {
      const cr = this.deps.caches[e.kind].get(e.name, e.namespace);
      if (!cr || cr.metadata.uid !== e.uid) {
        this.#entries.delete(key);
        continue;
      }
      const selected = selectedProxyIds(cr, this.deps.caches.Pod, this.deps.caches.Service, this.deps.rootNamespace);
      e.selected = selected.join(',');
      const input = { selected, proxies, unreachable, writtenAtMs: e.writtenAtMs, nowMs: judgedAt, quietMs: this.#timing.quietMs, acceptedBefore: e.accepted };
      const { condition, next, quietAtMs } = effectiveCondition(input);
      for (const id of settledAcceptances(input)) e.accepted.add(id);
      this.#next(e, next, judgedAt);
      if (quietAtMs !== undefined && e.dueAt !== undefined) e.dueAt = Math.min(e.dueAt, Math.max(quietAtMs, judgedAt + 50));
      this.deps.log.debug({ resource: key, status: condition.status, reason: condition.reason, next, dueInMs: e.dueAt === undefined ? null : e.dueAt - judgedAt }, 'effective judged');
      const inherited = e.inherited && condition.status === e.condition.status && condition.reason === e.condition.reason;
      e.inherited = false;
      if (!inherited && !sameCondition(condition, e.condition)) {
        e.condition = condition;
        this.deps.log.info({ resource: key, status: condition.status, reason: condition.reason }, 'effective condition changed');
        this.deps.enqueue(e.kind, e.namespace, e.name);
      }
    }
  }

  #next(e: Entry, next: NextCheck, now: number): void {
    if (next === 'stop') e.dueAt = undefined;
    else if (next === 'slow') e.dueAt = now + this.#timing.slowMs;
    else if (now - e.since > this.#timing.giveUpMs) e.dueAt = undefined;
    else {
      e.dueAt = now + e.delayMs;
      e.delayMs = Math.min(e.delayMs * 2, this.#timing.maxMs);
    }
  }

  /** Resources being tracked and how many are still polled (meshwarden_effective_resources). */
  get size(): { tracked: number; polling: number } {
    let polling = 0;
    for (const e of this.#entries.values()) if (e.dueAt !== undefined) polling++;
    return { tracked: this.#entries.size, polling };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#round;
  }
}
