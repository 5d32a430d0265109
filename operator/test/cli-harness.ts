/** Runs the CLI in-process, capturing what it prints. */
import { main } from '../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], stdin = '', cwd?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => stdin,
    ...(cwd !== undefined ? { cwd } : {}),
  });
  return { code, stdout, stderr };
}
