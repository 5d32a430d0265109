/**
 * The operator on the real control plane (e2e harness: etcd, kube-apiserver, KCM), each
 * figure beside a baseline measured on the same apiserver in the same run, from the same
 * client (this process's keep-alive HTTPS agent):
 *
 *   cold start    N SmartLimiters exist before `meshwarden serve` starts (compiled CLI, the
 *                 serve defaults: all four Istio minors); time from spawn to every one Ready at
 *                 its generation with its EnvoyFilter (counted from watch events, not polling).
 *                 Baseline: creating N EnvoyFilters (the operator's rendered object, renamed)
 *                 with as many requests in flight as the operator has workers (--concurrency),
 *                 then deleting them before the operator starts.
 *   steady state  p50/p99 from a SmartLimiter spec PATCH to the watch event of its updated
 *                 EnvoyFilter. Baseline, interleaved change by change: a spec PATCH of an
 *                 EnvoyFilter nobody owns to its watch event on the same watch stream.
 *   memory        operator VmRSS after convergence and at the end, peak VmHWM.
 *   CPU           operator CPU seconds, and the apiserver's + etcd's, per phase (from /proc).
 *
 *   node --import tsx bench/operator-scale.ts [--counts 5000] [--changes 200] [--concurrency 4]
 *     [--namespaces 10] [--per-workload 5] [--istio-version V]... [--json FILE]
 *
 * --counts 500,2500,5000 runs each count on a fresh control plane (the scale row). Workloads
 * grow with the count: --per-workload SmartLimiters select each Service. Every loop is bounded
 * (N creates, M changes, 600 s to converge) and talks to 127.0.0.1 only.
 */
import https from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startEnv, sleep, type Env } from '../e2e/operator/helpers.js';
import { freePort } from '../e2e/harness/controlplane.js';
import { renderEnvoyFilter } from '../e2e/envoy/harness.js';
import { compiledCli, growth, loadavg, percentile, procCpuSeconds, procRss, writeResult } from './lib.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '5000' },
    changes: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    namespaces: { type: 'string', default: '10' },
    'per-workload': { type: 'string', default: '5' },
    'istio-version': { type: 'string', multiple: true },
    json: { type: 'string' },
  },
});
const counts = values.counts.split(',').map(Number);
const changes = Math.min(Number(values.changes), 2000);
const concurrency = Number(values.concurrency);
const nsCount = Number(values.namespaces);
const perWorkload = Number(values['per-workload']);
const CREATE_IN_FLIGHT = 32;

interface Client {
  req(method: string, path: string, body?: unknown, type?: string): Promise<{ status: number; body: string }>;
  /** A watch: calls onEvent per event line; close() ends it. */
  watch(path: string, onEvent: (ev: { type: string; object: K8s }) => void): { close: () => void };
}
interface K8s {
  metadata: { namespace: string; name: string; generation?: number; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> };
}

function client(env: Env): Client {
  const kc = JSON.parse(readFileSync(env.cp.kubeconfigPath, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
  const tls = { ca: env.cp.caPem, cert: Buffer.from(kc.users[0]!.user['client-certificate-data']!, 'base64'), key: Buffer.from(kc.users[0]!.user['client-key-data']!, 'base64') };
  const agent = new https.Agent({ ...tls, keepAlive: true });
  const server = new URL(env.cp.server);
  return {
    req: (method, path, body, type = 'application/json') =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const r = https.request({ host: server.hostname, port: server.port, path, method, agent, timeout: 60_000, headers: payload ? { 'content-type': type } : {} }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        r.on('timeout', () => r.destroy(new Error(`${method} ${path}: timeout`)));
        r.on('error', reject);
        r.end(payload);
      }),
    watch: (path, onEvent) => {
      // Its own connection: a watch holds it for its whole life. The API server may end a watch
      // (or the connection may drop) at any time: resume from the last resourceVersion seen, as
      // an informer does, or a convergence would never be noticed.
      let closed = false;
      let lastRv: string | undefined;
      let r: ReturnType<typeof https.request> | undefined;
      const open = (): void => {
        if (closed) return;
        const p = lastRv === undefined ? path : path.replace(/resourceVersion=[^&]*/, `resourceVersion=${lastRv}`);
        r = https.request({ host: server.hostname, port: server.port, path: p, agent: new https.Agent(tls) }, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              const ev = JSON.parse(line) as { type: string; object: K8s };
              if (ev.type === 'ERROR') {
                console.error(`watch ${path.split('?')[0]}: ${line.slice(0, 300)}`);
                continue;
              }
              lastRv = ev.object.metadata.resourceVersion ?? lastRv;
              onEvent(ev);
            }
          });
          res.on('end', () => {
            if (!closed) console.error(`watch ${path.split('?')[0]} ended by the server; resuming at resourceVersion ${lastRv}`);
            setTimeout(open, 100);
          });
        });
        r.on('error', () => setTimeout(open, 100));
        r.end();
      };
      open();
      return {
        close: () => {
          closed = true;
          r?.destroy();
        },
      };
    },
  };
}

