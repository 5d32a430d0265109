/**
 * Runs a real Envoy binary in validate mode: it builds every listener, filter and cluster of
 * a static config. Runs sandboxed (sandbox.ts) unless the caller opts out; callers screen
 * the config first (screen.ts), the sandbox is the second line.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvoyTimeoutError, EnvoyUnavailableError } from './envoy-errors.js';
import { maxOutputBytes, minimalEnv, sandboxConfigDir, sandboxedEnvoy } from './sandbox.js';

export { EnvoyTimeoutError, EnvoyUnavailableError } from './envoy-errors.js';

export interface EnvoyVerdict {
  ok: boolean;
  /** Envoy's reason, when it rejects the config. */
  error?: string;
}

export interface EnvoyRunOptions {
  /** Wall-clock deadline for one validation (default 30 s). */
  timeoutMs?: number;
  /** Run Envoy directly on the host: only for trusted input (`--unsandboxed-oracle`). */
  unsandboxed?: boolean;
}

const defaultTimeoutMs = 30_000;
/** What is read back of Envoy's output: its verdict is one line. */
const outputReadLimit = 64 * 1024;

export function envoyValidate(envoy: string, bootstrap: unknown, opts: EnvoyRunOptions = {}): EnvoyVerdict {
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-oracle-'));
  try {
    // A directory of its own, so the sandbox mounts the bootstrap and not the output file.
    const configDir = join(dir, 'config');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'bootstrap.json'), JSON.stringify(bootstrap));
    const envoyArgs = (configFile: string) => ['--mode', 'validate', '-c', configFile, '--log-level', 'critical', '--disable-hot-restart'];
    const command = opts.unsandboxed ? { file: envoy, args: envoyArgs(join(configDir, 'bootstrap.json')) } : sandboxedEnvoy(envoy, configDir, envoyArgs(`${sandboxConfigDir}/bootstrap.json`));
    // Stdout and stderr go to a regular file, as a sidecar's go to the container log: Node's
    // 'pipe' stdio is a socketpair, where open('/dev/stdout') fails with ENXIO and Envoy
    // wrongly rejects Istio's default access log path (issue 22).
    const outFile = join(dir, 'output.txt');
    const out = openSync(outFile, 'w+');
    let run;
    try {
      run = spawnSync(command.file, command.args, { stdio: ['ignore', out, out], timeout: timeoutMs, killSignal: 'SIGKILL', env: minimalEnv() });
    } finally {
      closeSync(out);
    }
    const output = readHead(outFile);
    if ((run.error as { code?: string } | undefined)?.code === 'ETIMEDOUT') {
      throw new EnvoyTimeoutError(
        `Envoy did not finish validating within ${timeoutMs / 1000} s and was stopped; the configuration was not judged ` +
          '(a Lua top-level loop can hang Envoy at load: a proxy would hang the same way)',
      );
    }
    if (run.error) throw new EnvoyUnavailableError(`cannot run ${command.file}: ${run.error.message}`);
    if (run.status === 0) return { ok: true };
    const signal = run.signal ?? signalOf(run.status);
    if (signal === 'SIGXFSZ') {
      throw new EnvoyUnavailableError(
        `Envoy wrote more than ${maxOutputBytes} bytes of output while loading the configuration (a Lua top level that prints?) and was stopped; the configuration was not judged`,
      );
    }
    if (run.status !== 1) {
      throw new EnvoyUnavailableError(`${envoy} ended with ${signal ?? run.status} while validating (a crash, not a verdict): ${lastLines(output)}`);
    }
    return { ok: false, error: reason(output) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readHead(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(outputReadLimit);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** bwrap reports a child killed by a signal as exit code 128 + the signal's number. */
function signalOf(status: number | null): string | undefined {
  if (status === null || status <= 128) return undefined;
  return Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0];
}

const lastLines = (output: string) => output.trim().split('\n').slice(-3).join(' ').slice(0, 500);

/** Envoy's own sentence, without the log prefix and the temporary file's name. */
function reason(output: string): string {
  const line = output.split('\n').find((l) => l.includes('error initializing configuration')) ?? output.trim().split('\n').pop() ?? '';
  return line.replace(/^.*error initializing configuration '[^']*': /, '').trim();
}

/** `envoy --version` → `1.36` (major.minor), or undefined when the output is not Envoy's. */
export function envoyMinor(envoy: string): string | undefined {
  const run = spawnSync(envoy, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) throw new EnvoyUnavailableError(`cannot run ${envoy}: ${run.error.message}`);
  return /\/(\d+\.\d+)\.\d+\//.exec(run.stdout)?.[1];
}
