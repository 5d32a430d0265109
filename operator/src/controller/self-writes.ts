/**
 * Watch events caused by our own writes: each applied object's resulting resourceVersion is
 * remembered, and its watch event is not turned into another reconcile of the owner (which
 * would find nothing to do but would cost a full evaluate()). Bounded; an entry that is never
 * consumed (the event coalesced into a later one) is evicted oldest-first.
 */
import type { K8sObject } from '../k8s-object.js';

export class SelfWrites {
  readonly #seen = new Set<string>();
  constructor(private readonly max = 10_000) {}

  static key(o: K8sObject): string {
    return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`;
  }

  record(o: K8sObject | undefined): void {
    if (!o?.metadata?.resourceVersion) return;
    if (this.#seen.size >= this.max) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(SelfWrites.key(o));
  }

  /** True (once) when this watch event is the result of our own write. */
  consume(o: K8sObject): boolean {
    return this.#seen.delete(SelfWrites.key(o));
  }

  get size(): number {
    return this.#seen.size;
  }
}
