/**
 * The fengari (Lua 5.3 in JavaScript) run of a Lua filter's top level, as Envoy does it at config
 * load (`luaL_openlibs` + `luaL_dostring`), with LuaJIT's library surface and limits emulated.
 *
 * Runs only inside the Lua worker thread (lua-worker.ts), after lua-alloc-guard.ts has bounded
 * string memory; lua-runner.ts is the synchronous caller. Three bounds stop a hostile top level
 * (docs/adr/0100-bounded-lua-evaluation.md):
 *  - an instruction budget (count hook), which also reaches xpcall message handlers and cannot be
 *    swallowed by pcall once hit;
 *  - string memory: a string over LuaJIT's LJ_MAX_STR raises Lua's "string length overflow"
 *    (Envoy's verdict), a run over the memory budget is stopped;
 *  - the caller's wall-clock deadline, for work inside one JavaScript call (string patterns).
 * `os.exit` stops the run too: Envoy would exit while loading the config.
 */
import fengari from 'fengari';
import type { LuaState } from 'fengari';
// fengari internals (same module instances as fengari's own): raising an error from inside the VM
// the way C Lua's luaG_runerror does, and pushing a string without copying it.
import ldebug from 'fengari/src/ldebug.js';
import lobject from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';
import { allocationBudgetExceeded, armAllocationGuard, disarmAllocationGuard, LJ_MAX_STR, MemoryBudgetExceeded, StringLengthOverflow } from './lua-alloc-guard.js';

const { lua, lauxlib, lualib, to_luastring } = fengari;

/** Which bound stopped a run. `time` is decided by the caller (lua-runner.ts). */
export type LuaLimit = 'instructions' | 'memory' | 'time';

export interface RunLimits {
  /** Lua VM instructions the top level may run. */
  instructionBudget: number;
  /** Bytes of strings and string buffers the run may allocate in total. */
  memoryBudget: number;
}

export interface RunOutcome {
  kind: 'ok' | 'compile' | 'runtime' | 'budget' | 'exit' | 'internal';
  message?: string;
  /** For `budget`: the bound that was hit. */
  limit?: LuaLimit;
  /** Reasons the run left the faithfully emulated subset. */
  approx: string[];
  /** Which handler globals are functions after the run. */
  handlers: string[];
}

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
local mark, rawos, rawdebug, exit, enter, leave, fastrep = __mw_mark, __mw_os, __mw_debug, __mw_exit, __mw_enter, __mw_leave, __mw_rep
__mw_mark, __mw_os, __mw_debug, __mw_exit, __mw_enter, __mw_leave, __mw_rep = nil, nil, nil, nil, nil, nil, nil
-- The validator must know which coroutine runs, to raise an allocation failure in it.
local resume, create, pack, unpack3 = coroutine.resume, coroutine.create, table.pack, table.unpack
coroutine.resume = function(co, ...)
  local depth = enter(co)
  local r = pack(resume(co, ...))
  leave(depth)
  return unpack3(r, 1, r.n)
end
coroutine.wrap = function(f)
  local co = create(f)
  return function(...)
    local r = pack(coroutine.resume(co, ...))
    if not r[1] then error(r[2], 0) end
    return unpack3(r, 2, r.n)
  end
end
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
  getenv = stub('os.getenv', nil), exit = exit})
debug = stubtable('debug', {traceback = rawdebug.traceback, getinfo = rawdebug.getinfo,
  getmetatable = rawdebug.getmetatable, setmetatable = rawdebug.setmetatable, getlocal = rawdebug.getlocal,
  getupvalue = rawdebug.getupvalue, setupvalue = rawdebug.setupvalue, upvalueid = rawdebug.upvalueid,
  setlocal = rawdebug.setlocal, upvaluejoin = rawdebug.upvaluejoin, getuservalue = rawdebug.getuservalue,
  setuservalue = rawdebug.setuservalue, getfenv = stub('debug.getfenv', _G), setfenv = stub('debug.setfenv'),
  sethook = stub('debug.sethook'), gethook = stub('debug.gethook'), getregistry = stub('debug.getregistry', {})})
