/**
 * Runs the CLI as a process. Whatever happens — a failed import, an exception outside
 * main(), an unhandled rejection — ends in one line on stderr and exit code 2, never in a
 * stack trace (docs/adr/0104-clean-failures-and-bounded-input.md).
 */
import { exitInternalError } from './internal-error.js';

const fail = (e: unknown): never => exitInternalError(e, (t) => process.stderr.write(t));
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// A reader that stops early (`meshwarden render … | head`) closes the pipe: not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : fail(e)));

try {
  const [{ main }, { readStream }] = await Promise.all([import('./main.js'), import('./inputs.js')]);
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: () => readStream(process.stdin),
  });
} catch (e) {
  fail(e);
}
