/**
 * Informers (client-node's `makeInformer`: list, then watch from the list's
 * resourceVersion; a 410 Gone clears it so the next round relists and diffs the cache)
 * made resilient: the client-node informer stops on any other error (apiserver down,
 * connection reset), so this wrapper restarts it with capped exponential backoff, counts
 * relists, and reports when the first list has filled the cache (`/readyz`). An informer may
 * be scoped to a label selector, to namespaces and to object names (one list+watch per
 * namespace and name, so namespaced Roles with resourceNames suffice: ADR 0105).
 */
import { ListWatch, Watch as WatchClient, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { K8sObject } from '../k8s-object.js';
import { apiVersionOf, resourcePath, type Kube, type Resource } from './kube.js';

export type Handler<T> = (obj: T, old?: T) => void;

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What a cache keeps of an object, trimmed in place as it arrives (the informer's store holds
 * the same object): managedFields without their field sets (`fieldsV1`, often the largest part
 * of an object; who wrote when — manager, operation, time — stays for the Effective condition)
 * and no `kubectl apply` copy of the whole object in the last-applied annotation. Nothing here
 * reads either, and objects from the API are never written back whole.
 */
export function slim(o: KubernetesObject): void {
  const m = o.metadata;
  if (!m) return;
  if (m.managedFields) {
    m.managedFields = m.managedFields.map(({ manager, operation, apiVersion, time, subresource }) => ({
      ...(manager !== undefined ? { manager } : {}),
      ...(operation !== undefined ? { operation } : {}),
      ...(apiVersion !== undefined ? { apiVersion } : {}),
      ...(time !== undefined ? { time } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
    }));
  }
  if (m.annotations?.[lastApplied] !== undefined) {
    const { [lastApplied]: _, ...rest } = m.annotations;
    m.annotations = rest;
  }
}

export interface Cache<T extends K8sObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
}

/** What one informer lists and watches. */
export interface InformerScope {
  /**
   * Only objects with these labels. The API server filters, which saves traffic and memory; it
   * does not narrow access, since RBAC cannot restrict list or watch by label.
   */
  labelSelector?: string;
  /**
   * Only these namespaces, one list+watch each, so a Role in each of them is enough. Absent: all
   * namespaces in one list+watch (a ClusterRole). Empty: nothing is watched (synced at once).
   */
  namespaces?: readonly string[];
  /**
   * Only objects of these names, one list+watch each (field selector `metadata.name=NAME`), which
   * the API server authorizes against a rule's resourceNames. Absent: every name.
   */
  names?: readonly string[];
}

/** One list+watch (all namespaces or one; every name or one) with its own restart backoff. */
interface Watch {
  namespace: string | undefined;
  name: string | undefined;
  informer: ListWatch<KubernetesObject>;
  synced: boolean;
  restartDelayMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class ResilientInformer<T extends K8sObject> implements Cache<T> {
  readonly #watches: Watch[];
  readonly #adds: Handler<T>[] = [];
  readonly #updates: Handler<T>[] = [];
  readonly #deletes: Handler<T>[] = [];
  /** Last seen object per key, to hand update handlers the old version. */
  readonly #prior = new Map<string, T>();
  #stopped = false;
  lists = 0;
  errors = 0;
  /** Events delivered (adds, updates, deletes): changes whenever what the cache holds changes. */
  changes = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly kube: Kube,
    readonly kind: string,
    readonly resource: Resource,
    private readonly log: Logger,
    readonly scope: InformerScope = {},
  ) {
    if (scope.namespaces && !resource.namespaced) throw new Error(`${kind} is not namespaced: it cannot be watched per namespace`);
    const namespaces = scope.namespaces ? [...new Set(scope.namespaces)] : [undefined];
    const names = scope.names ? [...new Set(scope.names)] : [undefined];
    this.#watches = namespaces.flatMap((ns) => names.map((name) => this.#watch(ns, name)));
  }

  #watch(namespace: string | undefined, name: string | undefined): Watch {
    const { kind, resource, log } = this;
    const { labelSelector } = this.scope;
    const fieldSelector = name === undefined ? undefined : `metadata.name=${name}`;
    const path = resourcePath(resource, namespace);
    const where = { ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}) };
    const apiVersion = apiVersionOf(resource);
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await this.kube.request<KubernetesListObject<KubernetesObject>>('GET', path, {
        query: { labelSelector, fieldSelector, resourceVersion: undefined },
        timeoutMs: 120_000,
      });
      // List items carry no apiVersion/kind; the renderers and the validator need them.
      for (const item of list.items) {
        item.apiVersion ??= apiVersion;
        item.kind ??= kind;
      }
      this.lists++;
      log.info({ kind, ...where, items: list.items.length, resourceVersion: list.metadata?.resourceVersion, lists: this.lists }, w.synced ? 'relisted' : 'listed');
      w.synced = true;
      w.restartDelayMs = 0;
      return list;
    };
    const informer = new ListWatch<KubernetesObject>(path, new WatchClient(this.kc), listFn, false, labelSelector, fieldSelector);
    const w: Watch = { namespace, name, informer, synced: false, restartDelayMs: 0, timer: undefined };
    const prior = this.#prior;
    const key = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    informer.on('add', (o) => {
      slim(o);
      this.changes++;
      const obj = o as T;
      const old = prior.get(key(o));
      prior.set(key(o), obj);
      // The cache reports relisted objects as adds; pass the old version when known.
      for (const h of old ? this.#updates : this.#adds) h(obj, old);
    });
    informer.on('update', (o) => {
      slim(o);
      this.changes++;
      const obj = o as T;
      const old = prior.get(key(o));
      prior.set(key(o), obj);
      for (const h of this.#updates) h(obj, old);
    });
    informer.on('delete', (o) => {
      this.changes++;
      prior.delete(key(o));
      for (const h of this.#deletes) h(o as T);
    });
    const restart = (err: unknown): void => {
      this.errors++;
      if (this.#stopped) return;
      w.restartDelayMs = Math.min(Math.max(w.restartDelayMs * 2, 500), 30_000);
      log.warn({ kind, ...where, err: (err as Error)?.message ?? String(err), retryInMs: w.restartDelayMs }, 'watch failed; restarting');
      w.timer = setTimeout(() => {
        // start() itself rejects when it fails outside the library's list/watch error handling (the
        // credentials for the watch request, an event handler that throws): one more watch failure,
        // not an unhandled rejection that ends the process.
        if (!this.#stopped) informer.start().catch(restart);
      }, w.restartDelayMs);
    };
    informer.on('error', restart);
    return w;
  }

  onAdd(h: Handler<T>): void {
    this.#adds.push(h);
  }
  onUpdate(h: Handler<T>): void {
    this.#updates.push(h);
  }
  onDelete(h: Handler<T>): void {
    this.#deletes.push(h);
  }

  /** Every list+watch has listed once. */
  get synced(): boolean {
    return this.#watches.every((w) => w.synced);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all(this.#watches.map((w) => w.informer.start()));
  }

  /** Resolves once the first list succeeded (retrying through errors), or rejects on abort. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    while (!this.synced) {
      if (signal?.aborted) throw new Error('aborted');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#watches) if (w.timer) clearTimeout(w.timer);
    await Promise.all(this.#watches.map((w) => w.informer.stop()));
  }

  /** The watches that may hold a namespace's objects (every watch when no namespace is given). */
  #watchesOf(namespace: string | undefined): Watch[] {
    return namespace === undefined || !this.scope.namespaces ? this.#watches : this.#watches.filter((w) => w.namespace === namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    const w = this.#watchesOf(namespace).find((x) => x.name === undefined || x.name === name);
    return w?.informer.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): readonly T[] {
    return this.#watchesOf(namespace).flatMap((w) => w.informer.list(namespace) as T[]);
  }
}
