/**
 * Lua checks for Envoy's HTTP Lua filter (failure modes 24 and 25).
 *
 * Envoy runs LuaJIT (Lua 5.1 syntax plus LuaJIT extensions). When the filter config loads,
 * `ThreadLocalState` opens the standard libraries (`luaL_openlibs`) and runs the whole chunk
 * with `luaL_dostring`; any error becomes `script load error: …` and the listener is NACKed
 * (source/extensions/filters/common/lua/lua.cc). Afterwards the filter looks up the globals
 * `envoy_on_request` / `envoy_on_response`; when neither exists the filter silently does nothing.
 *
 * We reproduce this in three steps, none with host access:
 *  1. LuaJIT's parser limits (lua-levels.ts: more than 200 syntax levels), checked first so a
 *     deeply nested script never reaches a recursive parser. A violation is MW501.
 *  2. luaparse with `luaVersion: 'LuaJIT'` — the syntax verdict. A syntax error is always MW501.
 *  3. Only if both accepted the script: run the top level in a fresh fengari state, in a worker
 *     thread bounded in instructions, string memory and wall-clock time (lua-runner.ts,
 *     lua-sandbox.ts). A run over any of those budgets is MW506, an error: Envoy runs the chunk
 *     at config load, and a load-time loop or blow-up hangs or kills the proxy. `os.exit` at the
 *     top level is MW502 (Envoy exits).
 *     fengari is Lua 5.3, not LuaJIT, so its verdicts are downgraded whenever the two dialects
 *     could disagree: a fengari-only compile error (e.g. `1LL`, `0x1ULL`, `1i` LuaJIT literals),
 *     a runtime error after the script touched a 5.1 shim or a stubbed host facility
 *     (io, os.getenv, require of a module we do not know, ffi, setfenv …) or a 5.3-only error
 *     message (integer representation) — all of those become MW505 warnings instead of MW502 errors.
 * See docs/adr/0040-lua-and-regex-checks.md and docs/adr/0100-bounded-lua-evaluation.md
 * (superseding 0040 in part).
 *
 * Results are memoised by script text and limits in an LRU bounded in entries and key size.
 */
import luaparse from 'luaparse';
import type { Chunk } from 'luaparse';
import type { Finding } from '../rule.js';
import { Lru } from './lru.js';
import { LJ_MAX_XLEVEL, luajitLevelViolation } from './lua-levels.js';
import { runIsolated } from './lua-runner.js';
import type { LuaLimit, RunOutcome } from './lua-sandbox.js';
import { LUA_EMPTY, LUA_LOAD_BUDGET, LUA_LOAD_ERROR, LUA_LOAD_UNCERTAIN, LUA_NO_HANDLER, LUA_SYNTAX } from './rules.js';

export interface CheckLuaOptions {
  /** Maximum number of Lua VM instructions the top level may run (default 1,000,000). */
  instructionBudget?: number;
  /** Wall-clock milliseconds the top-level run may take (default 1000). */
  deadlineMs?: number;
  /** Bytes of strings the top-level run may allocate in total (default 64 MiB). */
  memoryBudget?: number;
  /** Set false to skip the fengari top-level run (syntax and static handler check only). */
  run?: boolean;
  /** Finding path (relative to what the caller gave us); default `''`. */
  path?: string;
}

const DEFAULT_BUDGET = 1_000_000;
const DEFAULT_DEADLINE_MS = 1000;
const DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024;
const HANDLERS = ['envoy_on_request', 'envoy_on_response'] as const;

export interface RunTopLevelOptions {
  instructionBudget?: number;
  deadlineMs?: number;
  memoryBudget?: number;
}

/**
 * Runs the chunk's top level in the bounded Lua worker (no I/O, bounded instructions, string
 * memory and time). A number is the instruction budget (kept for callers of the older API).
 */
export function runTopLevel(code: string, opts: number | RunTopLevelOptions = {}): RunOutcome {
  const o = typeof opts === 'number' ? { instructionBudget: opts } : opts;
  return runIsolated(code, {
    instructionBudget: o.instructionBudget ?? DEFAULT_BUDGET,
    memoryBudget: o.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
    deadlineMs: o.deadlineMs ?? DEFAULT_DEADLINE_MS,
  });
}

interface LuaSyntaxError extends Error {
  line: number;
  column: number;
  index: number;
}

function isLuaSyntaxError(e: unknown): e is LuaSyntaxError {
  return e instanceof Error && typeof (e as LuaSyntaxError).line === 'number' && typeof (e as LuaSyntaxError).column === 'number';
}

/**
 * Global function names a parsed chunk assigns at top level or in nested blocks (static fallback).
 * Iterative: a left-associative chain (`a + b + … `) nests the AST deeper than LuaJIT's levels.
 */
function staticHandlers(ast: Chunk): Set<string> {
  const found = new Set<string>();
  const stack: unknown[] = [ast.body];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
      continue;
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
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'range' && typeof v === 'object') stack.push(v);
  }
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

/** Findings by (limits, script text): bounded in entries and in total script characters. */
const cache = new Lru<Finding[]>(1000, 16 * 1024 * 1024);

/** Drops the memoised results (tests and benchmarks). */
export function clearLuaCache(): void {
  cache.clear();
}

interface Limits {
  instructionBudget: number;
  deadlineMs: number;
  memoryBudget: number;
}

/**
 * Checks an Envoy Lua filter script: LuaJIT syntax and parser limits, errors raised while the
 * top level runs at config load, load-time work over the validator's budget, a missing
 * `envoy_on_request`/`envoy_on_response`, an empty script.
 * Findings carry `opts.path` (default `''`); positions inside the script are in the message.
 */
