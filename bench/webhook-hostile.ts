/**
 * Webhook latency for normal admissions while hostile requests are being judged (a benchmark,
 * not a test; issue 21, docs/adr/0101-webhook-evaluation-pool.md):
 *
 *   node --import tsx bench/webhook-hostile.ts [--rate 200] [--seconds 10] [--hostile-every 1] [--eval-timeout 4] [--workers 2] [--json FILE]
 *
 * Normal admissions (a SmartLimiter, a new name each time: no verdict-cache hits) are POSTed over
 * HTTPS on 127.0.0.1 at a fixed rate, open loop (each timed from when it was due to leave), to:
 *   1. in-process: the same HTTPS stack calling admit() on its event loop (the webhook before the
 *      pool), normal traffic only: the same-run baseline for the pool's per-admission overhead;
 *   2. pool: createWebhookServer (evaluation workers), normal traffic only;
 *   3. pool + hostile: the same, plus one hostile EnvoyFilter every --hostile-every seconds (a Lua
 *      top level whose string pattern backtracks exponentially: it escaped the emulator's
 *      instruction budget before issue 21; now it holds a worker until the emulator's load-time
 *      budget (MW506) or the pool's deadline stops it, whichever comes first). The in-process
 *      server is not run with hostile requests: before issue 21 one stalled it for minutes.
 *   4. the pool alone, in this process: the same SmartLimiters judged by evaluate() and, one at a
 *      time, through an EvaluationPool of one worker: CPU (this process and the worker) and wall
 *      time per evaluation, and of a round trip with nothing to judge. Runs 1–2 compare the whole
 *      webhook shell (metrics, logging, verdict cache) with a bare handler; this isolates the pool.
 * Each server runs in its own process; the load generator in this one. Prints p50, p90, p99, max,
 * errors (non-2xx or a wrong verdict), server CPU per normal request (the webhook process and its
 * live workers, from /proc; with hostile requests it includes theirs) and the ratios to the baselines.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchServer, percentile, postValidate, serveBenchControl, treeCpuMs, type BenchServer } from './lib.js';

type Variant = 'in-process' | 'pool';
interface ServerSpec {
  variant: Variant;
  certDir: string;
  istioVersion: string;
  evalTimeoutMs: number;
  workers: number;
}

/** A different script each time (a comment): the validator caches verdicts of scripts it has judged. */
const hostileLua = (i: number): string => `local s = string.rep('a', 30) s:find(string.rep('a*', 40) .. 'b') -- ${i}`;

/** The server side, in a child process. */
async function serverProcess(spec: ServerSpec): Promise<void> {
  const { pino } = await import('pino');
  const fx = await import('../operator/src/webhook/fixtures.js');
  const context = { services: [], pods: [], istioVersions: [spec.istioVersion] };
  let port: number;
  if (spec.variant === 'in-process') {
    const { admit } = await import('../operator/src/webhook/admission.js');
    const { ensureServingCertificate } = await import('../operator/src/webhook/certs.js');
    const { cert, key } = await ensureServingCertificate(spec.certDir);
    const srv = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const outcome = admit(JSON.parse(Buffer.concat(chunks).toString('utf8')), context);
        const body = JSON.stringify(outcome.status === 200 ? outcome.review : { error: outcome.error });
        res.writeHead(outcome.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    srv.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as { port: number }).port;
    // Warm the validator, as the pool's workers are warm before the webhook is ready.
    for (let i = 0; i < 20; i++) admit(fx.admissionReview(fx.goodSmartLimiter(`warm-${i}`)), context);
  } else {
    const { createWebhookServer } = await import('../operator/src/webhook/server.js');
    const wh = createWebhookServer({
      port: 0,
      host: '127.0.0.1',
      certDir: spec.certDir,
      logger: pino({ level: 'silent' }),
      istioVersions: [spec.istioVersion],
      evaluation: { size: spec.workers, timeoutMs: spec.evalTimeoutMs },
    });
    ({ port } = await wh.start());
  }
  serveBenchControl(port);
}