dofile = stub('dofile')
loadfile = stub('loadfile', nil, 'not available in the meshwarden validator')
print = function() end
-- string.rep as LuaJIT bounds it (fengari's integers are 32-bit, its copy loop is per piece).
string.rep = function(s, n, sep)
  if type(n) == 'number' and n > 0 and (type(s) == 'string' or type(s) == 'number') and (sep == nil or type(sep) == 'string' or type(sep) == 'number') then
    local len = #tostring(s) + #tostring(sep or '')
    if len == 0 then return '' end
    if len * n - #tostring(sep or '') >= ${LJ_MAX_STR} then error('string length overflow', 0) end
  end
  return fastrep(s, n, sep)
end
-- LuaJIT's collectgarbage (lib_base.c): fengari has no lua_gc, Envoy accepts every option.
local gc = {pause = 200, stepmul = 200, running = true}
collectgarbage = function(opt, arg)
  if opt == nil then opt = 'collect' end
  if type(opt) ~= 'string' and type(opt) ~= 'number' then
    error("bad argument #1 to 'collectgarbage' (string expected, got " .. type(opt) .. ")", 2)
  end
  if arg ~= nil and tonumber(arg) == nil then
    error("bad argument #2 to 'collectgarbage' (number expected, got " .. type(arg) .. ")", 2)
  end
  arg = tonumber(arg) or 0
  if opt == 'collect' then return 0
  elseif opt == 'stop' then gc.running = false return 0
  elseif opt == 'restart' then gc.running = true return 0
  elseif opt == 'count' then return 128.0
  elseif opt == 'step' then return true
  elseif opt == 'isrunning' then return gc.running
  elseif opt == 'setpause' then local old = gc.pause gc.pause = arg return old
  elseif opt == 'setstepmul' then local old = gc.stepmul gc.stepmul = arg return old
  end
  error("bad argument #1 to 'collectgarbage' (invalid option '" .. tostring(opt) .. "')", 2)
end
gcinfo = function() return math.floor(collectgarbage('count')) end
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
    lua.lua_dump(
      L,
      (_S, b, size) => {
        parts.push(b.slice(0, size));
        return 0;
      },
      null,
      0,
    );
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

/** fengari's `lua_State` field that C Lua calls `allowhook`; not part of the public API. */
interface HookState {
  allowhook: number;
}

type Stop = 'instructions' | 'memory' | 'exit';

const STOP_MESSAGE: Record<Stop, string> = {
  instructions: 'instruction budget exceeded',
  memory: 'memory budget exceeded',
  exit: 'os.exit called',
};

const EMPTY = new Uint8Array(0);

/** string.rep with doubling copies: one allocation of the result, charged to the guard. */
function fastRep(S: LuaState): number {
  const s = lauxlib.luaL_checkstring(S, 1);
  const n = lauxlib.luaL_checkinteger(S, 2);
  const sep = lauxlib.luaL_optstring(S, 3, EMPTY) ?? EMPTY;
  if (n <= 0) {
    lua.lua_pushstring(S, EMPTY);
    return 1;
  }
  const unit = s.length + sep.length;
  const total = n * unit - sep.length;
  const out = new Uint8Array(total);
  out.set(s, 0);
  if (n > 1) out.set(sep, s.length);
  // The result is periodic with period `unit`, so copying the filled prefix onward is exact.
  for (let filled = Math.min(unit, total); filled < total; filled += Math.min(filled, total - filled)) {
    out.copyWithin(filled, 0, Math.min(filled, total - filled));
  }
  lobject.pushsvalue2s(S, lstring.luaS_bless(S, out));
  return 1;
}

interface StateHooks {
  onMark(reason: string): void;
  onExit(S: LuaState): number;
  /** The coroutines being resumed, innermost last (the main thread is not in it). */
  threads: LuaState[];
}

/** Opens the libraries and runs the prelude in `L`; returns an error message or undefined. */
function prepareState(L: LuaState, hooks: StateHooks): string | undefined {
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
  // only their host-free functions. os.execute/remove/getenv never become reachable, and
  // os.exit is ours (it stops the run).
  for (const [global, open] of [
    ['__mw_os', lualib.luaopen_os],
    ['__mw_debug', lualib.luaopen_debug],
  ] as const) {
    lua.lua_pushjsfunction(L, open);
    if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) return `cannot open ${global}`;
    lua.lua_setglobal(L, to_luastring(global));
  }
  const globals: Record<string, (S: LuaState) => number> = {
    __mw_mark: (S) => {
      hooks.onMark(lua.lua_tojsstring(S, 1) ?? '?');
      return 0;
    },
    __mw_exit: (S) => hooks.onExit(S),
    __mw_enter: (S) => {
      const co = lua.lua_tothread(S, 1);
      if (co === null) return lauxlib.luaL_argerror(S, 1, to_luastring('coroutine expected'));
      lua.lua_pushinteger(S, hooks.threads.length);
      hooks.threads.push(co);
      return 1;
    },
    __mw_leave: (S) => {
      hooks.threads.length = Math.min(hooks.threads.length, lua.lua_tointeger(S, 1));
      return 0;
    },
    __mw_rep: fastRep,
  };
  for (const [name, fn] of Object.entries(globals)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setglobal(L, to_luastring(name));
  }
  const prelude = preludeBinary();
  if (lauxlib.luaL_loadbufferx(L, prelude, prelude.length, to_luastring('=prelude'), to_luastring('b')) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
    return `prelude failed: ${lua.lua_tojsstring(L, -1)}`;
  }
  return undefined;
}

