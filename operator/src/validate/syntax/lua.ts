/**
 * Lua checks for Envoy's HTTP Lua filter (failure modes 24 and 25).
 *
 * Envoy runs LuaJIT (Lua 5.1 syntax plus LuaJIT extensions). When the filter config loads,
 * `ThreadLocalState` opens the standard libraries (`luaL_openlibs`) and runs the whole chunk
 * with `luaL_dostring`; any error becomes `script load error: …` and the listener is NACKed
 * (source/extensions/filters/common/lua/lua.cc). Afterwards the filter looks up the globals
 * `envoy_on_request` / `envoy_on_response`; when neither exists the filter silently does nothing.
 *
 * We reproduce this in two steps, both pure (no I/O, no host access):
 *  1. luaparse with `luaVersion: 'LuaJIT'` — the syntax verdict. A syntax error is always MW501.
 *  2. Only if luaparse accepted the script: run the top level in a fresh fengari state.
 *     fengari is Lua 5.3, not LuaJIT, so its verdicts are downgraded whenever the two dialects
 *     could disagree: a fengari-only compile error (e.g. `1LL`, `0x1ULL`, `1i` LuaJIT literals),
 *     a runtime error after the script touched a 5.1 shim or a stubbed host facility
 *     (io, os.getenv, require of a module we do not know, ffi, setfenv …), a 5.3-only error
 *     message (integer representation), or the instruction budget — all of those become MW505
 *     warnings instead of MW502 errors. See docs/adr/0040-lua-and-regex-checks.md.
 *
 * Results are memoised by script text in a bounded LRU (the fengari run costs ~1 ms).
 */
import luaparse from 'luaparse';
import fengari from 'fengari';
import type { LuaState } from 'fengari';
import type { Chunk } from 'luaparse';
import type { Finding } from '../rule.js';
import { Lru } from './lru.js';
import { LUA_EMPTY, LUA_LOAD_ERROR, LUA_LOAD_UNCERTAIN, LUA_NO_HANDLER, LUA_SYNTAX } from './rules.js';

const { lua, lauxlib, lualib, to_luastring } = fengari;

export interface CheckLuaOptions {
  /** Maximum number of Lua VM instructions the top level may run (default 1,000,000). */
  instructionBudget?: number;
  /** Set false to skip the fengari top-level run (syntax and static handler check only). */
  run?: boolean;
  /** Finding path (relative to what the caller gave us); default `''`. */
  path?: string;
}

const DEFAULT_BUDGET = 1_000_000;
const HOOK_EVERY = 1000;
/** The chunk name Envoy's errors would show as `[string "…"]`; we use a short stable one. */
const CHUNK = 'script';
const HANDLERS = ['envoy_on_request', 'envoy_on_response'] as const;

/**
 * LuaJIT/5.1 compatibility and sandbox prelude, run before the user chunk.
 * `__mw_mark(reason)` records that the run left the faithfully emulated subset; any later
 * runtime error is then reported as MW505 (uncertain) rather than MW502.
 */
