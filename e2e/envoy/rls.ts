/**
 * The real global rate limit service on loopback: redis-server (Debian) and envoyproxy/ratelimit
 * (built from its Go module by scripts/build-ratelimit.sh), loading the ConfigMap data the
 * renderer produced as files in its runtime directory.
 *
 *   const rls = await startRateLimitService(configMap.data);   // rls.grpcPort
 *   await rls.stop();                                          // always
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, request, track } from './harness.js';

export const RATELIMIT_BIN = join(REPO_ROOT, '.tools', 'bin', 'ratelimit');

/** Path of redis-server, or a path that does not exist. */
export function redisServerPath(): string {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.stdout.trim() || '/usr/bin/redis-server';
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write('PING\r\n'));
    sock.setTimeout(1000, () => (sock.destroy(), ok(false)));
    sock.on('data', (d) => (sock.destroy(), ok(d.toString().startsWith('+PONG'))));
    sock.on('error', () => ok(false));
  });
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  track(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  let exited = false;
  const done = new Promise<void>((ok) => child.on('exit', () => ((exited = true), ok())));
  return {
    child,
    output: () => out,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

async function waitFor(what: string, proc: Proc, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${what} exited:\n${proc.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${ms / 1000} s:\n${proc.output().slice(-4000)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

export interface RateLimitService {
  grpcPort: number;
  httpPort: number;
  redisPort: number;
  output: () => string;
  stop: () => Promise<void>;
  /** Replaces the ConfigMap's data the way kubelet updates a mounted volume. */
  update: (files: Record<string, string>) => void;
  /** The service's loaded configuration (debug endpoint /rlconfig). */
  rlconfig: () => Promise<string>;
}

let generation = 0;

/**
 * Writes ConfigMap data as kubelet's atomic writer does: the files live in a timestamped
 * dot-directory, `..data` is a symlink to it (swapped by rename on update), and each key is a
 * symlink `<key> -> ..data/<key>`. The service runs with RUNTIME_IGNOREDOTFILES=true so it
 * reads each key once, through its symlink.
 */
export function writeConfigMapVolume(dir: string, files: Record<string, string>): void {
  const ts = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${generation++}`;
  mkdirSync(join(dir, ts));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, ts, name), text);
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Starts Redis and the rate limit service with `files` (ConfigMap data: file name → YAML) as its config. */
export async function startRateLimitService(files: Record<string, string>): Promise<RateLimitService> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-rls-'));
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redisPort = await freePort();
    const redis = run(redisServerPath(), ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes']);
    procs.push(redis);
    await waitFor('redis-server', redis, () => ping(redisPort));

    // The ConfigMap mounted at RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config, laid out as kubelet does.
    const configDir = join(dir, 'runtime', 'ratelimit', 'config');
    mkdirSync(configDir, { recursive: true });
    writeConfigMapVolume(configDir, files);
    const [grpcPort, httpPort, debugPort] = [await freePort(), await freePort(), await freePort()];
    const rls = run(RATELIMIT_BIN, [], {
      RUNTIME_ROOT: join(dir, 'runtime'),
      RUNTIME_SUBDIRECTORY: 'ratelimit',
      RUNTIME_WATCH_ROOT: 'false',
      RUNTIME_IGNOREDOTFILES: 'true',
      USE_STATSD: 'false',
      LOG_LEVEL: 'warn',
      REDIS_SOCKET_TYPE: 'tcp',
      REDIS_URL: `127.0.0.1:${redisPort}`,
      HOST: '127.0.0.1',
      PORT: String(httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      DEBUG_HOST: '127.0.0.1',
      DEBUG_PORT: String(debugPort),
    });
    procs.push(rls);
    await waitFor('ratelimit', rls, async () => (await request(httpPort, '/healthcheck').catch(() => undefined))?.status === 200);
    // The config is loaded: the debug endpoint lists the domain's rate limits.
    await waitFor('ratelimit config', rls, async () => {
      const r = await request(debugPort, '/rlconfig').catch(() => undefined);
      return r?.status === 200 && r.body.trim().length > 0;
    });
    return {
      grpcPort,
      httpPort,
      redisPort,
      output: rls.output,
      stop,
      update: (next) => writeConfigMapVolume(configDir, next),
      rlconfig: async () => (await request(debugPort, '/rlconfig')).body,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
