/**
 * The admission decision, pure: an AdmissionReview v1 in, an AdmissionReview v1 (or a 400
 * reason) out. No I/O, no clock; the HTTPS shell (server.ts) reads the body, supplies the
 * cluster facts and writes the answer. The verdict itself is `evaluate()`, shared with the
 * CLI and the controller (docs/adr/0007-one-verdict.md); this module only decides which
 * requests reach it, bounds their cost, and turns diagnostics into an AdmissionResponse.
 * See docs/adr/0070-admission-webhook.md.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics.js';
import { evaluate, type EvaluationContext } from '../evaluate.js';
import { checkLimits, defaultLimits, type InputLimits } from '../input-limits.js';
import { codesTagged } from '../validate/catalogue.js';

/** The kinds the webhook validates, by API group. Everything else is allowed untouched. */
export const validatedKinds: ReadonlyArray<{ group: string; kind: string; resource: string }> = [
  { group: 'meshwarden.io', kind: 'SmartLimiter', resource: 'smartlimiters' },
  { group: 'meshwarden.io', kind: 'EnvoyPlugin', resource: 'envoyplugins' },
  { group: 'networking.istio.io', kind: 'EnvoyFilter', resource: 'envoyfilters' },
  { group: 'extensions.istio.io', kind: 'WasmPlugin', resource: 'wasmplugins' },
];

/** Bounds on what one request may make the validator do: the shared input limits (input-limits.ts), also applied by the CLI. */
export type AdmissionLimits = InputLimits;
export { defaultLimits, checkLimits };

/**
 * Rules whose verdict depends on other objects existing right now (a Service, its ports,
 * its pods). At admission they are warnings: Kubernetes does not make creation order
 * matter (`kubectl apply -f dir/` may send the SmartLimiter before its Service), and the
 * controller reports them in status. The CLI, which sees every input at once, keeps them errors.
 * The catalogue tags them `clusterObjects`.
 */
export const clusterFactRules: ReadonlySet<string> = codesTagged('clusterObjects');

export interface AdmissionOptions {
  limits?: Partial<AdmissionLimits>;
  /** Rules reported as warnings instead of errors at admission (default {@link clusterFactRules}). */
  warnOnlyRules?: ReadonlySet<string>;
  /** At most this many findings are listed in a denial message (default 20). */
  maxListedErrors?: number;
  /**
   * Verdicts already reached, and the version of the cluster facts `ctx` holds: an object
   * judged before against the same version of the facts is not evaluated again.
   */
  verdicts?: { cache: VerdictCache; facts: string | number };
}

/**
 * The diagnostics of objects already judged, by the exact object (its JSON, hashed) and the
 * version of the cluster facts it was judged against: an admission of an unchanged object — a
 * re-apply, a dry run followed by the real request, a GitOps sync, a controller re-applying —
 * costs a hash instead of an evaluation (docs/adr/0097-admission-verdict-cache.md). evaluate()
 * is a pure function of the object and the facts, so an entry is exactly what evaluating again
 * would give. Bounded; the least recently used entry goes first.
 */
export class VerdictCache {
  readonly #entries = new Map<string, readonly Diagnostic[]>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 512) {}

  static key(object: unknown, facts: string | number): string {
    return `${facts}\u0000${createHash('sha256').update(JSON.stringify(object)).digest('base64')}`;
  }

  get(key: string): readonly Diagnostic[] | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(key: string, diagnostics: readonly Diagnostic[]): void {
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, diagnostics);
  }

  get size(): number {
    return this.#entries.size;
  }
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Fields of an AdmissionRequest the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  object?: unknown;
}

export type AdmissionOutcome = { status: 200; review: AdmissionReviewOut; request: AdmissionRequest; kind?: string; denied: boolean } | { status: 400; error: string };

/** Kubernetes recommends warnings of at most 120 characters; the API server truncates at 256 and drops past 4 KiB in all. */
export const maxWarningLength = 120;
const maxWarnings = 12;

