/**
 * `meshwarden adopt`: for each hand-written EnvoyFilter of a known pattern (HTTP local rate
 * limit, Lua, native filters before the router), the SmartLimiter or EnvoyPlugin that does
 * the same, rendered by the real renderer and compared with the original route by route.
 */
import type { Diagnostic } from '../diagnostics.js';
import { evaluate } from '../evaluate.js';
import { isK8sObject, type K8sObject } from '../k8s-object.js';
import { contextFromInputs } from '../cli/facts.js';
import { locateNotes, type LocatedNote, type Note } from '../migrate/notes.js';
import type { LoadedObject } from '../yaml/documents.js';
import { compare } from './compare.js';
import { parsePatches } from './patterns.js';
import { propose } from './propose.js';

export interface Adoption {
  input: LoadedObject;
  /** The proposed resource; undefined when the EnvoyFilter matches no known pattern. */
  proposal?: K8sObject;
  pattern?: string;
  notes: LocatedNote[];
  /** The validator's findings on the proposal. */
  diagnostics: Diagnostic[];
  /** Behaviour differences between the original and the rendered proposal; empty: equivalent. */
  differences: string[];
}

function isEnvoyFilter(v: unknown): v is K8sObject {
  return isK8sObject(v) && v.kind === 'EnvoyFilter' && v.apiVersion.startsWith('networking.istio.io/');
}

function patternOf(p: K8sObject): string {
  if (p.kind === 'SmartLimiter') return 'HTTP local rate limit';
  const plugins = (p['spec'] as { plugins?: Array<{ lua?: unknown }> }).plugins ?? [];
  const luaCount = plugins.filter((x) => x.lua).length;
  return luaCount === plugins.length ? 'Lua filter before the router' : luaCount === 0 ? 'native filters before the router' : 'Lua and native filters before the router';
}

/**
 * Adopts every EnvoyFilter of the input. Each proposal is validated for, and compared on the
 * generated config of, every Istio version given (full versions, e.g. 1.31.0).
 */
export function adopt(inputs: LoadedObject[], istioVersions: string[]): Adoption[] {
  const ctx = contextFromInputs(inputs, { istioVersions });
  const out: Adoption[] = [];
  for (const input of inputs) {
    if (!isEnvoyFilter(input.value)) continue;
    const ef = input.value;
    const notes: Note[] = [];
    const patches = (ef['spec'] as { configPatches?: unknown } | undefined)?.configPatches;
    const parsed = parsePatches(Array.isArray(patches) ? patches : [], notes);
    const proposal = parsed ? propose(ef, parsed, notes) : undefined;
    const result: Adoption = { input, notes: [], diagnostics: [], differences: [] };
    if (proposal) {
      // Validate and render it exactly as lint and the operator would, beside the rest of the input.
      const verdict = evaluate(proposal, { ...ctx, envoyFilters: ctx.envoyFilters.filter((o) => o !== ef) });
      const where = input.locate([], false);
      result.diagnostics = verdict.diagnostics.map((d) => ({ ...d, message: `proposal: ${d.message}`, source: where }));
      if (verdict.diagnostics.some((d) => d.severity === 'error')) {
        notes.push({ kind: 'dropped', path: [], message: 'the proposal fails validation (below), so none is made', hint: 'keep this EnvoyFilter' });
      } else {
        result.proposal = proposal;
        result.pattern = patternOf(proposal);
        result.differences = differencesAcross(ef, verdict.rendered, istioVersions);
      }
    }
    result.notes = locateNotes(input, notes);
    out.push(result);
  }
  return out;
}

/** Differences on each version's baseline; one seen on only some versions says which. */
function differencesAcross(ef: K8sObject, rendered: K8sObject[], versions: string[]): string[] {
  const per = versions.map((v) => compare(ef, rendered, v).differences);
  const all = [...new Set(per.flat())];
  return all.map((d) => {
    const on = versions.filter((_, i) => per[i]!.includes(d));
    return on.length === versions.length ? d : `Istio ${on.map((v) => v.split('.').slice(0, 2).join('.')).join(', ')} only: ${d}`;
  });
}
