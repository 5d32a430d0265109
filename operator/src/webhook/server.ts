/**
 * The admission webhook's HTTPS shell: `POST /validate` (AdmissionReview v1), `GET /healthz`,
 * `GET /readyz`. The decision is admission.ts (pure); the evaluation in it runs in a pool of
 * worker threads with time and memory budgets (eval-pool.ts), never on this event loop. This
 * file reads bodies with a size limit, bounds connections and each request in time, loads and
 * reloads the serving certificate, and counts into `metrics.registry` (served by the operator's
 * metrics port, not here: docs/adr/0101-webhook-evaluation-pool.md). It serves on every
 * replica; nothing here needs the leader lease.
 *
 *   const wh = createWebhookServer({ certDir: '/tmp/k8s-webhook-server/serving-certs', context: () => facts() });
 *   const { port, caPem } = await wh.start(); // listening, certificate loaded, evaluation workers warm
 *   …
 *   await wh.stop();
 *
 * See docs/adr/0070-admission-webhook.md and 0101-webhook-evaluation-pool.md.
 */
import { watch, type FSWatcher } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EvaluationContext } from '../evaluate.js';
import { supportedIstioVersions } from '../validate/index.js';
import { prepareAdmission, VerdictCache, type AdmissionLimits, type AdmissionOptions } from './admission.js';
import { EvaluationPool, type EvaluationPoolOptions, type Facts } from './eval-pool.js';
import { ensureServingCertificate, readServingCertificate } from './certs.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';

export const validatePath = '/validate';

export interface WebhookServerOptions {
  /** `--webhook-port`; default 9443 (controller-runtime's). 0 picks a free port. */
  port?: number;
  /** Listen address; default `0.0.0.0` (in a pod), tests use `127.0.0.1`. */
  host?: string;
  /** `--cert-dir`: holds tls.crt/tls.key (used and watched), or is empty/missing (a CA and cert are generated there). */
  certDir: string;
  /** SANs for a generated certificate besides 127.0.0.1 and localhost (see `serviceDnsNames`). */
  dnsNames?: string[];
  /**
   * Cluster facts for each request: Services, Pods, the other EnvoyFilters/WasmPlugins and the
   * Istio versions running. Called once per admission, synchronously, so it should return
   * what the operator's informers already hold. Default: no facts, {@link istioVersions}.
   */
  context?: () => EvaluationContext;
  /**
   * A value that changes whenever the facts {@link context} returns change (an informer event
   * counter). With it, or without a `context`, verdicts of unchanged objects are reused
   * (admission.ts VerdictCache); with a `context` and no version, every request is evaluated.
   */
  factsVersion?: () => string | number;
  /** Istio versions validated against when the context gives none (default: every supported one). */
  istioVersions?: readonly string[];
  /** Size bounds (admission.ts `defaultLimits`). */
  limits?: Partial<AdmissionLimits>;
  /** Largest request body accepted (default 3 MiB, the API server's own request limit); larger gets 413. */
  maxBodyBytes?: number;
  /**
   * Time allowed to receive one request, headers and body (default 5000 ms; keep it well under the
   * configuration's timeoutSeconds, default 10 s); checked every second. Evaluation has its own
   * budget (`evaluation.timeoutMs`).
   */
  requestTimeoutMs?: number;
  /** Open connections at most (default 256); more are refused by the listener. */
  maxConnections?: number;
  /** Time allowed for a TLS handshake (default 5000 ms; Node's own is 120 s). */
  handshakeTimeoutMs?: number;
  /** The evaluation pool: workers, time and heap budgets, queue (eval-pool.ts defaults). */
  evaluation?: Omit<EvaluationPoolOptions, 'istioVersions' | 'logger'>;
  /** Passed to admit(): which rules only warn at admission, how many errors a denial lists. */
  admission?: Omit<AdmissionOptions, 'limits'>;
  /** Extra readiness condition, e.g. informer caches synced (default: always). */
  isReady?: () => boolean;
  /** Registry for the webhook series (default: a private one with Node's default metrics); not served on the webhook port. */
  registry?: Registry;
  logger?: Logger;
}

export interface WebhookServer {
  /**
   * Loads or generates the certificate, starts watching it, listens (/healthz answers from here on),
   * then warms up the evaluation workers; resolves when they are warm. `caPem` is the caBundle source when known.
   */
  start(): Promise<{ port: number; caPem?: string }>;
  /**
   * Stops accepting, terminates the evaluation workers (requests being judged are denied as
   * "shutting down, retry"), lets in-flight responses finish (up to `graceMs`, default 5000), closes the watcher.
   */
  stop(graceMs?: number): Promise<void>;
  /** Listening with a certificate loaded, evaluation workers warm, and `isReady()`. */
  ready(): boolean;
  readonly metrics: WebhookMetrics;
  /** The evaluation pool (its stats for tests and benches). */
  readonly pool: EvaluationPool;
  /** Re-reads tls.crt/tls.key now (the directory watch calls it; exposed for tests). */
  reloadCertificate(): Promise<boolean>;
}

