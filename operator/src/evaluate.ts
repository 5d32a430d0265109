/**
 * The verdict on one object, shared by the controller, the admission webhook and the
 * CLI so all three always agree: schema (with the CRD's CEL rules), then rendering,
 * then the validator over what was rendered. Istio EnvoyFilters and WasmPlugins go
 * straight to the validator.
 */
import type { EffectiveLimit } from './api/types.gen.js';
import type { Diagnostic } from './diagnostics.js';
import { isK8sObject, refOf, type K8sObject } from './k8s-object.js';
import { render, type MeshwardenResource } from './render/index.js';
import type { RenderContext } from './render/context.js';
import type { Origins } from './render/result.js';
import type { Finding, Layer } from './validate/rule.js';
import { ruleOf, rules } from './validate/catalogue.js';
import { checkSchema, isMeshwardenKind } from './validate/schema.js';
import { checkMeshwardenType, checkObjectMeta } from './validate/identity.js';
import { isIstioValidatedKind, supportedIstioVersions, validateIstioObject, type ValidationContext } from './validate/index.js';

export const notAnObject = rules.MW100;

/** Everything known about the cluster (or the input): render facts plus the other Istio objects. */
export type EvaluationContext = RenderContext & Partial<Omit<ValidationContext, 'pods'>>;

export interface Verdict {
  diagnostics: Diagnostic[];
  /** Objects rendered from a SmartLimiter or EnvoyPlugin (empty for other kinds or on schema errors). */
  rendered: K8sObject[];
  effective: EffectiveLimit[];
  /** Which resource field produced each rendered node. */
  origins?: Origins;
}

const empty: Verdict = { diagnostics: [], rendered: [], effective: [] };

export function evaluate(value: unknown, ctx: EvaluationContext): Verdict {
  if (!isK8sObject(value)) {
    const diag: Diagnostic = { ...notAnObject.finding('', 'not a Kubernetes object', 'add apiVersion and kind'), object: { kind: 'Unknown', name: '' } };
    return { ...empty, diagnostics: [diag] };
  }
  const meta: unknown = value.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    const diag: Diagnostic = {
      ...notAnObject.finding('metadata', 'metadata must be an object', 'give the object metadata with at least a name'),
      object: { kind: value.kind, name: '' },
    };
    return { ...empty, diagnostics: [diag] };
  }
  const object = refOf(value);
  const attach = (findings: Finding[]): Diagnostic[] => findings.map((f) => ({ ...f, object }));
  const vctx: ValidationContext = {
    istioVersions: ctx.istioVersions ?? supportedIstioVersions,
    envoyFilters: ctx.envoyFilters ?? [],
    wasmPlugins: ctx.wasmPlugins ?? [],
    pods: ctx.pods,
  };
  // The API server refuses such metadata before any webhook or controller sees the object.
  const metaFindings = checkObjectMeta(meta as Record<string, unknown>);
  if (isIstioValidatedKind(value)) return { ...empty, diagnostics: attach([...metaFindings, ...validateIstioObject(value, vctx)]) };
  if (!isMeshwardenKind(value)) return { ...empty, diagnostics: attach(checkMeshwardenType(value)) };

  const schemaFindings = [...metaFindings, ...checkSchema(value)];
  if (schemaFindings.some((f) => f.severity === 'error')) return { ...empty, diagnostics: attach(schemaFindings) };

  const result = render(value as unknown as MeshwardenResource, ctx);
  const generated = validateRendered(result.objects, result.origins, vctx);
  const unresolved = result.unresolved ? validateRendered(result.unresolved, result.origins, vctx).filter(isClusterIndependent) : [];
  return {
    diagnostics: attach([...schemaFindings, ...result.findings, ...generated, ...unresolved]),
    rendered: result.objects,
    effective: result.effective,
    origins: result.origins,
  };
}

/**
 * Layers whose verdict on what a resource rendered depends on the cluster: patches applied at
 * the target's listener ports (MW4xx) and other objects (MW6xx). A render against a placeholder
 * target (its Service missing) reports only the other layers' findings: those hold whatever the
 * Service turns out to be, and the render against the real Service repeats them.
 */
const clusterDependentLayers: ReadonlySet<Layer> = new Set(['patch', 'cross']);

function isClusterIndependent(f: Finding): boolean {
  const layer = ruleOf(f.rule)?.layer;
  return layer !== undefined && !clusterDependentLayers.has(layer);
}

/**
 * Validates what a resource rendered, as istiod will see it next to everything else,
 * and reports each finding at the resource field that produced the offending part.
 */
function validateRendered(objects: K8sObject[], origins: Origins, vctx: ValidationContext): Finding[] {
  return reportAtOrigin(objects, origins, (obj, ctx) => validateIstioObject(obj, ctx), vctx);
}

/**
 * Runs `check` over the Istio objects a resource rendered, as istiod will see them next
 * to everything else, and reports each finding at the resource field behind it.
 */
export function reportAtOrigin(objects: K8sObject[], origins: Origins, check: (obj: K8sObject, ctx: ValidationContext) => Finding[], vctx: ValidationContext): Finding[] {
  const istio = objects.filter(isIstioValidatedKind);
  const ctx: ValidationContext = {
    ...vctx,
    envoyFilters: [...vctx.envoyFilters, ...istio.filter((o) => o.kind === 'EnvoyFilter')],
    wasmPlugins: [...vctx.wasmPlugins, ...istio.filter((o) => o.kind === 'WasmPlugin')],
  };
  return istio.flatMap((obj) =>
    check(obj, ctx)
      // Infos explain what a hand-written config does; for generated objects the resource
      // already says it (a shadow limit, a placeholder filter, container ports).
      .filter((f) => f.severity !== 'info')
      .map((f) => ({
        ...f,
        path: origins.resolve(obj, f.path) ?? 'spec',
        message: `generated ${obj.kind} ${obj.metadata.name}, ${f.path}: ${f.message}`,
      })),
  );
}
