import type { EffectiveLimit } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import type { Finding } from '../validate/rule.js';

/** What a renderer returns: the objects to apply, findings (paths in the resource), and per-limit facts for status. */
export interface RenderResult {
  objects: K8sObject[];
  findings: Finding[];
  effective: EffectiveLimit[];
}
