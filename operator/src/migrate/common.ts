/** What every Slime conversion shares: options, the facts of the input, output metadata. */
import type { RateLimitService } from '../api/types.gen.js';
import type { K8sObject, ObjectMeta } from '../k8s-object.js';

export const migratedFromAnnotation = 'meshwarden.io/migrated-from';
/** kubectl's copy of the last applied Slime object: it describes the source, not the output. */
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

export interface MigrateOptions {
  /** Objects of the input that answer questions the Slime objects leave open. */
  facts: { destinationRules: K8sObject[] };
  /** Written into spec.rateLimitService of SmartLimiters with global limits. */
  rateLimitService?: RateLimitService;
}

/** A DNS label from any name: lower case, `[a-z0-9-]`, at most 63 characters. */
export function sanitizeName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s === '' ? 'x' : s;
}

/** The source's name, namespace, labels and annotations, plus where it came from. */
export function migratedMetadata(source: K8sObject, name: string, detail = ''): ObjectMeta {
  const m = source.metadata;
  const annotations = Object.fromEntries(Object.entries(m.annotations ?? {}).filter(([k]) => k !== lastApplied));
  const ns = m.namespace !== undefined ? `${m.namespace}/` : '';
  annotations[migratedFromAnnotation] = `${source.apiVersion} ${source.kind} ${ns}${m.name ?? ''}${detail}`;
  return {
    name,
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    ...(m.labels && Object.keys(m.labels).length > 0 ? { labels: { ...m.labels } } : {}),
    annotations,
  };
}