/** Runs `n` requests with at most `inFlight` outstanding; every answer must be `ok`. */
async function parallel(n: number, inFlight: number, one: (i: number) => Promise<{ status: number; body: string }>, ok = (s: number) => s === 201): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const r = await one(i);
      if (!ok(r.status)) throw new Error(`request ${i}: ${r.status} ${r.body.slice(0, 500)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
}

/** kube-apiserver and etcd of this control plane (their command lines name its temp dir). */
function controlPlanePids(dir: string): { apiserver: number[]; etcd: number[] } {
  const out = { apiserver: [] as number[], etcd: [] as number[] };
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(dir)) continue;
    if (cmd.includes('kube-apiserver\0')) out.apiserver.push(Number(p));
    else if (cmd.includes('etcd\0')) out.etcd.push(Number(p));
  }
  return out;
}

const sum = (pids: number[]): number => pids.reduce((a, p) => a + procCpuSeconds(p), 0);

/** Requests the apiserver has served so far, by "VERB resource[/subresource]", from its own apiserver_request_total. */
async function apiRequests(env: Env): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await env.cp.get('/metrics')).body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (k: string): string => new RegExp(`${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource')}${label('subresource') ? '/' + label('subresource') : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.split(' ').at(-1)));
  }
  return out;
}

/** The requests between two apiRequests() snapshots, largest first. */
function requestsBetween(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...b]
      .map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]),
  );
}

async function spawnOperator(env: Env, cli: string): Promise<{ child: ChildProcess; port: number; spawnedAt: number; readyAt: number; stop: () => Promise<number | null> }> {
  const port = await freePort();
  const fd = openSync(join(env.cp.logDir, `operator-bench-${port}.log`), 'a');
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--kubeconfig',
      env.cp.kubeconfigPath,
      '--health-probe-bind-address',
      `127.0.0.1:${port}`,
      '--metrics-bind-address',
      `127.0.0.1:${port}`,
      '--leader-elect=false',
      '--rate-limit-service',
      'ratelimit.rls.svc.cluster.local:8081',
      '--webhook-port',
      '0',
      '--webhook-bind-address',
      '127.0.0.1',
      '--cert-dir',
      join(env.cp.dir, `certs-bench-${port}`),
      '--concurrency',
      String(concurrency),
      '--log-level',
      'warn',
      ...(values['istio-version'] ?? []).flatMap((v) => ['--istio-version', v]),
    ],
    { stdio: ['ignore', fd, fd], env: { ...process.env, KUBECONFIG: '' } },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const c = await exited;
    clearTimeout(t);
    return c;
  };
  process.on('exit', () => child.kill('SIGKILL'));
  for (const deadline = Date.now() + 120_000; ;) {
    if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}; log in ${env.cp.logDir}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('operator not ready in 120 s');
    await sleep(100);
  }
  return { child, port, spawnedAt, readyAt: performance.now(), stop };
}

const q = (xs: number[], p: number): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    p,
  );

