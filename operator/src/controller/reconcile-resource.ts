/**
 * The reconciler of one SmartLimiter or EnvoyPlugin (controller-runtime's skeleton):
 * get from the cache → first visit: conditions Unknown → deletion: remove our rate-limit
 * entries, drop the finalizer → evaluate() (the one verdict) → plan (pure) → writes →
 * status through /status → Events for condition transitions. Idempotent: a second run on
 * an unchanged world makes no write.
 */
import type { Logger } from 'pino';
import type { GeneratedRef, RateLimitService } from '../api/types.gen.js';
import { evaluate, type EvaluationContext } from '../evaluate.js';
import type { K8sObject } from '../k8s-object.js';
import { applyOwned, applyUnknown, deleteOwned, patchStatus, resourceOf, setFinalizer, writeRlsConfig } from './apply.js';
import type { EventRecorder } from './events.js';
import type { ControllerMetrics } from './metrics.js';
import { controllerRef, envoyFilterSelector, mayOverlap, ownerPrefix, plan, refString, rlsFinalizer, rlsWriteOf } from './plan.js';
import { selectorOf } from './target-selector.js';
import type { Caches, ResourceKind } from './caches.js';
import { computeConditions, setConditions, statusEqual, transitionEvent, transitions, type Status } from './status.js';
import type { Kube } from './kube.js';
import type { SelfWrites } from './self-writes.js';
import type { EffectiveTracker } from './effective-tracker.js';

export interface ReconcilerOptions {
  rateLimitService?: RateLimitService;
  /** Istio's root namespace, whose EnvoyFilters apply to every workload (default istio-system). */
  rootNamespace?: string;
  istioVersions?: string[];
  /** The Effective condition from istiod's syncz (effective-tracker.ts); absent: no such condition. */
  effective?: Pick<EffectiveTracker, 'observe'>;
}

export interface ReconcileResult {
  writes: number;
  requeueAfterMs?: number;
}

type Resource = K8sObject & { status?: Status; spec?: unknown };

/** The status this controller last wrote, and the resourceVersions before and after the write. */
interface Written {
  uid: string | undefined;
  /** resourceVersions older than our last write: the cached object before it and our intermediate writes. */
  stale: Set<string | undefined>;
  status: Status;
  finalizers: string[] | undefined;
}

export class ResourceReconciler {
  /** Status writes the cache may not show yet (a watch event behind): compare against them, not the stale copy. */
  readonly #written = new Map<string, Written>();

  constructor(
    readonly kind: ResourceKind,
    private readonly kube: Kube,
    private readonly caches: Caches,
    private readonly recorder: EventRecorder | undefined,
    private readonly metrics: ControllerMetrics | undefined,
    private readonly options: ReconcilerOptions = {},
    private readonly now: () => Date = () => new Date(),
    private readonly selfWrites?: SelfWrites,
  ) {}

  /** The evaluation context from the caches: this namespace's Services, Pods and other Istio objects. */
  context(cr: K8sObject): EvaluationContext {
    const ns = cr.metadata.namespace ?? 'default';
    const notMine = (o: K8sObject): boolean => controllerRef(o)?.uid !== cr.metadata.uid;
    // The EnvoyFilters istiod would apply next to ours: this namespace's and the root namespace's,
    // minus those whose workloadSelector cannot select the same pods (a label with another value).
    const root = this.options.rootNamespace ?? 'istio-system';
    const nss = ns === root ? [ns] : [ns, root];
    const selector = selectorOf(cr, this.caches.Service);
    const ctx: EvaluationContext = {
      services: [...this.caches.Service.list(ns)],
      pods: [...this.caches.Pod.list(ns)],
      envoyFilters: nss.flatMap((n) => this.caches.EnvoyFilter.list(n)).filter((o) => notMine(o) && mayOverlap(envoyFilterSelector(o), selector)),
      wasmPlugins: nss.flatMap((n) => this.caches.WasmPlugin.list(n)).filter(notMine),
    };
    if (this.options.rateLimitService) ctx.rateLimitService = this.options.rateLimitService;
    if (this.options.istioVersions?.length) ctx.istioVersions = this.options.istioVersions;
    return ctx;
  }

