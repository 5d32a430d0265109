/** Cluster facts found in the CLI's input: Services and Pods feed target resolution and `average`. */
import type { LoadedObject } from '../yaml/documents.js';
import type { Pod, Service } from '../render/context.js';
import type { EvaluationContext } from '../evaluate.js';
import { isK8sObject } from '../k8s-object.js';

export function contextFromInputs(objects: LoadedObject[], extra: Partial<EvaluationContext> = {}): EvaluationContext {
  const services: Service[] = [];
  const pods: Pod[] = [];
  for (const { value } of objects) {
    if (!isK8sObject(value) || value.apiVersion !== 'v1') continue;
    const withNs = { ...value, metadata: { ...value.metadata, namespace: value.metadata?.namespace ?? 'default' } };
    if (value.kind === 'Service') services.push(withNs as Service);
    if (value.kind === 'Pod') pods.push(withNs as Pod);
  }
  return { services, pods, ...extra };
}
