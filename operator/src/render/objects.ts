/** Metadata every generated object carries: ownership, labels, the Istio revision. */
import type { K8sObject, ObjectMeta } from '../k8s-object.js';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const ownerAnnotation = 'meshwarden.io/owner';
export const istioRevisionLabel = 'istio.io/rev';

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export function generatedMetadata(owner: Owner, name: string, namespace = owner.metadata.namespace ?? 'default'): ObjectMeta {
  const labels: Record<string, string> = { [managedByLabel]: 'meshwarden' };
  const rev = owner.metadata.labels?.[istioRevisionLabel];
  if (rev !== undefined) labels[istioRevisionLabel] = rev;
  const meta: ObjectMeta = {
    name,
    namespace,
    labels,
    annotations: { [ownerAnnotation]: `${owner.kind}/${owner.metadata.name}` },
  };
  // Offline (CLI) input has no uid: the owner reference is added once the owner exists.
  // Owner references cannot cross namespaces; those objects are cleaned up by a finalizer.
  if (owner.metadata.uid && namespace === owner.metadata.namespace) {
    meta.ownerReferences = [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }];
  }
  return meta;
}

export function envoyFilter(meta: ObjectMeta, selector: Record<string, string>, priority: number, configPatches: unknown[]): K8sObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: meta,
    spec: { workloadSelector: { labels: selector }, priority, configPatches },
  };
}
