/** Runs a real Envoy binary in validate mode: it builds every listener, filter and cluster of a static config. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EnvoyVerdict {
  ok: boolean;
  /** Envoy's reason, when it rejects the config. */
  error?: string;
}

/** Thrown when the binary cannot be run at all (missing, not executable, killed, timed out). */
export class EnvoyUnavailableError extends Error {}

export function envoyValidate(envoy: string, bootstrap: unknown, timeoutMs = 30_000): EnvoyVerdict {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-oracle-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(bootstrap));
    const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--log-level', 'critical', '--disable-hot-restart'], {
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    if (run.error) throw new EnvoyUnavailableError(`cannot run ${envoy}: ${run.error.message}`);
    if (run.status === 0) return { ok: true };
    if (run.status !== 1) throw new EnvoyUnavailableError(`${envoy} exited with ${run.status ?? run.signal}: ${(run.stderr || run.stdout).trim().slice(0, 500)}`);
    return { ok: false, error: reason(`${run.stdout}\n${run.stderr}`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
