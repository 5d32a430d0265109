/**
 * A keyed, de-duplicating work queue with per-key exponential backoff: client-go's
 * `workqueue.TypedRateLimitingInterface` semantics, in process.
 *
 * - A key is queued at most once (`dirty`); a key being processed is never handed to a
 *   second worker: adding it again marks it dirty and it is re-queued by `done()`.
 * - `addRateLimited` waits `base * 2^failures` (5 ms doubling, capped at 1000 s: the
 *   ItemExponentialFailureRateLimiter defaults); `forget` resets the count on success.
 * - `addAfter` keeps only the earliest pending time per key.
 * - `shutDown` stops handing out keys; `drain()` resolves when in-flight keys are done.
 */

export interface QueueMetrics {
  add?(): void;
  retry?(): void;
  depth?(n: number): void;
  /** Seconds a key waited between add and get. */
  queueLatency?(seconds: number): void;
  /** Seconds a key was processed (get → done). */
  workDuration?(seconds: number): void;
}

/** client-go ItemExponentialFailureRateLimiter. */
export class ExponentialBackoff {
  readonly #failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  /** The delay for this key's next retry; counts a failure. */
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    // 2^n overflows to Infinity long before n matters; cap like client-go does.
    const d = this.baseMs * Math.pow(2, n);
    return Number.isFinite(d) && d < this.maxMs ? d : this.maxMs;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

type Clock = { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class WorkQueue {
  readonly #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #addedAt = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; handle: unknown }>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  readonly #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;

  constructor(
    readonly backoff = new ExponentialBackoff(),
    private readonly metrics: QueueMetrics = {},
    private readonly clock: Clock = realClock,
  ) {}

  get length(): number {
    return this.#queue.length - this.#head;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    this.metrics.add?.();
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, this.clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `ms`; an earlier pending add for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const prior = this.#delayed.get(key);
    if (prior && prior.at <= at) return;
    if (prior) this.clock.clearTimeout(prior.handle);
    const handle = this.clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, handle });
  }

  addRateLimited(key: string): void {
    this.metrics.retry?.();
    this.addAfter(key, this.backoff.when(key));
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  numRequeues(key: string): number {
    return this.backoff.failures(key);
  }

  /** The next key, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.length > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    const started = this.#startedAt.get(key);
    if (started !== undefined) this.metrics.workDuration?.((this.clock.now() - started) / 1000);
    this.#startedAt.delete(key);
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#processing.size === 0) for (const w of this.#drainWaiters.splice(0)) w();
  }

  /** Stops handing out keys (pending gets resolve undefined) and cancels delayed adds. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { handle } of this.#delayed.values()) this.clock.clearTimeout(handle);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** Resolves when no key is being processed. */
  drain(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  #push(key: string): void {
    const w = this.#waiters.shift();
    if (w) {
      this.#begin(key);
      w(key);
      return;
    }
    this.#queue.push(key);
    this.metrics.depth?.(this.length);
  }

  #take(): string {
    const key = this.#queue[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.metrics.depth?.(this.length);
    this.#begin(key);
    return key;
  }

  #begin(key: string): void {
    this.#dirty.delete(key);
    this.#processing.add(key);
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    const now = this.clock.now();
    if (added !== undefined) this.metrics.queueLatency?.((now - added) / 1000);
    this.#startedAt.set(key, now);
  }
}
