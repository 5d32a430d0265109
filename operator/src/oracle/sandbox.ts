/**
 * The oracle's sandbox: Envoy judges untrusted configuration inside bubblewrap (`bwrap`),
 * in fresh namespaces (no network but its own loopback, its own PIDs, IPC, hostname and
 * user), with a read-only root that holds only the Envoy binary, the shared libraries it
 * links (from `ldd`), the bootstrap, and private /dev and /proc. The host's files
 * (/etc/passwd, the repository, credentials) do not exist in there, and nothing written
 * there reaches the host. Why bubblewrap: docs/adr/0103-sandboxed-envoy-oracle.md.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EnvoyUnavailableError } from './envoy-errors.js';

/** The sandbox tool is missing or cannot create namespaces here. */
export class SandboxUnavailableError extends EnvoyUnavailableError {
  override name = 'SandboxUnavailableError';
}

export const sandboxFix =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; scripts/setup-validator.sh does it), ' +
  'or pass --unsandboxed-oracle to run Envoy directly on this host (unsafe for untrusted input: see docs/security.md)';

/** Where the bootstrap directory and the binary appear inside the sandbox. */
export const sandboxConfigDir = '/oracle/config';
const sandboxEnvoy = '/oracle/envoy';

/** Largest file Envoy may write (its stdout/stderr file included): a printing Lua loop cannot fill the disk. */
export const maxOutputBytes = 4 * 1024 * 1024;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The shared libraries (and the loader) `ldd` lists for a trusted binary; [] for a static one. */
function linkedLibraries(binary: string): string[] {
  const run = spawnSync('ldd', [binary], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (run.error) throw new SandboxUnavailableError(`cannot list the libraries of ${binary} (ldd: ${run.error.message}); ${sandboxFix}`);
  if (/not a dynamic executable|statically linked/.test(`${run.stdout}${run.stderr}`)) return [];
  if (run.status !== 0) throw new SandboxUnavailableError(`ldd ${binary} failed: ${run.stderr.trim().slice(0, 200)}`);
  const libs = new Set<string>();
  for (const line of run.stdout.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
    if (/=>\s*not found/.test(line)) throw new SandboxUnavailableError(`${binary} needs a library this host lacks: ${line.trim()}`);
  }
  return [...libs];
}

export interface SandboxedCommand {
  file: string;
  args: string[];
}

interface Prepared {
  bwrap: string;
  prlimit?: string;
  binds: string[];
}

/** Per binary (path, size, mtime): the probe and `ldd` run once per process. */
const prepared = new Map<string, Prepared>();

function prepare(envoy: string): Prepared {
  let real: string;
  let key: string;
  try {
    real = realpathSync(envoy);
    accessSync(real, constants.X_OK);
    const st = statSync(real);
    key = `${real}:${st.size}:${st.mtimeMs}`;
  } catch (e) {
    throw new EnvoyUnavailableError(`cannot run ${envoy}: ${(e as Error).message} (npm run setup fetches Envoy into .tools/bin, or give the binary with --envoy)`);
  }
  const bwrap = onPath('bwrap');
  if (!bwrap) throw new SandboxUnavailableError(`bubblewrap (bwrap) is not installed, and the oracle runs Envoy only inside a sandbox: ${sandboxFix}`);
  key += `:${bwrap}`;
  const cached = prepared.get(key);
  if (cached) return cached;
  const binds = [real, ...linkedLibraries(real)].flatMap((p, i) => ['--ro-bind', p, i === 0 ? sandboxEnvoy : p]);
  const prlimit = onPath('prlimit');
  const ready: Prepared = { bwrap, binds, ...(prlimit ? { prlimit } : {}) };
  // One probe run: bwrap's own failures (no user namespaces, a seccomp profile) must never
  // be mistaken for Envoy rejecting a configuration, which also exits with 1.
  const probe = build(ready, '/', ['--version']);
  const run = spawnSync(probe.file, probe.args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'], env: minimalEnv() });
  if (run.error || run.status !== 0 || !/version/i.test(run.stdout)) {
    const why = run.error?.message ?? ((run.stderr || run.stdout).trim().split('\n')[0]?.slice(0, 300) || `exit ${run.status ?? run.signal}`);
    // bwrap reports its own failures as `bwrap: …`; execvp failing means the binary, not the sandbox.
    if (!run.error && /^bwrap: /.test(why) && !/^bwrap: execvp/.test(why)) {
      throw new SandboxUnavailableError(`bubblewrap cannot create the oracle's sandbox on this host (${why}); ${sandboxFix}`);
    }
    throw new EnvoyUnavailableError(`${envoy} does not run as Envoy in the sandbox, which holds only the binary and the libraries ldd lists (${why})`);
  }
  prepared.set(key, ready);
  return ready;
}

function build(p: Prepared, configDir: string, envoyArgs: string[]): SandboxedCommand {
  const bwrapArgs = [
    '--unshare-all', // network (only a loopback that is down), PID, IPC, UTS, cgroup, user
    '--die-with-parent', // a timeout kills bwrap; Envoy goes with it
    '--new-session', // no TIOCSTI into the caller's terminal
    '--cap-drop',
    'ALL',
    '--clearenv', // the host's environment (tokens, cloud credentials) is not Envoy's to read
    ...p.binds,
    '--ro-bind',
    configDir,
    sandboxConfigDir,
    '--dev',
    '/dev', // /dev/null, /dev/stdout → the output file opened by the caller
    '--proc',
    '/proc',
    // Nothing is writable inside (not even /dev/shm): Envoy's validate mode writes no files,
    // and a write that got past the screen cannot fill memory-backed storage.
    '--remount-ro',
    '/',
    '--remount-ro',
    '/dev',
    '--chdir',
    '/',
    sandboxEnvoy,
    ...envoyArgs,
  ];
  if (!p.prlimit) return { file: p.bwrap, args: bwrapArgs };
  return { file: p.prlimit, args: [`--fsize=${maxOutputBytes}`, '--core=0', p.bwrap, ...bwrapArgs] };
}

/**
 * The command that runs `envoy <envoyArgs>` sandboxed, with `configDir` (host path)
 * mounted read-only at `sandboxConfigDir`. Throws SandboxUnavailableError (with the fix)
 * when bubblewrap is missing or cannot create namespaces here.
 */
export function sandboxedEnvoy(envoy: string, configDir: string, envoyArgs: string[]): SandboxedCommand {
  return build(prepare(envoy), configDir, envoyArgs);
}

/** The environment the sandbox tool itself runs with (Envoy's is cleared inside). */
export function minimalEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
}
