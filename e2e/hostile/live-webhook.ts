/**
 * The admission webhook as users run it (`meshwarden serve --webhook-only`), in a child process
 * so that its event loop and its memory (and its evaluation workers') can be observed from
 * outside, plus the observers: a /healthz poller, a stream of ordinary admissions, and a
 * resident-memory sampler over the process tree.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/controlplane.js';
import { webhookClient } from '../../operator/src/webhook/client.testkit.js';
import { admissionReview } from '../../operator/src/webhook/fixtures.js';
import { defaultPoolSize } from '../../operator/src/webhook/eval-pool.js';
import { webhook as bounds } from './bounds.js';
import { CLI, childrenOf } from './cli-runner.js';
import type { AdmissionAnswer } from './verdict.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  ms: number;
  response?: AdmissionAnswer & { uid?: string };
  /** Transport failure (timeout, reset). */
  error?: string;
}

export interface LiveWebhook {
  readonly child: ChildProcess;
  readonly port: number;
  /** Sends one object as an AdmissionReview (CREATE; `dryRun` as `kubectl --dry-run=server` would). */
  admit(object: Record<string, unknown>, opts?: { dryRun?: boolean; timeoutMs?: number }): Promise<Answer>;
  get(path: string): Promise<{ status: number; ms: number; error?: string }>;
  /** Resident memory now: the main process and each evaluation worker (MiB). */
  rss(): { main: number; workers: number[]; total: number };
  /** The last lines the process wrote (for a failure message). */
  log(): string;
  /**
   * Waits until every evaluation worker is warm (a worker killed over a budget is replaced and
   * warms up again): each case starts from a full pool. Returns the longest warm-up seen so far.
   */
  settle(timeoutMs?: number): Promise<{ ms: number; longestWarmUpMs: number }>;
  /** SIGTERM, and the time until the process exited (SIGKILL after `killAfterMs`). */
  stop(killAfterMs?: number): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>;
}

let uidCounter = 0;

