/**
 * The pure half of a reconcile: from the verdict of evaluate() and what the caches hold,
 * decide what to write. Nothing here does I/O.
 *
 * - EnvoyFilters and WasmPlugins are owned through a controller ownerReference; an object of
 *   the same name that is not ours is a conflict, never touched.
 * - The rate limit service's ConfigMap is shared: it gets no ownerReference (it may live in
 *   another namespace and many resources write into it); each resource only replaces the
 *   descriptors under its own `<namespace>/<name>/` prefix (mergeRlsConfig).
 */
import { parse } from 'yaml';
import type { GeneratedRef } from '../api/types.gen.js';
import type { Verdict } from '../evaluate.js';
import type { K8sObject, OwnerReference } from '../k8s-object.js';
import { managedByLabel, ownerAnnotation } from '../render/objects.js';
import { formatRlsConfig, mergeRlsConfig, type RlsConfig, type RlsDescriptor } from '../render/rls.js';
import { canonical } from './status.js';

export const fieldManager = 'meshwarden';
export const rlsFinalizer = 'meshwarden.io/ratelimit-config';

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

export function controllerRef(obj: K8sObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/**
 * Ours: the controller reference points at this resource, or (a resource deleted and
 * re-created under the same name whose objects the garbage collector has not removed yet)
 * our managed-by label and owner annotation name it and no other controller claims it.
 */
export function isOwnedBy(obj: K8sObject, owner: Owner): boolean {
  const ref = controllerRef(obj);
  if (ref) return ref.uid === owner.metadata.uid || (ref.kind === owner.kind && ref.name === owner.metadata.name && labelledOurs(obj, owner));
  return labelledOurs(obj, owner);
}

function labelledOurs(obj: K8sObject, owner: Owner): boolean {
  return obj.metadata.labels?.[managedByLabel] === 'meshwarden' && obj.metadata.annotations?.[ownerAnnotation] === `${owner.kind}/${owner.metadata.name}`;
}

export function refString(o: { kind: string; metadata: { namespace?: string; name?: string } }): string {
  return `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** True when `existing` already has every field we would apply. */
export function upToDate(desired: K8sObject, existing: K8sObject | undefined): boolean {
  if (!existing) return false;
  const sub = (want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean => Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  if (!sub(desired.metadata.labels, existing.metadata.labels)) return false;
  if (!sub(desired.metadata.annotations, existing.metadata.annotations)) return false;
  const wantRef = controllerRef(desired);
  const haveRef = controllerRef(existing);
  if (wantRef && (!haveRef || canonical(wantRef) !== canonical({ ...haveRef }))) return false;
  const { apiVersion: _a, kind: _k, metadata: _m, ...wantBody } = desired;
  const { apiVersion: _b, kind: _l, metadata: _n, status: _s, ...haveBody } = existing;
  return canonical(wantBody) === canonical(haveBody);
}

export interface RlsWrite {
  namespace: string;
  name: string;
  key: string;
  domain: string;
  descriptors: RlsDescriptor[];
}

export interface Plan {
  valid: boolean;
  /** Objects to server-side apply (force: they are ours or new). */
  apply: K8sObject[];
  /** Desired objects already as rendered. */
  unchanged: K8sObject[];
  /** Objects of a desired name that belong to someone else. */
  conflicts: K8sObject[];
  /** Desired objects not in the cache: the shell reads them before creating (the cache may lag). */
  unknown: K8sObject[];
  /** Owned objects this resource no longer renders. */
  prune: K8sObject[];
  /** Descriptor sets to merge into shared rate limit ConfigMaps (empty descriptors = remove ours). */
  rls: RlsWrite[];
  /** status.generated for this round. */
  generated: GeneratedRef[];
}

export interface PlanInput {
  owner: Owner;
  verdict: Verdict;
  /** Cached object of this kind/namespace/name, if any. */
  lookup: (kind: string, namespace: string, name: string) => K8sObject | undefined;
  /** Every cached EnvoyFilter/WasmPlugin in the owner's namespace. */
  candidates: readonly K8sObject[];
  /** status.generated from the last round (to clear ConfigMap entries no longer rendered). */
  previous: readonly GeneratedRef[];
}

export function ownerPrefix(owner: Owner): string {
  return `${owner.metadata.namespace}/${owner.metadata.name}/`;
}

export function plan(input: PlanInput): Plan {
  const { owner, verdict } = input;
  const valid = !verdict.diagnostics.some((d) => d.severity === 'error');
  const out: Plan = { valid, apply: [], unchanged: [], conflicts: [], unknown: [], prune: [], rls: [], generated: [] };
  if (!valid) {
    // Nothing is written: the last good objects (and ConfigMap entries) stay; status keeps listing them.
    out.generated = [...input.previous];
    return out;
  }
  const ns = owner.metadata.namespace ?? 'default';
  const desiredNames = new Set<string>();
  for (const obj of verdict.rendered) {
    if (obj.kind === 'ConfigMap') {
      const write = rlsWriteOf(obj);
      if (write) out.rls.push(write);
      out.generated.push({ apiVersion: 'v1', kind: 'ConfigMap', namespace: write?.namespace, name: obj.metadata.name ?? '' });
      continue;
    }
    const name = obj.metadata.name ?? '';
    const objNs = obj.metadata.namespace ?? ns;
    desiredNames.add(`${obj.kind}/${objNs}/${name}`);
    out.generated.push({ apiVersion: obj.apiVersion, kind: obj.kind, name });
    const existing = input.lookup(obj.kind, objNs, name);
    if (!existing) out.unknown.push(obj);
    else if (!isOwnedBy(existing, owner)) out.conflicts.push(existing);
    else if (upToDate(obj, existing)) out.unchanged.push(obj);
    else out.apply.push(obj);
  }
  for (const c of input.candidates) {
    if ((c.metadata.namespace ?? ns) !== ns) continue;
    const ref = controllerRef(c);
    if (!ref || ref.uid !== owner.metadata.uid) continue;
    if (!desiredNames.has(`${c.kind}/${c.metadata.namespace}/${c.metadata.name}`)) out.prune.push(c);
  }
  // ConfigMaps written before but not rendered now: remove this resource's entries there.
  for (const p of input.previous) {
    if (p.kind !== 'ConfigMap') continue;
    if (out.rls.some((w) => w.namespace === p.namespace && w.name === p.name)) continue;
    out.rls.push({ namespace: p.namespace ?? ns, name: p.name, key: '', domain: '', descriptors: [] });
  }
  return out;
}

/** The descriptors a rendered rate-limit ConfigMap carries for its domain. */
export function rlsWriteOf(cm: K8sObject): RlsWrite | undefined {
  const data = (cm as { data?: Record<string, string> }).data ?? {};
  const [key, text] = Object.entries(data)[0] ?? [];
  if (key === undefined || text === undefined) return undefined;
  const config = parse(text) as RlsConfig;
  return { namespace: cm.metadata.namespace ?? 'default', name: cm.metadata.name ?? '', key, domain: config.domain, descriptors: config.descriptors ?? [] };
}

/**
 * The new data of a shared ConfigMap: this owner's descriptors replaced (or removed, for
 * an empty list) under every data key that holds a domain; other keys and other owners'
 * descriptors untouched. Returns undefined when nothing changes.
 */
export function mergeRlsData(data: Record<string, string> | undefined, write: RlsWrite, prefix: string): Record<string, string> | undefined {
  const next: Record<string, string> = { ...(data ?? {}) };
  let changed = false;
  // Remove ours from every other key (the domain may have changed).
  for (const [key, text] of Object.entries(data ?? {})) {
    if (key === write.key) continue;
    const ours = ownedIn(text, prefix);
    if (!ours) continue;
    const parsed = parse(text) as RlsConfig;
    const merged = formatRlsConfig(mergeRlsConfig(text, parsed.domain, prefix, []));
    if (merged !== text) {
      next[key] = merged;
      changed = true;
    }
  }
  if (write.key !== '') {
    const current = data?.[write.key];
    const merged = formatRlsConfig(mergeRlsConfig(current, write.domain, prefix, write.descriptors));
    if (merged !== current) {
      next[write.key] = merged;
      changed = true;
    }
  }
  return changed ? next : undefined;
}

function ownedIn(text: string, prefix: string): boolean {
  try {
    const c = parse(text) as Partial<RlsConfig> | null;
    return (c?.descriptors ?? []).some((d) => d.key === 'generic_key' && d.value?.startsWith(prefix)) && typeof c?.domain === 'string';
  } catch {
    return false;
  }
}

/** The workloadSelector labels of an EnvoyFilter (undefined: every workload in its namespace). */
export function envoyFilterSelector(ef: K8sObject): Record<string, string> | undefined {
  return (ef as { spec?: { workloadSelector?: { labels?: Record<string, string> } } }).spec?.workloadSelector?.labels;
}

/**
 * Whether two label selectors can select the same pod: false only when they require different
 * values for one key. Unknown selectors (undefined) overlap with everything.
 */
export function mayOverlap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return true;
  return Object.entries(a).every(([k, v]) => b[k] === undefined || b[k] === v);
}
