/**
 * Local JSON schemas for kubeconform (the lint benchmark's schema-only baseline), which cannot
 * reach the internet here. Laid out for one -schema-location template,
 *
 *   <dir>/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json
 *
 * (for the core group kubeconform's Group is the version: v1/service_v1.json), made as
 * kubeconform's own scripts/openapi2jsonschema.py and yannh/kubernetes-json-schema's
 * "-standalone-strict" variant make them:
 *   - every CRD version's openAPIV3Schema from crds/ and Istio's CRDs for one minor
 *     (.tools/istio/<minor>/crd-all.gen.yaml);
 *   - core kinds from the OpenAPI v2 document of the Kubernetes release the e2e control plane
 *     is built from (k8s.io/kubernetes module, api/openapi-spec/swagger.json), $refs inlined;
 *   - strict: `additionalProperties: false` on every object with properties below the root
 *     (kubectl's rule, as the script does), except where the schema says
 *     x-kubernetes-preserve-unknown-fields (the apiserver keeps unknown fields there; the
 *     script ignores the marker, which would refuse unknown fields in Istio's `status` blocks);
 *   - int-or-string as oneOf string/integer, `nullable: true` as a "null" type.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, loadAll } from 'js-yaml';
import { REPO_ROOT } from '../e2e/harness/controlplane.js';

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The template to pass as kubeconform's -schema-location for a directory written here. */
export const schemaTemplate = (dir: string): string => `${dir}/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`;

function strict(s: unknown, root: boolean): unknown {
  if (Array.isArray(s)) return s.map((x) => strict(x, false));
  if (!isObj(s)) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // Property names are data, not keywords: never rewrite a property called "format" or "nullable".
    out[k] = k === 'properties' && isObj(v) ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strict(ps, false)])) : strict(v, false);
  }
  if (out['format'] === 'int-or-string' || out['x-kubernetes-int-or-string'] === true) {
    delete out['format'];
    delete out['type'];
    out['oneOf'] = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  if (!root && isObj(out['properties']) && !('additionalProperties' in out) && out['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  return out;
}

/** Inlines `#/definitions/...` references; a definition already being inlined (a cycle) becomes `{}`. */
function inline(s: unknown, defs: Record<string, Schema>, seen: Set<string>): unknown {
  if (Array.isArray(s)) return s.map((x) => inline(x, defs, seen));
  if (!isObj(s)) return s;
  const ref = s['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const name = ref.slice('#/definitions/'.length);
    if (seen.has(name) || !defs[name]) return {};
    const next = new Set(seen).add(name);
    return inline(defs[name], defs, next);
  }
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inline(v, defs, seen)]));
}

function write(dir: string, group: string, kind: string, version: string, schema: unknown): void {
  mkdirSync(join(dir, group), { recursive: true });
  writeFileSync(join(dir, group, `${kind.toLowerCase()}_${version}.json`), JSON.stringify(strict(schema, true)));
}

/** swagger.json of the k8s.io/kubernetes module the control plane is built from (downloaded into the module cache if needed). */
function kubernetesSwagger(): { version: string; path: string } {
  const gomod = readFileSync(join(REPO_ROOT, 'e2e', 'controlplane', 'go.mod'), 'utf8');
  const version = /^\s*k8s\.io\/kubernetes (v1\.\S+)/m.exec(gomod)?.[1];
  if (!version) throw new Error('cannot read the k8s.io/kubernetes version from e2e/controlplane/go.mod');
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], { encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } })) as { Dir: string };
  return { version, path: join(info.Dir, 'api', 'openapi-spec', 'swagger.json') };
}

/** Core (group "") kinds to write: the ones a manifest repository of Services and workloads holds. */
const CORE_KINDS = ['Service', 'ConfigMap', 'Pod', 'Namespace'];

/**
 * Writes the schemas (cached: kept when `<dir>/.done` names the same inputs) and returns the
 * directory and what it holds.
 */
export function kubeconformSchemas(istioMinor: string): { dir: string; kinds: string[]; kubernetes: string } {
  const swagger = kubernetesSwagger();
  const istioCrds = join(REPO_ROOT, '.tools', 'istio', istioMinor, 'crd-all.gen.yaml');
  if (!existsSync(istioCrds)) throw new Error(`${istioCrds} missing: run scripts/fetch-istio-crds.sh ${istioMinor}`);
  const dir = join(REPO_ROOT, '.tools', 'kubeconform-schemas', `${swagger.version}-istio-${istioMinor}`);
  const ours = readdirSync(join(REPO_ROOT, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(REPO_ROOT, 'crds', f));
  // Inputs and this converter: a change to either writes the schemas again.
  const hash = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
  const stamp = JSON.stringify({ swagger: swagger.path, files: [...ours, istioCrds, fileURLToPath(import.meta.url)].map((f) => [f, hash(f)]) });
  const done = join(dir, '.done');
  if (existsSync(done) && readFileSync(done, 'utf8') === stamp) return JSON.parse(readFileSync(join(dir, '.kinds'), 'utf8')) as { dir: string; kinds: string[]; kubernetes: string };

  const kinds: string[] = [];
  for (const file of [...ours, istioCrds]) {
    for (const crd of loadAll(readFileSync(file, 'utf8'))) {
      if (!isObj(crd) || crd['kind'] !== 'CustomResourceDefinition') continue;
      const spec = crd['spec'] as { group: string; names: { kind: string }; versions: Array<{ name: string; schema?: { openAPIV3Schema?: Schema } }> };
      for (const v of spec.versions) {
        if (!v.schema?.openAPIV3Schema) continue;
        write(dir, spec.group, spec.names.kind, v.name, v.schema.openAPIV3Schema);
        kinds.push(`${spec.group}/${v.name} ${spec.names.kind}`);
      }
    }
  }
  const defs = (load(readFileSync(swagger.path, 'utf8')) as { definitions: Record<string, Schema> }).definitions;
  for (const kind of CORE_KINDS) {
    const def = defs[`io.k8s.api.core.v1.${kind}`];
    if (!def) throw new Error(`no io.k8s.api.core.v1.${kind} in ${swagger.path}`);
    write(dir, 'v1', kind, 'v1', inline(def, defs, new Set([`io.k8s.api.core.v1.${kind}`])));
    kinds.push(`v1 ${kind}`);
  }
  const result = { dir, kinds, kubernetes: swagger.version };
  writeFileSync(join(dir, '.kinds'), JSON.stringify(result));
  writeFileSync(done, stamp);
  return result;
}
