/**
 * The webhook's evaluation pool: every evaluation of user content runs in a worker process
 * (eval-worker.ts) with memory caps and a wall-clock deadline, so the webhook's event loop — other
 * admissions, /healthz, /readyz, SIGTERM — never waits on a hostile object. A worker over its
 * deadline or memory cap is killed and replaced (warmed up again), and its request is denied
 * with the limit it exceeded; a bounded queue in front denies with "overloaded, retry" when full
 * or when a request waited too long. Never a timeout into the failure policy.
 * See docs/adr/0101-webhook-evaluation-pool.md.
 *
 *   const pool = new EvaluationPool({ istioVersions: ['1.28'] });
 *   await pool.start();                                  // resolves once every worker is warm
 *   const r = await pool.evaluate(object, { version: 7, context: () => facts });
 *   await pool.stop();
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EvaluationContext } from '../evaluate.js';
import type { EvaluationResult } from './admission.js';
import type { FromWorker, ToWorker, WorkerSettings } from './eval-worker.js';

export interface EvaluationPoolOptions {
  /**
   * Worker processes (default 2): each holds a warm validator (about 200 MB resident) and may
   * grow to `rssMb` while judging, so the pod's memory limit bounds this, not the CPU count.
   */
  size?: number;
  /** Wall-clock budget of one evaluation, from the moment a worker takes it (default 4000 ms). */
  timeoutMs?: number;
  /** Longest a request may wait for a free worker (default 2000 ms). */
  queueTimeoutMs?: number;
  /** Requests that may wait for a worker (default 64); more are denied at once. */
  maxQueue?: number;
  /** V8 heap cap of each worker (--max-old-space-size; default 256 MiB; a warm validator uses about 70). */
  heapMb?: number;
  /**
   * Resident memory cap of each worker (default 384 MiB; a warm one uses about 200), checked every
   * 50 ms while it judges: also covers memory outside the V8 heap (buffers, native code). Linux only.
   */
  rssMb?: number;
  /** Istio versions the warm-up validates against. */
  istioVersions: readonly string[];
  logger?: Logger;
  /**
   * The worker module (default eval-worker.ts/.js beside this file). Tests give a module that
   * calls eval-worker.ts `serveEvaluations` with a judge of their own (slow, memory-hungry).
   */
  workerUrl?: URL;
}

/** The cluster facts of one request: sent to a worker only when `version` changes (every time when undefined). */
export interface Facts {
  version?: string | number;
  context: () => EvaluationContext;
}

export interface PoolStats {
  workers: number;
  ready: number;
  busy: number;
  queued: number;
  /** Evaluations stopped for exceeding their time or heap budget, requests refused as overload. */
  overTime: number;
  overMemory: number;
  overloaded: number;
  /** Workers started to replace one that was terminated or died. */
  replaced: number;
}

interface Job {
  id: number;
  object: Record<string, unknown>;
  facts: Facts;
  settle: (r: EvaluationResult) => void;
  queueTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: ChildProcess;
  ready: boolean;
  /** Version of the facts this worker holds. */
  factsVersion?: string | number;
  job?: { job: Job; timer: NodeJS.Timeout };
}

export const defaultPoolSize = 2;
const rssCheckMs = 50;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

export class EvaluationPool {
  readonly size: number;
  readonly timeoutMs: number;
  readonly queueTimeoutMs: number;
  readonly maxQueue: number;
  readonly heapMb: number;
  readonly rssMb: number;
  readonly #opts: EvaluationPoolOptions;
  readonly #slots: Array<Slot | undefined> = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #warm = false;
  #stopped = false;
  /** The facts last fetched, by version: one `context()` call per version, however many workers. */
  #facts: { version: string | number; context: EvaluationContext } | undefined;
  #stats = { overTime: 0, overMemory: 0, overloaded: 0, replaced: 0 };
  #rssTimer: NodeJS.Timeout | undefined;
  /** A worker left behind by a dying webhook would go on judging alone: kill them on exit. */
  readonly #onExit = (): void => {
    for (const s of this.#slots) s?.worker.kill('SIGKILL');
  };

  constructor(opts: EvaluationPoolOptions) {
    this.#opts = opts;
    this.size = opts.size ?? defaultPoolSize;
    this.timeoutMs = opts.timeoutMs ?? 4_000;
    this.queueTimeoutMs = opts.queueTimeoutMs ?? 2_000;
    this.maxQueue = opts.maxQueue ?? 64;
    this.heapMb = opts.heapMb ?? 256;
    this.rssMb = opts.rssMb ?? 384;
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error('evaluation pool size must be a whole number >= 1');
  }

