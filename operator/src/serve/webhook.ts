/**
 * The admission webhook inside `meshwarden serve`: an extra server on every replica, fed
 * with the controller's informer caches; or alone (`--webhook-only`), with no cluster facts
 * and the configured Istio versions.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { createWebhookServer, webhookOptionsFromFlags } from '../webhook/index.js';
import type { ServeFlags } from './flags.js';
import type { ExtraServer, ServeContext } from './serve.js';

/** The webhook as one of serve's extra servers. */
export async function webhookExtraServer(ctx: ServeContext): Promise<ExtraServer> {
  const flags = ctx.flags;
  const server = createWebhookServer({
    ...webhookOptionsFromFlags(flags.webhookValues, process.env),
    context: ctx.evaluationContext,
    ...(flags.istioVersions.length > 0 ? { istioVersions: flags.istioVersions } : {}),
    registry: ctx.metrics.registry,
    logger: ctx.log.child({ component: 'webhook' }),
  });
  const { port } = await server.start();
  ctx.log.info({ port }, 'admission webhook listening');
  return { name: 'webhook', ready: () => server.ready(), close: () => server.stop() };
}

/** `serve --webhook-only`: the webhook serves its own /healthz, /readyz and /metrics; runs until SIGTERM. */
export async function serveWebhookOnly(flags: ServeFlags): Promise<number> {
  const log = pino({ level: flags.logLevel, base: { pid: process.pid } });
  const server = createWebhookServer({
    ...webhookOptionsFromFlags(flags.webhookValues, process.env),
    ...(flags.istioVersions.length > 0 ? { istioVersions: flags.istioVersions } : {}),
    registry: new Registry(),
    logger: log.child({ component: 'webhook' }),
  });
  const { port } = await server.start();
  log.info({ port }, 'admission webhook listening (webhook only)');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  log.info('shutting down');
  await server.stop();
  return 0;
}