function startServer(spec: ServerSpec): Promise<BenchServer> {
  return benchServer(fork(fileURLToPath(import.meta.url), ['--server', JSON.stringify(spec)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

interface RunResult {
  label: string;
  sent: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  cpuPerRequestMs: number;
  hostile?: { sent: number; deniedForBudget: number; p50: number; max: number };
  loadAverage: string;
}

async function run(
  label: string,
  server: BenchServer,
  caPem: string,
  o: { rate: number; seconds: number; hostileEvery?: number; fx: typeof import('../operator/src/webhook/fixtures.js') },
): Promise<RunResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: caPem });
  const post = (body: string) => postValidate(agent, server.port, body, 15_000);
  const normal = (i: number): string => JSON.stringify(o.fx.admissionReview(o.fx.goodSmartLimiter(`${label.replace(/\W+/g, '-')}-${i}`)));
  const hostile = (i: number): string =>
    JSON.stringify(
      o.fx.admissionReview(
        o.fx.envoyFilter(`hostile-${i}`, 'shop', [
          {
            applyTo: 'HTTP_FILTER',
            match: {
              context: 'SIDECAR_INBOUND',
              listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
            },
            patch: {
              operation: 'INSERT_BEFORE',
              value: { name: 'h.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: hostileLua(i) } } },
            },
          },
        ]),
        { dryRun: true },
      ),
    );
  // Warm-up: connections, and JIT in every process (each pool worker sees its share): without it
  // the pool's figures carry its workers' compilation, which the in-process server did once.
  for (let k = 0; k < 10; k++) await Promise.all(Array.from({ length: 50 }, (_, j) => post(normal(-1 - k * 50 - j)).catch(() => undefined)));

  const cpu0 = await server.cpuMs();
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  const hostileLatencies: number[] = [];
  let errors = 0;
  let deniedForBudget = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  let i = 0;
  let h = 0;
  const hostileInterval = o.hostileEvery !== undefined ? o.hostileEvery * 1000 : Infinity;
  // Open loop without busy-waiting (a spinning client would take a core from the server).
  while (i < total) {
    const now = performance.now();
    while (h * hostileInterval <= now - t0 && h * hostileInterval < o.seconds * 1000) {
      const due = t0 + h * hostileInterval;
      pending.push(
        post(hostile(h)).then(
          (r) => {
            hostileLatencies.push(performance.now() - due);
            if (/budget/.test(r.text) && /"allowed":false/.test(r.text)) deniedForBudget++;
          },
          () => void hostileLatencies.push(performance.now() - due),
        ),
      );
      h++;
    }
    while (i < total && t0 + i * interval <= now) {
      const due = t0 + i * interval;
      pending.push(
        post(normal(i)).then(
          (r) => {
            latencies.push(performance.now() - due);
            if (r.status !== 200 || !r.text.includes('"allowed":true')) errors++;
          },
          () => {
            latencies.push(performance.now() - due);
            errors++;
          },
        ),
      );
      i++;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * interval - performance.now())));
  }
  await Promise.all(pending);
  const cpuPerRequestMs = ((await server.cpuMs()) - cpu0) / total;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  hostileLatencies.sort((a, b) => a - b);
  return {
    label,
    sent: total,
    errors,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    cpuPerRequestMs,
    ...(h > 0 ? { hostile: { sent: h, deniedForBudget, p50: percentile(hostileLatencies, 50), max: hostileLatencies.at(-1) ?? NaN } } : {}),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      'hostile-every': { type: 'string', default: '1' },
      'eval-timeout': { type: 'string', default: '4' },
      workers: { type: 'string', default: '2' },
      'istio-version': { type: 'string', default: '1.28' },
      json: { type: 'string' },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const hostileEvery = Number(values['hostile-every']);
  const fx = await import('../operator/src/webhook/fixtures.js');
  const base = { istioVersion: values['istio-version'], evalTimeoutMs: Number(values['eval-timeout']) * 1000, workers: Number(values.workers) };
  const results: RunResult[] = [];
  for (const variant of ['in-process', 'pool'] as const) {
    const certDir = await mkdtemp(join(tmpdir(), 'mw-bench-hostile-'));
    const server = await startServer({ ...base, variant, certDir });
    const caPem = readFileSync(join(certDir, 'ca.crt'), 'utf8');
    try {
      results.push(await run(variant, server, caPem, { rate, seconds, fx }));
      print(results.at(-1)!);
      if (variant === 'pool') {
        results.push(await run(`pool + 1 hostile every ${hostileEvery} s`, server, caPem, { rate, seconds, hostileEvery, fx }));
        print(results.at(-1)!);
      }
    } finally {
      await server.stop();
      await rm(certDir, { recursive: true, force: true });
    }
  }
  const [inProcess, pool, hostile] = results as [RunResult, RunResult, RunResult];
  const poolAlone = await poolRoundTrip(base.istioVersion, fx);
  console.log(
    `\npool alone (${poolAlone.n} sequential SmartLimiters): CPU per evaluation in-process ${fmt(poolAlone.inProcessCpuMs)} ms, through the pool ${fmt(poolAlone.poolCpuMs)} ms; ` +
      `wall ${fmt(poolAlone.inProcessWallMs)} vs ${fmt(poolAlone.poolWallMs)} ms; empty round trip ${fmt(poolAlone.roundTripWallMs)} ms wall, ${fmt(poolAlone.roundTripCpuMs)} ms CPU`,
  );
  const ratios = {
    poolOverheadP50Ms: pool.p50 - inProcess.p50,
    poolOverheadP99Ms: pool.p99 - inProcess.p99,
    poolCpuOverheadPerRequestMs: pool.cpuPerRequestMs - inProcess.cpuPerRequestMs,
    hostileOverPoolP99: hostile.p99 / pool.p99,
    hostileOverInProcessP99: hostile.p99 / inProcess.p99,
  };
  console.log(
    `\npool overhead per admission: p50 ${fmt(ratios.poolOverheadP50Ms)} ms, p99 ${fmt(ratios.poolOverheadP99Ms)} ms, CPU ${fmt(ratios.poolCpuOverheadPerRequestMs)} ms` +
      `\np99 with hostile requests in flight / without (same pool, same run): ${fmt(ratios.hostileOverPoolP99)}×; / in-process without: ${fmt(ratios.hostileOverInProcessP99)}×`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify({ bench: 'webhook-hostile', rate, seconds, hostileEvery, ...base, results, ratios, poolAlone }, null, 2) + '\n');
}

/** evaluate() against one pool worker, sequentially, after both are warm (section 4). */
async function poolRoundTrip(istioVersion: string, fx: typeof import('../operator/src/webhook/fixtures.js')) {
  const { EvaluationPool } = await import('../operator/src/webhook/eval-pool.js');
  const { evaluate } = await import('../operator/src/evaluate.js');
  const ctx = { services: [], pods: [], istioVersions: [istioVersion] };
  const facts = { version: 1, context: () => ctx };
  const pool = new EvaluationPool({ size: 1, istioVersions: [istioVersion] });
  await pool.start();
  const objects = (tag: string, n: number) => Array.from({ length: n }, (_, i) => fx.goodSmartLimiter(`${tag}-${i}`) as Record<string, unknown>);
  const n = 1500;
  try {
    for (const o of objects('warm', 1000)) {
      evaluate(o, ctx);
      await pool.evaluate(o, facts);
    }
    const measure = async (f: () => Promise<void>): Promise<{ cpu: number; wall: number }> => {
      const c = treeCpuMs(process.pid);
      const t = performance.now();
      await f();
      return { cpu: (treeCpuMs(process.pid) - c) / n, wall: (performance.now() - t) / n };
    };
    const inProcess = await measure(async () => {
      for (const o of objects('in', n)) evaluate(o, ctx);
    });
    const pooled = await measure(async () => {
      for (const o of objects('pool', n)) await pool.evaluate(o, facts);
    });
    const empty = await measure(async () => {
      // Not a validated kind: the worker answers without judging.
      for (let i = 0; i < n; i++) await pool.evaluate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `e-${i}` } }, facts);
    });
    return { n, inProcessCpuMs: inProcess.cpu, poolCpuMs: pooled.cpu, inProcessWallMs: inProcess.wall, poolWallMs: pooled.wall, roundTripCpuMs: empty.cpu, roundTripWallMs: empty.wall };
  } finally {
    await pool.stop();
  }
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : String(n));

function print(r: RunResult): void {
  const hostile = r.hostile ? `  hostile: ${r.hostile.sent} sent, ${r.hostile.deniedForBudget} denied for budget, answered p50 ${fmt(r.hostile.p50)} ms max ${fmt(r.hostile.max)} ms` : '';
  console.log(
    `${r.label.padEnd(28)} ${r.sent} req  p50 ${fmt(r.p50)}  p90 ${fmt(r.p90)}  p99 ${fmt(r.p99)}  max ${fmt(r.max)} ms  errors ${r.errors}  CPU/req ${fmt(r.cpuPerRequestMs)} ms  load ${r.loadAverage}${hostile}`,
  );
}

if (process.argv[2] === '--server') await serverProcess(JSON.parse(process.argv[3]!) as ServerSpec);
else await main();
