/**
 * Every bound the hostile-input suite asserts, in one place (docs/adr/0106-hostile-input-suite.md).
 *
 * The numbers are ceilings for a CI machine with 2 shared cores running the CLI and the webhook
 * from the TypeScript sources under tsx (the way scripts/test.sh runs them): far above what a
 * bounded evaluation takes, far below what the unbounded code took (minutes of hang, gigabytes of
 * memory: issue 21), so a regression fails the suite and machine load does not.
 */

/** One CLI process judging one hostile case. */
export interface CliBounds {
  /** Wall time from spawn to exit, startup included. */
  wallMs: number;
  /** Peak resident memory of the CLI process (GNU time's %M, or /proc VmHWM). */
  rssMb: number;
}

export const cli = {
  /**
   * Default per case. Startup dominates: tsx compiling the sources and loading the validator for
   * one Istio version took 3.1 s at load 8 on 2 cores (measured 2026-12-06), about 2 s idle; the
   * Lua emulator's own wall-clock budget is a second or two. 25 s leaves room for a loaded machine
   * while the old code hung for minutes on the same inputs.
   * 768 MiB: a warm CLI peaks at about 160 MB on an ordinary manifest; the Lua emulator may
   * allocate strings up to its string budget before refusing. The unbounded code reached 3.4 GB
   * (`s=s..s` 31 times) and 5.3 GB (`table.concat`).
   */
  defaults: { wallMs: 25_000, rssMb: 768 } satisfies CliBounds,
  /**
   * A case that runs this long past its wall bound is killed (the process group) so one hang
   * cannot stall the suite; the case then fails with the wall time it was given.
   */
  killAfterExtraMs: 10_000,
  /** CLI cases run this many at a time (one per core: wall bounds stay meaningful). */
  concurrency: 2,
} as const;

/** The live webhook (`meshwarden serve --webhook-only`, a child process) while hostile requests are judged. */
export const webhook = {
  /** Readiness after spawn: tsx startup plus warming two evaluation workers (each loads the validator). */
  startMs: 90_000,
  /** /healthz is polled this often while a hostile request is judged (the 50 ms). */
  healthzIntervalMs: 50,
  /**
   * Longest a /healthz answer may take (request to response, keep-alive connection). The event
   * loop never runs an evaluation, so this is scheduling latency only; the old code did not
   * answer for minutes.
   */
  healthzMaxMs: 500,
  /**
   * A hostile admission must be answered (denied) within this: the pool's evaluation deadline
   * (eval-pool.ts, 4 s) plus its queue wait (2 s), plus 4 s of slack for replacing a killed worker
   * on a loaded machine. It must never run into the API server's 10 s timeoutSeconds.
   */
  hostileVerdictMs: 10_000,
  /**
   * An ordinary admission sent while one hostile request is judged: a free worker judges it in
   * tens of milliseconds; 5 s allows a loaded machine and stays under the API server's 10 s.
   */
  normalVerdictMs: 5_000,
  /** Ordinary admissions are sent this often while a hostile one is judged. */
  normalIntervalMs: 250,
  /**
   * Peak resident memory of the webhook's main process (it never evaluates: it parses bodies
   * and forwards objects). Warm under tsx it holds about 150-250 MB.
   */
  mainRssMb: 512,
  /**
   * Peak resident memory of the whole process tree (main process plus its evaluation workers),
   * sampled every 50 ms: the chart's memory limit (charts/meshwarden/values.yaml, 1 GiB) plus a
   * quarter for tsx, which the shipped image (compiled dist/) does not carry. A worker is killed
   * past its 384 MiB cap; the old code grew one process to 3.4 GB.
   */
  treeRssMb: 1280,
  /** SIGTERM while a hostile request is judged: the process (and its workers) must be gone within this. */
  sigtermExitMs: 5_000,
  /**
   * Unique proxyVersion regexes (64 per EnvoyFilter, each about 34 KB of compiled RE2 program once
   * matched): every one must be judged and admitted without a worker being replaced or denying
   * over memory. The old unbounded cache kept every one (14,000 took the webhook to 1.36 GB), but
   * over a CI-sized stream that growth cannot be told from garbage V8 has not collected yet (RE2's
   * memory is outside the V8 heap: measured in one process, +27 KB per regex until a major GC,
   * then a plateau about 100 MB above warm), so CI checks the verdicts and the tree bound, and a
   * long fuzz run (MESHWARDEN_FUZZ_RUNS=2000) sends enough for a retained cache to reach the
   * workers' 384 MiB cap.
   */
  proxyVersionRequests: Math.min(300, Math.max(24, Number(process.env.MESHWARDEN_FUZZ_RUNS ?? 0))),
  proxyVersionPatchesPerRequest: 64,
} as const;

/** The seeded fuzzer (fuzz.e2e.test.ts and the webhook's fuzz section). */
export const fuzz = {
  /**
   * Inputs per generator per CI run. MESHWARDEN_FUZZ_RUNS raises it (e.g. 2000 for a long run
   * on a developer machine); MESHWARDEN_FUZZ_SEED replays one run.
   */
  runs: Number(process.env.MESHWARDEN_FUZZ_RUNS ?? 24),
  seed: Number(process.env.MESHWARDEN_FUZZ_SEED ?? 0x686f7374), // "host"
  /**
   * CLI inputs are judged in batches (one process per batch: startup costs seconds, judging an
   * input milliseconds): the batch's wall bound is the startup allowance plus this much per input.
   * Each Lua input may use the emulator's whole budget (a second or two) before it is refused.
   */
  cliPerInputMs: 2_500,
  cliBatchSize: 12,
  /** Time the test files allow a whole fuzz run (a long local run scales it). */
  get suiteTimeoutMs(): number {
    return Math.max(900_000, this.runs * 3 * 8_000);
  },
} as const;

export const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