export function checkLua(code: string, opts: CheckLuaOptions = {}): Finding[] {
  const path = opts.path ?? '';
  const limits: Limits = {
    instructionBudget: opts.instructionBudget ?? DEFAULT_BUDGET,
    deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
    memoryBudget: opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
  };
  const run = opts.run ?? true;
  const key = `${run ? `${limits.instructionBudget}/${limits.deadlineMs}/${limits.memoryBudget}` : 0}\u0000${code}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit.map((f) => ({ ...f, path }));
  const out = checkLuaUncached(code, run ? limits : undefined, path);
  cache.set(key, out);
  return out.map((f) => ({ ...f }));
}

const MIB = 1024 * 1024;

/** The MW506 finding for a run stopped by `limit`. */
function budgetFinding(path: string, limit: LuaLimit, limits: Limits): Finding {
  const what =
    limit === 'instructions'
      ? `it did not finish within ${limits.instructionBudget.toLocaleString('en-US')} Lua instructions`
      : limit === 'memory'
        ? `it allocated more than ${Math.round(limits.memoryBudget / MIB)} MiB of strings`
        : `it did not finish within ${limits.deadlineMs} ms of wall-clock time (a long loop, a backtracking string pattern, or more tables than the emulator's heap holds)`;
  return LUA_LOAD_BUDGET.finding(
    path,
    `Lua top level exceeds the validator's load-time budget: ${what}. Envoy runs the chunk at config load on every worker thread; a load-time loop or blow-up blocks or exhausts the proxy`,
    'keep load-time work small (constants, function definitions); do per-request work inside envoy_on_request/envoy_on_response, and avoid backtracking-heavy string patterns at load time',
  );
}

function checkLuaUncached(code: string, limits: Limits | undefined, path: string): Finding[] {
  if (code.trim() === '') {
    return [
      LUA_EMPTY.finding(path, 'Lua script is empty: the filter loads but never runs any code', 'define function envoy_on_request(request_handle) … end and/or envoy_on_response, or remove the filter'),
    ];
  }
  const tooDeep = luajitLevelViolation(code);
  if (tooDeep !== undefined) {
    const fn = tooDeep.functionLine === 0 ? 'main function' : `function at line ${tooDeep.functionLine}`;
    const text =
      tooDeep.kind === 'levels'
        ? `chunk has too many syntax levels: nested too deeply (limit ${LJ_MAX_XLEVEL}, LuaJIT's)`
        : `${fn} has more than ${LJ_MAX_XLEVEL} variable names (LuaJIT's limit counts assignment targets plus nesting)`;
    return [
      LUA_SYNTAX.finding(
        path,
        `Lua script breaks a LuaJIT parser limit at line ${tooDeep.line} of the script: ${text}`,
        'Envoy rejects the whole listener (LDS NACK) with `script load error`; flatten the nesting (local helper variables or functions)',
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
  if (limits !== undefined) {
    const r = runTopLevel(code, limits);
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
        const lacking = moduleEnvoyLacks(text, r.approx);
        if (lacking !== undefined) {
          out.push(
            LUA_LOAD_ERROR.finding(
              path,
              `Lua script load error${where}: module '${lacking}' not found: stock Envoy's LuaJIT has only its built-in modules (${LUAJIT_MODULES.join(', ')}), so Envoy rejects the config ("script load error: …: module '${lacking}' not found")`,
              `Envoy NACKs the listener unless your proxy image ships '${lacking}' on LuaJIT's package.path (the Istio proxy images ship none); inline the code you need, or load it guarded: local ok, m = pcall(require, '${lacking}')`,
            ),
          );
        } else if (r.approx.length > 0 || FIVE_THREE_ONLY.some((re) => re.test(text))) {
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
      case 'exit':
        out.push(
          LUA_LOAD_ERROR.finding(
            path,
            'Lua top level calls os.exit: Envoy runs the chunk when the config loads and the whole proxy process exits',
            'never call os.exit in a Lua filter; return early from envoy_on_request/envoy_on_response instead',
          ),
        );
        break;
      case 'budget':
        out.push(budgetFinding(path, r.limit ?? 'time', limits));
        break;
      case 'internal':
        out.push(LUA_LOAD_UNCERTAIN.finding(path, `top level could not be executed by the validator: ${r.message ?? 'unknown error'}`));
        break;
    }
  }
  if (handlers === undefined && !out.some((f) => f.rule === LUA_LOAD_ERROR.code || f.rule === LUA_LOAD_BUDGET.code)) {
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

/**
 * The modules `require` finds in stock Envoy's LuaJIT without any file: its libraries and their
 * preloaded submodules. Checked with `envoy --mode validate` (ADR 0120): Envoy 1.39.3 loads each;
 * cjson, cjson.safe, lpeg, utf8 and jit.vmdef are "module '…' not found" (the last three on 1.40.0 too).
 */
const LUAJIT_MODULES: readonly string[] = [
  '_G',
  'package',
  'coroutine',
  'string',
  'table',
  'math',
  'io',
  'os',
  'debug',
  'bit',
  'jit',
  'ffi',
  'string.buffer',
  'table.new',
  'table.clear',
  'jit.opt',
  'jit.util',
  'jit.profile',
];

/**
 * The module an uncaught `require` failed on, when that is the only thing the emulator did not
 * run faithfully: a module outside LuaJIT's built-ins, which stock Envoy cannot load either.
 */
function moduleEnvoyLacks(text: string, approx: readonly string[]): string | undefined {
  const m = /^module '([^']*)' not found/.exec(text);
  if (!m || LUAJIT_MODULES.includes(m[1]!)) return undefined;
  const required = approx.map((a) => (a.startsWith('require ') ? a.slice('require '.length) : undefined));
  if (required.some((r) => r === undefined || LUAJIT_MODULES.includes(r))) return undefined;
  return m[1];
}