export async function startLiveWebhook(istioVersion: string): Promise<LiveWebhook> {
  const certDir = await mkdtemp(join(tmpdir(), 'mw-hostile-webhook-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    // Debug logs: the pool reports each worker warm ('evaluation worker ready', with its pid).
    [CLI, 'serve', '--webhook-only', '--webhook-port', String(port), '--webhook-bind-address', '127.0.0.1', '--cert-dir', certDir, '--istio-version', istioVersion, '--log-level', 'debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const warmPids = new Set<number>();
  let longestWarmUpMs = 0;
  let partial = '';
  const keep = (c: Buffer): void => {
    const text = partial + c.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete.filter(Boolean)) {
      if (line.includes('evaluation worker ready')) {
        try {
          const entry = JSON.parse(line) as { pid?: number; ms?: number };
          if (entry.pid !== undefined) warmPids.add(entry.pid);
          longestWarmUpMs = Math.max(longestWarmUpMs, entry.ms ?? 0);
        } catch {
          /* not a log entry */
        }
      }
      if (line.includes('"level":20') && !line.includes('evaluation worker ready')) continue; // other debug lines: not worth keeping
      lines.push(line);
    }
    if (lines.length > 80) lines.splice(0, lines.length - 80);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));

  const deadline = Date.now() + bounds.startMs;
  let caPem: string;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the webhook exited (${child.exitCode}) before it was ready:\n${lines.join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the webhook was not ready within ${bounds.startMs} ms:\n${lines.join('\n')}`);
    }
    try {
      caPem = readFileSync(join(certDir, 'ca.crt'), 'utf8');
      const probe = webhookClient(port, caPem, { keepAlive: false });
      const r = await probe.get('/readyz').catch(() => undefined);
      probe.close();
      if (r?.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }

  // One connection for probes, several for admissions: a probe never waits behind an admission's socket.
  const probes = webhookClient(port, caPem, { maxSockets: 1 });
  const admissions = webhookClient(port, caPem, { maxSockets: 8 });

  const timed = async <T>(ms: number, p: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  };

  const workerPids = (): number[] => {
    const out: number[] = [];
    const todo = childrenOf(child.pid!);
    while (todo.length > 0) {
      const pid = todo.pop()!;
      out.push(pid);
      todo.push(...childrenOf(pid));
    }
    return out;
  };

  return {
    child,
    port,
    async admit(object, opts = {}) {
      const uid = `hostile-${process.pid}-${++uidCounter}`;
      const body = JSON.stringify(admissionReview(object as { kind: string; metadata: { name?: string; namespace?: string } }, { uid, dryRun: opts.dryRun ?? false }));
      const t0 = performance.now();
      try {
        const r = await timed(opts.timeoutMs ?? bounds.hostileVerdictMs * 2, admissions.post('/validate', body));
        const ms = performance.now() - t0;
        let response: Answer['response'];
        try {
          response = (JSON.parse(r.body) as { response?: Answer['response'] }).response;
        } catch {
          response = undefined;
        }
        return { status: r.status, ms, ...(response ? { response } : {}) };
      } catch (e) {
        return { status: 0, ms: performance.now() - t0, error: (e as Error).message };
      }
    },
    async get(path) {
      const t0 = performance.now();
      try {
        const r = await timed(bounds.healthzMaxMs * 4, probes.get(path));
        return { status: r.status, ms: performance.now() - t0 };
      } catch (e) {
        return { status: 0, ms: performance.now() - t0, error: (e as Error).message };
      }
    },
    rss() {
      const main = rssMb(child.pid!);
      const workers = workerPids().map(rssMb);
      return { main, workers, total: main + workers.reduce((a, b) => a + b, 0) };
    },
    log: () => lines.join('\n'),
    async settle(timeoutMs = bounds.startMs) {
      const t0 = performance.now();
      for (;;) {
        const workers = childrenOf(child.pid!).filter((pid) => warmPids.has(pid));
        if (workers.length >= defaultPoolSize) return { ms: performance.now() - t0, longestWarmUpMs };
        if (performance.now() - t0 > timeoutMs) throw new Error(`the evaluation pool was not back to ${defaultPoolSize} warm workers within ${timeoutMs} ms:\n${lines.join('\n')}`);
        await sleep(100);
      }
    },
    async stop(killAfterMs = 15_000) {
      const t0 = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const r = await exited;
      clearTimeout(killer);
      // Only now: destroying the agents earlier would cut a request in flight on our side.
      probes.close();
      admissions.close();
      await rm(certDir, { recursive: true, force: true });
      return { ms: performance.now() - t0, ...r };
    },
  };
}

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

/** What the observers saw while something hostile was being judged. */
export interface Observation {
  healthz: { count: number; maxMs: number; failures: string[] };
  normal: { count: number; maxMs: number; problems: string[] };
  peakMainRssMb: number;
  peakTreeRssMb: number;
}

/**
 * Watches the webhook until `stop()`: /healthz every 50 ms (each must answer 200 within the
 * bound), an ordinary SmartLimiter admission every 250 ms (each must be answered; `normalMustPass`:
 * admitted, else an "overloaded, retry" denial is an answer too), resident memory every 50 ms.
 */
export function observe(wh: LiveWebhook, opts: { normalMustPass: boolean; normal: (i: number) => Record<string, unknown> }): { stop: () => Promise<Observation> } {
  let running = true;
  const obs: Observation = { healthz: { count: 0, maxMs: 0, failures: [] }, normal: { count: 0, maxMs: 0, problems: [] }, peakMainRssMb: 0, peakTreeRssMb: 0 };
  const healthz = (async () => {
    while (running) {
      const r = await wh.get('/healthz');
      obs.healthz.count++;
      obs.healthz.maxMs = Math.max(obs.healthz.maxMs, r.ms);
      if (r.status !== 200 || r.ms > bounds.healthzMaxMs) obs.healthz.failures.push(`/healthz ${r.status || r.error} after ${Math.round(r.ms)} ms`);
      await sleep(bounds.healthzIntervalMs);
    }
  })();
  const normal = (async () => {
    for (let i = 0; running; i++) {
      const r = await wh.admit(opts.normal(i), { timeoutMs: bounds.normalVerdictMs * 2 });
      obs.normal.count++;
      obs.normal.maxMs = Math.max(obs.normal.maxMs, r.ms);
      const overloaded = r.response?.allowed === false && r.response.status?.code === 429;
      if (r.status !== 200 || !r.response) obs.normal.problems.push(`ordinary admission: HTTP ${r.status || r.error} after ${Math.round(r.ms)} ms`);
      else if (r.ms > bounds.normalVerdictMs) obs.normal.problems.push(`ordinary admission answered after ${Math.round(r.ms)} ms`);
      else if (!r.response.allowed && (opts.normalMustPass || !overloaded)) obs.normal.problems.push(`ordinary admission denied: ${r.response.status?.message}`);
      await sleep(bounds.normalIntervalMs);
    }
  })();
  const sampler = setInterval(() => {
    const r = wh.rss();
    obs.peakMainRssMb = Math.max(obs.peakMainRssMb, r.main);
    obs.peakTreeRssMb = Math.max(obs.peakTreeRssMb, r.total);
  }, bounds.healthzIntervalMs);
  return {
    async stop() {
      running = false;
      clearInterval(sampler);
      await Promise.all([healthz, normal]);
      return obs;
    },
  };
}

/** Every way the observation breaks a bound, as sentences. */
export function observationProblems(o: Observation): string[] {
  const problems = [...o.healthz.failures.slice(0, 5), ...o.normal.problems.slice(0, 5)];
  if (o.healthz.count === 0) problems.push('/healthz was never answered');
  if (o.normal.count === 0) problems.push('no ordinary admission was answered');
  if (o.peakMainRssMb > bounds.mainRssMb) problems.push(`main process peaked at ${Math.round(o.peakMainRssMb)} MiB, bound ${bounds.mainRssMb} MiB`);
  if (o.peakTreeRssMb > bounds.treeRssMb) problems.push(`process tree peaked at ${Math.round(o.peakTreeRssMb)} MiB, bound ${bounds.treeRssMb} MiB`);
  return problems;
}
