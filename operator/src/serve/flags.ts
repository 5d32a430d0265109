/** Flags of `meshwarden serve`, parsed without side effects (testable). */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { RateLimitService } from '../api/types.gen.js';
import { defaultDurations } from '../controller/leader.js';
import { webhookFlagOptions, webhookFlagsUsage } from '../webhook/flags.js';
import { checkIstioVersion, UnknownIstioVersionError } from '../versions/select.js';
import { WebhookPoolFlagError, webhookPoolFlagOptions, webhookPoolFlagsUsage, webhookPoolFromFlags, type WebhookPoolFlags, type WebhookPoolValues } from './webhook-pool-flags.js';

export interface ServeFlags {
  kubeconfig?: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  concurrency: number;
  /** Every resource is reconciled again this often (controller-runtime SyncPeriod, default 10h); 0 = never. */
  syncPeriodMs: number;
  rateLimitService?: RateLimitService;
  /**
   * Where the operator watches its rate limit ConfigMaps (ADR 0105): the --rate-limit-config-namespace
   * values plus the namespace of --rate-limit-service's host. Empty: no ConfigMap is watched.
   */
  rateLimitConfigNamespaces: string[];
  /** The rate limit ConfigMaps watched in each of those namespaces (--rate-limit-config-name, default ratelimit-config). */
  rateLimitConfigNames: string[];
  istioVersions: string[];
  logLevel: string;
  /** The admission webhook: on every replica beside the controller (default), off, or alone. */
  webhook: 'on' | 'off' | 'only';
  /** The webhook's own flags, for webhookOptionsFromFlags. */
  webhookValues: { [K in keyof typeof webhookFlagOptions]?: string };
  /** The webhook's evaluation pool and connection cap (webhook-pool-flags.ts). */
  webhookPool: WebhookPoolFlags;
  /** istiod xDS addresses for the Effective condition (syncz); with istiodDiscovery, also every istiod pod. */
  istiodAddresses: string[];
  istiodDiscovery: boolean;
  istiodTokenFile?: string;
  istiodCaFile?: string;
}

export const serveUsage = `  serve [--kubeconfig PATH] [--leader-elect=true|false] [--leader-election-namespace NS]
        [--leader-election-id NAME] [--lease-duration 15s] [--renew-deadline 10s] [--retry-period 2s]
        [--health-probe-bind-address :8081] [--metrics-bind-address :8080] [--concurrency 4] [--sync-period 10h]
        [--rate-limit-service HOST:PORT] [--rate-limit-config-namespace NS]...
        [--rate-limit-config-name ratelimit-config]... [--istio-version V]... [--identity ID] [--log-level info]
        [--webhook=true|false] [--webhook-only]
        [--istiod-address HOST:PORT]... [--istiod-discovery] [--istiod-token-file PATH] [--istiod-ca-file PATH]
${webhookFlagsUsage}
${webhookPoolFlagsUsage}
        Run the controller: reconcile SmartLimiters and EnvoyPlugins into EnvoyFilters,
        WasmPlugins and the rate limit service's ConfigMap (leader only), and the admission
        webhook (every replica; --webhook-only: the webhook alone, no controller). Kubeconfig
        from --kubeconfig or KUBECONFIG, else in-cluster. /healthz, /readyz and /metrics on the
        probe and metrics ports. With --istiod-address or --istiod-discovery (every pod labelled
        app=istiod in istio-system, its grpc-xds port, or tls-xds with --istiod-ca-file), the
        condition Effective says whether the selected proxies accepted the configuration (syncz).
        Rate limit ConfigMaps are watched (for edits to repair) only by the names given by
        --rate-limit-config-name, in the namespaces given by --rate-limit-config-namespace and the
        namespace of --rate-limit-service's host.`;

export class FlagError extends Error {}