const PRELUDE = String.raw`
local mark, rawos, rawdebug = __mw_mark, __mw_os, __mw_debug
__mw_mark, __mw_os, __mw_debug = nil, nil, nil
local toint = math.tointeger
local function stub(name, ...)
  local ret = table.pack(...)
  return function() mark(name) return table.unpack(ret, 1, ret.n) end
end
local function stubtable(prefix, t)
  return setmetatable(t or {}, {__index = function(_, k)
    local f = stub(prefix .. '.' .. tostring(k), nil, 'not available in the meshwarden validator')
    return f
  end})
end
-- Lua 5.1 / LuaJIT globals missing from 5.3
unpack = table.unpack
loadstring = function(s, name) return load(s, name) end
getfenv = function(f) mark('getfenv') return _G end
setfenv = function(f, t) mark('setfenv') return f end
module = function() mark('module') end
gcinfo = function() return collectgarbage('count') end
newproxy = function() mark('newproxy') return {} end
math.pow = function(x, y) return x ^ y end
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 then return 0.0, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  return x / 2.0 ^ e, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
math.atan2 = function(y, x) return math.atan(y, x) end
table.getn = function(t) return #t end
table.maxn = function(t)
  local n = 0
  for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end
  return n
end
table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end
table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
-- LuaJIT bit library (global in LuaJIT), 32-bit semantics
local function tobit(x) x = toint(math.floor(x)) & 0xffffffff if x >= 0x80000000 then x = x - 0x100000000 end return x end
local function u(x) return toint(math.floor(x)) & 0xffffffff end
bit = {
  tobit = tobit,
  tohex = function(x, n) n = n or 8 local s = string.format('%08x', u(x)) return s:sub(-math.abs(n)) end,
  bnot = function(x) return tobit(~u(x)) end,
  band = function(x, ...) local r = u(x) for _, y in ipairs({...}) do r = r & u(y) end return tobit(r) end,
  bor = function(x, ...) local r = u(x) for _, y in ipairs({...}) do r = r | u(y) end return tobit(r) end,
  bxor = function(x, ...) local r = u(x) for _, y in ipairs({...}) do r = r ~ u(y) end return tobit(r) end,
  lshift = function(x, n) return tobit(u(x) << (u(n) & 31)) end,
  rshift = function(x, n) return tobit(u(x) >> (u(n) & 31)) end,
  arshift = function(x, n) return tobit(tobit(x) >> (u(n) & 31) | (tobit(x) < 0 and ~(0xffffffff >> (u(n) & 31)) or 0)) end,
  rol = function(x, n) n = u(n) & 31 return tobit((u(x) << n) | (u(x) >> (32 - n))) end,
  ror = function(x, n) n = u(n) & 31 return tobit((u(x) >> n) | (u(x) << (32 - n))) end,
  bswap = function(x) x = u(x) return tobit(((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24)) end,
}
jit = stubtable('jit', {version = 'LuaJIT 2.1.1753364724', version_num = 20199, os = 'Linux', arch = 'x64',
  on = function() end, off = function() end, flush = function() end, status = function() return true end,
  opt = {start = function() end}})
-- Lua 5.3-only library members LuaJIT does not have (checked against Envoy 1.36.2's LuaJIT):
-- calling them fails in Envoy with the same 'attempt to call a nil value'.
string.pack, string.packsize, string.unpack = nil, nil, nil
math.tointeger, math.type, math.ult, math.maxinteger, math.mininteger = nil, nil, nil, nil, nil
utf8 = nil
-- host access: stubbed, marks the run as approximate
io = stubtable('io')
os = stubtable('os', {time = rawos.time, clock = rawos.clock, date = rawos.date, difftime = rawos.difftime,
  getenv = stub('os.getenv', nil)})
debug = stubtable('debug', {traceback = rawdebug.traceback, getinfo = rawdebug.getinfo,
  getmetatable = rawdebug.getmetatable, setmetatable = rawdebug.setmetatable, getlocal = rawdebug.getlocal,
  getupvalue = rawdebug.getupvalue, setupvalue = rawdebug.setupvalue, upvalueid = rawdebug.upvalueid,
  setlocal = rawdebug.setlocal, upvaluejoin = rawdebug.upvaluejoin, getuservalue = rawdebug.getuservalue,
  setuservalue = rawdebug.setuservalue, getfenv = stub('debug.getfenv', _G), setfenv = stub('debug.setfenv'),
  sethook = stub('debug.sethook'), gethook = stub('debug.gethook'), getregistry = stub('debug.getregistry', {})})
dofile = stub('dofile')
loadfile = stub('loadfile', nil, 'not available in the meshwarden validator')
print = function() end
local rep = string.rep
string.rep = function(s, n, sep)
  if type(n) == 'number' and n > 0 and (#tostring(s) + #(sep or '')) * n > 16777216 then
    mark('string.rep > 16 MiB') error('string.rep result too large for the validator', 2)
  end
  return rep(s, n, sep)
end
local ffi = stubtable('ffi')
local known = {string = string, table = table, math = math, coroutine = coroutine, os = os, io = io,
  debug = debug, bit = bit, jit = jit, ffi = ffi, _G = _G,
  ['table.new'] = function(narr, nrec) return {} end, ['table.clear'] = function(t) for k in pairs(t) do t[k] = nil end end}
package = stubtable('package', {loaded = {}, preload = {}, path = '', cpath = '', config = '/\n;\n?\n!\n-\n',
  loaders = {}, searchers = {}})
for k, v in pairs(known) do package.loaded[k] = v end
require = function(name)
  local v = package.loaded[name]
  if v ~= nil then return v end
  local pre = package.preload[name]
  if pre then v = pre(name) if v == nil then v = true end package.loaded[name] = v return v end
  mark('require ' .. tostring(name))
  error("module '" .. tostring(name) .. "' not found (the validator cannot see the proxy's file system)", 2)
end
`;