/** Checks the envelope: an `admission.k8s.io/v1` AdmissionReview with a usable request. */
export function parseAdmissionRequest(body: unknown): { request: AdmissionRequest } | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'body is not a JSON object' };
  const review = body as Record<string, unknown>;
  if (review.kind !== 'AdmissionReview') return { error: `kind is ${describe(review.kind)}, expected AdmissionReview` };
  if (review.apiVersion !== 'admission.k8s.io/v1') return { error: `apiVersion is ${describe(review.apiVersion)}, expected admission.k8s.io/v1` };
  const req = review.request;
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return { error: 'request is missing' };
  const r = req as Record<string, unknown>;
  if (typeof r.uid !== 'string' || r.uid === '' || r.uid.length > 256) return { error: 'request.uid must be a non-empty string' };
  const kind = r.kind as Record<string, unknown> | undefined;
  if (typeof kind !== 'object' || kind === null || typeof kind.kind !== 'string' || typeof kind.group !== 'string') {
    return { error: 'request.kind must be {group, version, kind}' };
  }
  if (typeof r.operation !== 'string') return { error: 'request.operation must be a string' };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const request: AdmissionRequest = {
    uid: r.uid,
    kind: { group: kind.group, version: str(kind.version) ?? '', kind: kind.kind },
    operation: r.operation,
    namespace: str(r.namespace),
    name: str(r.name),
    dryRun: r.dryRun === true,
    object: r.object,
  };
  return { request };
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}

/**
 * Answers one AdmissionReview, evaluating in the calling thread. Never throws: an exception
 * inside the validator denies the request with code 500 (the failure policy protects only
 * against an unreachable webhook, and an object the validator cannot judge must not reach a
 * proxy unjudged). The webhook server does the same in two steps ({@link prepareAdmission},
 * evaluation in a worker, `finish`), so that no evaluation runs on its event loop.
 */
export function admit(body: unknown, ctx: EvaluationContext | (() => EvaluationContext), opts: AdmissionOptions = {}): AdmissionOutcome {
  const step = prepareAdmission(body, opts);
  if ('outcome' in step) return step.outcome;
  try {
    // The facts are gathered only for an evaluation (`ctx` may be a function: a cache hit needs none).
    return step.finish({ diagnostics: evaluate(step.object, typeof ctx === 'function' ? ctx() : ctx).diagnostics });
  } catch (e) {
    return step.finish({ failed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
}

/** How an evaluation ended, as `finish` takes it. */
export type EvaluationResult =
  | { diagnostics: readonly Diagnostic[] }
  /** The validator threw: denied with code 500. */
  | { failed: string }
  /** Not judged (over its budget, the webhook overloaded): denied with this code, reason and sentence. */
  | { refused: { code: number; reason: string; message: string } };

/**
 * The cheap, bounded part of an admission, without evaluating: the envelope, the kinds and
 * operations that need no verdict, the size limits, the verdict cache. Either the answer, or the
 * object to evaluate (namespace filled in) and `finish` to turn the evaluation into the answer.
 */
export type AdmissionStep = { outcome: AdmissionOutcome } | { object: Record<string, unknown>; finish(result: EvaluationResult): AdmissionOutcome };

export function prepareAdmission(body: unknown, opts: AdmissionOptions = {}): AdmissionStep {
  const parsed = parseAdmissionRequest(body);
  if ('error' in parsed) return { outcome: { status: 400, error: parsed.error } };
  const { request } = parsed;
  const answer = (response: Omit<AdmissionResponse, 'uid'>, kind?: string): AdmissionOutcome => ({
    status: 200,
    review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, ...response } },
    request,
    ...(kind ? { kind } : {}),
    denied: !response.allowed,
  });

  const target = validatedKinds.find((k) => k.group === request.kind.group && k.kind === request.kind.kind);
  if (!target) return { outcome: answer({ allowed: true }) };
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return { outcome: answer({ allowed: true }, target.kind) };

  const object = request.object;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    return { outcome: { status: 400, error: `request.object must be an object for ${request.operation}` } };
  }
  const meta = (object as { metadata?: unknown }).metadata;
  // An object on its way out (finalizers being removed) must stay deletable even if it no longer validates.
  if (request.operation === 'UPDATE' && typeof meta === 'object' && meta !== null && (meta as { deletionTimestamp?: unknown }).deletionTimestamp) {
    return { outcome: answer({ allowed: true }, target.kind) };
  }

  const limits = { ...defaultLimits, ...opts.limits };
  const tooBig = checkLimits(object, limits);
  if (tooBig) {
    return {
      outcome: answer(
        {
          allowed: false,
          status: {
            code: 422,
            reason: 'Invalid',
            message: `${refText(object, request)}: too large for the admission webhook to validate: ${tooBig} (validate it with \`meshwarden lint\` and split it, or raise the webhook limit)`,
          },
        },
        target.kind,
      ),
    };
  }

  const verdict = (diagnostics: readonly Diagnostic[]): AdmissionOutcome => {
    const warnOnly = opts.warnOnlyRules ?? clusterFactRules;
    const errors = diagnostics.filter((d) => d.severity === 'error' && !warnOnly.has(d.rule));
    const warnings = diagnostics.filter((d) => d.severity === 'warning' || (d.severity === 'error' && warnOnly.has(d.rule)));
    const warningTexts = formatWarnings(warnings);
    const warn = warningTexts.length > 0 ? { warnings: warningTexts } : {};
    if (errors.length === 0) return answer({ allowed: true, ...warn }, target.kind);
    return answer({ allowed: false, status: { code: 422, reason: 'Invalid', message: denialMessage(refText(object, request), errors, opts.maxListedErrors ?? 20) }, ...warn }, target.kind);
  };

  // The API server always sets the namespace of a namespaced object; fill it in when a caller did not.
  const withNs = fillNamespace(object as Record<string, unknown>, request.namespace);
  const cacheKey = opts.verdicts ? VerdictCache.key(withNs, opts.verdicts.facts) : undefined;
  const cached = cacheKey !== undefined ? opts.verdicts?.cache.get(cacheKey) : undefined;
  if (cached !== undefined) return { outcome: verdict(cached) };
  return {
    object: withNs,
    finish(result) {
      if ('diagnostics' in result) {
        if (cacheKey !== undefined) opts.verdicts?.cache.set(cacheKey, result.diagnostics);
        return verdict(result.diagnostics);
      }
      if ('refused' in result) {
        const { code, reason, message } = result.refused;
        return answer({ allowed: false, status: { code, reason, message: `${refText(object, request)}: ${message}` } }, target.kind);
      }
      return answer(
        {
          allowed: false,
          status: { code: 500, reason: 'InternalError', message: `${refText(object, request)}: the validator failed on this object (${result.failed.slice(0, 300)}); it was not admitted` },
        },
        target.kind,
      );
    },
  };
}

