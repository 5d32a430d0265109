/**
 * Which pods a SmartLimiter or EnvoyPlugin targets: shared by the controller (which pods wake
 * which resources), the reconciler and the effective-state tracker, so that none of them imports
 * another for it.
 */
import type { K8sObject } from '../k8s-object.js';
import type { Service } from '../render/context.js';

interface Target {
  service?: string;
  workloadSelector?: { matchLabels?: Record<string, string> };
  gateway?: { selector?: Record<string, string> };
}
export type TargetedResource = K8sObject & {
  spec?: { target?: Target; subset?: Record<string, string> };
  status?: { generated?: Array<{ kind: string; namespace?: string; name: string }>; conditions?: Array<{ type: string; reason: string }> };
};

/** The pod selector of a resource's target, or undefined when its Service is unknown. */
export function selectorOf(r: TargetedResource, services: { get(name: string, ns?: string): Service | undefined }): Record<string, string> | undefined {
  const t = r.spec?.target;
  if (!t) return undefined;
  let base: Record<string, string> | undefined;
  if (t.service) base = services.get(t.service, r.metadata.namespace)?.spec?.selector;
  else if (t.workloadSelector) base = t.workloadSelector.matchLabels;
  else if (t.gateway) base = t.gateway.selector;
  return base ? { ...base, ...r.spec?.subset } : undefined;
}
