/**
 * The verdict on one object, shared by the controller, the admission webhook and the
 * CLI so all three always agree: schema (with the CRD's CEL rules), then rendering,
 * then the validator over what was rendered.
 */
import type { EffectiveLimit } from './api/types.gen.js';
import type { Diagnostic } from './diagnostics.js';
import { isK8sObject, refOf, type K8sObject } from './k8s-object.js';
import { render, type MeshwardenResource } from './render/index.js';
import type { RenderContext } from './render/context.js';
import { defineRule, type Finding } from './validate/rule.js';
import { checkSchema, isMeshwardenKind } from './validate/schema.js';

export const notAnObject = defineRule({
  code: 'MW100',
  layer: 'schema',
  severity: 'error',
  title: 'The document is not a Kubernetes object (apiVersion and kind are required)',
  source: 'https://kubernetes.io/docs/concepts/overview/working-with-objects/#required-fields',
});

export interface Verdict {
  diagnostics: Diagnostic[];
  /** Objects rendered from a SmartLimiter or EnvoyPlugin (empty for other kinds or on schema errors). */
  rendered: K8sObject[];
  effective: EffectiveLimit[];
}

export function evaluate(value: unknown, ctx: RenderContext): Verdict {
  if (!isK8sObject(value)) {
    const diag: Diagnostic = { ...notAnObject.finding('', 'not a Kubernetes object', 'add apiVersion and kind'), object: { kind: 'Unknown', name: '' } };
    return { diagnostics: [diag], rendered: [], effective: [] };
  }
  const object = refOf(value);
  const attach = (findings: Finding[]): Diagnostic[] => findings.map((f) => ({ ...f, object }));
  if (!isMeshwardenKind(value)) return { diagnostics: [], rendered: [], effective: [] };

  const schemaFindings = checkSchema(value);
  if (schemaFindings.some((f) => f.severity === 'error')) return { diagnostics: attach(schemaFindings), rendered: [], effective: [] };

  const result = render(value as unknown as MeshwardenResource, ctx);
  return { diagnostics: attach([...schemaFindings, ...result.findings]), rendered: result.objects, effective: result.effective };
}

