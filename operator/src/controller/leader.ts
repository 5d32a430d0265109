/**
 * Leader election on a coordination.k8s.io/v1 Lease, ported from client-go's
 * `tools/leaderelection` (LeaseLock):
 *
 * - Try to acquire every `retryPeriod` (with jitter 1.2). A lease held by someone else is
 *   free once `leaseDuration` has passed since this candidate last *observed* a change of
 *   the record (its own clock, like client-go: no clock-skew assumptions).
 * - Writes are optimistic: update with the observed resourceVersion; a conflict means
 *   someone else won the race.
 * - `leaseTransitions` increments when the holder changes; `acquireTime` is set then.
 * - The leader renews every `retryPeriod`; if it cannot renew within `renewDeadline`, it
 *   has lost the lease (`onStoppedLeading`).
 * - `release()` (on SIGTERM) writes an empty holder with leaseDurationSeconds 1 so a
 *   successor takes over at once.
 */
import type { Logger } from 'pino';
import { isConflict, isNotFound, resourcePath, resources, type Kube } from './kube.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const defaultDurations = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export type Decision = { action: 'create'; spec: LeaseSpec } | { action: 'update'; spec: LeaseSpec } | { action: 'wait'; holder: string };

/**
 * The pure core of tryAcquireOrRenew: given the current record and when this candidate
 * observed it last change, decide whether to write, and what.
 */
export function decide(current: LeaseSpec | undefined, observedAtMs: number, nowMs: number, identity: string, leaseDurationMs: number): Decision {
  const now = microTime(nowMs);
  const seconds = Math.ceil(leaseDurationMs / 1000);
  if (current === undefined) {
    return { action: 'create', spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } };
  }
  const holder = current.holderIdentity ?? '';
  const held = holder !== '' && holder !== identity;
  const durationMs = (current.leaseDurationSeconds ?? seconds) * 1000;
  if (held && observedAtMs + durationMs > nowMs) return { action: 'wait', holder };
  const transitions = current.leaseTransitions ?? 0;
  if (holder === identity) {
    return { action: 'update', spec: { ...current, holderIdentity: identity, leaseDurationSeconds: seconds, renewTime: now } };
  }
  return {
    action: 'update',
    spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: transitions + 1 },
  };
}

function sameRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  #observed: LeaseSpec | undefined;
  #observedAt = 0;
  #observedRv: string | undefined;
  #leading = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #lastRenew = 0;
  #lastLeader = '';

  constructor(
    private readonly kube: Kube,
    private readonly cfg: LeaderElectionConfig,
    private readonly cb: LeaderCallbacks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#loop();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const ok = await this.tryAcquireOrRenew().catch((e: Error) => {
        this.log.warn({ err: e.message }, 'lease update failed');
        return false;
      });
      if (this.#stopped) return;
      if (ok) {
        this.#lastRenew = this.now();
        if (!this.#leading) {
          this.#leading = true;
          this.log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'became leader');
          this.cb.onStartedLeading();
        }
      } else if (this.#leading && this.now() - this.#lastRenew > this.cfg.renewDeadlineMs) {
        this.#leading = false;
        this.log.error({ identity: this.cfg.identity }, 'leader election lost');
        this.cb.onStoppedLeading();
      }
      const wait = this.#leading ? this.cfg.retryPeriodMs : this.cfg.retryPeriodMs * (1 + Math.random() * 1.2);
      await new Promise<void>((r) => (this.#timer = setTimeout(r, wait)));
    }
  }

  /** One round; true when this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const path = resourcePath(resources.Lease, this.cfg.namespace, this.cfg.name);
    let current: Lease | undefined;
    try {
      current = await this.kube.request<Lease>('GET', path, { timeoutMs: Math.max(1000, this.cfg.retryPeriodMs) });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const now = this.now();
    if (current && (!sameRecord(current.spec, this.#observed) || this.#observedRv === undefined)) {
      this.#observed = current.spec;
      this.#observedAt = now;
      this.#observedRv = current.metadata.resourceVersion;
    }
    if (current) this.#observedRv = current.metadata.resourceVersion;
    const holder = current?.spec?.holderIdentity ?? '';
    if (holder && holder !== this.#lastLeader) {
      this.#lastLeader = holder;
      this.cb.onNewLeader?.(holder);
    }
    const d = decide(current?.spec, this.#observedAt, now, this.cfg.identity, this.cfg.leaseDurationMs);
    if (d.action === 'wait') return false;
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.cfg.name, namespace: this.cfg.namespace, ...(current ? { resourceVersion: current.metadata.resourceVersion } : {}) },
      spec: d.spec,
    };
    try {
      const written =
        d.action === 'create' ? await this.kube.request<Lease>('POST', resourcePath(resources.Lease, this.cfg.namespace), { body }) : await this.kube.request<Lease>('PUT', path, { body });
      this.#observed = written.spec;
      this.#observedAt = now;
      this.#observedRv = written.metadata.resourceVersion;
      return true;
    } catch (e) {
      // Someone else wrote first (409 on update, 409 AlreadyExists on create).
      if (isConflict(e)) return false;
      throw e;
    }
  }

  /** Stops campaigning; if leading, hands the lease back (client-go ReleaseOnCancel). */
  async release(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    const path = resourcePath(resources.Lease, this.cfg.namespace, this.cfg.name);
    try {
      const current = await this.kube.request<Lease>('GET', path, { timeoutMs: 2000 });
      if (current.spec?.holderIdentity !== this.cfg.identity) return;
      const now = microTime(this.now());
      await this.kube.request<Lease>('PUT', path, {
        body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
        timeoutMs: 2000,
      });
      this.log.info({ identity: this.cfg.identity }, 'released the lease');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not release the lease');
    }
  }
}