async function runOnce(count: number, cli: string): Promise<Record<string, unknown>> {
  const env = await startEnv();
  try {
    const c = client(env);
    const cp = controlPlanePids(env.cp.dir);
    const cpCpu = (): number => sum(cp.apiserver) + sum(cp.etcd);
    const loadBefore = loadavg();
    const workloads = Math.max(1, Math.ceil(count / nsCount / perWorkload));
    const nsOf = (i: number): string => `bench${i % nsCount}`;
    const appOf = (i: number): string => `app${Math.floor(i / nsCount) % workloads}`;
    for (const ns of [...Array.from({ length: nsCount }, (_, n) => `bench${n}`), ...Array.from({ length: nsCount }, (_, n) => `raw${n}`), 'rawwatch']) {
      const r = await c.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      if (r.status !== 201) throw new Error(r.body);
    }
    // Headless: the harness's Service range (a /24) has 254 cluster IPs, and a limiter only needs the selector and ports.
    await parallel(nsCount * workloads, CREATE_IN_FLIGHT, (k) =>
      c.req('POST', `/api/v1/namespaces/bench${k % nsCount}/services`, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `app${Math.floor(k / nsCount)}` },
        spec: { clusterIP: 'None', selector: { app: `app${Math.floor(k / nsCount)}` }, ports: [{ name: 'http', port: 9080, targetPort: 8080 }] },
      }),
    );
    console.log(`\n${count} SmartLimiters: ${nsCount} namespaces × ${workloads} Services (${perWorkload} SmartLimiters each); load average ${loadBefore.join(' ')}`);

    // What the operator writes for one SmartLimiter, from the real renderer.
    const ef = renderEnvoyFilter(`apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: sl0, namespace: bench0}
spec: {target: {service: app0}, limits: [{name: x, rate: {requests: 100, per: 1m}}]}
---
apiVersion: v1
kind: Service
metadata: {name: app0, namespace: bench0}
spec: {selector: {app: app0}, ports: [{name: http, port: 9080, targetPort: 8080}]}
`) as unknown as { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };
    const rawEf = (ns: string, name: string) => ({ apiVersion: ef.apiVersion, kind: ef.kind, metadata: { name, namespace: ns }, spec: ef.spec });

    // Watches from before the baseline on (so the baseline's apiserver also feeds them): SmartLimiters
    // becoming Ready, EnvoyFilters appearing and changing.
    const rv = async (path: string): Promise<string> => (JSON.parse((await c.req('GET', `${path}?limit=1`)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const ready = new Set<string>();
    const efs = new Set<string>();
    let converged: (() => void) | undefined;
    const check = (): void => {
      if (ready.size === count && efs.size === count) converged?.();
    };
    const slWatch = c.watch(`/apis/meshwarden.io/v1alpha1/smartlimiters?watch=true&resourceVersion=${await rv('/apis/meshwarden.io/v1alpha1/smartlimiters')}`, ({ object: o }) => {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      if (o.status?.observedGeneration === o.metadata.generation && o.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) ready.add(key);
      else ready.delete(key);
      check();
    });
    const seen = new Map<string, (t: number) => void>();
    const efWatch = c.watch(`/apis/networking.istio.io/v1alpha3/envoyfilters?watch=true&resourceVersion=${await rv('/apis/networking.istio.io/v1alpha3/envoyfilters')}`, ({ type, object: o }) => {
      const at = performance.now();
      const id = `${o.metadata.namespace}/${o.metadata.name}`;
      if (o.metadata.namespace.startsWith('bench') && type !== 'DELETED') efs.add(id);
      const spec = JSON.stringify(o.spec);
      seen.get(`${id}:${/"max_tokens":(\d+)/.exec(spec)?.[1]}`)?.(at);
      seen.get(`${id}#${(o.spec as { priority?: number } | undefined)?.priority}`)?.(at);
      check();
    });
    await sleep(500);

    // Baseline 1: raw creates of N EnvoyFilters at the operator's concurrency.
    const req0 = await apiRequests(env);
    let cpu0 = cpCpu();
    let t0 = performance.now();
    await parallel(count, concurrency, (i) => c.req('POST', `/apis/networking.istio.io/v1alpha3/namespaces/raw${i % nsCount}/envoyfilters`, rawEf(`raw${i % nsCount}`, `sl${i}-ratelimit`)));
    const rawCreate = { ms: performance.now() - t0, inFlight: concurrency, controlPlaneCpuS: cpCpu() - cpu0, requests: requestsBetween(req0, await apiRequests(env)) };
    console.log(
      `baseline  create ${count} EnvoyFilters, ${concurrency} in flight: ${(rawCreate.ms / 1000).toFixed(1)} s (${((count / rawCreate.ms) * 1000).toFixed(0)}/s), apiserver+etcd CPU ${rawCreate.controlPlaneCpuS.toFixed(1)} s`,
    );
    for (let n = 0; n < nsCount; n++) {
      const r = await c.req('DELETE', `/apis/networking.istio.io/v1alpha3/namespaces/raw${n}/envoyfilters`);
      if (r.status !== 200) throw new Error(r.body);
    }
    // Unowned EnvoyFilters for the watch-latency baseline.
    await parallel(20, 4, (j) => c.req('POST', '/apis/networking.istio.io/v1alpha3/namespaces/rawwatch/envoyfilters', rawEf('rawwatch', `raw${j}`)));

    cpu0 = cpCpu();
    t0 = performance.now();
    await parallel(count, CREATE_IN_FLIGHT, (i) =>
      c.req('POST', `/apis/meshwarden.io/v1alpha1/namespaces/${nsOf(i)}/smartlimiters`, {
        apiVersion: 'meshwarden.io/v1alpha1',
        kind: 'SmartLimiter',
        metadata: { name: `sl${i}`, namespace: nsOf(i) },
        spec: { target: { service: appOf(i) }, limits: [{ name: 'x', rate: { requests: 100, per: '1m' } }] },
      }),
    );
    const slCreate = { ms: performance.now() - t0, inFlight: CREATE_IN_FLIGHT, controlPlaneCpuS: cpCpu() - cpu0 };
    console.log(`setup     create ${count} SmartLimiters, ${CREATE_IN_FLIGHT} in flight: ${(slCreate.ms / 1000).toFixed(1)} s`);

    // Cold start.
    const coldReq0 = await apiRequests(env);
    const cpCpu0 = cpCpu();
    const op = await spawnOperator(env, cli);
    let rssPeak = 0;
    const sampler = setInterval(() => {
      try {
        rssPeak = Math.max(rssPeak, procRss(op.child.pid!).rss);
      } catch {
        /* exited */
      }
    }, 250);
    const done = new Promise<void>((r) => (converged = r));
    check();
    const timedOut = await Promise.race([done.then(() => false), sleep(600_000).then(() => true)]);
    if (timedOut) throw new Error(`not converged in 600 s: ${ready.size} Ready, ${efs.size} EnvoyFilters`);
    const convergedAt = performance.now();
    const cold = {
      ms: convergedAt - op.spawnedAt,
      cacheSyncMs: op.readyAt - op.spawnedAt,
      operatorCpuS: procCpuSeconds(op.child.pid!),
      controlPlaneCpuS: cpCpu() - cpCpu0,
      rssMB: procRss(op.child.pid!).rss,
      rssPeakMB: Math.max(rssPeak, procRss(op.child.pid!).hwm),
      requests: requestsBetween(coldReq0, await apiRequests(env)),
    };
    console.log(
      `operator  cold start: all ${count} Ready with their EnvoyFilters ${(cold.ms / 1000).toFixed(1)} s after spawn (caches synced at ${(cold.cacheSyncMs / 1000).toFixed(1)} s); ` +
        `operator CPU ${cold.operatorCpuS.toFixed(1)} s (${((cold.operatorCpuS / count) * 1000).toFixed(2)} ms per SmartLimiter), apiserver+etcd CPU ${cold.controlPlaneCpuS.toFixed(1)} s; RSS ${cold.rssMB.toFixed(0)} MB (peak ${cold.rssPeakMB.toFixed(0)} MB)`,
    );
    console.log(
      `          apiserver requests during the cold start: ${Object.entries(cold.requests)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
    console.log(`ratio     cold start / raw create of ${count} EnvoyFilters: ${(cold.ms / rawCreate.ms).toFixed(2)}`);

    // Steady state, interleaved: an operator change, then a raw one.
    const timeChange = async (key: string, send: () => Promise<{ status: number; body: string }>): Promise<number> => {
      const got = new Promise<number>((r) => seen.set(key, r));
      const t = performance.now();
      const res = await send();
      if (res.status !== 200) throw new Error(res.body);
      const at = await Promise.race([got, sleep(10_000).then(() => NaN)]);
      seen.delete(key);
      return at - t;
    };
    const opLat: number[] = [];
    const rawLat: number[] = [];
    const opCpu0 = procCpuSeconds(op.child.pid!);
    for (let k = 0; k < changes; k++) {
      const i = (k * 7) % count;
      const requests = 200 + k;
      opLat.push(
        await timeChange(`${nsOf(i)}/sl${i}-ratelimit:${requests}`, () =>
          c.req(
            'PATCH',
            `/apis/meshwarden.io/v1alpha1/namespaces/${nsOf(i)}/smartlimiters/sl${i}`,
            { spec: { limits: [{ name: 'x', rate: { requests, per: '1m' } }] } },
            'application/merge-patch+json',
          ),
        ),
      );
      await sleep(10);
      const j = k % 20;
      // A priority the rendered object never has, so every PATCH changes the object (a no-op PATCH sends no event).
      const priority = 1_000_000 + k;
      rawLat.push(
        await timeChange(`rawwatch/raw${j}#${priority}`, () =>
          c.req('PATCH', `/apis/networking.istio.io/v1alpha3/namespaces/rawwatch/envoyfilters/raw${j}`, { spec: { priority } }, 'application/merge-patch+json'),
        ),
      );
      await sleep(10);
    }
    slWatch.close();
    efWatch.close();
    const okOp = opLat.filter(Number.isFinite);
    const okRaw = rawLat.filter(Number.isFinite);
    const stats = (xs: number[]) => ({ n: xs.length, p50: q(xs, 50), p90: q(xs, 90), p99: q(xs, 99), max: Math.max(...xs) });
    const steady = { changes, operator: stats(okOp), raw: stats(okRaw), operatorCpuMsPerChange: ((procCpuSeconds(op.child.pid!) - opCpu0) / changes) * 1000 };
    console.log(
      `operator  CR change → EnvoyFilter watch event (${okOp.length}/${changes}): p50 ${steady.operator.p50.toFixed(1)} ms, p99 ${steady.operator.p99.toFixed(1)} ms, max ${steady.operator.max.toFixed(1)} ms; operator CPU ${steady.operatorCpuMsPerChange.toFixed(1)} ms per change`,
    );
    console.log(
      `baseline  EnvoyFilter PATCH → its watch event (${okRaw.length}/${changes}): p50 ${steady.raw.p50.toFixed(1)} ms, p99 ${steady.raw.p99.toFixed(1)} ms, max ${steady.raw.max.toFixed(1)} ms`,
    );
    const end = procRss(op.child.pid!);
    const m = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
    const metric = (name: string): number =>
      m
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
    clearInterval(sampler);
    const exit = await op.stop();
    return {
      count,
      namespaces: nsCount,
      workloads: nsCount * workloads,
      perWorkload,
      concurrency,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
      rawCreate,
      slCreate,
      cold,
      steady,
      rssEndMB: end.rss,
      rssPeakMB: end.hwm,
      reconciles: metric('controller_runtime_reconcile_total'),
      writes: metric('meshwarden_writes_total'),
      heapUsedMB: metric('nodejs_heap_size_used_bytes') / 2 ** 20,
      operatorExit: exit,
    };
  } finally {
    await env.stop();
  }
}