function fillNamespace(object: Record<string, unknown>, namespace: string | undefined): Record<string, unknown> {
  const meta = object.metadata;
  if (!namespace || (typeof meta === 'object' && meta !== null && typeof (meta as { namespace?: unknown }).namespace === 'string')) return object;
  const m = typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta : {};
  return { ...object, metadata: { ...m, namespace } };
}

function refText(object: unknown, request: AdmissionRequest): string {
  const o = object as { kind?: unknown; metadata?: { name?: unknown; generateName?: unknown; namespace?: unknown } };
  const kind = typeof o.kind === 'string' ? o.kind : request.kind.kind;
  const ns = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : request.namespace;
  const name = typeof o.metadata?.name === 'string' && o.metadata.name !== '' ? o.metadata.name : typeof o.metadata?.generateName === 'string' ? `${o.metadata.generateName}*` : (request.name ?? '');
  return `${kind} ${ns ? `${ns}/` : ''}${name}`.slice(0, 300);
}

/**
 * One line per error: `- MW103 spec.limits[0].rate.requests: must be >= 1 (fix: …)`.
 * kubectl prints it after `admission webhook "…" denied the request:`.
 */
export function denialMessage(ref: string, errors: readonly Diagnostic[], maxListed: number): string {
  const unique = dedupe(errors.map((d) => `- ${d.rule} ${d.path || '(object)'}: ${d.message}${d.hint ? ` (fix: ${d.hint})` : ''}`));
  const lines = unique.slice(0, maxListed).map((l) => clip(oneLine(l), 600));
  const more = unique.length > maxListed ? [`- … and ${unique.length - maxListed} more; run \`meshwarden lint\` on the manifest for all of them`] : [];
  return [`${ref}: ${unique.length} error${unique.length === 1 ? '' : 's'}`, ...lines, ...more].join('\n');
}

/** `MW413 spec.configPatches[0]: Patch matches nothing …`, each at most {@link maxWarningLength} characters. */
export function formatWarnings(warnings: readonly Diagnostic[]): string[] {
  const texts = dedupe(warnings.map((d) => clip(oneLine(`${d.rule} ${shortPath(d.path)}: ${d.message}`), maxWarningLength)));
  if (texts.length <= maxWarnings) return texts;
  return [...texts.slice(0, maxWarnings - 1), `meshwarden: ${texts.length - maxWarnings + 1} more warnings; run \`meshwarden lint\``];
}

/** Long paths eat the 120 characters: keep the first indexed segment and the last field. */
function shortPath(path: string): string {
  if (path === '') return '(object)';
  if (path.length <= 40) return path;
  const head = /^[^[]*\[\d+\]/.exec(path)?.[0] ?? path.slice(0, 20);
  const tail = path.slice(path.lastIndexOf('.') + 1);
  return `${head}….${tail}`.length < path.length ? `${head}….${tail}` : path;
}

const dedupe = (xs: string[]): string[] => [...new Set(xs)];

/** Warnings travel as HTTP headers: no control characters. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
