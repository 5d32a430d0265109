/**
 * Runs the real CLI (`node bin/meshwarden.js …`) as a child process and measures it: exit code,
 * output, wall time and peak resident memory. Peak RSS comes from GNU time (`%M`, read from the
 * kernel's rusage when the child is reaped, so it also covers a child that dies on a signal or in
 * an out-of-memory abort); without /usr/bin/time, from polling /proc/<pid>/status VmHWM (the
 * kernel's own high-water mark, so a poll that misses the peak still reads it, unless the
 * process exits between polls).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/controlplane.js';
import { supportedIstioVersions } from '../../operator/src/validate/index.js';
import { cli as cliBounds, type CliBounds } from './bounds.js';

export const CLI = join(REPO_ROOT, 'bin', 'meshwarden.js');
/**
 * The Istio minor every case is judged against: one is enough for the verdict classes and keeps
 * each run short; the newest, so no end-of-life notice adds to the output.
 */
export const newestIstio: string = supportedIstioVersions[supportedIstioVersions.length - 1]!;
const GNU_TIME = '/usr/bin/time';
const maxOutput = 4 * 1024 * 1024;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set in MiB; undefined when it could not be read. */
  peakRssMb: number | undefined;
  /** Killed by the runner for running far past its wall bound. */
  killed: boolean;
}

export interface RunOptions {
  stdin?: string;
  bounds: CliBounds;
  env?: NodeJS.ProcessEnv;
  /** Kill the process group this long after the wall bound (default bounds.ts `cli.killAfterExtraMs`). */
  killAfterExtraMs?: number;
  /** Node's arguments instead of the CLI's (the runner's own tests). */
  nodeArgs?: readonly string[];
}

export async function runCli(args: readonly string[], opts: RunOptions): Promise<CliRun> {
  const dir = await mkdtemp(join(tmpdir(), 'mw-hostile-run-'));
  const rssFile = join(dir, 'rss');
  const useTime = existsSync(GNU_TIME);
  const argv = opts.nodeArgs ? [...opts.nodeArgs] : [CLI, ...args];
  const t0 = performance.now();
  // Its own process group: a kill reaches node under time, and anything it started.
  const child = useTime
    ? spawn(GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...argv], { cwd: REPO_ROOT, detached: true, env: opts.env ?? process.env })
    : spawn(process.execPath, argv, { cwd: REPO_ROOT, detached: true, env: opts.env ?? process.env });
  let hwmKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        const kb = child.pid === undefined ? undefined : vmHwmKb(child.pid);
        if (kb !== undefined) hwmKb = Math.max(hwmKb, kb);
      }, 20);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  child.stdout.on('data', (c: Buffer) => {
    if ((outBytes += c.length) <= maxOutput) out.push(c);
  });
  child.stderr.on('data', (c: Buffer) => {
    if ((errBytes += c.length) <= maxOutput) err.push(c);
  });
  child.stdin.on('error', () => undefined); // a CLI that refuses early closes its stdin
  child.stdin.end(opts.stdin ?? '');
  let killed = false;
  const killer = setTimeout(
    () => {
      killed = true;
      // The CLI first, so that time (its parent) lives to report the peak RSS; then the whole group.
      for (const pid of useTime ? childrenOf(child.pid!) : []) sendSignal(pid, 'SIGKILL');
      setTimeout(() => sendSignal(-child.pid!, 'SIGKILL'), 500).unref();
    },
    opts.bounds.wallMs + (opts.killAfterExtraMs ?? cliBounds.killAfterExtraMs),
  );
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  const wallMs = performance.now() - t0;
  clearTimeout(killer);
  if (poll) clearInterval(poll);
  let peakRssMb: number | undefined = hwmKb > 0 ? hwmKb / 1024 : undefined;
  if (useTime) {
    // "Command terminated by signal 9" may precede the number.
    const kb = /(\d+)\s*$/.exec(readFileSafe(rssFile))?.[1];
    peakRssMb = kb === undefined ? undefined : Number(kb) / 1024;
  }
  await rm(dir, { recursive: true, force: true });
  return { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), wallMs, peakRssMb, killed };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function sendSignal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Direct children of a process (Linux: /proc/<pid>/task/<tid>/children). */
export function childrenOf(pid: number): number[] {
  const tasks = readdirSafe(`/proc/${pid}/task`);
  return tasks.flatMap((tid) => readFileSafe(`/proc/${pid}/task/${tid}/children`).split(/\s+/).filter(Boolean).map(Number));
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  const stat = readFileSafe(`/proc/${pid}/stat`);
  return stat !== '' && !/^\d+ \(.*\) [ZX] /s.test(stat);
}

export function vmHwmKb(pid: number): number | undefined {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSafe(`/proc/${pid}/status`))?.[1];
  return kb === undefined ? undefined : Number(kb);
}

/** Runs `tasks` with at most `n` in flight, results in order. */
export async function inPool<T>(n: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return results;
}