let preludeBytes: Uint8Array | undefined;

/** The prelude compiled once and kept as a binary chunk: loading it is ~4× cheaper than compiling. */
function preludeBinary(): Uint8Array {
  if (preludeBytes) return preludeBytes;
  const L = lauxlib.luaL_newstate();
  try {
    if (lauxlib.luaL_loadbuffer(L, to_luastring(PRELUDE), null, to_luastring('=prelude')) !== lua.LUA_OK) {
      throw new Error(`meshwarden Lua prelude does not compile: ${lua.lua_tojsstring(L, -1)}`);
    }
    const parts: Uint8Array[] = [];
    lua.lua_dump(L, (_S, b, size) => {
      parts.push(b.slice(0, size));
      return 0;
    }, null, 0);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    preludeBytes = out;
    return out;
  } finally {
    lua.lua_close(L);
  }
}

interface RunOutcome {
  kind: 'ok' | 'compile' | 'runtime' | 'budget' | 'internal';
  message?: string;
  /** Reasons the run left the faithfully emulated subset. */
  approx: string[];
  /** Which handler globals are functions after the run. */
  handlers: string[];
}

/** Runs the chunk's top level in a fresh sandboxed fengari state. Pure: no I/O, bounded CPU. */
export function runTopLevel(code: string, budget = DEFAULT_BUDGET): RunOutcome {
  const L: LuaState = lauxlib.luaL_newstate();
  const approx: string[] = [];
  let budgetHit = false;
  try {
    for (const [name, open] of [
      ['_G', lualib.luaopen_base],
      ['coroutine', lualib.luaopen_coroutine],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
    ] as const) {
      lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
      lua.lua_pop(L, 1);
    }
    // os and debug are opened privately (not registered in package.loaded); the prelude keeps
    // only their host-free functions. os.exit/execute/remove/getenv never become reachable.
    for (const [global, open] of [
      ['__mw_os', lualib.luaopen_os],
      ['__mw_debug', lualib.luaopen_debug],
    ] as const) {
      lua.lua_pushjsfunction(L, open);
      if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error(`cannot open ${global}`);
      lua.lua_setglobal(L, to_luastring(global));
    }
    lua.lua_pushjsfunction(L, (S) => {
      approx.push(lua.lua_tojsstring(S, 1) ?? '?');
      return 0;
    });
    lua.lua_setglobal(L, to_luastring('__mw_mark'));
    const prelude = preludeBinary();
    if (lauxlib.luaL_loadbufferx(L, prelude, prelude.length, to_luastring('=prelude'), to_luastring('b')) !== lua.LUA_OK ||
      lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      return { kind: 'internal', message: `prelude failed: ${lua.lua_tojsstring(L, -1)}`, approx, handlers: [] };
    }

    let steps = 0;
    const hook = (S: LuaState): void => {
      steps += HOOK_EVERY;
      if (steps > budget) {
        budgetHit = true;
        // From now on fire on every instruction so a script's pcall cannot swallow the stop.
        lua.lua_sethook(S, hook, lua.LUA_MASKCOUNT, 1);
        lauxlib.luaL_error(S, to_luastring('instruction budget exceeded'));
      }
    };

    if (lauxlib.luaL_loadbuffer(L, to_luastring(code), null, to_luastring(`=${CHUNK}`)) !== lua.LUA_OK) {
      return { kind: 'compile', message: lua.lua_tojsstring(L, -1) ?? '', approx, handlers: [] };
    }
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    const status = lua.lua_pcall(L, 0, 0, 0);
    lua.lua_sethook(L, null, 0, 0);
    if (status !== lua.LUA_OK) {
      const message = lua.lua_type(L, -1) === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) ?? '' : '(error object is not a string)';
      return { kind: budgetHit ? 'budget' : 'runtime', message, approx, handlers: [] };
    }
    const handlers: string[] = [];
    for (const h of HANDLERS) {
      if (lua.lua_getglobal(L, to_luastring(h)) === lua.LUA_TFUNCTION) handlers.push(h);
      lua.lua_pop(L, 1);
    }
    return { kind: 'ok', approx, handlers };
  } catch (e) {
    // A JavaScript exception (e.g. out of memory for a huge string) escaped the VM.
    return { kind: budgetHit ? 'budget' : 'internal', message: e instanceof Error ? e.message : String(e), approx, handlers: [] };
  } finally {
    try {
      lua.lua_close(L);
    } catch {
      /* ignore */
    }
  }
}

