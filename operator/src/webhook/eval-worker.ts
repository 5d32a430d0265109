/**
 * One evaluation worker of the webhook's pool (eval-pool.ts): a child process that loads the
 * validator, warms it up, then judges objects one at a time for the webhook. A child process, not
 * a worker thread: the `re2` addon the validator uses crashes the process when a second thread
 * loads it. The webhook sends the cluster facts only when their version changes; the worker keeps
 * the last ones. A hostile object can only stall or exhaust this process, which the pool then
 * kills (docs/adr/0101-webhook-evaluation-pool.md).
 *
 * Protocol (IPC messages, JSON: objects from an AdmissionReview body and informer caches are JSON data):
 *   webhook → worker  { type: 'facts', version, context }          the facts for later jobs
 *                     { type: 'job', id, object, context? }         judge `object` (own context when unversioned)
 *   worker → webhook  { type: 'ready', ms }                         warmed up, accepting jobs
 *                     { type: 'result', id, diagnostics | failed }
 * Its settings are its one argument (JSON); it exits when the webhook disconnects.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { EvaluationContext } from '../evaluate.js';

export type ToWorker = { type: 'facts'; version: string | number; context: EvaluationContext } | { type: 'job'; id: number; object: Record<string, unknown>; context?: EvaluationContext };
export type FromWorker = { type: 'ready'; ms: number } | { type: 'result'; id: number; diagnostics: Diagnostic[] } | { type: 'result'; id: number; failed: string };

export interface WorkerSettings {
  /** The module URL the pool started: the module serves only when it is the entry point. */
  entry: string;
  /** Istio versions the warm-up validates against (those the webhook validates against). */
  istioVersions: readonly string[];
}

export type Judge = (object: Record<string, unknown>, ctx: EvaluationContext) => readonly Diagnostic[];

/** The validator, loaded here rather than imported, so that a test's judge starts without it. */
async function judgeWithValidator(): Promise<Judge> {
  const { evaluate } = await import('../evaluate.js');
  return (object, ctx) => evaluate(object, ctx).diagnostics;
}

/**
 * What the warm-up judges: one object of each path a request takes (schema and rendering of a
 * SmartLimiter; an EnvoyPlugin's schema, Lua and Wasm plugins and the WasmPlugin it renders;
 * Envoy protos, a Lua script and a regex in an EnvoyFilter), so the descriptor sets, schemas,
 * baselines and the Lua emulator are loaded before the first admission. Without the EnvoyPlugin
 * the first one admitted paid ~300 ms of schema compiles (over 1 s on a loaded node).
 */
export function warmUpObjects(): Array<Record<string, unknown>> {
  const hcm = { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } };
  const patch = (name: string, typedConfig: Record<string, unknown>) => ({
    applyTo: 'HTTP_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: hcm } },
    patch: { operation: 'INSERT_BEFORE', value: { name, typed_config: typedConfig } },
  });
  return [
    {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'SmartLimiter',
      metadata: { name: 'warm-up', namespace: 'default' },
      spec: { target: { workloadSelector: { matchLabels: { app: 'warm-up' } } }, limits: [{ name: 'warm-up', rate: { requests: 1, per: '1s' } }] },
    },
    {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'EnvoyPlugin',
      metadata: { name: 'warm-up', namespace: 'default' },
      spec: {
        target: { workloadSelector: { matchLabels: { app: 'warm-up' } } },
        ports: [8080],
        plugins: [
          { name: 'waf', wasm: { url: 'oci://registry.example.com/warm-up:1.0.0', sha256: 'a'.repeat(64), phase: 'AUTHZ', failStrategy: 'FAIL_CLOSE' } },
          { name: 'tag', lua: { code: "function envoy_on_response(h) h:headers():add('x-w', '1') end" } },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name: 'warm-up', namespace: 'default' },
      spec: {
        workloadSelector: { labels: { app: 'warm-up' } },
        priority: 10,
        configPatches: [
          patch('warm-up.lua', {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
            default_source_code: { inline_string: "function envoy_on_request(h) if string.find(h:headers():get(':path') or '', '^/w') then h:headers():add('x-w', '1') end end" },
          }),
          patch('warm-up.rbac', {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
            rules: { action: 'ALLOW', policies: { p: { permissions: [{ url_path: { path: { safe_regex: { regex: '^/w[a-z]+$' } } } }], principals: [{ any: true }] } } },
          }),
        ],
      },
    },
  ];
}

/** Serves jobs from the pool with `judge` (a test's worker module passes its own). */
export async function serveEvaluations(given?: Judge): Promise<void> {
  const judge = given ?? (await judgeWithValidator());
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveEvaluations() runs in a process the webhook forked');
  const settings = workerSettings()!;
  const t0 = Date.now();
  const warmContext: EvaluationContext = { services: [], pods: [], istioVersions: [...settings.istioVersions] };
  for (const object of warmUpObjects()) {
    try {
      judge(object, warmContext);
    } catch {
      // Only a speed-up: a failing warm-up object fails again, as a 500 denial, when a request meets it.
    }
  }
  let facts: EvaluationContext | undefined;
  process.on('message', (m: ToWorker) => {
    if (m.type === 'facts') {
      facts = m.context;
      return;
    }
    const ctx = m.context ?? facts;
    let reply: FromWorker;
    try {
      if (!ctx) throw new Error('no cluster facts were sent to the evaluation worker');
      reply = { type: 'result', id: m.id, diagnostics: [...judge(m.object, ctx)] };
    } catch (e) {
      reply = { type: 'result', id: m.id, failed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    send(reply);
  });
  // The webhook went away (stopped, or died): nothing left to judge for.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', ms: Date.now() - t0 } satisfies FromWorker);
}

/** The settings argument, when this process is an evaluation worker. */
export function workerSettings(): WorkerSettings | undefined {
  if (!process.send || process.argv[2] === undefined) return undefined;
  try {
    return JSON.parse(process.argv[2]) as WorkerSettings;
  } catch {
    return undefined;
  }
}

if (workerSettings()?.entry === import.meta.url) await serveEvaluations();
