/** The minimal shape of any Kubernetes object this project reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export function isK8sObject(v: unknown): v is K8sObject {
  return typeof v === 'object' && v !== null && typeof (v as K8sObject).apiVersion === 'string' && typeof (v as K8sObject).kind === 'string';
}

export function refOf(obj: { apiVersion?: string; kind?: string; metadata?: ObjectMeta }) {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind ?? 'Unknown',
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? '',
  };
}
