import type { EffectiveLimit } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import { parsePath } from '../diagnostics.js';
import type { Finding } from '../validate/rule.js';

/** What a renderer returns: the objects to apply, findings (paths in the resource), and per-limit facts for status. */
export interface RenderResult {
  objects: K8sObject[];
  findings: Finding[];
  effective: EffectiveLimit[];
  /** Which field of the resource produced each generated patch or object. */
  origins: Origins;
  /**
   * What the resource rendered against a placeholder, its target not resolving: validated for
   * the findings that do not depend on the cluster, never applied (`objects` is then empty).
   */
  unresolved?: K8sObject[];
}

/** A render against a placeholder target (see target.ts): its objects become `unresolved`, its effective limits unknown. */
export function againstPlaceholder(result: RenderResult): RenderResult {
  return { objects: [], findings: result.findings, effective: [], origins: result.origins, unresolved: result.objects };
}

/**
 * Remembers the resource field behind generated nodes, so a finding deep inside a
 * generated EnvoyFilter is reported at the SmartLimiter or EnvoyPlugin field a user wrote.
 */
export class Origins {
  readonly #paths = new WeakMap<object, string>();

  /** Records `node` (a patch, a WasmPlugin) as produced by the resource field at `path`; returns the node. */
  note<T extends object>(node: T, path: string): T {
    this.#paths.set(node, path);
    return node;
  }

  /** The resource field behind the deepest recorded node on `path` inside `obj`. */
  resolve(obj: K8sObject, path: string): string | undefined {
    let node: unknown = obj;
    let found = this.#paths.get(obj);
    for (const seg of parsePath(path)) {
      if (typeof node !== 'object' || node === null) break;
      node = (node as Record<string | number, unknown>)[seg];
      if (typeof node === 'object' && node !== null) found = this.#paths.get(node) ?? found;
    }
    return found;
  }
}