const cli = compiledCli();
if (!existsSync(cli)) throw new Error(`no compiled CLI at ${cli}`);
const runs: Array<Record<string, unknown>> = [];
for (const count of counts) runs.push(await runOnce(count, cli));
if (runs.length > 1) {
  const a = runs[0]!;
  console.log('\ngrowth per scale step (1 = linear, < 1 better):');
  for (const r of runs.slice(1)) {
    const k = (r['count'] as number) / (a['count'] as number);
    const cold = (x: Record<string, unknown>) => x['cold'] as { ms: number; operatorCpuS: number; rssMB: number };
    const raw = (x: Record<string, unknown>) => (x['rawCreate'] as { ms: number }).ms;
    const p99 = (x: Record<string, unknown>) => (x['steady'] as { operator: { p99: number } }).operator.p99;
    console.log(
      `  ×${k}: cold start time ${growth(cold(a).ms, cold(r).ms, k).toFixed(2)} (raw create ${growth(raw(a), raw(r), k).toFixed(2)}), operator CPU ${growth(cold(a).operatorCpuS, cold(r).operatorCpuS, k).toFixed(2)}, ` +
        `RSS ${(cold(r).rssMB / cold(a).rssMB).toFixed(2)}× for ${k}× the objects, change p99 ${(p99(r) / p99(a)).toFixed(2)}×`,
    );
  }
}
writeResult(values.json, 'operator', { runs });
process.exit(0);
