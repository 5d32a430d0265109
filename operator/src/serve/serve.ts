/**
 * `meshwarden serve`: the operator process.
 *
 *   informers (every replica) ─► work queues ─► workers (leader only) ─► API server
 *   probe/metrics HTTP server, extra servers such as the admission webhook (every replica)
 *
 * Start-up: extra servers, informers, wait for the caches (then /readyz is ok), campaign for
 * the Lease, start the workers on winning. SIGTERM/SIGINT: stop the queues, finish
 * in-flight reconciles, release the Lease, stop informers, close the servers, exit 0.
 * Losing the Lease exits 1 (as controller-runtime does): the restarted process campaigns again.
 *
 * The seam for servers that run on every replica (not leader-gated), e.g. the webhook:
 *   serve(argv, { extraServers: [async (ctx) => ({ name: 'webhook', ready: () => …, close: async () => … })] })
 * Extra servers start before the informers (so a webhook answers while caches fill) and close last.
 */
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { evaluate, type EvaluationContext } from '../evaluate.js';
import type { K8sObject } from '../k8s-object.js';
import type { Pod, Service } from '../render/context.js';
import { Controller } from '../controller/controller.js';
import { EventRecorder } from '../controller/events.js';
import { ResilientInformer, type InformerScope } from '../controller/informers.js';
import { KubeClient, resources } from '../controller/kube.js';
import { LeaderElector } from '../controller/leader.js';
import { ControllerMetrics } from '../controller/metrics.js';
import type { Caches } from '../controller/caches.js';
import { ResourceReconciler } from '../controller/reconcile-resource.js';
import { SelfWrites } from '../controller/self-writes.js';
import { discoveredIstiods, EffectiveTracker } from '../controller/effective-tracker.js';
import { SynczClient } from '../xds/syncz.js';
import { parseBindAddress, parseServeFlags, type ServeFlags } from './flags.js';
import { startProbeServer, type Check, type Listening } from './http.js';

/** What an extra server gets: shared kubeconfig, logger, metrics registry, the informer caches, and a shutdown signal. */
export interface ServeContext {
  flags: ServeFlags;
  kubeConfig: KubeConfig;
  log: Logger;
  /** `metrics.registry` is the prom-client Registry served on /metrics. */
  metrics: ControllerMetrics;
  /** The operator's informer caches (filled once /readyz reports `informers` ok). */
  caches: Caches;
  /** Cluster facts for evaluate() from the caches (all namespaces), e.g. the webhook's `context` option. */
  evaluationContext: () => EvaluationContext;
  /** Changes whenever the facts {@link evaluationContext} returns change (the webhook's `factsVersion`). */
  factsVersion: () => number;
  signal: AbortSignal;
}

export interface ExtraServer {
  name: string;
  /** Readiness of this server (e.g. its TLS certificate is loaded); part of /readyz. */
  ready(): boolean | string;
  close(): Promise<void>;
}

export interface ServeHooks {
  /** Started on every replica before the informers; closed last on shutdown. */
  extraServers?: Array<(ctx: ServeContext) => Promise<ExtraServer>>;
  /** Overrides process-level behaviour for tests. */
  exit?: (code: number) => void;
}

/** Long enough for the informers' list requests to be on the wire (TLS handshakes take a few event-loop turns). */
const warmUpDelayMs = 100;

/**
 * The first verdict loads the Envoy descriptor sets, compiles the schemas and builds the
 * baselines: seconds of CPU. Done while the API server prepares the informers' lists, that
 * time overlaps the wait instead of following it, shortening a cold start. Only a speed-up:
 * a failure here is logged, and the first reconcile meets it again.
 */
function warmUp(flags: ServeFlags, log: Logger): void {
  const t = Date.now();
  try {
    evaluate(
      {
        apiVersion: 'meshwarden.io/v1alpha1',
        kind: 'SmartLimiter',
        metadata: { name: 'warm-up', namespace: 'default' },
        spec: { target: { workloadSelector: { matchLabels: { app: 'warm-up' } } }, limits: [{ name: 'warm-up', rate: { requests: 1, per: '1s' } }] },
      },
      { services: [], pods: [], ...(flags.istioVersions.length ? { istioVersions: flags.istioVersions } : {}) },
    );
    log.debug({ ms: Date.now() - t }, 'validator warmed up');
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'validator warm-up failed');
  }
}

export function loadKubeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
  else if (env.KUBECONFIG) kc.loadFromDefault();
  else kc.loadFromCluster();
  return kc;
}

