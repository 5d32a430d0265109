/**
 * The state of one EnvoyFilter application (apply.ts) that the MW4xx structural checks
 * (checks.ts) read afterwards. Its own module so that checks.ts depends on the state's shape, not
 * on the simulation that fills it.
 */
import type { IstioFeatures } from './versions.js';
import type { ApplyTo, ConfigPatchMatch, JsonObject, Operation, PatchContext, PatchFinding, ProxyInfo } from './types.js';

/** One config patch as istiod holds it after `convertToEnvoyFilterWrapper`, plus what the simulation saw. */
export interface PatchWrapper {
  filterIndex: number;
  patchIndex: number;
  path: string;
  applyTo: ApplyTo;
  /** Operation after istiod's INSERT_* → ADD conversion. */
  op: Operation;
  match: ConfigPatchMatch;
  context: PatchContext;
  value: JsonObject;
  /** The patch changed something. */
  applied: boolean;
  /** Every match level above the anchor matched at least once (listener/chain/HCM, route config/vhost). */
  reachedParent: boolean;
}

export type PatchMap = Map<ApplyTo, PatchWrapper[]>;

export interface SimState {
  features: IstioFeatures;
  proxy: ProxyInfo;
  patches: PatchMap;
  all: PatchWrapper[];
  findings: PatchFinding[];
  /** Objects inserted by a patch → that patch. */
  provenance: WeakMap<object, PatchWrapper>;
  /** Containers (HCM config, filter chain, route config, vhost, listener) → last patch that changed them. */
  touched: WeakMap<object, PatchWrapper>;
  /** HCM typed_config → patch that removed or replaced its router. */
  routerRemovedBy: WeakMap<object, PatchWrapper>;
  portMap: Record<string, number[]>;
  inboundPorts: Array<{ servicePort: number; targetPort: number; protocol?: 'http' | 'tcp' }>;
  /** istiod panicked while patching listeners: later listener patches were dropped, not unmatched. */
  panicked: boolean;
  /** Copies of the baseline snapshot's listeners and filter chains made for this application, writable at any depth (copy on write). */
  owned: WeakSet<JsonObject>;
  /** Listeners copied one level deep: their filter chains are still the snapshot's until `ownChain`. */
  shallow: WeakSet<JsonObject>;
}