  async reconcile(namespace: string, name: string, log: Logger): Promise<ReconcileResult> {
    const r = resourceOf(this.kind);
    const cached = this.caches[this.kind].get(name, namespace);
    if (!cached) {
      this.#written.delete(`${namespace}/${name}`);
      log.debug('not found; nothing to do (owned objects are garbage-collected)');
      return { writes: 0 };
    }
    let cr: Resource = cached;
    const key = `${namespace}/${name}`;
    const mine = this.#written.get(key);
    if (mine && mine.uid === cached.metadata.uid && mine.stale.has(cached.metadata.resourceVersion)) {
      // The cache still holds the object as it was before our last writes.
      cr = { ...cached, metadata: { ...cached.metadata, finalizers: mine.finalizers }, status: mine.status };
    } else if (mine) {
      this.#written.delete(key);
    }
    let writes = 0;
    const stale = new Set<string | undefined>([...(cr === cached ? [] : (mine?.stale ?? [])), cached.metadata.resourceVersion]);
    // For the Effective condition: whether a change istiod will push was written. An object missing
    // from the cache but present ('updated') is our own create the cache has not seen: no change.
    let objectsChanged = false;
    const w = (kind: string, verb: string): void => {
      if ((kind === 'EnvoyFilter' || kind === 'WasmPlugin') && verb !== 'updated') objectsChanged = true;
      writes++;
      this.metrics?.writes.inc({ kind, verb });
    };

    if (cr.metadata.deletionTimestamp) return { writes: await this.finalize(cr, log) };

    // A first visit writes its conditions once, at the end of this reconcile: they are known
    // within milliseconds, and an Unknown write first would cost every new resource one more
    // status write and watch event (docs/adr/0098-one-status-write-per-reconcile.md).

    const verdict = evaluate(cr, this.context(cr));
    const previous: GeneratedRef[] = cr.status?.generated ?? [];
    const p = plan({
      owner: { apiVersion: cr.apiVersion, kind: cr.kind, metadata: cr.metadata },
      verdict,
      lookup: (kind, ns, n) => (kind === 'EnvoyFilter' ? this.caches.EnvoyFilter : kind === 'WasmPlugin' ? this.caches.WasmPlugin : undefined)?.get(n, ns),
      candidates: [...this.caches.EnvoyFilter.list(namespace), ...this.caches.WasmPlugin.list(namespace)],
      previous,
    });

    const writesStartedMs = this.now().getTime();
    const conflicts = p.conflicts.map(refString);
    let applyError: string | undefined;
    let failure: { error: unknown } | undefined;
    if (p.valid) {
      try {
        const needsFinalizer = p.rls.some((x) => x.descriptors.length > 0);
        if (needsFinalizer && !cr.metadata.finalizers?.includes(rlsFinalizer)) {
          stale.add(cr.metadata.resourceVersion);
          cr = { ...cr, ...(await setFinalizer(this.kube, r, cr, rlsFinalizer, true)), status: cr.status };
          w(this.kind, 'finalizer');
        }
        const owner = { apiVersion: cr.apiVersion, kind: cr.kind, metadata: cr.metadata };
        for (const obj of p.unknown) {
          const res = await applyUnknown(this.kube, obj, owner);
          if (res.result === 'conflict') conflicts.push(refString(res.existing!));
          else {
            this.selfWrites?.record(res.written);
            w(obj.kind, res.result);
            log.info({ object: refString(obj), result: res.result }, 'applied');
          }
        }
        if (conflicts.length === 0) {
          for (const obj of p.apply) {
            this.selfWrites?.record(await applyOwned(this.kube, obj));
            w(obj.kind, 'apply');
            log.info({ object: refString(obj) }, 'applied (repaired or updated)');
          }
          for (const obj of p.prune) {
            await deleteOwned(this.kube, obj);
            w(obj.kind, 'delete');
            log.info({ object: refString(obj) }, 'pruned');
          }
          for (const write of p.rls) {
            const res = await writeRlsConfig(this.kube, write, ownerPrefix(owner));
            if (res !== 'unchanged') {
              w('ConfigMap', res);
              log.info({ configMap: `${write.namespace}/${write.name}`, result: res, entries: write.descriptors.length }, 'rate limit config written');
            }
          }
          if (!needsFinalizer && cr.metadata.finalizers?.includes(rlsFinalizer)) {
            stale.add(cr.metadata.resourceVersion);
            cr = { ...cr, ...(await setFinalizer(this.kube, r, cr, rlsFinalizer, false)), status: cr.status };
            w(this.kind, 'finalizer');
          }
        }
      } catch (e) {
        failure = { error: e };
        applyError = (e as Error).message;
      }
    } else {
      this.metrics?.rejected.inc({ controller: this.kind.toLowerCase() });
      log.info({ errors: verdict.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.rule} ${d.path}`) }, 'spec rejected; nothing written');
    }

    const before = cr.status?.conditions;
    const generated = conflicts.length > 0 || applyError !== undefined ? previous : p.generated;
    const next = computeConditions({ diagnostics: verdict.diagnostics, conflicts, ...(applyError !== undefined ? { applyError } : {}), keptPrevious: previous.length > 0 });
    const effective = this.options.effective?.observe(this.kind, cr, { startedMs: writesStartedMs, wrote: objectsChanged, generated });
    if (effective) next.push({ type: 'Effective', ...effective });
    const conditions = setConditions(before, next, cr.metadata.generation, this.now().toISOString());
    const status: Status = { observedGeneration: cr.metadata.generation, conditions, generated };
    if (this.kind === 'SmartLimiter') status.effective = p.valid ? verdict.effective : (cr.status?.effective ?? []);
    const old: Status = {
      observedGeneration: cr.status?.observedGeneration,
      conditions: cr.status?.conditions,
      generated: cr.status?.generated,
      ...(this.kind === 'SmartLimiter' ? { effective: cr.status?.effective } : {}),
    };
    if (!statusEqual(JSON.parse(JSON.stringify(old)) as Status, status)) {
      stale.add(cr.metadata.resourceVersion);
      await patchStatus(this.kube, r, cr, status as Record<string, unknown>);
      w(this.kind, 'status');
      this.#written.set(key, { uid: cr.metadata.uid, stale, status: JSON.parse(JSON.stringify(status)) as Status, finalizers: cr.metadata.finalizers });
    } else if (cr.metadata.resourceVersion !== cached.metadata.resourceVersion) {
      this.#written.set(key, { uid: cr.metadata.uid, stale, status: JSON.parse(JSON.stringify(status)) as Status, finalizers: cr.metadata.finalizers });
    }
    const event = transitionEvent(transitions(before, conditions));
    if (event) void this.recorder?.record(cr, event.type, event.reason, event.note);
    if (failure !== undefined) throw failure.error;
    return { writes };
  }

  /** Deletion: take this resource's entries out of every rate-limit ConfigMap, then release it. */
  async finalize(cr: Resource, log: Logger): Promise<number> {
    if (!cr.metadata.finalizers?.includes(rlsFinalizer)) return 0;
    const owner = { apiVersion: cr.apiVersion, kind: cr.kind, metadata: cr.metadata };
    const targets = new Map<string, { namespace: string; name: string }>();
    for (const g of cr.status?.generated ?? []) if (g.kind === 'ConfigMap') targets.set(`${g.namespace}/${g.name}`, { namespace: g.namespace ?? cr.metadata.namespace ?? 'default', name: g.name });
    // Also where the current spec would write (status may lag behind a last-moment edit).
    for (const o of evaluate(cr, this.context(cr)).rendered) {
      const wr = o.kind === 'ConfigMap' ? rlsWriteOf(o) : undefined;
      if (wr) targets.set(`${wr.namespace}/${wr.name}`, wr);
    }
    let writes = 0;
    for (const t of targets.values()) {
      const res = await writeRlsConfig(this.kube, { ...t, key: '', domain: '', descriptors: [] }, ownerPrefix(owner));
      if (res !== 'unchanged') {
        writes++;
        log.info({ configMap: `${t.namespace}/${t.name}` }, 'removed rate limit entries');
      }
    }
    await setFinalizer(this.kube, resourceOf(this.kind), cr, rlsFinalizer, false);
    log.info('finalizer removed');
    return writes + 1;
  }
}
