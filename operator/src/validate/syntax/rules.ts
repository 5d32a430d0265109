/**
 * MW5xx: Lua, RE2 and Wasm checks, under the names the check modules (lua.ts, regex.ts,
 * wasm.ts) build their findings with. The rules themselves are entries of the catalogue.
 */
import { rules } from '../catalogue.js';

// ---------------------------------------------------------------- Lua (MW50x)

export const LUA_SYNTAX = rules.MW501;
export const LUA_LOAD_ERROR = rules.MW502;
export const LUA_NO_HANDLER = rules.MW503;
export const LUA_EMPTY = rules.MW504;
export const LUA_LOAD_UNCERTAIN = rules.MW505;
export const LUA_LOAD_BUDGET = rules.MW506;

// ---------------------------------------------------------------- RE2 (MW51x)

export const REGEX_INVALID = rules.MW511;
export const REGEX_PROGRAM_SIZE = rules.MW512;
export const PROXY_VERSION = rules.MW513;

// ---------------------------------------------------------------- Envoy 1.40 (issue 15, ADR 0111)

export const LUA_API_SINCE = rules.MW507;
export const REGEX_LATIN1 = rules.MW514;

// ---------------------------------------------------------------- Wasm (MW52x)

export const WASM_URL = rules.MW521;
export const WASM_SHA256 = rules.MW522;
export const WASM_NO_INTEGRITY = rules.MW523;
export const WASM_PULL = rules.MW524;
export const WASM_ENUM = rules.MW525;
export const WASM_FAIL_CLOSE = rules.MW526;
export const WASM_ORDER = rules.MW527;
export const WASM_MATCH_PORTS = rules.MW528;
export const WASM_FIELD_LIMITS = rules.MW529;
export const WASM_VM_ENV = rules.MW530;
