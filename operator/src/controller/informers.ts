/**
 * Informers (client-node's `makeInformer`: list, then watch from the list's
 * resourceVersion; a 410 Gone clears it so the next round relists and diffs the cache)
 * made resilient: the client-node informer stops on any other error (apiserver down,
 * connection reset), so this wrapper restarts it with capped exponential backoff, counts
 * relists, and reports when the first list has filled the cache (`/readyz`).
 */
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
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

export class ResilientInformer<T extends K8sObject> implements Cache<T> {
  readonly #informer;
  readonly #adds: Handler<T>[] = [];
  readonly #updates: Handler<T>[] = [];
  readonly #deletes: Handler<T>[] = [];
  /** Last seen object per key, to hand update handlers the old version. */
  #synced = false;
  #stopped = false;
  #restartDelayMs = 0;
  #timer: NodeJS.Timeout | undefined;
  lists = 0;
  errors = 0;
  /** Events delivered (adds, updates, deletes): changes whenever what the cache holds changes. */
  changes = 0;

  constructor(
    kc: KubeConfig,
    kube: Kube,
    readonly kind: string,
    readonly resource: Resource,
    private readonly log: Logger,
    labelSelector?: string,
  ) {
    const apiVersion = apiVersionOf(resource);
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await kube.request<KubernetesListObject<KubernetesObject>>('GET', resourcePath(resource), {
        query: { labelSelector, resourceVersion: undefined },
        timeoutMs: 120_000,
      });
      // List items carry no apiVersion/kind; the renderers and the validator need them.
      for (const item of list.items) {
        item.apiVersion ??= apiVersion;
        item.kind ??= kind;
      }
      this.lists++;
      this.log.info({ kind, items: list.items.length, resourceVersion: list.metadata?.resourceVersion, lists: this.lists }, this.lists === 1 ? 'listed' : 'relisted');
      this.#synced = true;
      this.#restartDelayMs = 0;
      return list;
    };
    this.#informer = makeInformer<KubernetesObject>(kc, resourcePath(resource), listFn, labelSelector);
    const prior = new Map<string, T>();
    const key = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    this.#informer.on('add', (o) => {
      slim(o);
      this.changes++;
      const obj = o as T;
      const old = prior.get(key(o));
      prior.set(key(o), obj);
      // The cache reports relisted objects as adds; pass the old version when known.
      for (const h of old ? this.#updates : this.#adds) h(obj, old);
    });
    this.#informer.on('update', (o) => {
      slim(o);
      this.changes++;
      const obj = o as T;
      const old = prior.get(key(o));
      prior.set(key(o), obj);
      for (const h of this.#updates) h(obj, old);
    });
    this.#informer.on('delete', (o) => {
      this.changes++;
      prior.delete(key(o));
      for (const h of this.#deletes) h(o as T);
    });
    this.#informer.on('error', (err) => {
      this.errors++;
      if (this.#stopped) return;
      this.#restartDelayMs = Math.min(Math.max(this.#restartDelayMs * 2, 500), 30_000);
      this.log.warn({ kind, err: (err as Error)?.message ?? String(err), retryInMs: this.#restartDelayMs }, 'watch failed; restarting');
      this.#timer = setTimeout(() => {
        if (!this.#stopped) void this.#informer.start();
      }, this.#restartDelayMs);
    });
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

  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#informer.start();
  }

  /** Resolves once the first list succeeded (retrying through errors), or rejects on abort. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    while (!this.#synced) {
      if (signal?.aborted) throw new Error('aborted');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#informer.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): readonly T[] {
    return this.#informer.list(namespace) as readonly T[];
  }
}
