/** The `serve` CLI command: flag errors are usage errors (exit 2); otherwise runs until a signal. */
import { FlagError, serveUsage } from './flags.js';
import { serve, type ServeHooks } from './serve.js';

export { serveUsage };

export async function serveCommand(argv: string[], io: { stderr: (t: string) => void }, hooks: ServeHooks = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stderr(`Usage: meshwarden\n${serveUsage}\n`);
    return 0;
  }
  try {
    return await serve(argv, hooks);
  } catch (e) {
    if (e instanceof FlagError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`meshwarden serve: ${(e as Error).message}\n\nUsage: meshwarden\n${serveUsage}\n`);
      return 2;
    }
    throw e;
  }
}
