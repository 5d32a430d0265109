/**
 * Cluster facts found in the CLI's input: Services and Pods feed target resolution and
 * `average`; the EnvoyFilters and WasmPlugins are the neighbours istiod applies together.
 * A Service or Pod the API server would not store (a field the renderer reads of the wrong
 * type) is no fact: it must not change, or crash, the checks of the objects that read the
 * facts (docs/adr/0109-lint-isolates-objects-and-documents.md). The neighbours are filtered
 * where they are used (validate/index.ts), by Istio's own schema.
 */
import type { LoadedObject } from '../yaml/documents.js';
import type { Pod, Service } from '../render/context.js';
import type { EvaluationContext } from '../evaluate.js';
import { isK8sObject, type K8sObject } from '../k8s-object.js';

export interface InputFacts extends EvaluationContext {
  envoyFilters: K8sObject[];
  wasmPlugins: K8sObject[];
}

export function contextFromInputs(objects: LoadedObject[], extra: Partial<EvaluationContext> = {}): InputFacts {
  const services: Service[] = [];
  const pods: Pod[] = [];
  const envoyFilters: K8sObject[] = [];
  const wasmPlugins: K8sObject[] = [];
  for (const { value } of objects) {
    if (!isK8sObject(value)) continue;
    if (value.kind === 'EnvoyFilter') envoyFilters.push(value);
    if (value.kind === 'WasmPlugin') wasmPlugins.push(value);
    if (value.apiVersion !== 'v1' || !metadataShape(value.metadata)) continue;
    const withNs = { ...value, metadata: { ...value.metadata, namespace: value.metadata?.namespace ?? 'default' } };
    if (value.kind === 'Service' && serviceShape(value)) services.push(withNs);
    if (value.kind === 'Pod' && podShape(value)) pods.push(withNs);
  }
  return { services, pods, ...extra, envoyFilters, wasmPlugins };
}

type Check = (v: unknown) => boolean;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString: Check = (v) => typeof v === 'string';
const isPort: Check = (v) => Number.isInteger(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const listOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(check);
const stringMap: Check = (v) => isMap(v) && Object.values(v).every(isString);
/** A map whose listed fields pass their checks (the fields the facts' readers use; others are not read). */
const fields =
  (spec: Record<string, Check>): Check =>
  (v) =>
    isMap(v) && Object.entries(spec).every(([k, check]) => check(v[k]));

const metadataShape = fields({ name: isString, namespace: optional(isString), labels: optional(stringMap) });

const serviceShape = fields({
  spec: optional(
    fields({
      selector: optional(stringMap),
      ports: optional(listOf(fields({ port: isPort, name: optional(isString), targetPort: optional((t) => isPort(t) || isString(t)), protocol: optional(isString), appProtocol: optional(isString) }))),
    }),
  ),
});

const podShape = fields({
  spec: optional(fields({ containers: optional(listOf(fields({ ports: optional(listOf(fields({ containerPort: isPort, name: optional(isString) }))) }))) })),
  status: optional(fields({ phase: optional(isString), conditions: optional(listOf(fields({ type: isString, status: isString }))) })),
});
