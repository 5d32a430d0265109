/** MW4xx: istiod's EnvoyFilter patch semantics, simulated on per-version baselines. */
export { applyEnvoyFilters, DEPRECATED_FILTER_NAMES, HCM_NAME, HCM_TYPE, ROUTER_NAME, ROUTER_TYPE } from './apply.js';
export { baselineFromConfigDump, instantiateBaseline, loadBaseline, loadBaselineTemplate, BASELINES_DIR, DEFAULT_PARAMS } from './baseline.js';
export type { BaselineParams, BaselineTemplate, GatewayServer, InboundPort, PolicyFilters } from './baseline.js';
export { protoMerge, mergeAnyWithAny, normalizeKeys } from './merge.js';
export { attaches, orderFilters, proxyMatches, regexEngine } from './select.js';
export { featuresFor, parseIstioVersion, BASELINE_MINORS } from './versions.js';
export * as rules from './rules.js';
export type * from './types.js';
export { checkEnvoyFilterPatches, patchedConfigs } from './layer.js';
export type { PatchLayerOptions } from './layer.js';
export { proxyVersionGateFindings } from './proxy-version-gate.js';
export { targetRefsContextFindings } from './target-refs-context.js';
