/**
 * Admission latency of the webhook (a benchmark, not a test):
 *
 *   node --import tsx bench/webhook.bench.ts [--rate 500]... [--seconds 10] [--patches 20] [--versions 1.32]... [--json FILE]
 *
 * A 20-patch EnvoyFilter AdmissionReview is POSTed over HTTPS on 127.0.0.1 at a fixed rate
 * (open loop: requests leave on schedule whatever the answers, so a stall is not hidden by
 * coordinated omission; each is timed from when it left) to
 *   1. a baseline: an empty HTTPS handler on the same stack (node:https, same certificate,
 *      keep-alive, reads the body, answers a fixed allowed AdmissionReview), then
 *   2. the webhook (createWebhookServer) validating against the given Istio versions: one
 *      version, the newest of the version table (a cluster normally runs one), and the default
 *      set, Istio's supported minors (an upgrade window; 1.30–1.32 since issue 15, four minors before).
 * Each server runs in its own process (as the webhook does), the load generator in this one. Prints p50,
 * p90, p99, max and errors per run and the ratio to the baseline; target p99 ≤ 3 ms.
 * Several --rate values (e.g. 50, 250, 500: the scale row) repeat all of it per rate.
 * Then the worst cases the size limits allow, evaluated in-process, one at a time.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { benchServer, percentile, postValidate, serveBenchControl, type BenchServer } from './lib.js';
import { defaultIstioMinors, istioMinors } from '../operator/src/versions/table.js';

/** One minor (the newest) and the default set, both from the version table. */
const defaultVersionSets = (): string[][] => [[istioMinors().at(-1)!], [...defaultIstioMinors()]];

interface ServerSpec {
  kind: 'baseline' | 'webhook';
  certDir: string;
  istioVersions: string[];
}

async function serverProcess(spec: ServerSpec): Promise<void> {
  const { pino } = await import('pino');
  const { createWebhookServer } = await import('../operator/src/webhook/server.js');
  const { ensureServingCertificate } = await import('../operator/src/webhook/certs.js');
  const fx = await import('../operator/src/webhook/fixtures.js');
  if (spec.kind === 'baseline') {
    const { cert, key } = await ensureServingCertificate(spec.certDir);
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'x', allowed: true } });
    const srv = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    srv.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    serveBenchControl((srv.address() as { port: number }).port);
  } else {
    const wh = createWebhookServer({ port: 0, host: '127.0.0.1', certDir: spec.certDir, logger: pino({ level: 'silent' }), istioVersions: spec.istioVersions });
    const { port } = await wh.start();
    // The evaluation workers load the validator before start() resolves (ADR 0101); warm their JIT
    // too, through the server as a running replica's would be, with objects it has not cached.
    const warmAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
    for (let i = 0; i < 100; i++) await postValidate(warmAgent, port, JSON.stringify(fx.admissionReview(fx.goodEnvoyFilter(20, `warm-${i}`))), 30_000);
    warmAgent.destroy();
    serveBenchControl(port);
  }
}

interface RunResult {
  label: string;
  /** Server CPU per request during the timed run, ms. */
  cpuPerRequest?: number;
  /** Server CPU time / wall time of the run: how much of a core it used (and got). */
  cpuShare?: number;
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  seconds: number;
}

/** Request `i`'s body: see `reviews()`. */
type Bodies = (i: number) => string;

async function load(label: string, server: BenchServer, caPem: string, bodies: Bodies, rate: number, seconds: number, check: (status: number, text: string) => boolean): Promise<RunResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: caPem });
  const send = (i: number) => postValidate(agent, server.port, bodies(i), 10_000);
  // Warm-up: open connections, JIT both sides.
  await Promise.all(Array.from({ length: 200 }, (_, i) => send(-1 - i).catch(() => undefined)));

  const cpu0 = await server.cpuMs();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  // Open loop: requests go out on schedule whether or not earlier ones have been answered, so a
  // server stall shows up as latency of the requests queued behind it. No busy-waiting (it would
  // steal a core from the server on a 2-core machine): a timer wakes up and sends everything due.
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && t0 + i * interval <= now) {
      const sent = performance.now();
      pending.push(
        send(i).then(
          (r) => {
            latencies.push(performance.now() - sent);
            if (check(r.status, r.text)) ok++;
            else errors++;
          },
          () => {
            latencies.push(performance.now() - sent);
            errors++;
          },
        ),
      );
      i++;
    }
    const next = t0 + i * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, next)));
  }
  await Promise.all(pending);
  const secs = (performance.now() - t0) / 1000;
  const cpuPerRequest = ((await server.cpuMs()) - cpu0) / total;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    label,
    cpuPerRequest,
    cpuShare: (cpuPerRequest * total) / (secs * 1000),
    sent: total,
    ok,
    errors,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    seconds: secs,
  };
}

