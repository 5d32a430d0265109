/**
 * Istio's CRD schemas per minor, read from `<minor>/crd-all.gen.yaml` in the installed package's
 * `data/istio` or a checkout's `.tools/istio` (scripts/fetch-istio-crds.sh; util/validator-data.ts),
 * turned into strict JSON Schemas (unknown field = error, as the
 * API server would prune it) and compiled with ajv + the CRD's CEL rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Environment } from '@marcbachmann/cel-js';
import { parseAllDocuments } from 'yaml';
import { resolvedDataDir } from '../../util/validator-data.js';
import { addKubernetesKeywords, type CelCompiler } from '../schema.js';

export const ISTIO_KINDS = {
  EnvoyFilter: { group: 'networking.istio.io', version: 'v1alpha3' },
  WasmPlugin: { group: 'extensions.istio.io', version: 'v1alpha1' },
} as const;
export type IstioKind = keyof typeof ISTIO_KINDS;

let crdDirOverride: string | undefined;
/** Where `<minor>/crd-all.gen.yaml` live (tests may point elsewhere). */
export function setIstioCrdDir(dir: string): void {
  crdDirOverride = dir;
  compiled.clear();
}
/** The directory read: {@link setIstioCrdDir}, else `$MESHWARDEN_ISTIO_CRDS_DIR`, else the package's or checkout's data. */
export const istioCrdDir = (): string => crdDirOverride ?? resolvedDataDir('istio');
export const istioCrdFile = (minor: string): string => join(istioCrdDir(), minor, 'crd-all.gen.yaml');
export const hasIstioCrds = (minor: string): boolean => existsSync(istioCrdFile(minor));

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Kubernetes structural schema → strict JSON Schema: every object with `properties` and no
 * `x-kubernetes-preserve-unknown-fields`/`additionalProperties` gets `additionalProperties: false`.
 */
export function strictify(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(strictify);
  if (!isObj(s)) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strictify(ps)]));
    else if (k === 'description')
      continue; // keep compiled schemas small; hints come from the rule texts
    else out[k] = strictify(v);
  }
  if (isObj(s['properties']) && s['additionalProperties'] === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

/** The CEL environment of the Kubernetes API server as far as Istio's rules need it (URL library). */
function celCompiler(): CelCompiler {
  class CelURL {
    constructor(readonly scheme: string) {}
  }
  // Go's url.ParseRequestURI (isURL) and url.Parse: an absolute URL or an absolute path.
  const parse = (s: string): CelURL | undefined => {
    if (s.startsWith('/')) return new CelURL('');
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
    if (!m || /\s/.test(s)) return undefined;
    try {
      new URL(s);
    } catch {
      return undefined;
    }
    return new CelURL(m[1]!.toLowerCase());
  };
  const env = new Environment({ unlistedVariablesAreDyn: true })
    .registerType('URL', CelURL)
    .registerFunction('isURL(string): bool', (s: string) => parse(s) !== undefined)
    .registerFunction('url(string): URL', (s: string) => {
      const u = parse(s);
      if (!u) throw new Error(`url: invalid URL ${s}`);
      return u;
    })
    .registerFunction('URL.getScheme(): string', (u: CelURL) => u.scheme);
  return (rule) => env.parse(rule);
}

export interface CompiledKinds {
  minor: string;
  /** Compiled on first use per kind. */
  validator(kind: IstioKind): ValidateFunction | undefined;
}

const compiled = new Map<string, CompiledKinds>();

/** The two CRDs' openAPIV3Schemas from a crd-all.gen.yaml text. */
export function extractSchemas(text: string): Map<IstioKind, Schema> {
  const out = new Map<IstioKind, Schema>();
  // The file holds ~15 CRDs (~900 KB); parse only the two documents we need.
  const wanted = text.split(/^---[ \t]*$/m).filter((d) => /^\s+kind: (EnvoyFilter|WasmPlugin)\s*$/m.test(d));
  for (const doc of parseAllDocuments(wanted.join('\n---\n'))) {
    const crd = doc.toJSON() as Schema | null;
    const spec = isObj(crd) ? crd['spec'] : undefined;
    const kind = isObj(spec) && isObj(spec['names']) ? spec['names']['kind'] : undefined;
    if (kind !== 'EnvoyFilter' && kind !== 'WasmPlugin') continue;
    const want = ISTIO_KINDS[kind].version;
    const versions = isObj(spec) && Array.isArray(spec['versions']) ? (spec['versions'] as Schema[]) : [];
    const v = versions.find((x) => x['name'] === want);
    const schema = isObj(v?.['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
    if (isObj(schema)) out.set(kind, schema);
  }
  return out;
}

/** Wraps a CRD schema as the schema of the whole object (apiVersion, kind, metadata added). */
function objectSchema(kind: IstioKind, crdSchema: Schema): Schema {
  const s = strictify(crdSchema) as Schema;
  const { group, version } = ISTIO_KINDS[kind];
  return {
    ...s,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', enum: [`${group}/${version}`] },
      kind: { type: 'string', enum: [kind] },
      metadata: { type: 'object' },
      ...(isObj(s['properties']) ? s['properties'] : {}),
    },
    additionalProperties: false,
  };
}

function buildAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  // The API server does not enforce int32/int64 ranges (tested: priority 3000000000 is accepted);
  // istiod's proto decode does, which the webhook layer reports (MW134).
  for (const f of ['int32', 'int64', 'uint32']) ajv.addFormat(f, { type: 'number', validate: () => true });
  addKubernetesKeywords(ajv, celCompiler(), { listTypes: true });
  return ajv;
}

/** Compiled validators of one minor, or `undefined` when its CRD file has not been fetched. */
const bySchemaText = new Map<string, ValidateFunction>();

export function istioValidators(minor: string): CompiledKinds | undefined {
  const hit = compiled.get(minor);
  if (hit) return hit;
  if (!hasIstioCrds(minor)) return undefined;
  const schemas = extractSchemas(readFileSync(istioCrdFile(minor), 'utf8'));
  let ajv: Ajv | undefined;
  const validators = new Map<IstioKind, ValidateFunction>();
  const out: CompiledKinds = {
    minor,
    validator(kind) {
      let v = validators.get(kind);
      const schema = schemas.get(kind);
      if (!v && schema) {
        // Minors that did not change a kind's schema share one compiled validator.
        const text = JSON.stringify(schema);
        v = bySchemaText.get(text);
        if (!v) {
          ajv ??= buildAjv();
          v = ajv.compile(objectSchema(kind, schema) as AnySchemaObject);
          bySchemaText.set(text, v);
        }
        validators.set(kind, v);
      }
      return v;
    },
  };
  compiled.set(minor, out);
  return out;
}
