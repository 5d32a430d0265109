/**
 * An events.k8s.io/v1 recorder with client-go's de-duplication: the same (object, type,
 * reason, note) within the series window updates the existing Event's `series`
 * (count, lastObservedTime) instead of creating another one.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { K8sObject } from '../k8s-object.js';
import { contentTypes, resourcePath, resources, type Kube } from './kube.js';
import { microTime } from './leader.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  name: string;
  namespace: string;
  count: number;
  firstMs: number;
}

/** Key under which repeats are folded into one Event's series. */
export function eventKey(obj: K8sObject, type: EventType, reason: string, note: string): string {
  return [obj.metadata.namespace, obj.kind, obj.metadata.name, obj.metadata.uid, type, reason, note].join('\u0000');
}

export interface RecorderOptions {
  controller: string;
  instance: string;
  /** Repeats within this window extend the series (client-go: 6 minutes for the isomorphic key). */
  windowMs?: number;
  maxEntries?: number;
}

export class EventRecorder {
  readonly #seen = new Map<string, EventRecord>();
  readonly #windowMs: number;
  readonly #max: number;
  constructor(
    private readonly kube: Kube,
    private readonly opts: RecorderOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#windowMs = opts.windowMs ?? 6 * 60_000;
    this.#max = opts.maxEntries ?? 4096;
  }

  /** Records an event; never throws (events are best effort). */
  async record(obj: K8sObject, type: EventType, reason: string, note: string, action = 'Reconcile'): Promise<void> {
    const key = eventKey(obj, type, reason, note);
    const now = this.now();
    const prior = this.#seen.get(key);
    const ns = obj.metadata.namespace ?? 'default';
    try {
      if (prior && now - prior.firstMs < this.#windowMs) {
        prior.count++;
        await this.kube.request('PATCH', resourcePath(resources.Event, prior.namespace, prior.name), {
          body: { series: { count: prior.count, lastObservedTime: microTime(now) } },
          contentType: contentTypes.merge,
        });
        return;
      }
      const name = `${obj.metadata.name}.${randomBytes(8).toString('hex')}`;
      await this.kube.request('POST', resourcePath(resources.Event, ns), {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace: ns },
          eventTime: microTime(now),
          reportingController: this.opts.controller,
          reportingInstance: this.opts.instance,
          action,
          reason,
          type,
          note: note.slice(0, 1024),
          regarding: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
        },
      });
      if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value!);
      this.#seen.set(key, { name, namespace: ns, count: 1, firstMs: now });
    } catch (e) {
      // A series whose Event expired (TTL) starts over next time.
      this.#seen.delete(key);
      this.log.debug({ err: (e as Error).message, reason }, 'could not record event');
    }
  }
}