/**
 * Runs the chunk's top level in a fresh sandboxed fengari state: no I/O, bounded instructions
 * and string memory. Call only where lua-alloc-guard.ts is installed (the Lua worker).
 */
export function runInThisThread(code: string, limits: RunLimits): RunOutcome {
  const L: LuaState = lauxlib.luaL_newstate();
  const approx: string[] = [];
  let stop: Stop | undefined;
  let steps = 0;

  /** Raises the stop error now and on every later instruction, so pcall cannot swallow it. */
  const halt = (S: LuaState, why: Stop): never => {
    stop ??= why;
    lua.lua_sethook(S, hook, lua.LUA_MASKCOUNT, 1);
    // fengari, like C Lua, clears allowhook while a hook runs and an error thrown from the hook
    // leaves it cleared: an xpcall message handler would then run unhooked (and could loop
    // forever). Re-enable it so the handler is counted too.
    (S as unknown as HookState).allowhook = 1;
    lauxlib.luaL_error(S, to_luastring(STOP_MESSAGE[stop]));
    throw new Error('unreachable: luaL_error returned');
  };
  const hook = (S: LuaState): void => {
    if (stop === undefined && allocationBudgetExceeded()) stop = 'memory';
    if (stop !== undefined) halt(S, stop);
    steps += HOOK_EVERY;
    if (steps > limits.instructionBudget) halt(S, 'instructions');
  };

  try {
    const threads: LuaState[] = [];
    const prepError = prepareState(L, { onMark: (reason) => approx.push(reason), onExit: (S) => halt(S, 'exit'), threads });
    if (prepError !== undefined) return { kind: 'internal', message: prepError, approx, handlers: [] };
    // Any other JavaScript exception inside the VM becomes a Lua error, marked as approximate.
    lua.lua_atnativeerror(L, (S) => {
      const e = lua.lua_touserdata(S, 1);
      approx.push('a JavaScript error inside the emulator');
      lua.lua_pushstring(S, to_luastring(`validator internal error: ${e instanceof Error ? e.message : String(e)}`));
      return 1;
    });
    // An allocation refused by the guard is a Lua error raised in the running coroutine, as
    // LuaJIT raises "string length overflow": catchable by pcall. The memory budget also stops
    // the run (the hook sees it within HOOK_EVERY instructions).
    const allocationFailure = (err: StringLengthOverflow | MemoryBudgetExceeded): void => {
      if (err instanceof MemoryBudgetExceeded) stop ??= 'memory';
      const S = threads.at(-1) ?? L;
      lobject.luaO_pushfstring(S, to_luastring(err instanceof MemoryBudgetExceeded ? STOP_MESSAGE.memory : err.message));
      ldebug.luaG_errormsg(S);
    };

    if (lauxlib.luaL_loadbuffer(L, to_luastring(code), null, to_luastring(`=${CHUNK}`)) !== lua.LUA_OK) {
      return { kind: 'compile', message: lua.lua_tojsstring(L, -1) ?? '', approx, handlers: [] };
    }
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    armAllocationGuard(limits.memoryBudget, allocationFailure);
    let status: number;
    try {
      status = lua.lua_pcall(L, 0, 0, 0);
    } finally {
      disarmAllocationGuard();
    }
    lua.lua_sethook(L, null, 0, 0);
    if (stop === 'exit') return { kind: 'exit', approx, handlers: [] };
    if (stop !== undefined) return { kind: 'budget', limit: stop, message: STOP_MESSAGE[stop], approx, handlers: [] };
    if (status !== lua.LUA_OK && status !== lua.LUA_ERRRUN && status !== lua.LUA_ERRERR) {
      return { kind: 'internal', message: `the emulator failed (status ${status})`, approx, handlers: [] };
    }
    if (status !== lua.LUA_OK) {
      const message = lua.lua_type(L, -1) === lua.LUA_TSTRING ? (lua.lua_tojsstring(L, -1) ?? '') : '(error object is not a string)';
      return { kind: 'runtime', message, approx, handlers: [] };
    }
    const handlers: string[] = [];
    for (const h of HANDLERS) {
      if (lua.lua_getglobal(L, to_luastring(h)) === lua.LUA_TFUNCTION) handlers.push(h);
      lua.lua_pop(L, 1);
    }
    return { kind: 'ok', approx, handlers };
  } catch (e) {
    if (stop === 'exit') return { kind: 'exit', approx, handlers: [] };
    if (stop !== undefined) return { kind: 'budget', limit: stop, message: STOP_MESSAGE[stop], approx, handlers: [] };
    return { kind: 'internal', message: e instanceof Error ? e.message : String(e), approx, handlers: [] };
  } finally {
    try {
      lua.lua_close(L);
    } catch {
      /* a state broken by an escaped exception: nothing left to release */
    }
  }
}