interface LuaSyntaxError extends Error {
  line: number;
  column: number;
  index: number;
}

function isLuaSyntaxError(e: unknown): e is LuaSyntaxError {
  return e instanceof Error && typeof (e as LuaSyntaxError).line === 'number' && typeof (e as LuaSyntaxError).column === 'number';
}

/** Global function names a parsed chunk assigns at top level or in nested blocks (static fallback). */
function staticHandlers(ast: Chunk): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const n = node as { type?: string; [k: string]: unknown };
    if (n.type === 'FunctionDeclaration') {
      const id = n.identifier as { type?: string; name?: string; isLocal?: boolean } | null;
      if (id && id.type === 'Identifier' && !n.isLocal && id.name) found.add(id.name);
    }
    if (n.type === 'AssignmentStatement') {
      const vars = n.variables as Array<{ type?: string; name?: string; isLocal?: boolean }>;
      for (const v of vars) if (v.type === 'Identifier' && !v.isLocal && v.name) found.add(v.name);
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'range' && typeof v === 'object') visit(v);
  };
  visit(ast.body);
  return found;
}

/** `script:3: attempt to …` → {line: 3, text: 'attempt to …'}. */
function splitLuaMessage(msg: string): { line?: number; text: string } {
  const m = /^(?:script|\[string "[^"]*"\]):(\d+): ([\s\S]*)$/.exec(msg);
  return m ? { line: Number(m[1]), text: m[2] ?? '' } : { text: msg };
}

/** Error messages that only Lua 5.3 (fengari) produces; LuaJIT would not fail there. */
const FIVE_THREE_ONLY = [
  /number has no integer representation/,
  /attempt to perform .* on a float/,
  /integer overflow/,
  /position out of bounds/, // 5.3 table.insert/remove check positions, 5.1 does not
  /interval is empty/,
];

/** Findings by (budget, script text): the fengari run costs about a millisecond. */
const cache = new Lru<Finding[]>(1000);

/** Drops the memoised results (tests and benchmarks). */
export function clearLuaCache(): void {
  cache.clear();
}

/**
 * Checks an Envoy Lua filter script: LuaJIT syntax, errors raised while the top level runs
 * at config load, a missing `envoy_on_request`/`envoy_on_response`, an empty script.
 * Findings carry `opts.path` (default `''`); positions inside the script are in the message.
 */
export function checkLua(code: string, opts: CheckLuaOptions = {}): Finding[] {
  const path = opts.path ?? '';
  const budget = opts.instructionBudget ?? DEFAULT_BUDGET;
  const run = opts.run ?? true;
  const key = `${run ? budget : 0}\u0000${code}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit.map((f) => ({ ...f, path }));
  const out = checkLuaUncached(code, budget, run, path);
  cache.set(key, out);
  return out.map((f) => ({ ...f }));
}

function checkLuaUncached(code: string, budget: number, run: boolean, path: string): Finding[] {
  if (code.trim() === '') {
    return [
      LUA_EMPTY.finding(
        path,
        'Lua script is empty: the filter loads but never runs any code',
        'define function envoy_on_request(request_handle) … end and/or envoy_on_response, or remove the filter',
      ),
    ];
  }
  let ast: Chunk;
  try {
    ast = luaparse.parse(code, { luaVersion: 'LuaJIT', locations: true, comments: false });
  } catch (e) {
    if (isLuaSyntaxError(e)) {
      const text = e.message.replace(/^\[\d+:\d+\] /, '');
      return [
        LUA_SYNTAX.finding(
          path,
          `Lua syntax error at line ${e.line}, column ${e.column + 1} of the script: ${text}`,
          'Envoy rejects the whole listener (LDS NACK) with `script load error`; fix the script',
        ),
      ];
    }
    throw e;
  }

  const out: Finding[] = [];
  let handlers: string[] | undefined;
  if (run) {
    const r = runTopLevel(code, budget);
    const approxNote = r.approx.length > 0 ? ` (the run used ${[...new Set(r.approx)].slice(0, 3).join(', ')}, emulated)` : '';
    switch (r.kind) {
      case 'ok':
        handlers = r.handlers;
        break;
      case 'compile': {
        const { line, text } = splitLuaMessage(r.message ?? '');
        out.push(
          LUA_LOAD_UNCERTAIN.finding(
            path,
            `LuaJIT syntax accepted, but the Lua 5.3 emulator could not compile it${line ? ` (line ${line})` : ''}: ${text}; top level not executed`,
            'usually a LuaJIT-only literal (1LL, 0x1ULL, 1i); check with `envoy --mode validate`',
          ),
        );
        break;
      }
      case 'runtime': {
        const { line, text } = splitLuaMessage(r.message ?? '');
        const where = line ? ` at line ${line} of the script` : '';
        if (r.approx.length > 0 || FIVE_THREE_ONLY.some((re) => re.test(text))) {
          out.push(
            LUA_LOAD_UNCERTAIN.finding(
              path,
              `top level raised an error${where} in the Lua 5.3 emulator that LuaJIT may not raise: ${text}${approxNote}`,
              'verify with `envoy --mode validate`; avoid host access (io, os, require) at load time',
            ),
          );
        } else {
          out.push(
            LUA_LOAD_ERROR.finding(
              path,
              `Lua script load error${where}: ${text} (Envoy runs the top level with luaL_dostring when the config loads)`,
              'Envoy NACKs the listener; move request-dependent code into envoy_on_request/envoy_on_response',
            ),
          );
        }
        break;
      }
      case 'budget':
        out.push(
          LUA_LOAD_UNCERTAIN.finding(
            path,
            `top level did not finish within ${budget.toLocaleString('en-US')} Lua instructions (an infinite loop blocks Envoy's config load)`,
            'keep load-time work small; do per-request work inside the handlers',
          ),
        );
        break;
      case 'internal':
        out.push(
          LUA_LOAD_UNCERTAIN.finding(path, `top level could not be executed by the validator: ${r.message ?? 'unknown error'}`),
        );
        break;
    }
  }
  if (handlers === undefined && !out.some((f) => f.rule === LUA_LOAD_ERROR.code)) {
    const defined = staticHandlers(ast);
    handlers = HANDLERS.filter((h) => defined.has(h));
  }
  if (handlers !== undefined && handlers.length === 0) {
    out.push(
      LUA_NO_HANDLER.finding(
        path,
        'Lua script defines neither a global envoy_on_request nor envoy_on_response function: the filter does nothing',
        'declare `function envoy_on_request(request_handle) … end` (global, not `local function`)',
      ),
    );
  }
  return out;
}
