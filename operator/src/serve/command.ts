/** The `serve` CLI command: flag errors are usage errors (exit 2); otherwise runs until a signal. */
import { FlagError, parseServeFlags, serveUsage } from './flags.js';
import { serve, type ServeHooks } from './serve.js';
import { serveWebhookOnly, webhookExtraServer } from './webhook.js';
import { WebhookFlagError, caInjectionFromFlags, webhookOptionsFromFlags } from '../webhook/index.js';
import { selectIstioVersions } from '../versions/select.js';

export { serveUsage };

export async function serveCommand(argv: string[], io: { stderr: (t: string) => void }, hooks: ServeHooks = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stderr(`Usage: meshwarden\n${serveUsage}\n`);
    return 0;
  }
  try {
    const flags = parseServeFlags(argv);
    for (const w of selectIstioVersions(flags.istioVersions).warnings) io.stderr(`meshwarden serve: warning: ${w}\n`);
    if (flags.webhook !== 'off') {
      // Flag errors before anything starts.
      webhookOptionsFromFlags(flags.webhookValues, process.env);
      caInjectionFromFlags(flags.webhookValues);
    }
    if (flags.webhook === 'only') return await serveWebhookOnly(flags);
    const extraServers = [...(flags.webhook === 'on' ? [webhookExtraServer] : []), ...(hooks.extraServers ?? [])];
    return await serve(argv, { ...hooks, extraServers });
  } catch (e) {
    if (e instanceof FlagError || e instanceof WebhookFlagError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`meshwarden serve: ${(e as Error).message}\n\nUsage: meshwarden\n${serveUsage}\n`);
      return 2;
    }
    throw e;
  }
}