const json = 'application/json';

export function createWebhookServer(options: WebhookServerOptions): WebhookServer {
  const log = options.logger ?? pino({ name: 'webhook', level: process.env.LOG_LEVEL ?? 'info' });
  const metrics = createWebhookMetrics(options.registry);
  const maxBodyBytes = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const staticContext: EvaluationContext = { services: [], pods: [], istioVersions: [...(options.istioVersions ?? supportedIstioVersions)] };
  const contextOf = (): EvaluationContext => {
    const ctx = options.context?.() ?? staticContext;
    return ctx.istioVersions && ctx.istioVersions.length > 0 ? ctx : { ...ctx, istioVersions: staticContext.istioVersions };
  };
  const admissionOptions: AdmissionOptions = { ...options.admission, ...(options.limits ? { limits: options.limits } : {}) };
  const verdicts = new VerdictCache();
  const pool = new EvaluationPool({ ...options.evaluation, istioVersions: staticContext.istioVersions ?? [], logger: log });
  /** The admission options of one request (the verdict cache when the facts' version is known) and its facts for the pool. */
  const requestNow = (): { opts: AdmissionOptions; facts: Facts } => {
    const version = options.context === undefined ? 'static' : options.factsVersion?.();
    if (version === undefined) return { opts: admissionOptions, facts: { context: contextOf } };
    return { opts: { ...admissionOptions, verdicts: { cache: verdicts, facts: version } }, facts: { version, context: contextOf } };
  };

  let server: https.Server | undefined;
  let watcher: FSWatcher | undefined;
  let listening = false;
  let loadedCert = '';
  let reloadTimer: NodeJS.Timeout | undefined;

  const send = (res: ServerResponse, code: number, body: string, type = json, close = false): void => {
    if (res.headersSent || res.destroyed) return;
    // While stopping, a keep-alive connection would hold stop() up until its grace period ends.
    const closing = close || !listening;
    res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...(closing ? { connection: 'close' } : {}) });
    res.end(body);
  };
  const error = (res: ServerResponse, code: number, message: string): void =>
    // After a 413 the rest of the body is still coming: close rather than read it.
    send(res, code, JSON.stringify({ error: message }) + '\n', json, code === 413);
  const knownOps = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

  async function handleValidate(req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.method !== 'POST') {
      req.resume();
      error(res, 405, 'use POST');
      return 405;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      error(res, 413, `body larger than ${maxBodyBytes} bytes`);
      req.resume();
      return 413;
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      error(res, 413, `body larger than ${maxBodyBytes} bytes`);
      return 413;
    }
    if (body === 'aborted') return 499;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      error(res, 400, `malformed JSON: ${(e as Error).message.slice(0, 200)}`);
      return 400;
    }
    const t0 = performance.now();
    const { opts, facts } = requestNow(); // the facts' version before the facts: a change in between only costs a miss
    const step = prepareAdmission(parsed, opts);
    const outcome = 'outcome' in step ? step.outcome : step.finish(await pool.evaluate(step.object, facts));
    const ms = performance.now() - t0;
    if (outcome.status === 400) {
      error(res, 400, `not an AdmissionReview v1: ${outcome.error}`);
      return 400;
    }
    const { request, review } = outcome;
    // Bounded label values: a hostile caller must not grow the series without limit.
    metrics.admissions.inc({ kind: outcome.kind ?? 'other', operation: knownOps.has(request.operation) ? request.operation : 'other', allowed: String(review.response.allowed) });
    const entry = {
      uid: request.uid,
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name,
      operation: request.operation,
      dryRun: request.dryRun,
      allowed: review.response.allowed,
      ms: Math.round(ms * 100) / 100,
    };
    if (ms > requestTimeoutMs / 4) log.warn(entry, 'slow admission: evaluation took a quarter of the request budget');
    else if (!review.response.allowed) log.info({ ...entry, message: review.response.status?.message }, 'admission denied');
    else log.debug(entry, 'admission allowed');
    send(res, 200, JSON.stringify(review));
    return 200;
  }

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === validatePath) {
      const start = performance.now();
      metrics.inFlight.inc({ webhook: validatePath });
      // Fire and forget: the catch turns any rejection into a 500, and the then only counts.
      void handleValidate(req, res)
        .catch((e: unknown) => {
          // Not reachable by design (admit never throws); kept so nothing can take the process down.
          log.error({ err: e }, 'webhook request failed');
          error(res, 500, 'internal error');
          return 500;
        })
        .then((code) => {
          metrics.inFlight.dec({ webhook: validatePath });
          metrics.requests.inc({ code: String(code), webhook: validatePath });
          metrics.latency.observe({ webhook: validatePath }, (performance.now() - start) / 1000);
        });
      return;
    }
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'method not allowed');
    switch (path) {
      case '/healthz':
        return send(res, 200, 'ok\n', 'text/plain');
      case '/readyz':
        return ready() ? send(res, 200, 'ok\n', 'text/plain') : send(res, 503, 'not ready\n', 'text/plain');
      default:
        return error(res, 404, 'not found');
    }
  }

  function ready(): boolean {
    return listening && loadedCert !== '' && pool.ready() && (options.isReady?.() ?? true);
  }

  async function reloadCertificate(): Promise<boolean> {
    if (!server) return false;
    try {
      const { cert, key } = await readServingCertificate(options.certDir);
      if (cert === loadedCert) return false;
      server.setSecureContext({ cert, key }); // throws on a mismatched or half-written pair: keep the old one
      loadedCert = cert;
      log.info({ certDir: options.certDir }, 'serving certificate reloaded');
      return true;
    } catch (e) {
      log.warn({ err: e, certDir: options.certDir }, 'serving certificate not reloaded (keeping the current one)');
      return false;
    }
  }

  async function start(): Promise<{ port: number; caPem?: string }> {
    if (server) throw new Error('webhook server already started');
    const sc = await ensureServingCertificate(options.certDir, { dnsNames: options.dnsNames ?? [] });
    if (sc.generated) log.info({ certDir: options.certDir }, 'generated a CA and serving certificate (ca.crt is the caBundle)');
    // connectionsCheckingInterval: enforce requestTimeout every second, not every 30 s (Node's default).
    const srv = https.createServer({ cert: sc.cert, key: sc.key, minVersion: 'TLSv1.2', connectionsCheckingInterval: 1_000, handshakeTimeout: options.handshakeTimeoutMs ?? 5_000 }, handler);
    // The API server keeps a few connections per replica; a flood of idle or half-open ones must not exhaust memory or descriptors.
    srv.maxConnections = options.maxConnections ?? 256;
    loadedCert = sc.cert;
    srv.requestTimeout = requestTimeoutMs;
    srv.headersTimeout = Math.min(requestTimeoutMs, 60_000);
    srv.keepAliveTimeout = 65_000; // the API server reuses connections
    srv.maxHeadersCount = 100;
    srv.on('tlsClientError', (e: Error) => log.debug({ err: e.message }, 'TLS handshake failed'));
    srv.on('clientError', (_e: Error, socket) => socket.destroy());
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.port ?? 9443, options.host ?? '0.0.0.0', () => {
        srv.off('error', reject);
        resolve();
      });
    });
    listening = true;
    // Secret volumes update by swapping a symlink, so watch the directory, not the files.
    try {
      watcher = watch(options.certDir, () => {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => void reloadCertificate(), 100);
      });
      watcher.on('error', (e) => log.warn({ err: e }, 'certificate directory watch failed'));
    } catch (e) {
      log.warn({ err: e }, 'cannot watch the certificate directory; certificates will not be reloaded');
    }
    const port = (srv.address() as AddressInfo).port;
    log.info({ port, certDir: options.certDir }, 'admission webhook listening; warming up the evaluation workers');
    try {
      await pool.start();
    } catch (e) {
      await stop(0);
      throw e;
    }
    log.info({ port, workers: pool.size }, 'admission webhook serving');
    return { port, ...(sc.ca !== undefined ? { caPem: sc.ca } : {}) };
  }

  async function stop(graceMs = 5_000): Promise<void> {
    const srv = server;
    if (!srv) return;
    server = undefined;
    listening = false;
    // First: a request being judged gets its "shutting down" answer now, instead of holding the close up.
    await pool.stop();
    clearTimeout(reloadTimer);
    watcher?.close();
    watcher = undefined;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    srv.closeIdleConnections();
    const timer = setTimeout(() => srv.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  return { start, stop, ready, metrics, pool, reloadCertificate };
}

/** Reads the whole body, or stops at `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: Buffer | 'too-large' | 'aborted'): void => {
      if (done) return;
      done = true;
      resolve(v);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        finish('too-large');
        req.resume(); // drain and drop the rest
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => finish(Buffer.concat(chunks, size)));
    req.on('error', () => finish('aborted'));
    req.on('close', () => finish('aborted'));
  });
}
