/**
 * MW11x entry point: `checkIstioObject(obj)` validates an EnvoyFilter or WasmPlugin against
 * Istio's CRD schema of every target minor (unknown fields are errors: the API server prunes
 * them) and then against istiod's webhook/analyzer checks. Paths are relative to the object.
 * Other kinds give no findings.
 */
import type { Finding } from '../rule.js';
import { schemaErrorsToFindings, withSharedCel } from '../schema.js';
import { istioCrdFile, istioValidators, ISTIO_KINDS, type IstioKind } from './crds.js';
import { MW110, MW111, MW112, MW113, MW119 } from './rules.js';
import { howToGet } from '../../util/validator-data.js';
import { checkEnvoyFilterWebhook, checkWasmPluginWebhook } from './webhook.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { defaultIstioMinors, type IstioMinor } from '../../versions/table.js';

export * as istioSchemaRules from './rules.js';
export { setIstioCrdDir, hasIstioCrds, istioCrdDir, istioCrdFile, extractSchemas, strictify, ISTIO_KINDS, type IstioKind } from './crds.js';
export { checkEnvoyFilterWebhook, checkWasmPluginWebhook } from './webhook.js';

/** The Istio minors MW11x checks by default (those the patch layer has baselines for). */
export const DEFAULT_ISTIO_MINORS: readonly IstioMinor[] = defaultIstioMinors();

export interface IstioObjectOptions {
  /** Target Istio versions (`1.28`, `1.28.3`, ...); default DEFAULT_ISTIO_MINORS. */
  istioVersions?: readonly string[];
  /** Istio's root namespace (mesh config rootNamespace); default `istio-system`. */
  rootNamespace?: string;
}

const MESHWARDEN_DOCS_HINT = 'see the field reference in docs/reference.md';
const ISTIO_REFERENCE: Record<IstioKind, string> = {
  EnvoyFilter: 'https://istio.io/latest/docs/reference/config/networking/envoy-filter/',
  WasmPlugin: 'https://istio.io/latest/docs/reference/config/proxy_extensions/wasm-plugin/',
};

const rules = { unknownField: MW110, missingField: MW111, invalidValue: MW112, celRule: MW113 };

function minorOf(v: string): string {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? `${m[1]}.${m[2]}` : v;
}

export function istioKindOf(obj: unknown): IstioKind | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  for (const [k, gv] of Object.entries(ISTIO_KINDS)) {
    // Only the API versions whose schema we check; v1beta1/v1 of EnvoyFilter do not exist.
    if (kind === k && typeof apiVersion === 'string' && apiVersion.startsWith(`${gv.group}/`)) return k as IstioKind;
  }
  return undefined;
}

/** ajv reports every branch of the CRD's match `oneOf`; keep one readable finding for it. */
function readableErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  return errors
    .filter((e) => !oneOfs.some((o) => e !== o && e.schemaPath.startsWith(`${o.schemaPath}/`)))
    .map((e) => {
      if (e.keyword !== 'oneOf') return e;
      const branches = ((e.schema as Array<{ required?: string[] }>) ?? []).flatMap((b) => b.required ?? []);
      return { ...e, message: `only one of ${branches.join(', ')} can be set` };
    });
}

/**
 * The API server drops `null` object fields before validating (a null for a field without
 * `nullable: true` means "unset"; for a nullable field null and unset are both valid), so
 * validate the object as it would.
 */
function hasNullField(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasNullField(x)) return true; // a null element is not a field
    return false;
  }
  // A loop, not Object.values(): this walks every object the validator sees, twice.
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (x === null || hasNullField(x)) return true;
  }
  return false;
}

/** The object as the API server stores it: null fields dropped (the same object when it has none). */
export function storedForm(v: unknown): unknown {
  return hasNullField(v) ? pruneNulls(v) : v;
}

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
  return out;
}

function schemaFindings(raw: unknown, kind: IstioKind, minors: readonly string[]): Finding[] {
  // Unknown fields are rejected by strict decoding even when null, before nulls are dropped.
  const nulls = hasNullField(raw);
  const obj = nulls ? pruneNulls(raw) : raw;
  const byKey = new Map<string, { f: Finding; minors: string[] }>();
  const missing: string[] = [];
  let checked = 0;
  const results = new Map<ValidateFunction, ErrorObject[]>(); // minors sharing a schema are validated once
  for (const minor of minors) {
    const v = istioValidators(minor)?.validator(kind);
    if (!v) {
      missing.push(minor);
      continue;
    }
    checked++;
    let errors = results.get(v);
    if (errors === undefined) {
      errors = v(obj) ? [] : [...(v.errors ?? [])];
      if (nulls && !v(raw)) errors.push(...(v.errors ?? []).filter((e) => e.keyword === 'additionalProperties'));
      results.set(v, errors);
    }
    if (errors.length === 0) continue;
    for (const f of schemaErrorsToFindings(readableErrors(errors), rules)) {
      const key = `${f.rule}\u0000${f.path}\u0000${f.message}`;
      const cur = byKey.get(key);
      if (cur) cur.minors.push(minor);
      else byKey.set(key, { f, minors: [minor] });
    }
  }
  const out: Finding[] = [];
  for (const { f: raw, minors: where } of byKey.values()) {
    const f = raw.hint === MESHWARDEN_DOCS_HINT ? { ...raw, hint: `see ${ISTIO_REFERENCE[kind]}` } : raw;
    if (where.length === checked) {
      out.push(f);
      continue;
    }
    const newer = minors.filter((m) => !where.includes(m) && !missing.includes(m));
    const note = f.rule === MW110.code ? `: the API server of Istio ${where.join(', ')} prunes it silently` : ` [Istio ${where.join(', ')} only]`;
    out.push({
      ...f,
      message: f.message + note,
      ...(f.rule === MW110.code && newer.length > 0
        ? { hint: `the field exists in Istio ${newer.join(', ')}: guard the object by revision (istio.io/rev) or avoid the field while older control planes run` }
        : {}),
    });
  }
  if (missing.length > 0) {
    out.push(
      MW119.finding(
        '',
        `Istio ${missing.join(', ')} CRD schema not found (${istioCrdFile(missing[0]!)}): ${kind} not checked against ${missing.length === minors.length ? 'any' : 'those'} Istio minor(s)`,
        howToGet({ kind: 'istio', version: missing.join(' ') }),
      ),
    );
  }
  return out;
}

/** MW11x findings for an EnvoyFilter or WasmPlugin object; other kinds give none. */
export function checkIstioObject(obj: unknown, opts: IstioObjectOptions = {}): Finding[] {
  const kind = istioKindOf(obj);
  if (!kind) return [];
  const minors = [...new Set((opts.istioVersions ?? DEFAULT_ISTIO_MINORS).map(minorOf))];
  // The minors' schemas differ in places; their CEL rules mostly do not.
  const out = withSharedCel(() => schemaFindings(obj, kind, minors));
  const scope = { rootNamespace: opts.rootNamespace ?? 'istio-system', minors };
  const o = obj as Record<string, unknown>;
  out.push(...(kind === 'EnvoyFilter' ? checkEnvoyFilterWebhook(o, scope) : checkWasmPluginWebhook(o, scope)));
  return out;
}