function startServer(spec: ServerSpec): Promise<BenchServer> {
  return benchServer(fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, MW_BENCH_SERVER: JSON.stringify(spec) }, stdio: 'inherit' }));
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', multiple: true, default: ['500'] },
      seconds: { type: 'string', default: '10' },
      patches: { type: 'string', default: '20' },
      versions: { type: 'string', multiple: true },
      'skip-worst': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const rates = values.rate.map((r) => Math.min(Number(r), 2000)); // bounded: at most 2,000 req/s for at most 60 s per run
  const seconds = Math.min(Number(values.seconds), 60);
  const patches = Number(values.patches);
  const versionSets = values.versions ? [values.versions] : defaultVersionSets();
  const fx = await import('../operator/src/webhook/fixtures.js');
  const { ensureServingCertificate } = await import('../operator/src/webhook/certs.js');
  const certDir = await mkdtemp(join(tmpdir(), 'mw-webhook-bench-'));
  const { ca } = await ensureServingCertificate(certDir);
  // Every request admits a different object (its name numbered), so each is evaluated: the webhook
  // reuses the verdict of an object it has already judged (VerdictCache, ADR 0097), which the
  // "same object" run measures on its own.
  const template = JSON.stringify(fx.admissionReview(fx.goodEnvoyFilter(patches, 'ratelimit-@N@'), { uid: 'bench' }));
  const distinct: Bodies = (i) => template.replaceAll('@N@', String(i));
  const same: Bodies = () => distinct(0);
  const body = distinct(0);
  const os = await import('node:os');
  console.log(
    `webhook admission latency: ${patches}-patch EnvoyFilter (${(body.length / 1024).toFixed(1)} KiB AdmissionReview), ${rates.join(', ')} req/s for ${seconds} s per run, HTTPS keep-alive on 127.0.0.1, open loop`,
  );
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const perRate: Array<{ rate: number; loadavgBefore: number[]; results: RunResult[] }> = [];
  for (const rate of rates) {
    const loadavgBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const results: RunResult[] = [];
    const base = await startServer({ kind: 'baseline', certDir, istioVersions: [] });
    results.push(await load('baseline: empty HTTPS handler', base, ca!, distinct, rate, seconds, (s) => s === 200));
    await base.stop();
    for (const versions of versionSets) {
      const srv = await startServer({ kind: 'webhook', certDir, istioVersions: versions });
      const check = (s: number, text: string): boolean => s === 200 && text.includes('"allowed":true') && text.includes('"uid":"bench"');
      results.push(await load(`webhook, Istio ${versions.join(',')}`, srv, ca!, distinct, rate, seconds, check));
      if (rate === Math.max(...rates)) results.push(await load(`webhook, Istio ${versions.join(',')}, same object (verdict cache)`, srv, ca!, same, rate, seconds, check));
      await srv.stop();
    }
    perRate.push({ rate, loadavgBefore, results });

    const baseline = results[0]!;
    console.log(
      `\n${rate} req/s, load average before ${loadavgBefore.join(' ')}\n` + ['run'.padEnd(38), 'sent', 'errors', 'p50', 'p90', 'p99', 'max', 'p99/baseline', 'server CPU/request'].join('\t'),
    );
    for (const r of results) {
      console.log(
        [r.label.padEnd(38), r.sent, r.errors, fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.max), r === baseline ? '1.0x' : `${(r.p99 / baseline.p99).toFixed(1)}x`, fmt(r.cpuPerRequest ?? NaN)].join(
          '\t',
        ),
      );
    }
    for (const r of results.slice(1)) {
      const capacity = 1000 / (r.cpuPerRequest ?? NaN);
      console.log(
        `${r.label}: p99 ${fmt(r.p99)} ${r.p99 <= 3 ? '≤' : '>'} 3 ms target; ${r.errors} errors; p50 ratio ${(r.p50 / baseline.p50).toFixed(1)}x, ` +
          `p99 ratio ${(r.p99 / baseline.p99).toFixed(1)}x; server CPU ${fmt(r.cpuPerRequest ?? NaN)}/request (one core saturates at ~${Math.round(capacity)} req/s; ` +
          `needs ${((rate * (r.cpuPerRequest ?? NaN)) / 10).toFixed(0)}% of a core, used ${((r.cpuShare ?? NaN) * 100).toFixed(0)}% over ${r.seconds.toFixed(1)} s)`,
      );
    }
  }
  await rm(certDir, { recursive: true, force: true });
  if (perRate.length > 1) {
    console.log('\ngrowth with the rate (p99 and server CPU per request; per-request CPU flat = linear total cost):');
    for (const { label } of perRate[0]!.results) {
      const row = perRate.map((p) => p.results.find((r) => r.label === label)!);
      console.log(`  ${label.padEnd(38)} ${row.map((r, k) => `${perRate[k]!.rate}/s: p99 ${fmt(r.p99)}, CPU ${fmt(r.cpuPerRequest ?? NaN)}/req`).join('; ')}`);
    }
  }
  console.log(
    `load average after the runs: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores (other processes share them: compare ratios, not absolutes)`,
  );
  const { writeResult } = await import('./lib.js');
  writeResult(values.json, 'webhook', { patches, seconds, bodyBytes: body.length, rates: perRate });
  if (!values['skip-worst']) await worstCases();
}

