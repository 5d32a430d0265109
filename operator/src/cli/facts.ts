/**
 * Cluster facts found in the CLI's input: Services and Pods feed target resolution and
 * `average`; the EnvoyFilters and WasmPlugins are the neighbours istiod applies together.
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
    if (value.apiVersion !== 'v1') continue;
    const withNs = { ...value, metadata: { ...value.metadata, namespace: value.metadata?.namespace ?? 'default' } };
    if (value.kind === 'Service') services.push(withNs as Service);
    if (value.kind === 'Pod') pods.push(withNs as Pod);
  }
  return { services, pods, ...extra, envoyFilters, wasmPlugins };
}
