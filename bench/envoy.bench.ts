/**
 * Envoy throughput with a generated limiter vs the same config without it.
 *
 * A SmartLimiter that never triggers (rate 1e9/s) is rendered by the real renderer; its
 * EnvoyFilter is applied to istiod's baseline and the inbound HCM served on 127.0.0.1
 * (e2e/envoy/harness.ts). The control is the same baseline with none of the patches. Both
 * Envoys (one worker each) sit in front of the same minimal keep-alive backend; a load
 * generator (wrk if installed, else a keep-alive Node client) drives each for `seconds`,
 * the two interleaved (order alternating per round), `rounds` times. Reported: the median
 * requests/s of each side, their ratio, and the median of the per-round ratios.
 *
 * Run: npx tsx bench/envoy.bench.ts [--json FILE] [rounds=5] [seconds=5] [connections=16] [envoy versions...]
 * Traffic only to 127.0.0.1; each run is bounded in time (and the Node client in count).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { bootstrapFor, ENVOYS, renderEnvoyFilter, startEnvoy, type RunningEnvoy } from '../e2e/envoy/harness.js';
import { loadavg, median, procCpuSeconds, writeResult } from './lib.js';

const argv = process.argv.slice(2);
const jsonAt = argv.indexOf('--json');
const jsonPath = jsonAt >= 0 ? argv.splice(jsonAt, 2)[1] : undefined;
const rounds = Math.min(Number(argv[0] ?? 5), 20);
const seconds = Math.min(Number(argv[1] ?? 5), 30);
const connections = Math.min(Number(argv[2] ?? 16), 64);
const only = argv.slice(3);

const limiter = `
apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: reviews, namespace: bookinfo}
spec:
  target: {service: reviews}
  limits:
  - name: never
    port: 9080
    rate: {requests: 1000000000, per: 1s}
    burst: 1000000
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 8080}]
`;

/** A minimal HTTP/1.1 keep-alive backend: one canned 200 per request head (GETs without a body). */
async function fastBackend(): Promise<{ port: number; close: () => Promise<void> }> {
  const reply = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let pending = '';
    s.on('data', (d) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(i + 4);
        s.write(reply);
      }
    });
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((ok) => (sockets.forEach((s) => s.destroy()), server.close(() => ok()))),
  };
}

const haveWrk = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim() !== '';

interface Run {
  /** Requests per wall-clock second. */
  rps: number;
  /** Requests per second of Envoy CPU time: steadier than wall time on a shared machine. */
  perCpu: number;
}

async function measure(e: RunningEnvoy): Promise<Run> {
  const cpu0 = procCpuSeconds(e.pid);
  const { rps, requests } = await load(e.port);
  return { rps, perCpu: requests / Math.max(procCpuSeconds(e.pid) - cpu0, 0.01) };
}

/** Requests/s of a fixed-duration load on 127.0.0.1:port; non-2xx answers fail the run. */
async function load(port: number): Promise<{ rps: number; requests: number }> {
  if (haveWrk) {
    // Asynchronous: the backend runs in this process's event loop.
    const r = await new Promise<{ stdout: string; stderr: string }>((ok) => {
      const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
      child.on('exit', () => (clearTimeout(kill), ok({ stdout, stderr })));
    });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
    const requests = /(\d+) requests in/.exec(r.stdout)?.[1];
    if (!rps || !requests || /Non-2xx/.test(r.stdout)) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
    return { rps: Number(rps), requests: Number(requests) };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const end = Date.now() + seconds * 1000;
  const cap = 2_000_000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < end && done < cap) {
      await new Promise<void>((ok, fail) =>
        http
          .get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
            if (res.statusCode !== 200) fail(new Error(`status ${res.statusCode}`));
            res.resume();
            res.on('end', () => ok());
          })
          .on('error', fail),
      );
      done++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  return { rps: done / ((Date.now() - t0) / 1000), requests: done };
}

const ef = renderEnvoyFilter(limiter);
const results: Array<Record<string, unknown>> = [];
console.log(`load: ${haveWrk ? 'wrk -t1' : 'Node keep-alive client'}, ${connections} connections, ${seconds} s per run, ${rounds} interleaved rounds; Envoy --concurrency 1`);
for (const build of ENVOYS.filter((b) => only.length === 0 || only.includes(b.envoy))) {
  if (!existsSync(build.path)) {
    console.log(`skip ${build.envoy}: ${build.path} missing`);
    continue;
  }
  const backend = await fastBackend();
  const entry = { side: 'inbound', port: 8080 } as const;
  const envoys: RunningEnvoy[] = [];
  try {
    const withLimiter = await startEnvoy(build.path, bootstrapFor(ef, build, entry, backend.port));
    envoys.push(withLimiter);
    const without = await startEnvoy(build.path, bootstrapFor(ef, build, entry, backend.port, { withoutPatches: true }));
    envoys.push(without);
    await load(withLimiter.port); // warm-up, not counted
    await load(without.port);
    const w: Run[] = [];
    const wo: Run[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      for (const side of order) (side === 'with' ? w : wo).push(await measure(side === 'with' ? withLimiter : without));
      const a = w.at(-1)!;
      const b = wo.at(-1)!;
      console.log(
        `  ${build.envoy} round ${r + 1}: with ${a.rps.toFixed(0)} req/s (${a.perCpu.toFixed(0)} req/CPU-s), without ${b.rps.toFixed(0)} req/s (${b.perCpu.toFixed(0)} req/CPU-s), ratio ${(a.rps / b.rps).toFixed(3)} (CPU ${(a.perCpu / b.perCpu).toFixed(3)})`,
      );
    }
    const stats = await withLimiter.stats('http_local_rate_limit');
    const enabled = Object.entries(stats).find(([k]) => k.endsWith('.http_local_rate_limit.enabled'))?.[1] ?? 0;
    const limited = Object.entries(stats).find(([k]) => k.endsWith('.http_local_rate_limit.rate_limited'))?.[1] ?? 0;
    const loadAfter = loadavg();
    const rpsW = median(w.map((x) => x.rps));
    const rpsWo = median(wo.map((x) => x.rps));
    const ratio = rpsW / rpsWo;
    const perRound = median(w.map((x, i) => x.rps / wo[i]!.rps));
    const cpuRatio = median(w.map((x) => x.perCpu)) / median(wo.map((x) => x.perCpu));
    console.log(
      `Envoy ${build.envoy}: with limiter ${rpsW.toFixed(0)} req/s, without ${rpsWo.toFixed(0)} req/s (medians of ${rounds}); ` +
        `ratio ${ratio.toFixed(3)} (median per-round ratio ${perRound.toFixed(3)}; per Envoy CPU-second ${cpuRatio.toFixed(3)}); target >= 0.95: ${ratio >= 0.95 ? 'met' : 'MISSED'}; ` +
        `limiter evaluated ${enabled} requests, limited ${limited}; load average ${loadAfter.join(' ')}`,
    );
    results.push({
      envoy: build.envoy,
      istio: build.istio,
      rounds,
      seconds,
      connections,
      with: w,
      without: wo,
      rpsWith: rpsW,
      rpsWithout: rpsWo,
      ratio,
      perRoundRatio: perRound,
      cpuRatio,
      evaluated: enabled,
      limited,
      loadavgAfter: loadAfter,
    });
  } finally {
    for (const e of envoys) await e.stop();
    await backend.close();
  }
}
writeResult(jsonPath, 'envoy', { load: haveWrk ? 'wrk -t1' : 'node keep-alive client', runs: results });
