/**
 * Traffic-test harness: a real Envoy in front of a small Node HTTP backend, on 127.0.0.1.
 *
 *   const ef = renderEnvoyFilter(yamlText);                 // the real renderer
 *   const env = await startTraffic(envoy, ef, { side: 'inbound', port: 8080 });
 *   const r = await env.get('/path', { 'x-user': 'a' });    // bounded: one request, 5 s timeout
 *   await env.stop();                                       // always (kills Envoy, closes the backend)
 *
 * The Envoy config is built by the generic path the validator uses: the EnvoyFilter is
 * applied to istiod's baseline with `patchedConfigs`, then `trafficBootstrap` lifts the
 * exact HTTP connection manager istiod would produce onto a loopback listener.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadYaml } from '../../operator/src/yaml/documents.js';
import { render, type MeshwardenResource, type RenderContext } from '../../operator/src/render/index.js';
import { contextFromInputs } from '../../operator/src/cli/facts.js';
import { patchedConfigs, type EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
import { trafficBootstrap, type TrafficEntry } from '../../operator/src/oracle/bootstrap.js';
import type { K8sObject } from '../../operator/src/k8s-object.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO_ROOT, '.tools', 'bin');

/** The two data planes: Envoy 1.36 (Istio 1.28) and 1.39 (Istio 1.31). */
export const ENVOYS = [
  { envoy: '1.36.2', istio: '1.28.0', path: join(BIN, 'envoy-1.36.2') },
  { envoy: '1.39.3', istio: '1.31.0', path: join(BIN, 'envoy-1.39.3') },
] as const;
export type EnvoyBuild = (typeof ENVOYS)[number];

/** `false`, or why the traffic tests are skipped (never skipped with MESHWARDEN_E2E_REQUIRE=1). */
export function skipReason(extra: string[] = []): string | false {
  if (process.env.MESHWARDEN_E2E_REQUIRE === '1') return false;
  const missing = [...ENVOYS.map((e) => e.path), ...extra].filter((p) => !existsSync(p));
  return missing.length === 0 ? false : `missing ${missing.map((p) => p.replace(REPO_ROOT + '/', '')).join(', ')} (run npm run setup; scripts/build-ratelimit.sh for the rate limit service)`;
}

