/**
 * MW6xx over Istio objects: what only shows when an object is seen next to the
 * workloads and the other EnvoyFilters of the input or cluster.
 */
import type { K8sObject } from '../../k8s-object.js';
import { matchesLabels, type Pod } from '../../render/context.js';
import type { Finding } from '../rule.js';
import { rules } from '../catalogue.js';
import { indexedPerArray } from '../../util/array-index.js';

export const selectsNoPod = rules.MW609;
export const luaOnEveryOutboundPort = rules.MW610;
export const orderingTie = rules.MW611;

interface Patch {
  applyTo?: string;
  match?: { context?: string; listener?: { portNumber?: number; filterChain?: { filter?: { subFilter?: { name?: string } } } } };
  patch?: { operation?: string; value?: { name?: string; typed_config?: { '@type'?: string } } };
}

const patchesOf = (ef: K8sObject) => (ef.spec as { configPatches?: Patch[] } | undefined)?.configPatches ?? [];
const selectorOf = (ef: K8sObject) => (ef.spec as { workloadSelector?: { labels?: Record<string, string> } } | undefined)?.workloadSelector?.labels;
const priorityOf = (ef: K8sObject) => (ef.spec as { priority?: number } | undefined)?.priority ?? 0;
const ns = (o: K8sObject) => o.metadata.namespace ?? 'default';

export interface CrossContext {
  pods: readonly Pod[];
  /** The other EnvoyFilters that reach the same proxies: its namespace's and the root namespace's. */
  neighbours: readonly K8sObject[];
  rootNamespace?: string;
}

/** Pods by namespace. */
const podsByNamespace = indexedPerArray((pods: readonly Pod[]) => {
  const byNamespace = new Map<string, Pod[]>();
  for (const p of pods) (byNamespace.get(ns(p)) ?? byNamespace.set(ns(p), []).get(ns(p))!).push(p);
  return byNamespace;
});

function podsOfNamespace(pods: readonly Pod[], namespace: string): readonly Pod[] {
  return podsByNamespace(pods).get(namespace) ?? [];
}

export function checkEnvoyFilterCross(ef: K8sObject, ctx: CrossContext): Finding[] {
  const findings: Finding[] = [];
  const root = ctx.rootNamespace ?? 'istio-system';
  const selector = selectorOf(ef);

  // Only judge selectors where the workloads of the namespace are known.
  const podsHere = podsOfNamespace(ctx.pods, ns(ef));
  if (selector && Object.keys(selector).length > 0 && ns(ef) !== root && podsHere.length > 0) {
    if (!podsHere.some((p) => matchesLabels(p.metadata.labels, selector))) {
      findings.push(
        selectsNoPod.finding(
          'spec.workloadSelector.labels',
          `no pod in namespace "${ns(ef)}" has the labels ${JSON.stringify(selector)}`,
          'check the labels against the Deployment’s pod template (kubectl get pods --show-labels)',
        ),
      );
    }
  }

  patchesOf(ef).forEach((p, i) => {
    const type = p.patch?.value?.typed_config?.['@type'];
    const t = typeof type === 'string' ? type : '';
    const context = p.match?.context ?? 'ANY';
    const everyOutbound = (context === 'SIDECAR_OUTBOUND' || context === 'ANY') && p.match?.listener?.portNumber === undefined;
    if (p.applyTo === 'HTTP_FILTER' && t.endsWith('envoy.extensions.filters.http.lua.v3.Lua') && everyOutbound) {
      findings.push(
        luaOnEveryOutboundPort.finding(
          `spec.configPatches[${i}].match`,
          'this Lua filter goes into the HTTP connection manager of every outbound port, each with its own Lua state per worker thread',
          'match the outbound listener port (match.listener.portNumber) the script is for',
        ),
      );
    }
  });

  findings.push(...orderingTies(ef, ctx.neighbours));
  return findings;
}

/** Names of the filters an EnvoyFilter adds. */
function addedNames(ef: K8sObject): Set<string> {
  const names = new Set<string>();
  for (const p of patchesOf(ef)) {
    const op = p.patch?.operation ?? '';
    if (['ADD', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE'].includes(op) && typeof p.patch?.value?.name === 'string') names.add(p.patch.value.name);
  }
  return names;
}

/** Two selectors can select the same pod unless they require different values of one label. */
function mayOverlap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return true;
  return Object.entries(a).every(([k, v]) => b[k] === undefined || b[k] === v);
}

function orderingTies(ef: K8sObject, neighbours: readonly K8sObject[]): Finding[] {
  const findings: Finding[] = [];
  const peers = neighbours.filter((o) => priorityOf(o) === priorityOf(ef) && mayOverlap(selectorOf(o), selectorOf(ef)));
  patchesOf(ef).forEach((p, i) => {
    const anchor = p.match?.listener?.filterChain?.filter?.subFilter?.name;
    if (anchor === undefined) return;
    const owner = peers.find((o) => addedNames(o).has(anchor));
    if (owner) {
      findings.push(
        orderingTie.finding(
          `spec.configPatches[${i}].match.listener.filterChain.filter.subFilter.name`,
          `"${anchor}" is added by EnvoyFilter ${ns(owner)}/${owner.metadata.name}, which has the same priority (${priorityOf(ef)}): when that one is recreated later, this patch matches nothing`,
          `give this EnvoyFilter a higher priority than ${owner.metadata.name}, or anchor on envoy.filters.http.router`,
        ),
      );
    }
  });
  return findings;
}
