/**
 * MW3xx, the Envoy semantic layer: what the rest of the validator imports. The checks of typed
 * configs live in check.ts, the whole-EnvoyFilter pass in envoyfilter.ts (which builds on
 * check.ts, so neither imports this entry: no cycle).
 */
export * from './check.js';
export * as semanticRules from './rules.js';
export { checkLuaPerRoute } from './lua.js';
export { checkListenerCodecs, codecOrQuicPath } from './hcm.js';
export { checkEnvoyFilterSemantics, type EnvoyFilterSemanticsOptions } from './envoyfilter.js';
export type { EnvoyMinor, SemanticOptions } from './types.js';
export { actionEntry, generatedShapes, shapeMatches } from './rate-limit-actions.js';
