/** Runs the CLI as a process. */
import { main } from './main.js';
import { readStream } from './inputs.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readStream(process.stdin),
});
