/**
 * MW507: Lua stream-handle methods newer than the target Envoy. Envoy exposes the stream handle
 * as userdata whose metatable lists its methods (source/extensions/filters/http/lua/lua_filter.h
 * `StreamHandleWrapper::methods()`); a method it does not have is nil, so the call raises
 * "attempt to call method 'x' (a nil value)" at request time. Envoy then logs a script error and
 * continues the filter chain without the rest of the handler: a silent no-op, never a NACK
 * (tested with traffic on 1.39.3 and 1.40.0, oracle.test.ts in this directory). ADR 0111.
 *
 * The receiver's type is not known statically, so any `x:name(...)` call of such a method name
 * counts: the names are specific to Envoy's handle.
 */
import luaparse from 'luaparse';
import type { Chunk } from 'luaparse';
import type { Finding } from '../rule.js';
import { Lru } from './lru.js';
import { luajitLevelViolation } from './lua-levels.js';
import { LUA_API_SINCE } from './rules.js';
import { until } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

/** Stream-handle methods by the Envoy boundary that added them. */
const METHODS_SINCE: Readonly<Record<string, string>> = {
  base64Decode: ENVOY_BOUNDARIES.luaStreamHandleBase64DecodeRequestHeaders,
  requestHeaders: ENVOY_BOUNDARIES.luaStreamHandleBase64DecodeRequestHeaders,
};

/** Method calls of METHODS_SINCE names in a script, with their first line: by script text. */
const calls = new Lru<ReadonlyArray<{ method: string; line: number }>>(1000, 16 * 1024 * 1024);

function methodCalls(code: string): ReadonlyArray<{ method: string; line: number }> {
  const hit = calls.get(code);
  if (hit !== undefined) return hit;
  let out: Array<{ method: string; line: number }> = [];
  // Nesting LuaJIT refuses is MW501; luaparse is recursive, so it must not see such a script.
  if (Object.keys(METHODS_SINCE).some((m) => code.includes(m)) && luajitLevelViolation(code) === undefined) {
    let ast: Chunk | undefined;
    try {
      ast = luaparse.parse(code, { luaVersion: 'LuaJIT', locations: true, comments: false });
    } catch {
      ast = undefined; // a syntax error is MW501's
    }
    if (ast) out = findCalls(ast);
  }
  calls.set(code, out);
  return out;
}

function findCalls(ast: Chunk): Array<{ method: string; line: number }> {
  const found = new Map<string, number>();
  const stack: unknown[] = [ast.body];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node as unknown[]) stack.push(child);
      continue;
    }
    const n = node as { type?: string; base?: { type?: string; indexer?: string; identifier?: { name?: string } }; loc?: { start: { line: number } } };
    if ((n.type === 'CallExpression' || n.type === 'StringCallExpression' || n.type === 'TableCallExpression') && n.base?.type === 'MemberExpression' && n.base.indexer === ':') {
      const name = n.base.identifier?.name;
      if (name !== undefined && Object.hasOwn(METHODS_SINCE, name)) {
        const line = n.loc?.start.line ?? 0;
        if (!found.has(name) || line < found.get(name)!) found.set(name, line);
      }
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'range' && typeof v === 'object') stack.push(v);
  }
  return [...found].map(([method, line]) => ({ method, line })).sort((a, b) => a.line - b.line);
}

/**
 * MW507 warnings for the stream-handle methods `code` calls that `envoyVersion` (an Envoy minor)
 * does not have. The message is the same for every such version, so the validator's merge names them.
 */
export function checkLuaApi(code: string, opts: { envoyVersion: string; path?: string }): Finding[] {
  const missing = methodCalls(code).filter((c) => until(opts.envoyVersion, METHODS_SINCE[c.method]!, 'envoy'));
  return missing.map(({ method, line }) =>
    LUA_API_SINCE.finding(
      opts.path ?? '',
      `Lua script calls :${method}() (line ${line} of the script), a stream-handle method Envoy has only since ${METHODS_SINCE[method]}: older Envoy raises "attempt to call method '${method}' (a nil value)" at request time, logs a script error and skips the rest of the handler`,
    ),
  );
}
