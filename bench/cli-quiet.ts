import { main } from '../operator/src/cli/main.js';

/** Runs the CLI in-process, discarding its output; returns the exit code. */
export function runCliQuiet(args: string[], stdin: string): Promise<number> {
  return main(args, { stdout: () => {}, stderr: () => {}, readStdin: async () => stdin });
}
