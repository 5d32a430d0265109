/**
 * MW5xx: Lua, RE2 and Wasm checks. One `defineRule` per code; the check modules
 * (lua.ts, regex.ts, wasm.ts) only build findings through these.
 */
import { defineRule } from '../rule.js';

const ENVOY = 'https://github.com/envoyproxy/envoy/blob/main/';
const ISTIO = 'https://github.com/istio/istio/blob/master/';
const ISTIO_API = 'https://github.com/istio/api/blob/master/';

// ---------------------------------------------------------------- Lua (MW50x)

export const LUA_SYNTAX = defineRule({
  code: 'MW501',
  layer: 'syntax',
  severity: 'error',
  title: 'Lua script does not parse as LuaJIT (Lua 5.1 + LuaJIT extensions)',
  source: `${ENVOY}source/extensions/filters/common/lua/lua.cc`,
  failureModes: [24],
});

export const LUA_LOAD_ERROR = defineRule({
  code: 'MW502',
  layer: 'syntax',
  severity: 'error',
  title: "Lua script's top level raises an error when Envoy loads it (luaL_dostring → `script load error`, LDS NACK)",
  source: `${ENVOY}source/extensions/filters/common/lua/lua.cc`,
  failureModes: [24],
});

export const LUA_NO_HANDLER = defineRule({
  code: 'MW503',
  layer: 'syntax',
  severity: 'warning',
  title: 'Lua script defines neither envoy_on_request nor envoy_on_response: the filter is a silent no-op',
  source: `${ENVOY}source/extensions/filters/http/lua/lua_filter.cc`,
  failureModes: [25],
});

export const LUA_EMPTY = defineRule({
  code: 'MW504',
  layer: 'syntax',
  severity: 'warning',
  title: 'Lua script is empty',
  source: 'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/lua/v3/lua.proto',
  failureModes: [25],
});

export const LUA_LOAD_UNCERTAIN = defineRule({
  code: 'MW505',
  layer: 'syntax',
  severity: 'warning',
  title: 'Lua top level could not be checked faithfully (Lua 5.3 emulator vs LuaJIT difference, or host access)',
  source: `${ENVOY}source/extensions/filters/common/lua/lua.cc`,
  failureModes: [24],
});

export const LUA_LOAD_BUDGET = defineRule({
  code: 'MW506',
  layer: 'syntax',
  severity: 'error',
  title:
    "Lua top level exceeds the validator's load-time budget (instructions, wall clock or memory): it would block or exhaust Envoy's config load",
  source: `${ENVOY}source/extensions/filters/common/lua/lua.cc`,
  failureModes: [24],
});

// ---------------------------------------------------------------- RE2 (MW51x)

export const REGEX_INVALID = defineRule({
  code: 'MW511',
  layer: 'syntax',
  severity: 'error',
  title: 'Regex is not valid RE2 syntax (lookaround, backreferences, possessive/atomic groups, JS-only escapes)',
  source: `${ENVOY}source/common/common/regex.cc`,
});

export const REGEX_PROGRAM_SIZE = defineRule({
  code: 'MW512',
  layer: 'syntax',
  severity: 'warning',
  title: 'Regex RE2 program size (estimated) exceeds re2.max_program_size.error_level',
  source: `${ENVOY}source/common/common/regex.cc`,
});

export const PROXY_VERSION = defineRule({
  code: 'MW513',
  layer: 'syntax',
  severity: 'warning',
  title: 'proxyVersion regex matches more or fewer Istio versions than intended',
  source: `${ISTIO}pilot/pkg/model/envoyfilter.go`,
  failureModes: [33],
});

// ---------------------------------------------------------------- Wasm (MW52x)

const WASM_VALIDATION = `${ISTIO}pkg/config/validation/validation.go`;
const WASM_PROTO = `${ISTIO_API}extensions/v1alpha1/wasm.proto`;

export const WASM_URL = defineRule({
  code: 'MW521',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin url is empty, malformed or uses a scheme other than oci, http, https, file',
  source: WASM_VALIDATION,
  failureModes: [34],
});

export const WASM_SHA256 = defineRule({
  code: 'MW522',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin sha256 is not 64 lowercase hex characters (or contradicts the @sha256: digest in url)',
  source: WASM_VALIDATION,
  failureModes: [34],
});

export const WASM_NO_INTEGRITY = defineRule({
  code: 'MW523',
  layer: 'syntax',
  severity: 'warning',
  title: 'WasmPlugin fetched over http(s) without sha256: module integrity is not verified',
  source: WASM_PROTO,
  failureModes: [34],
});

export const WASM_PULL = defineRule({
  code: 'MW524',
  layer: 'syntax',
  severity: 'warning',
  title: 'WasmPlugin OCI image pulled on every change (`latest`/no tag → imagePullPolicy Always, or Always set)',
  source: WASM_PROTO,
  failureModes: [37],
});

export const WASM_ENUM = defineRule({
  code: 'MW525',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin imagePullPolicy, phase, failStrategy or type has a value Istio does not define',
  source: WASM_PROTO,
});

export const WASM_FAIL_CLOSE = defineRule({
  code: 'MW526',
  layer: 'syntax',
  severity: 'info',
  title: 'WasmPlugin fails closed (FAIL_CLOSE, the default): every request fails while the module cannot load',
  source: WASM_PROTO,
  failureModes: [34, 36],
});

export const WASM_ORDER = defineRule({
  code: 'MW527',
  layer: 'syntax',
  severity: 'warning',
  title: 'Two WasmPlugins share a phase without distinct priorities: order falls back to name/namespace',
  source: WASM_PROTO,
  failureModes: [37],
});

export const WASM_MATCH_PORTS = defineRule({
  code: 'MW528',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin match[].ports out of range 1–65535 (inbound ports must be container ports)',
  source: WASM_VALIDATION,
  failureModes: [37],
});

export const WASM_FIELD_LIMITS = defineRule({
  code: 'MW529',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin pluginName > 256 or imagePullSecret > 253 characters',
  source: WASM_VALIDATION,
  failureModes: [36],
});

export const WASM_VM_ENV = defineRule({
  code: 'MW530',
  layer: 'syntax',
  severity: 'error',
  title: 'WasmPlugin vmConfig.env entry has an empty, duplicate or over-long name, or a value with valueFrom HOST',
  source: WASM_VALIDATION,
});