/** The slowest objects the size limits let through, each admitted in-process once (cold for its content). */
async function worstCases(): Promise<void> {
  const { admit, defaultLimits } = await import('../operator/src/webhook/admission.js');
  const fx = await import('../operator/src/webhook/fixtures.js');
  const lua = (i: number, code: string) => ({
    applyTo: 'HTTP_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
    patch: {
      operation: 'INSERT_BEFORE',
      value: { name: `lua${i}`, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: code } } },
    },
  });
  const n = defaultLimits.maxPatches;
  const luaMax = defaultLimits.maxLuaScripts;
  const cases = (tag: string): Array<[string, unknown]> => [
    [`${n} LocalRateLimit patches`, fx.goodEnvoyFilter(n)],
    [
      `${luaMax} Lua patches, each an infinite loop`,
      fx.envoyFilter(
        'loops',
        'shop',
        Array.from({ length: luaMax }, (_, i) => lua(i, `-- ${tag} ${i}\nwhile true do end`)),
      ),
    ],
    [
      `${luaMax} distinct Lua scripts of 1000 bytes`,
      fx.envoyFilter(
        'many',
        'shop',
        Array.from({ length: luaMax }, (_, i) => lua(i, `-- ${tag} ${i}\n` + 'local t = {1,2,3}\n'.repeat(55) + 'function envoy_on_request(h) end')),
      ),
    ],
    [
      `one Lua script of ${defaultLimits.maxStringBytes / 1024} KiB`,
      fx.envoyFilter('huge', 'shop', [lua(0, `-- ${tag} big\n` + 'local t = {1,2,3}\n'.repeat(Math.floor((defaultLimits.maxStringBytes - 100) / 18)) + 'function envoy_on_request(h) end')]),
    ],
    [`${n + 1} patches (refused by the limit)`, fx.goodEnvoyFilter(n + 1)],
    [
      `${luaMax + 1} Lua patches (refused by the limit)`,
      fx.envoyFilter(
        'loops',
        'shop',
        Array.from({ length: luaMax + 1 }, (_, i) => lua(i, `-- ${tag} x${i}\nwhile true do end`)),
      ),
    ],
  ];
  console.log(`\nworst cases within the limits (${JSON.stringify(defaultLimits)}), admitted in-process:`);
  for (const versions of defaultVersionSets()) {
    const ctx = { services: [], pods: [], istioVersions: versions };
    admit(fx.admissionReview(fx.goodEnvoyFilter(1)), ctx); // warm this version set
    for (const [label, obj] of cases(versions.join())) {
      const t = performance.now();
      const out = admit(fx.admissionReview(obj as ReturnType<typeof fx.goodEnvoyFilter>), ctx);
      const ms = performance.now() - t;
      const verdict = out.status === 200 ? (out.review.response.allowed ? 'allowed' : `denied ${out.review.response.status?.code}`) : '400';
      console.log(`  Istio ${versions.length === 1 ? versions[0] : 'all 4'}: ${label.padEnd(42)} ${fmt(ms).padStart(11)}  ${verdict}`);
    }
  }
}

const serverSpec = process.env.MW_BENCH_SERVER;
if (serverSpec) await serverProcess(JSON.parse(serverSpec) as ServerSpec);
else await main();
