/**
 * The admission webhook inside `meshwarden serve`: an extra server on every replica, fed
 * with the controller's informer caches; or alone (`--webhook-only`), with no cluster facts
 * and the configured Istio versions. In both, /readyz turns ready only once the evaluation
 * workers are warm, and the webhook's metrics are served on --metrics-bind-address (plain
 * HTTP, as the operator's), never on the webhook's own port.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { KubeClient } from '../controller/kube.js';
import { caInjectionFromFlags, createWebhookServer, patchCaBundle, syncCertificateSecret, webhookOptionsFromFlags, type WebhookServer } from '../webhook/index.js';
import { parseBindAddress, type ServeFlags } from './flags.js';
import { startProbeServer, type Listening } from './http.js';
import { loadKubeConfig, type ExtraServer, type ServeContext } from './serve.js';

/**
 * Starts the server with its certificate in place: first copied from `--cert-secret` (shared by
 * all replicas, generated there by the first one), and afterwards the CA patched into
 * `--webhook-configuration`'s caBundle. Without those flags, plain `server.start()`.
 */
async function startWithCertificates(server: WebhookServer, flags: ServeFlags, kubeConfig: () => KubeConfig, log: Logger): Promise<{ port: number; stop: () => void }> {
  const inject = caInjectionFromFlags(flags.webhookValues);
  const opts = webhookOptionsFromFlags(flags.webhookValues, process.env);
  const kube = inject.certSecret || inject.webhookConfiguration ? new KubeClient(kubeConfig()) : undefined;
  const syncSecret = async (): Promise<void> => {
    if (!kube || !inject.certSecret) return;
    const r = await syncCertificateSecret(kube, inject.certSecret, opts.certDir, { dnsNames: opts.dnsNames ?? [] });
    const secret = `${inject.certSecret.namespace}/${inject.certSecret.name}`;
    log.info(
      { secret, generated: r.generated, ...(r.replaced ? { replaced: r.replaced } : {}) },
      r.generated ? 'generated the webhook certificate into its Secret' : 'webhook certificate read from its Secret',
    );
    // The server watches --cert-dir and reloads a changed certificate itself.
    if (inject.webhookConfiguration) await patch(r.caPem);
  };
  const patch = async (caPem: string | undefined): Promise<void> => {
    if (!kube || !inject.webhookConfiguration) return;
    if (caPem === undefined) throw new Error(`--webhook-configuration ${inject.webhookConfiguration}: --cert-dir has no ca.crt to put in the caBundle`);
    const r = await patchCaBundle(kube, inject.webhookConfiguration, caPem);
    log.info({ configuration: inject.webhookConfiguration, result: r }, 'caBundle of the ValidatingWebhookConfiguration');
  };
  await syncSecret();
  const { port, caPem } = await server.start();
  if (!inject.certSecret) await patch(caPem);
  // Renewal and repair (a caBundle reset by hand, a Secret emptied): hourly, as every replica.
  const timer = inject.certSecret
    ? setInterval(() => void syncSecret().catch((e: Error) => log.warn({ err: e.message }, 'webhook certificate sync failed; retrying in an hour')), certificateResyncMs).unref()
    : undefined;
  return { port, stop: () => clearInterval(timer) };
}

const certificateResyncMs = 60 * 60_000;

/** The webhook as one of serve's extra servers. */
export async function webhookExtraServer(ctx: ServeContext): Promise<ExtraServer> {
  const flags = ctx.flags;
  const server = createWebhookServer({
    ...webhookOptionsFromFlags(flags.webhookValues, process.env),
    ...flags.webhookPool,
    context: ctx.evaluationContext,
    factsVersion: ctx.factsVersion,
    ...(flags.istioVersions.length > 0 ? { istioVersions: flags.istioVersions } : {}),
    registry: ctx.metrics.registry,
    logger: ctx.log.child({ component: 'webhook' }),
  });
  const { port, stop } = await startWithCertificates(server, flags, () => ctx.kubeConfig, ctx.log);
  ctx.log.info({ port }, 'admission webhook listening');
  return {
    name: 'webhook',
    ready: () => server.ready(),
    close: () => {
      stop();
      return server.stop();
    },
  };
}

/**
 * `serve --webhook-only`: the webhook serves its own /healthz and /readyz (ready once its
 * evaluation workers are warm); /metrics on --metrics-bind-address; runs until SIGTERM.
 */
export async function serveWebhookOnly(flags: ServeFlags): Promise<number> {
  const log = pino({ level: flags.logLevel, base: { pid: process.pid } });
  const registry = new Registry();
  const server = createWebhookServer({
    ...webhookOptionsFromFlags(flags.webhookValues, process.env),
    ...flags.webhookPool,
    ...(flags.istioVersions.length > 0 ? { istioVersions: flags.istioVersions } : {}),
    registry,
    logger: log.child({ component: 'webhook' }),
  });
  const metricsServer = await startMetricsServer(flags, registry, log);
  const { port, stop } = await startWithCertificates(server, flags, () => loadKubeConfig(flags), log);
  log.info({ port }, 'admission webhook listening (webhook only)');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  log.info('shutting down');
  const t0 = Date.now();
  stop();
  await server.stop();
  await metricsServer?.close();
  log.info({ ms: Date.now() - t0 }, 'shut down');
  return 0;
}

/**
 * The metrics port of `--webhook-only`. Metrics are not what the webhook is for: a port already
 * taken is logged, not fatal (`--metrics-bind-address 0` turns it off).
 */
async function startMetricsServer(flags: ServeFlags, registry: Registry, log: Logger): Promise<Listening | undefined> {
  const addr = parseBindAddress(flags.metricsBindAddress);
  if (!addr) return undefined;
  try {
    const m = await startProbeServer({ ...addr, readiness: new Map(), probes: false, registry });
    log.info({ port: m.port }, 'metrics server listening');
    return m;
  } catch (e) {
    log.error({ err: (e as Error).message, address: flags.metricsBindAddress }, 'metrics server not started; the webhook serves without it');
    return undefined;
  }
}