/** `1500ms`, `2s`, `1m`, or plain seconds. */
export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new FlagError(`--${flag} must be a duration such as 15s or 500ms, not "${text}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : m[2] === 'h' ? n * 3_600_000 : n * 1000);
}

function parseRls(text: string): RateLimitService {
  const m = /^([a-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m) throw new FlagError(`--rate-limit-service must be HOST:PORT, not "${text}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const objectName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const booleans = ['leader-elect', 'webhook', 'webhook-only', 'istiod-discovery'];

export function parseServeFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeFlags {
  // Accept the Go-style `--leader-elect=false`.
  const args = argv.map((a) => {
    const m = /^--([a-z-]+)=(true|false)$/.exec(a);
    return m && booleans.includes(m[1]!) ? (m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`) : a;
  });
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    allowNegative: true,
    options: {
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'boolean', default: true },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string', default: 'meshwarden-controller' },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
      identity: { type: 'string' },
      'health-probe-bind-address': { type: 'string', default: ':8081' },
      'metrics-bind-address': { type: 'string', default: ':8080' },
      concurrency: { type: 'string', default: '4' },
      'sync-period': { type: 'string', default: '10h' },
      'rate-limit-service': { type: 'string' },
      'rate-limit-config-namespace': { type: 'string', multiple: true },
      'rate-limit-config-name': { type: 'string', multiple: true },
      'istio-version': { type: 'string', multiple: true },
      'log-level': { type: 'string', default: env.LOG_LEVEL ?? 'info' },
      webhook: { type: 'boolean', default: true },
      'webhook-only': { type: 'boolean', default: false },
      'istiod-address': { type: 'string', multiple: true },
      'istiod-discovery': { type: 'boolean', default: false },
      'istiod-token-file': { type: 'string' },
      'istiod-ca-file': { type: 'string' },
      ...webhookFlagOptions,
      ...webhookPoolFlagOptions,
    },
  } as const);
  if (positionals.length > 0) throw new FlagError(`unexpected argument "${positionals[0]}"`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new FlagError(`--concurrency must be a whole number >= 1`);
  const flags: ServeFlags = {
    leaderElect: values['leader-elect'],
    leaderElectionNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? 'default',
    leaderElectionId: values['leader-election-id'],
    leaseDurationMs: parseDurationMs(values['lease-duration'], 'lease-duration'),
    renewDeadlineMs: parseDurationMs(values['renew-deadline'], 'renew-deadline'),
    retryPeriodMs: parseDurationMs(values['retry-period'], 'retry-period'),
    identity: values.identity ?? `${env.POD_NAME ?? hostname()}_${randomUUID()}`,
    healthProbeBindAddress: values['health-probe-bind-address'],
    metricsBindAddress: values['metrics-bind-address'],
    concurrency,
    syncPeriodMs: parseDurationMs(values['sync-period'], 'sync-period'),
    rateLimitConfigNamespaces: (values['rate-limit-config-namespace'] ?? []).map((ns) => {
      if (!dnsLabel.test(ns)) throw new FlagError(`--rate-limit-config-namespace must be a namespace name (lowercase letters, digits, '-'), not "${ns}"`);
      return ns;
    }),
    // The renderer's default name (spec.rateLimitService.configMap.name).
    rateLimitConfigNames: [...new Set(values['rate-limit-config-name'] ?? ['ratelimit-config'])].map((name) => {
      if (!objectName.test(name)) throw new FlagError(`--rate-limit-config-name must be a ConfigMap name (lowercase letters, digits, '-', '.'), not "${name}"`);
      return name;
    }),
    istioVersions: (values['istio-version'] ?? []).map(istioVersionFlag),
    logLevel: values['log-level'],
    webhook: values['webhook-only'] ? 'only' : values.webhook ? 'on' : 'off',
    istiodAddresses: (values['istiod-address'] ?? []).map((a) => {
      if (!/^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):\d{1,5}$/.test(a)) throw new FlagError(`--istiod-address must be HOST:PORT, e.g. istiod.istio-system.svc:15010, not "${a}"`);
      return a;
    }),
    istiodDiscovery: values['istiod-discovery'],
    webhookPool: webhookPoolFlags(values),
    webhookValues: Object.fromEntries(
      Object.keys(webhookFlagOptions)
        .map((k): [string, string | undefined] => [k, values[k as keyof typeof webhookFlagOptions]])
        .filter(([, v]) => v !== undefined),
    ),
  };
  if (values['webhook-only'] && !values.webhook) throw new FlagError('--webhook-only and --webhook=false contradict each other');
  // client-go's own checks: leaseDuration > renewDeadline > retryPeriod * 1.2.
  if (!(flags.leaseDurationMs > flags.renewDeadlineMs)) throw new FlagError('--lease-duration must be greater than --renew-deadline');
  if (!(flags.renewDeadlineMs > flags.retryPeriodMs * 1.2)) throw new FlagError('--renew-deadline must be greater than 1.2 × --retry-period');
  if (values.kubeconfig !== undefined) flags.kubeconfig = values.kubeconfig;
  if (values['istiod-token-file'] !== undefined) flags.istiodTokenFile = values['istiod-token-file'];
  if (values['istiod-ca-file'] !== undefined) flags.istiodCaFile = values['istiod-ca-file'];
  if (values['rate-limit-service'] !== undefined) flags.rateLimitService = parseRls(values['rate-limit-service']);
  // The namespace the renderer writes the service's ConfigMap to by default (its host's second label).
  const rlsNamespace = flags.rateLimitService?.host.split('.')[1];
  if (rlsNamespace && dnsLabel.test(rlsNamespace) && !flags.rateLimitConfigNamespaces.includes(rlsNamespace)) flags.rateLimitConfigNamespaces.push(rlsNamespace);
  return flags;
}

export { defaultDurations };

/** One --istio-version, judged by the version table (unknown: a flag error naming the supported minors). */
function istioVersionFlag(v: string): string {
  try {
    return checkIstioVersion(v);
  } catch (e) {
    throw e instanceof UnknownIstioVersionError ? new FlagError(e.message) : e;
  }
}

function webhookPoolFlags(values: WebhookPoolValues): WebhookPoolFlags {
  try {
    return webhookPoolFromFlags(values);
  } catch (e) {
    throw e instanceof WebhookPoolFlagError ? new FlagError(e.message) : e;
  }
}

/** `:8081` → all interfaces; `127.0.0.1:0` → a free port; `0` → disabled. */
export function parseBindAddress(text: string): { host?: string; port: number } | undefined {
  if (text === '0') return undefined;
  const i = text.lastIndexOf(':');
  const host = i > 0 ? text.slice(0, i) : undefined;
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`bad bind address "${text}"`);
  return host ? { host, port } : { port };
}
