/**
 * What every benchmark shares: the machine it ran on, the load the other work put on it,
 * whole-process timing of other programs (wall, user and system CPU, peak RSS, from GNU time),
 * percentiles, and the machine-readable result file `scripts/bench.sh` collects.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../e2e/harness/controlplane.js';

export interface Machine {
  cpus: number;
  model: string;
  memGiB: number;
  node: string;
  kernel: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release() };
}

/** 1, 5 and 15 minute load averages, two decimals. */
export function loadavg(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface ProcessRun {
  code: number;
  wallS: number;
  /** User + system CPU seconds of the process and its threads (children included, as wait4 counts them). */
  cpuS: number;
  maxRssMB: number;
  stdout: string;
  stderr: string;
}

export const haveGnuTime = existsSync('/usr/bin/time');

/**
 * Runs a program to completion under GNU time (`-f '%e %U %S %M'`), bounded by `timeoutMs`,
 * so its whole life is counted: start, reading, work, output. Without /usr/bin/time (Debian
 * package `time`) only the wall time is known and cpuS is NaN.
 */
export async function timeProcess(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcessRun> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mw-bench-time-'));
  const out = join(dir, 'time');
  const [bin, argv] = haveGnuTime ? ['/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  try {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(bin, argv, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
      });
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!haveGnuTime) return { ...r, wallS: wall, cpuS: NaN, maxRssMB: NaN };
    const [e, u, s, m] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
    return { ...r, wallS: e, cpuS: u + s, maxRssMB: m / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** User + system CPU seconds a running process has used so far, from /proc (clock ticks of 10 ms). */
export function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * User + system CPU of a process and its live children, ms (Linux /proc; clock ticks of 10 ms):
 * the webhook judges in worker processes (ADR 0101), so its own cpuUsage() misses most of it.
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fields: string[];
    try {
      const text = readFileSync(`/proc/${p}/stat`, 'utf8');
      fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12).
    if (Number(p) === pid || Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** A webhook bench's server under test, in a child process: its port, its process tree's CPU, stop. */
export interface BenchServer {
  port: number;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** The parent side: waits for the forked server's port (see {@link serveBenchControl}). */
export async function benchServer(child: ChildProcess): Promise<BenchServer> {
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  return {
    port,
    cpuMs: () =>
      new Promise((resolve) => {
        child.once('message', (m: { cpuMs: number }) => resolve(m.cpuMs));
        child.send('cpu');
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

/**
 * The server side: reports `port` to the parent, answers 'cpu' with the CPU of this process and
 * its children (the webhook judges in worker processes), exits on anything else.
 */
export function serveBenchControl(port: number): void {
  process.send!({ port });
  process.on('message', (m) => {
    if (m === 'cpu') process.send!({ cpuMs: treeCpuMs(process.pid) });
    else process.exit(0);
  });
}

/** POSTs `body` to the webhook under test at 127.0.0.1:`port` over `agent`; resolves with the status and the answer. */
export function postValidate(agent: https.Agent, port: number, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/validate', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Current and peak resident set size of a running process, MB. */
export function procRss(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Writes a benchmark's result as JSON (with the machine and a timestamp) when a path was given. */
export function writeResult(path: string | undefined, bench: string, data: Record<string, unknown>): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ bench, finishedAt: new Date().toISOString(), machine: machine(), ...data }, null, 2) + '\n');
}

/** Growth of a cost when the load grows by `loadFactor`: 1 is linear, below 1 better than linear. */
export function growth(cost1: number, costN: number, loadFactor: number): number {
  return costN / cost1 / loadFactor;
}

/**
 * The compiled CLI (tsc into .tools/bench-build beside links to the package's data), rebuilt when
 * a source is newer: the whole-process figure is meant for the program users run, not for tsx
 * compiling TypeScript on the fly. The build does not touch dist/ (bin/meshwarden.js prefers it).
 */
export function compiledCli(): string {
  const out = join(REPO_ROOT, '.tools', 'bench-build');
  const bin = join(out, 'operator', 'src', 'cli', 'bin.js');
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts'))
        .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
    );
  if (existsSync(bin) && statSync(bin).mtimeMs > newest(join(REPO_ROOT, 'operator', 'src'))) return bin;
  mkdirSync(out, { recursive: true });
  for (const f of ['package.json', 'schemas', 'crds', 'envoy-templates', 'node_modules', '.tools']) {
    const link = join(out, f);
    if (!existsSync(link)) execFileSync('ln', ['-sfn', join('..', '..', f), link]);
  }
  console.log('compiling the CLI into .tools/bench-build (tsc) ...');
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', out], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // tsc emits despite type errors (another change in progress); the run below proves the build works.
  }
  if (!existsSync(bin)) throw new Error(`tsc produced no ${bin}`);
  return bin;
}
