/**
 * Synchronous, bounded evaluation of a Lua top level (docs/adr/0100-bounded-lua-evaluation.md).
 *
 * The validator is pure and synchronous, so the caller blocks, but never longer than the
 * deadline: the script is posted to a warm worker thread (lua-worker.ts), the caller sleeps in
 * `Atomics.wait` on a shared flag, and reads the reply with `receiveMessageOnPort`. A worker that
 * misses the deadline (a string pattern backtracking inside one JavaScript call, a heap blow-up
 * that kills it) is terminated and replaced lazily on the next call. One worker per thread,
 * unref'd: it never keeps a process alive.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { RunLimits, RunOutcome } from './lua-sandbox.js';

export interface RunnerLimits extends RunLimits {
  /** Wall-clock milliseconds the run may take, measured by the caller. */
  deadlineMs: number;
}

/**
 * V8 heap of the worker (MiB). String bytes live outside it and are bounded by lua-alloc-guard.ts.
 * fengari tables are large (~500 bytes for an empty one): 100,000 of them need ~55 MiB, which a
 * 64 MiB heap turned into GC thrashing past the deadline.
 */
const WORKER_HEAP_MB = 128;
const WORKER_STACK_MB = 4;
/** Loading fengari (and, from sources, transpiling with tsx) happens once per worker. */
const STARTUP_TIMEOUT_MS = 30_000;

interface Warm {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  /** Set once the worker reported that fengari is loaded and warmed up. */
  ready: boolean;
}

let warm: Warm | undefined;

/** Reports a failed start to the waiting caller at once instead of after the startup timeout. */
const BOOT_FAILURE = `.catch((e) => { const { workerData: w } = require('node:worker_threads'); w.port.postMessage({ bootError: String(e && e.message || e) }); Atomics.store(w.flag, 0, 1); Atomics.notify(w.flag, 0); })`;

/**
 * The worker's entry. From dist/ it is plain JavaScript. From the TypeScript sources (tests with
 * `--import tsx`, the CLI in a checkout) the worker must register tsx itself: hooks registered on
 * the main thread (tsx's `register()`) do not reach workers, and Node 20 ignores `--import` in a
 * worker's execArgv. A two-line bootstrap registers tsx, then imports the .ts entry.
 */
function workerSource(): { entry: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./lua-worker.js', import.meta.url), eval: false };
  // The ESM build of tsx's API (its CommonJS build cannot register ESM hooks from a worker).
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgFile)).href;
  const entry = new URL('./lua-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })${BOOT_FAILURE};`;
  return { entry: boot, eval: true };
}

/** Starts a worker without waiting for it. */
function start(): Warm {
  const source = workerSource();
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(source.entry, {
    eval: source.eval,
    // Nothing of the parent's flags is needed, and some break a worker (`--input-type` of
    // `node -e` makes it fail before any of our code runs).
    execArgv: [],
    workerData: { port: port2, flag },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16, stackSizeMb: WORKER_STACK_MB },
    stdout: false,
    stderr: false,
  });
  worker.unref();
  port1.unref();
  // A dying worker (heap limit) is noticed by the deadline; the event only keeps it from throwing.
  worker.on('error', () => {});
  return { worker, port: port1, flag, ready: false };
}

/** Blocks until `w` is ready (startup is not charged to any script's deadline). */
function awaitReady(w: Warm): void {
  if (w.ready) return;
  const started = Atomics.wait(w.flag, 0, 0, STARTUP_TIMEOUT_MS) !== 'timed-out';
  const bootError = (receiveMessageOnPort(w.port)?.message as { bootError?: string } | undefined)?.bootError;
  if (!started || bootError !== undefined) {
    discard(w);
    throw new Error(bootError ?? `the Lua validator worker did not start within ${STARTUP_TIMEOUT_MS} ms`);
  }
  w.ready = true;
}

function discard(w: Warm): void {
  if (warm === w) warm = undefined;
  w.port.close();
  void w.worker.terminate();
}

/**
 * Starts the Lua worker now and waits until it is ready (~0.2–2 s), so that the first script
 * judged does not pay for it: call it before reporting readiness (webhook) if Lua is expected.
 */
export function warmUpLuaWorker(): void {
  awaitReady((warm ??= start()));
}

/** Runs `code`'s top level in the worker; returns within `limits.deadlineMs` (after warm-up). */
export function runIsolated(code: string, limits: RunnerLimits): RunOutcome {
  let w: Warm;
  try {
    w = warm ??= start();
    awaitReady(w);
  } catch (e) {
    return { kind: 'internal', message: e instanceof Error ? e.message : String(e), approx: [], handlers: [] };
  }
  Atomics.store(w.flag, 0, 0);
  w.port.postMessage({ code, limits: { instructionBudget: limits.instructionBudget, memoryBudget: limits.memoryBudget } });
  Atomics.wait(w.flag, 0, 0, limits.deadlineMs);
  const reply = receiveMessageOnPort(w.port);
  if (reply === undefined) {
    // Timed out (or the worker died on its heap limit): its state is unknown. Replace it now,
    // in the background, so the next script finds a warm worker.
    discard(w);
    warm = start();
    return { kind: 'budget', limit: 'time', message: `no verdict within ${limits.deadlineMs} ms`, approx: [], handlers: [] };
  }
  return reply.message as RunOutcome;
}

/** Stops the warm worker (tests; a process exits without it). */
export function stopLuaWorker(): void {
  if (warm) discard(warm);
}
