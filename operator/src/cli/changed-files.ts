/**
 * `lint --changed-since REF`: the files changed between a git ref and the working tree, so a large
 * repository lints only what a change touched (docs/adr/0119-changed-since-and-ci-integrations.md).
 * Changed means added, modified, renamed or copied (under its new name) since REF, staged or not, plus
 * untracked files git does not ignore; deleted files have nothing to lint. git runs without a shell.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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

/** Absolute, symlink-free paths of the files changed since `ref` in the git work tree holding `cwd`. */
export async function changedFiles(ref: string, cwd: string): Promise<Set<string>> {
  // A ref that looks like an option would be read by git as one.
  if (ref === '' || ref.startsWith('-')) throw new ChangedFilesError(`--changed-since needs a git ref (a branch, tag or commit), not "${ref}"`);
  const top = (
    await git(['rev-parse', '--show-toplevel'], cwd).catch((e: unknown) => {
      throw e instanceof GitFailed ? new ChangedFilesError(`--changed-since: ${cwd} is not inside a git work tree (${e.message})`) : e;
    })
  ).trim();
  await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).catch((e: unknown) => {
    throw e instanceof GitFailed
      ? new ChangedFilesError(`--changed-since: "${ref}" is not a commit of the repository at ${top} (a shallow clone may lack it: fetch it, e.g. actions/checkout with fetch-depth: 0)`)
      : e;
  });
  // -z: names verbatim (no quoting of unusual characters); --diff-filter=d: everything but deletions.
  const [diffed, untracked] = await Promise.all([git(['diff', '--name-only', '-z', '--diff-filter=d', ref, '--'], top), git(['ls-files', '--others', '--exclude-standard', '-z'], top)]);
  const names = [...diffed.split('\0'), ...untracked.split('\0')].filter((n) => n !== '');
  return new Set(await Promise.all(names.map((n) => canonical(join(top, n)))));
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