export async function serve(argv: string[], hooks: ServeHooks = {}): Promise<number> {
  const flags = parseServeFlags(argv);
  const log = pino({ level: flags.logLevel, base: { pid: process.pid, identity: flags.identity } });
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  const kc = loadKubeConfig(flags);
  const kube = new KubeClient(kc);
  const metrics = new ControllerMetrics();
  const abort = new AbortController();
  const readiness = new Map<string, Check>();
  const listening: Listening[] = [];

  // Probe and metrics servers (one when the addresses are equal).
  const probeAddr = parseBindAddress(flags.healthProbeBindAddress);
  const metricsAddr = parseBindAddress(flags.metricsBindAddress);
  if (probeAddr) {
    const shared = flags.metricsBindAddress === flags.healthProbeBindAddress;
    const s = await startProbeServer({ ...probeAddr, readiness, probes: true, ...(shared ? { registry: metrics.registry } : {}) });
    listening.push(s);
    log.info({ port: s.port, metrics: shared }, 'probe server listening');
    if (!shared && metricsAddr) {
      const m = await startProbeServer({ ...metricsAddr, readiness, probes: false, registry: metrics.registry });
      listening.push(m);
      log.info({ port: m.port }, 'metrics server listening');
    }
  }

  const inf = <T extends K8sObject>(kind: keyof typeof resources, scope?: InformerScope): ResilientInformer<T> =>
    new ResilientInformer<T>(kc, kube, kind, resources[kind], log.child({ informer: kind }), scope);
  const informers = {
    SmartLimiter: inf<K8sObject>('SmartLimiter'),
    EnvoyPlugin: inf<K8sObject>('EnvoyPlugin'),
    EnvoyFilter: inf<K8sObject>('EnvoyFilter'),
    WasmPlugin: inf<K8sObject>('WasmPlugin'),
    Service: inf<Service>('Service'),
    Pod: inf<Pod>('Pod'),
    // Only the rate limit ConfigMaps, by namespace and name: Roles with resourceNames suffice (ADR 0105).
    ConfigMap: inf<K8sObject>('ConfigMap', { namespaces: flags.rateLimitConfigNamespaces, names: flags.rateLimitConfigNames }),
  };
  const all = Object.values(informers) as Array<ResilientInformer<K8sObject>>;
  readiness.set('informers', () => {
    const waiting = all.filter((i) => !i.synced).map((i) => i.kind);
    return waiting.length === 0 ? true : `caches not synced: ${waiting.join(', ')}`;
  });
  const caches: Caches = informers;
  const ctx: ServeContext = {
    flags,
    kubeConfig: kc,
    log,
    metrics,
    caches,
    evaluationContext: () => ({
      services: [...informers.Service.list()],
      pods: [...informers.Pod.list()],
      envoyFilters: informers.EnvoyFilter.list(),
      wasmPlugins: informers.WasmPlugin.list(),
      ...(flags.rateLimitService ? { rateLimitService: flags.rateLimitService } : {}),
      ...(flags.istioVersions.length ? { istioVersions: flags.istioVersions } : {}),
    }),
    factsVersion: () => informers.Service.changes + informers.Pod.changes + informers.EnvoyFilter.changes + informers.WasmPlugin.changes,
    signal: abort.signal,
  };
  const extras: ExtraServer[] = [];
  for (const start of hooks.extraServers ?? []) {
    const x = await start(ctx);
    extras.push(x);
    readiness.set(x.name, () => x.ready());
  }
  const recorder = new EventRecorder(kube, { controller: 'meshwarden.io/controller', instance: flags.identity }, log);
  const effective = effectiveTracker(flags, caches, log, metrics, (kind, ns, name) => controllers.find((c) => c.kind === kind)?.queue.add(`${ns}/${name}`));
  const options = {
    ...(flags.rateLimitService ? { rateLimitService: flags.rateLimitService } : {}),
    istioVersions: flags.istioVersions,
    ...(effective ? { effective: effective.tracker } : {}),
  };
  const selfWrites = new SelfWrites();
  const controllers: Controller[] = (['SmartLimiter', 'EnvoyPlugin'] as const).map((kind) => {
    const reconciler = new ResourceReconciler(kind, kube, caches, recorder, metrics, options, undefined, selfWrites);
    const c = new Controller(kind, reconciler, caches, log.child({ controller: kind.toLowerCase() }), metrics, { concurrency: flags.concurrency }, selfWrites);
    c.watch({
      self: informers[kind],
      envoyFilters: informers.EnvoyFilter,
      wasmPlugins: informers.WasmPlugin,
      services: informers.Service,
      pods: informers.Pod,
      configMaps: informers.ConfigMap,
    });
    return c;
  });

  let elector: LeaderElector | undefined;
  let shuttingDown = false;
  const shutdown = async (signal: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const t0 = Date.now();
    log.info({ signal }, 'shutting down: stopping queues, finishing in-flight reconciles');
    // The callers fire and forget (signal handlers, leader loss): a step that fails must still end
    // the process, with a log line rather than an unhandled rejection's stack trace.
    let failed = false;
    try {
      abort.abort();
      await Promise.all(controllers.map((c) => c.stop()));
      await effective?.close();
      await elector?.release();
      metrics.leader.set({ name: flags.leaderElectionId }, 0);
      await Promise.all(all.map((i) => i.stop()));
      for (const x of extras) await x.close().catch((e: Error) => log.warn({ err: e.message, server: x.name }, 'close failed'));
      for (const l of listening) await l.close();
      log.info({ ms: Date.now() - t0 }, 'shut down');
    } catch (e) {
      failed = true;
      log.error({ err: e, ms: Date.now() - t0 }, 'shutdown failed; exiting anyway');
    }
    exit(failed && code === 0 ? 1 : code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  const t0 = Date.now();
  const warm = setTimeout(() => warmUp(flags, log), warmUpDelayMs);
  await Promise.all(all.map((i) => i.start()));
  try {
    await Promise.all(all.map((i) => i.waitForSync(abort.signal)));
  } catch (e) {
    // A signal arrived while the caches were filling: shutdown() is already under way.
    if (abort.signal.aborted) return new Promise<number>(() => {});
    throw e;
  }
  clearTimeout(warm); // synced before it ran (tiny cluster): the first reconcile warms up instead
  for (const i of all) metrics.relists.set({ kind: i.kind }, i.lists);
  setInterval(() => {
    for (const i of all) metrics.relists.set({ kind: i.kind }, i.lists);
  }, 5_000).unref();
  log.info({ ms: Date.now() - t0 }, 'caches synced');

  const startWorkers = (): void => {
    metrics.leader.set({ name: flags.leaderElectionId }, 1);
    for (const c of controllers) c.start();
    // Periodic full resync repairs what no watch reports (e.g. edits to a rate-limit ConfigMap outside the watched namespaces and names).
    if (flags.syncPeriodMs > 0) setInterval(() => controllers.forEach((c) => c.enqueueAll()), flags.syncPeriodMs).unref();
  };
  if (!flags.leaderElect) {
    startWorkers();
  } else {
    elector = new LeaderElector(
      kube,
      {
        namespace: flags.leaderElectionNamespace,
        name: flags.leaderElectionId,
        identity: flags.identity,
        leaseDurationMs: flags.leaseDurationMs,
        renewDeadlineMs: flags.renewDeadlineMs,
        retryPeriodMs: flags.retryPeriodMs,
      },
      {
        onStartedLeading: startWorkers,
        onStoppedLeading: () => {
          metrics.leader.set({ name: flags.leaderElectionId }, 0);
          void shutdown('leader election lost', 1);
        },
        onNewLeader: (id) => log.info({ leader: id }, 'new leader observed'),
      },
      log.child({ component: 'leader-election' }),
    );
    metrics.leader.set({ name: flags.leaderElectionId }, 0);
    elector.start();
  }
  return new Promise<number>(() => {
    /* runs until a signal ends the process */
  });
}

/** The Effective condition's poller, when istiod addresses are given or discovered (ADR 0085). */
function effectiveTracker(
  flags: ServeFlags,
  caches: Caches,
  log: Logger,
  metrics: ControllerMetrics,
  enqueue: (kind: 'SmartLimiter' | 'EnvoyPlugin', ns: string, name: string) => void,
): { tracker: EffectiveTracker; close(): Promise<void> } | undefined {
  if (flags.istiodAddresses.length === 0 && !flags.istiodDiscovery) return undefined;
  const syncz = new SynczClient({
    ...(flags.istiodTokenFile ? { tokenFile: flags.istiodTokenFile } : {}),
    ...(flags.istiodCaFile ? { caFile: flags.istiodCaFile, serverName: 'istiod.istio-system.svc' } : {}),
    namespace: process.env.POD_NAMESPACE ?? 'default',
  });
  const discovered = flags.istiodDiscovery ? discoveredIstiods(caches.Pod, 'istio-system', flags.istiodCaFile !== undefined) : () => [];
  const tracker = new EffectiveTracker({
    caches,
    istiods: () => [...new Set([...flags.istiodAddresses, ...discovered()])],
    syncz,
    enqueue,
    rootNamespace: 'istio-system',
    log: log.child({ component: 'effective' }),
    registry: metrics.registry,
  });
  return {
    tracker,
    close: async () => {
      await tracker.stop();
      syncz.close();
    },
  };
}
