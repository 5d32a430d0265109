/** MW5xx: Lua (LuaJIT syntax + load-time run), RE2 and WasmPlugin checks. Pure functions. */
export * from './rules.js';
export { checkLua, clearLuaCache, runTopLevel, type CheckLuaOptions, type RunTopLevelOptions } from './lua.js';
export { checkLuaApi } from './lua-api.js';
export { warmUpLuaWorker, stopLuaWorker } from './lua-runner.js';
export { LJ_MAX_XLEVEL } from './lua-levels.js';
export {
  checkRegex,
  checkProxyVersion,
  clearRegexCache,
  estimateProgramSize,
  re2Error,
  re2ErrorIn,
  re2CharsetsOf,
  type Re2Charset,
  ISTIO_RE2_MAX_PROGRAM_SIZE,
  ENVOY_RE2_MAX_PROGRAM_SIZE,
  type CheckRegexOptions,
} from './regex.js';
export { checkWasmPlugin, checkWasmOrdering, parseWasmUrl, type WasmPluginSpec, type WasmPluginRef, type ParsedWasmUrl, type CheckWasmOrderingOptions } from './wasm.js';