  /** Starts the workers; resolves when every one has loaded and warmed up the validator, rejects if one dies first. */
  async start(): Promise<void> {
    const t0 = Date.now();
    process.on('exit', this.#onExit);
    await Promise.all(Array.from({ length: this.size }, (_, i) => this.#spawn(i)));
    this.#warm = true;
    this.#opts.logger?.info({ workers: this.size, ms: Date.now() - t0 }, 'evaluation workers warmed up');
  }

  /** Every worker warmed up once (a worker being replaced later does not make the pool unready). */
  ready(): boolean {
    return this.#warm && !this.#stopped;
  }

  stats(): PoolStats {
    const slots = this.#slots.filter((s): s is Slot => s !== undefined);
    return { workers: slots.length, ready: slots.filter((s) => s.ready).length, busy: slots.filter((s) => s.job).length, queued: this.#queue.length, ...this.#stats };
  }

  /** Judges `object` in a worker. Never rejects: a budget, overload or shutdown is a `refused` result. */
  evaluate(object: Record<string, unknown>, facts: Facts): Promise<EvaluationResult> {
    if (this.#stopped) return Promise.resolve(shuttingDown);
    if (this.#queue.length >= this.maxQueue) {
      this.#stats.overloaded++;
      return Promise.resolve(overloaded(`${this.maxQueue} evaluations are already waiting`));
    }
    return new Promise<EvaluationResult>((resolve) => {
      const job: Job = { id: this.#nextId++, object, facts, settle: resolve };
      job.queueTimer = setTimeout(() => {
        const i = this.#queue.indexOf(job);
        if (i < 0) return;
        this.#queue.splice(i, 1);
        this.#stats.overloaded++;
        resolve(overloaded(`no evaluation worker was free within ${seconds(this.queueTimeoutMs)}`));
      }, this.queueTimeoutMs);
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  /** Refuses what is queued or running (as "shutting down, retry") and terminates the workers. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#rssTimer);
    process.off('exit', this.#onExit);
    for (const job of this.#queue.splice(0)) {
      clearTimeout(job.queueTimer);
      job.settle(shuttingDown);
    }
    const workers: ChildProcess[] = [];
    for (const [i, slot] of this.#slots.entries()) {
      if (!slot) continue;
      if (slot.job) {
        clearTimeout(slot.job.timer);
        slot.job.job.settle(shuttingDown);
      }
      workers.push(slot.worker);
      this.#slots[i] = undefined;
    }
    await Promise.all(workers.map(killed));
  }

  #workerUrl(): URL {
    if (this.#opts.workerUrl) return this.#opts.workerUrl;
    // Beside this file, with its extension: .ts from the sources under tsx, .js from dist/.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    return new URL(`./eval-worker${ext}`, import.meta.url);
  }

  /** Starts worker `i`; resolves when it is warm, rejects if it dies before. */
  #spawn(i: number): Promise<void> {
    const url = this.#workerUrl();
    const settings: WorkerSettings = { entry: url.href, istioVersions: this.#opts.istioVersions };
    const worker = fork(fileURLToPath(url), [JSON.stringify(settings)], {
      // Not the webhook's own options (--inspect would collide): the heap cap, and tsx for a .ts module.
      execArgv: [...(url.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []), `--max-old-space-size=${this.heapMb}`],
      serialization: 'json',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { worker, ready: false };
    this.#slots[i] = slot;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (this.#slots[i] !== slot) return;
        if (m.type === 'ready') {
          slot.ready = true;
          this.#opts.logger?.debug({ worker: i, pid: worker.pid, ms: m.ms }, 'evaluation worker ready');
          resolve();
          this.#dispatch();
          return;
        }
        const running = slot.job;
        if (!running || running.job.id !== m.id) return;
        clearTimeout(running.timer);
        slot.job = undefined;
        running.job.settle('diagnostics' in m ? { diagnostics: m.diagnostics } : { failed: m.failed });
        this.#dispatch();
      });
      worker.on('error', (e: Error) => this.#opts.logger?.warn({ worker: i, err: e.message }, 'evaluation worker error'));
      worker.on('exit', (code, signal) => {
        // Stopped while warming up: start() must not wait for a worker that is gone.
        if (!slot.ready) reject(new Error(`evaluation worker exited (${signal ?? `exit code ${code}`}) before it was ready`));
        if (this.#slots[i] !== slot || this.#stopped) return;
        // V8 aborts a process over --max-old-space-size (SIGABRT, or exit code 134 through a shell).
        const outOfMemory = signal === 'SIGABRT' || code === 134;
        if (slot.job) {
          clearTimeout(slot.job.timer);
          const job = slot.job.job;
          slot.job = undefined;
          if (outOfMemory) {
            this.#stats.overMemory++;
            job.settle(overBudget(`${this.heapMb} MiB of heap`));
          } else {
            job.settle({ failed: `the evaluation worker stopped (${signal ?? `exit code ${code}`})` });
          }
        }
        this.#opts.logger?.warn({ worker: i, code, signal, outOfMemory }, 'evaluation worker died; starting another');
        if (!slot.ready) {
          // Dying while warming up is a broken installation, not a hostile request.
          if (this.#warm) setTimeout(() => this.#replace(i), 1_000).unref();
          return;
        }
        this.#replace(i);
      });
    });
  }

  /** Puts a fresh worker in slot `i` (the old one is killed, or gone). */
  #replace(i: number): void {
    if (this.#stopped) return;
    const old = this.#slots[i];
    this.#slots[i] = undefined;
    old?.worker.kill('SIGKILL');
    this.#stats.replaced++;
    this.#spawn(i).catch((e: Error) => this.#opts.logger?.error({ worker: i, err: e.message }, 'replacement evaluation worker failed to start'));
  }

  /** Kills a worker judging past its resident-memory cap (the heap cap does not see buffers or native memory). */
  #checkMemory(): void {
    let busy = 0;
    for (const [i, slot] of this.#slots.entries()) {
      if (!slot?.job || slot.worker.pid === undefined) continue;
      busy++;
      const rss = residentBytes(slot.worker.pid);
      if (rss === undefined || rss <= this.rssMb * 1024 * 1024) continue;
      clearTimeout(slot.job.timer);
      const job = slot.job.job;
      slot.job = undefined;
      this.#stats.overMemory++;
      job.settle(overBudget(`${this.rssMb} MiB of memory`));
      this.#opts.logger?.warn({ worker: i, rssMb: Math.round(rss / 2 ** 20), limitMb: this.rssMb }, 'evaluation over its memory budget: worker killed');
      this.#replace(i);
    }
    if (busy === 0) {
      clearInterval(this.#rssTimer);
      this.#rssTimer = undefined;
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const i = this.#slots.findIndex((s) => s !== undefined && s.ready && !s.job);
      if (i < 0) return;
      const slot = this.#slots[i]!;
      const job = this.#queue.shift()!;
      clearTimeout(job.queueTimer);
      let message: ToWorker;
      try {
        message = { type: 'job', id: job.id, object: job.object };
        const version = job.facts.version;
        if (version === undefined) message.context = job.facts.context();
        else if (slot.factsVersion !== version) {
          if (this.#facts?.version !== version) this.#facts = { version, context: job.facts.context() };
          slot.worker.send({ type: 'facts', version, context: this.#facts.context } satisfies ToWorker);
          slot.factsVersion = version;
        }
        slot.worker.send(message);
      } catch (e) {
        // The facts or the object cannot be cloned (or context() threw): nothing was judged.
        slot.factsVersion = undefined;
        job.settle({ failed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        continue;
      }
      const timer = setTimeout(() => {
        if (slot.job?.job !== job) return;
        slot.job = undefined;
        this.#stats.overTime++;
        job.settle(overBudget(`${seconds(this.timeoutMs)} of wall-clock time`));
        this.#opts.logger?.warn({ worker: i, timeoutMs: this.timeoutMs }, 'evaluation over its time budget: worker killed');
        this.#replace(i);
      }, this.timeoutMs);
      slot.job = { job, timer };
      this.#rssTimer ??= setInterval(() => this.#checkMemory(), rssCheckMs);
    }
  }
}

/** Resident set of a process, from /proc (undefined elsewhere, or when it is gone). */
function residentBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Kills with SIGKILL (a worker has no state to save) and waits for it to be gone. */
function killed(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    worker.kill('SIGKILL');
  });
}

const overBudget = (limit: string): EvaluationResult => ({
  refused: {
    code: 422,
    reason: 'Invalid',
    message: `evaluation exceeded its budget (${limit}) and was stopped; it was not admitted. Simplify the Lua code (top-level loops, string patterns), regexes or patches of this object and apply it again`,
  },
});

const overloaded = (why: string): EvaluationResult => ({
  refused: { code: 429, reason: 'TooManyRequests', message: `webhook overloaded (${why}), retry; it was not admitted` },
});

const shuttingDown: EvaluationResult = { refused: { code: 503, reason: 'ServiceUnavailable', message: 'webhook shutting down, retry; it was not admitted' } };
