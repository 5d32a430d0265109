/**
 * One controller per kind (SmartLimiter, EnvoyPlugin): its work queue, workers, and the
 * mapping from watched objects to the keys to reconcile:
 *
 *   the resource itself             → its key
 *   owned EnvoyFilter / WasmPlugin  → the controller owner (drift repair, deletion by hand)
 *   foreign object deleted          → resources in that namespace blocked by a name conflict
 *   Service                         → resources targeting it by name
 *   Pod (readiness or labels moved) → resources whose target selects it (`average`)
 *   managed ConfigMap               → resources listing it in status.generated
 *
 * Handlers enqueue on every replica (caches stay warm); workers run only while leading.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { K8sObject } from '../k8s-object.js';
import { isPodReady, matchesLabels, type Pod, type Service } from '../render/context.js';
import type { ResilientInformer } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import { controllerRef } from './plan.js';
import type { Caches, ResourceKind } from './caches.js';
import type { ResourceReconciler } from './reconcile-resource.js';
import { selectorOf, type TargetedResource as Resource } from './target-selector.js';
import { WorkQueue } from './workqueue.js';
import type { SelfWrites } from './self-writes.js';

export const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Whether a pod change can change what a resource renders: readiness, labels, ports, existence. */
export function podChanged(old: Pod | undefined, cur: Pod | undefined): boolean {
  if (!old || !cur) return true;
  if (isPodReady(old) !== isPodReady(cur)) return true;
  if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) return true;
  return JSON.stringify(old.spec?.containers?.map((c) => c.ports)) !== JSON.stringify(cur.spec?.containers?.map((c) => c.ports));
}

/**
 * Whether an update of a resource needs a reconcile: anything but a status-only write
 * (controller-runtime's GenerationChangedPredicate, plus the metadata a reconcile reads).
 * Our own status writes would otherwise each cause one more no-op reconcile.
 */
export function specChanged(old: K8sObject, cur: K8sObject): boolean {
  const m = (o: K8sObject): string => JSON.stringify([o.metadata.uid, o.metadata.generation, o.metadata.deletionTimestamp, o.metadata.finalizers, o.metadata.labels, o.metadata.annotations]);
  return m(old) !== m(cur);
}

export interface ControllerOptions {
  concurrency: number;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly name: string;
  #running = false;
  #workers: Promise<void>[] = [];

  constructor(
    readonly kind: ResourceKind,
    private readonly reconciler: ResourceReconciler,
    private readonly caches: Caches,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
    private readonly opts: ControllerOptions,
    private readonly selfWrites?: SelfWrites,
  ) {
    this.name = kind.toLowerCase();
    this.queue = new WorkQueue(undefined, metrics.queue(this.name));
    metrics.maxWorkers.set({ controller: this.name }, opts.concurrency);
  }

  enqueue(o: { metadata: { namespace?: string; name?: string } }): void {
    this.queue.add(keyOf(o));
  }

  enqueueAll(): void {
    for (const r of this.caches[this.kind].list()) this.enqueue(r);
  }

  resources(ns: string): Resource[] {
    return this.caches[this.kind].list(ns) as Resource[];
  }

  /** Registers the watch → key mappings. */
  watch(inf: {
    self: ResilientInformer<K8sObject>;
    envoyFilters: ResilientInformer<K8sObject>;
    wasmPlugins: ResilientInformer<K8sObject>;
    services: ResilientInformer<Service>;
    pods: ResilientInformer<Pod>;
    configMaps?: ResilientInformer<K8sObject>;
  }): void {
    const self = (o: K8sObject): void => this.enqueue(o);
    inf.self.onAdd(self);
    inf.self.onUpdate((o, old) => {
      if (!old || specChanged(old, o)) self(o);
    });
    inf.self.onDelete(self);

    const owned = (o: K8sObject): void => {
      const ref = controllerRef(o);
      if (ref?.kind === this.kind) this.queue.add(`${o.metadata.namespace}/${ref.name}`);
    };
    const ownedOrBlocked = (o: K8sObject): void => {
      const ref = controllerRef(o);
      if (ref) return owned(o);
      // A foreign object went away: resources it blocked can now program.
      for (const r of this.resources(o.metadata.namespace ?? '')) {
        if (r.status?.conditions?.some((c) => c.type === 'Programmed' && c.reason === 'NotOwned')) this.enqueue(r);
      }
    };
    // Events of our own applies need no reconcile; edits by anyone else (drift) do.
    const ownedChanged = (o: K8sObject): void => {
      if (controllerRef(o)?.kind === this.kind && this.selfWrites?.consume(o)) return;
      owned(o);
    };
    for (const i of [inf.envoyFilters, inf.wasmPlugins]) {
      i.onAdd(ownedChanged);
      i.onUpdate(ownedChanged);
      i.onDelete(ownedOrBlocked);
    }

    const service = (s: Service): void => {
      for (const r of this.resources(s.metadata.namespace ?? '')) if (r.spec?.target?.service === s.metadata.name) this.enqueue(r);
    };
    inf.services.onAdd(service);
    inf.services.onUpdate((s, old) => {
      if (!old || JSON.stringify(old.spec) !== JSON.stringify(s.spec)) service(s);
    });
    inf.services.onDelete(service);

    const pod = (p: Pod, old?: Pod): void => {
      for (const r of this.resources(p.metadata.namespace ?? '')) {
        const sel = selectorOf(r, this.caches.Service);
        if (!sel) continue;
        if (matchesLabels(p.metadata.labels, sel) || (old && matchesLabels(old.metadata.labels, sel))) this.enqueue(r);
      }
    };
    inf.pods.onAdd((p) => pod(p));
    inf.pods.onUpdate((p, old) => {
      if (podChanged(old, p)) pod(p, old);
    });
    inf.pods.onDelete((p) => pod(p));

    const cm = (c: K8sObject): void => {
      for (const r of this.caches[this.kind].list() as Resource[]) {
        if (r.status?.generated?.some((g) => g.kind === 'ConfigMap' && g.name === c.metadata.name && g.namespace === c.metadata.namespace)) this.enqueue(r);
      }
    };
    inf.configMaps?.onUpdate(cm);
    inf.configMaps?.onDelete(cm);
  }

  /** Starts the workers (on becoming leader). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.enqueueAll();
    for (let i = 0; i < this.opts.concurrency; i++) this.#workers.push(this.#worker());
    this.log.info({ workers: this.opts.concurrency }, 'workers started');
  }

  /** Stops handing out keys and waits for in-flight reconciles. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.queue.drain();
    await Promise.all(this.#workers);
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.#process(key);
      this.queue.done(key);
    }
  }

  async #process(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const reconcileID = randomUUID();
    const log = this.log.child({ namespace, name, reconcileID });
    const labels = { controller: this.name };
    const end = this.metrics.reconcileTime.startTimer(labels);
    this.metrics.activeWorkers.inc(labels);
    try {
      const res = await this.reconciler.reconcile(namespace, name, log);
      this.queue.forget(key);
      if (res.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, res.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else {
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
      log.debug({ writes: res.writes }, 'reconciled');
    } catch (e) {
      this.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      this.metrics.reconcileErrors.inc(labels);
      log.error({ err: (e as Error).message, requeues: this.queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
      this.queue.addRateLimited(key);
    } finally {
      this.metrics.activeWorkers.dec(labels);
      end();
    }
  }
}
