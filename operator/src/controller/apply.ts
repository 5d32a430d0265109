/**
 * The writes of a reconcile: server-side apply of owned objects (field manager
 * `meshwarden`), create-only apply for objects not seen before, deletes with a uid
 * precondition, optimistic read-modify-write of the shared rate-limit ConfigMap, and the
 * finalizer. Every function makes the smallest possible request and reports what it did.
 */
import type { K8sObject } from '../k8s-object.js';
import { managedByLabel } from '../render/objects.js';
import { applyObject, contentTypes, isNotFound, resourcePath, resources, type Kind, type Kube, type Resource } from './kube.js';
import { fieldManager, isOwnedBy, mergeRlsData, type Owner, type RlsWrite } from './plan.js';

export function resourceOf(kind: string): Resource {
  const r = (resources as Record<string, Resource>)[kind as Kind];
  if (!r) throw new Error(`no resource known for kind ${kind}`);
  return r;
}

export type WriteResult = 'created' | 'updated' | 'unchanged' | 'conflict' | 'deleted';

/** Applies an object we own (force: our field manager wins over whoever edited it). */
export async function applyOwned(kube: Kube, obj: K8sObject): Promise<K8sObject> {
  return applyObject(kube, resourceOf(obj.kind), obj, fieldManager, true);
}

/**
 * An object the cache does not hold: read it first. Absent → create through apply without
 * force (a concurrent creator's fields then conflict instead of being taken over); ours →
 * apply; anyone else's → conflict, untouched.
 */
export async function applyUnknown(kube: Kube, obj: K8sObject, owner: Owner): Promise<{ result: WriteResult; existing?: K8sObject; written?: K8sObject }> {
  const r = resourceOf(obj.kind);
  let existing: K8sObject | undefined;
  try {
    existing = await kube.request('GET', resourcePath(r, obj.metadata.namespace, obj.metadata.name));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (existing && !isOwnedBy(existing, owner)) return { result: 'conflict', existing };
  const written = await applyObject(kube, r, obj, fieldManager, existing !== undefined);
  return { result: existing ? 'updated' : 'created', written };
}

/** Deletes an owned object, only if it is still the one we saw (uid precondition). */
export async function deleteOwned(kube: Kube, obj: K8sObject): Promise<WriteResult> {
  try {
    await kube.request('DELETE', resourcePath(resourceOf(obj.kind), obj.metadata.namespace, obj.metadata.name), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: obj.metadata.uid }, propagationPolicy: 'Background' },
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return 'deleted';
}

/**
 * Merges this owner's descriptors into a shared ConfigMap (read-modify-write on its
 * resourceVersion; a 409 surfaces as an error and the key is retried with backoff).
 * Creates the ConfigMap (labelled managed-by, no owner) when absent and there is
 * something to write; never touches other data keys, labels or owners.
 */
export async function writeRlsConfig(kube: Kube, write: RlsWrite, prefix: string): Promise<WriteResult> {
  const r = resources.ConfigMap;
  let cm: (K8sObject & { data?: Record<string, string> }) | undefined;
  try {
    cm = await kube.request('GET', resourcePath(r, write.namespace, write.name));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const data = mergeRlsData(cm?.data, write, prefix);
  if (!data) return 'unchanged';
  if (!cm) {
    if (write.descriptors.length === 0) return 'unchanged';
    await kube.request('POST', resourcePath(r, write.namespace), {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: write.name, namespace: write.namespace, labels: { [managedByLabel]: 'meshwarden' } }, data },
      query: { fieldManager },
    });
    return 'created';
  }
  await kube.request('PUT', resourcePath(r, write.namespace, write.name), {
    body: { ...cm, data },
    query: { fieldManager },
  });
  return 'updated';
}

/** Adds or removes a finalizer with a JSON patch that tests the list first (optimistic). */
export async function setFinalizer(kube: Kube, r: Resource, obj: K8sObject, finalizer: string, present: boolean): Promise<K8sObject> {
  const current = obj.metadata.finalizers;
  const has = current?.includes(finalizer) ?? false;
  if (has === present) return obj;
  const next = present ? [...(current ?? []), finalizer] : (current ?? []).filter((f) => f !== finalizer);
  const ops: unknown[] = current === undefined ? [] : [{ op: 'test', path: '/metadata/finalizers', value: current }];
  ops.push({ op: current === undefined ? 'add' : 'replace', path: '/metadata/finalizers', value: next });
  return kube.request('PATCH', resourcePath(r, obj.metadata.namespace, obj.metadata.name), { body: ops, contentType: contentTypes.jsonPatch });
}

/** Writes status through the /status subresource (merge patch: arrays are replaced whole). */
export async function patchStatus(kube: Kube, r: Resource, obj: K8sObject, status: Record<string, unknown>): Promise<K8sObject> {
  return kube.request('PATCH', resourcePath(r, obj.metadata.namespace, obj.metadata.name, 'status'), {
    body: { status },
    contentType: contentTypes.merge,
    query: { fieldManager },
  });
}