/** Renders a SmartLimiter/EnvoyPlugin (+ Services/Pods in the same YAML stream) with the real renderer. */
export function renderObjects(text: string, extra: Partial<RenderContext> = {}): K8sObject[] {
  const objs = loadYaml(text, 'inline.yaml').objects;
  const ctx = { ...contextFromInputs(objs), ...extra } as RenderContext;
  const res = objs.map((o) => o.value as MeshwardenResource).find((v) => v.kind === 'SmartLimiter' || v.kind === 'EnvoyPlugin');
  if (!res) throw new Error('no SmartLimiter or EnvoyPlugin in the input');
  const out = render(res, ctx);
  const errors = out.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new Error(`render failed: ${errors.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
  return out.objects;
}

export function renderEnvoyFilter(text: string, extra: Partial<RenderContext> = {}): EnvoyFilterObject {
  const ef = renderObjects(text, extra).find((o) => o.kind === 'EnvoyFilter');
  if (!ef) throw new Error('the renderer produced no EnvoyFilter');
  return ef as unknown as EnvoyFilterObject;
}

export interface TrafficOpts {
  /** gRPC cluster name → port on 127.0.0.1 (the rate limit service). */
  grpcPorts?: Record<string, number>;
  /** The same baseline with none of the EnvoyFilter's patches applied (the control). */
  withoutPatches?: boolean;
}

/** The patched config istiod would send for `entry`, as a runnable bootstrap on loopback. */
export function bootstrapFor(ef: EnvoyFilterObject, build: EnvoyBuild, entry: TrafficEntry, backendPort: number, opts: TrafficOpts = {}) {
  const kind = entry.side === 'gateway' ? 'gateway' : 'sidecar';
  const patches = ef.spec?.configPatches ?? [];
  const skipped = opts.withoutPatches ? { skip: new Set(patches.map((_, i) => i)) } : {};
  const configs = patchedConfigs(ef, { istioVersion: build.istio, istioVersions: [build.istio], ...skipped });
  const config = configs.find((c) => c.kind === kind)?.config;
  if (!config) throw new Error(`the EnvoyFilter targets no ${kind}`);
  return trafficBootstrap(config, { entry, backendPort, ...(opts.grpcPorts ? { grpcPorts: opts.grpcPorts } : {}) });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request (bounded by a 5 s timeout) to 127.0.0.1. */
export function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: opts.agent ?? false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`request to 127.0.0.1:${port}${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** The backend: answers 200 with the request it saw (method, url, headers) as JSON. */
export async function startBackend(): Promise<{ port: number; seen: number; close: () => Promise<void> }> {
  const state = { seen: 0 };
  const server = http.createServer((req, res) => {
    state.seen++;
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get seen() {
      return state.seen;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Children still running; killed if the test process exits without stopping them (a crash, a cancelled test). */
const live = new Set<ChildProcess>();
const killLive = () => {
  for (const c of live) c.kill('SIGKILL');
};
process.on('exit', killLive);
// A signal (Ctrl-C, the test runner's timeout) must not leave Envoys or the RLS behind either.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killLive();
    process.kill(process.pid, sig);
  });
}

/** Tracks a child for the exit handler until it exits. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.on('exit', () => live.delete(child));
}

export interface RunningEnvoy {
  pid: number;
  /** Port of the lifted listener. */
  port: number;
  adminPort: number;
  /** Counters from admin /stats whose name contains `filter`. */
  stats(filter: string): Promise<Record<string, number>>;
  log(): string;
  stop(): Promise<void>;
}

/** Starts Envoy on a bootstrap; resolves once admin /ready says LIVE (at most 30 s). */
export async function startEnvoy(binary: string, bootstrap: unknown, opts: { concurrency?: number } = {}): Promise<RunningEnvoy> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-traffic-'));
  const cfg = join(dir, 'envoy.json');
  const adminFile = join(dir, 'admin');
  writeFileSync(cfg, JSON.stringify(bootstrap, null, 1));
  // No hot restart: no shared memory or domain socket that parallel test files or other engineers' Envoys could collide on.
  const child: ChildProcess = spawn(
    binary,
    ['-c', cfg, '--disable-hot-restart', '--admin-address-path', adminFile, '--log-level', 'warn', '--concurrency', String(opts.concurrency ?? 1), '--drain-time-s', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: false },
  );
  track(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  // Set by the exit listener: declared wide so the checks below are not narrowed to the initial null.
  let exited = null as number | string | null;
  const done = new Promise<void>((ok) => child.on('exit', (code, sig) => ((exited = code ?? sig), ok())));
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    let adminPort = 0;
    for (;;) {
      if (exited !== null) throw new Error(`envoy exited (${exited}):\n${output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`envoy not ready within 30 s:\n${output.slice(-4000)}`);
      if (!adminPort && existsSync(adminFile)) adminPort = Number(/:(\d+)$/.exec(readFileSync(adminFile, 'utf8').trim())?.[1] ?? 0);
      if (adminPort) {
        const r = await request(adminPort, '/ready').catch(() => undefined);
        if (r?.status === 200 && r.body.trim() === 'LIVE') break;
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const listeners = JSON.parse((await request(adminPort, '/listeners?format=json')).body) as {
      listener_statuses: Array<{ name: string; local_address: { socket_address: { port_value: number } } }>;
    };
    const port = listeners.listener_statuses.find((l) => l.name === 'meshwarden-traffic')?.local_address.socket_address.port_value;
    if (!port) throw new Error('the traffic listener is not bound');
    return {
      pid: child.pid!,
      port,
      adminPort,
      async stats(filter: string) {
        const r = await request(adminPort, `/stats?filter=${encodeURIComponent(filter)}`);
        const out: Record<string, number> = {};
        for (const line of r.body.split('\n')) {
          const m = /^(\S+): (\d+)$/.exec(line.trim());
          if (m) out[m[1]!] = Number(m[2]);
        }
        return out;
      },
      log: () => output,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A backend and an Envoy serving the rendered EnvoyFilter's HCM; `stop` tears both down. */
export async function startTraffic(build: EnvoyBuild, ef: EnvoyFilterObject, entry: TrafficEntry, opts: TrafficOpts & { concurrency?: number } = {}) {
  const backend = await startBackend();
  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy(build.path, bootstrapFor(ef, build, entry, backend.port, opts), opts.concurrency ? { concurrency: opts.concurrency } : {});
  } catch (e) {
    await backend.close();
    throw e;
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    envoy,
    backend,
    send: (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) => request(envoy.port, path, { ...opts, agent }),
    /** `n` sequential requests (n ≤ 1000), their status codes. */
    async burst(n: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<number[]> {
      if (n > 1000) throw new Error('request loops are bounded at 1000');
      const codes: number[] = [];
      for (let i = 0; i < n; i++) codes.push((await request(envoy.port, path, { ...opts, agent })).status);
      return codes;
    },
    async stop() {
      agent.destroy();
      await envoy.stop();
      await backend.close();
    },
  };
}

export const count = (codes: number[], code: number) => codes.filter((c) => c === code).length;
