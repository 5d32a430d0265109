/**
 * `lint --changed-since REF`: the files changed between a git ref and the working tree, so a large
 * repository lints only what a change touched (docs/adr/0119-changed-since-and-ci-integrations.md).
 * Changed means added, modified, renamed or copied (under its new name) since REF, staged or not, plus
 * untracked files git does not ignore; deleted files have nothing to lint. git runs without a shell.
 */
import { execFile } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why the changed files cannot be known: a usage error (exit 2), one line. */
export class ChangedFilesError extends Error {}

class GitFailed extends ChangedFilesError {}

async function git(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new ChangedFilesError('--changed-since needs git, which is not on the PATH');
    const said = (err.stderr ?? '').trim().split('\n')[0];
    throw new GitFailed(said ? `git: ${said}` : `git ${args[0]} exited with code ${String(err.code)}`);
  }
}

/**
 * Absolute, symlink-free paths of the files changed since `ref` in the git work trees holding the
 * given paths (each path's own repository, not the current directory's: `lint --changed-since main
 * ../other-repo/manifests` asks other-repo's git).
 */
export async function changedFiles(ref: string, paths: readonly string[], cwd: string): Promise<Set<string>> {
  // A ref that looks like an option would be read by git as one.
  if (ref === '' || ref.startsWith('-')) throw new ChangedFilesError(`--changed-since needs a git ref (a branch, tag or commit), not "${ref}"`);
  const tops = new Set<string>();
  for (const p of paths) tops.add(await topLevel(await existingDirectory(resolve(cwd, p))));
  const changed = new Set<string>();
  for (const top of tops) for (const f of await changedIn(top, ref)) changed.add(f);
  return changed;
}

async function topLevel(dir: string): Promise<string> {
  const out = await git(['rev-parse', '--show-toplevel'], dir).catch((e: unknown) => {
    throw e instanceof GitFailed ? new ChangedFilesError(`--changed-since: ${dir} is not inside a git work tree (${e.message})`) : e;
  });
  return out.trim();
}

/** The directory git runs in for a path: the path if a directory, else the nearest existing parent (a missing path is reported by lint itself). */
async function existingDirectory(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    const s = await stat(p).catch(() => undefined);
    if (s) return s.isDirectory() ? p : dirname(p);
    if (dirname(p) === p) return p;
  }
}

async function changedIn(top: string, ref: string): Promise<string[]> {
  await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).catch((e: unknown) => {
    throw e instanceof GitFailed
      ? new ChangedFilesError(`--changed-since: "${ref}" is not a commit of the repository at ${top} (a shallow clone may lack it: fetch it, e.g. actions/checkout with fetch-depth: 0)`)
      : e;
  });
  // -z: names verbatim (no quoting of unusual characters); --diff-filter=d: everything but deletions.
  const [diffed, untracked] = await Promise.all([git(['diff', '--name-only', '-z', '--diff-filter=d', ref, '--'], top), git(['ls-files', '--others', '--exclude-standard', '-z'], top)]);
  const names = [...diffed.split('\0'), ...untracked.split('\0')].filter((n) => n !== '');
  return Promise.all(names.map((n) => canonical(join(top, n))));
}

/** The path with symlinks resolved (git reports the real top level; the user may name a symlinked one). */
export async function canonical(path: string, cwd = '/'): Promise<string> {
  const absolute = resolve(cwd, path);
  try {
    return await realpath(absolute);
  } catch {
    return absolute;
  }
}
