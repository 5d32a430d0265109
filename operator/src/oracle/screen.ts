/**
 * What must not reach Envoy from an untrusted config: the parts that make Envoy touch the
 * host while it merely loads the config (`--mode validate` builds every filter, and the Lua
 * filter runs a script's top level at that moment, with LuaJIT's full `os`, `io`, `require`).
 *
 * - `lua`: a Lua script that references host access anywhere (a top-level call can reach
 *   any function of the script, so "anywhere" is the only sound static rule): `io`,
 *   `require` other than of LuaJIT's built-in libraries, `loadfile`, `dofile`, `load`,
 *   `loadstring`, `package`, `debug`, `module`, `_G`, `getfenv`, `setfenv`, and `os` other
 *   than `os.time/clock/date/difftime`. Refused: the config is not handed to Envoy.
 * - `unparsedLua`: where Envoy expects Lua, a script luaparse cannot parse (we cannot tell
 *   what it references). Handed only to a sandboxed Envoy, refused without the sandbox.
 * - `file` / `env`: DataSources read from the proxy's file system (`filename`) or
 *   environment (`environment_variable`), file-system config sources, tap file sinks, TLS key
 *   logs, file caches and native dynamic modules. Refused: the oracle cannot see the
 *   proxy's files, and the host's are not the proxy's.
 * - `accessLog`: a file access log to a path other than /dev/stdout or /dev/stderr. Rewritten
 *   to /dev/stdout (what Istio uses): the log format is still judged, no file is created.
 * - `depth`: nesting beyond what any Envoy config needs; refused unscreened.
 *
 * Sockets: nothing in validate mode connects (clusters are not contacted, listeners not
 * bound); Lua could only open one through `require` (refused) and the sandbox has no network.
 */
import luaparse from 'luaparse';
import { joinPath } from '../validate/rule.js';

export type HazardKind = 'lua' | 'unparsedLua' | 'file' | 'env' | 'accessLog' | 'depth';

export interface Hazard {
  kind: HazardKind;
  /** Path of the offending field, relative to the screened node. */
  path: string;
  /** What was found, for the user (`os.execute (line 2)`). */
  detail: string;
}

/** Deeper than any Envoy config (its proto decoder stops at 100 levels). */
export const maxScreenDepth = 200;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Modules LuaJIT has loaded already: `require` returns them without touching the file system. */
const builtinModules = new Set(['string', 'table', 'math', 'bit', 'coroutine']);
/** `os` functions that only read the clock. */
const clockOnly = new Set(['time', 'clock', 'date', 'difftime']);
/** Globals through which a script reaches files, processes, native code or the global table. */
const hostGlobals = new Set(['io', 'loadfile', 'dofile', 'load', 'loadstring', 'package', 'debug', 'module', '_G', 'getfenv', 'setfenv']);

const luaType = /\.lua\.v[23]\.Lua(PerRoute)?$|\.lua\.v2\.Lua$/;
/** Fields that hold Lua source (inline or as a DataSource). */
const luaSourceKeys = new Set(['inline_code', 'default_source_code', 'source_codes', 'source_code']);

/** Fields that make Envoy read or write a file of the proxy. */
const fileFields: Record<string, string> = {
  path_config_source: 'a config source watched on the file system',
  watched_directory: 'a directory watched on the file system',
  file_per_tap: 'tap output written to files',
  key_log: 'TLS keys logged to a file',
  storage_buffer_path: 'request bodies buffered to files',
  cache_path: 'responses cached in files',
  dynamic_module_config: 'a native module loaded from the file system',
};
const configSourceFields = new Set(['path', 'path_config_source', 'api_config_source', 'ads', 'self', 'initial_fetch_timeout', 'resource_api_version', 'authorities']);
const fileAccessLogType = /access_loggers\.file\.v3\.FileAccessLog$|accesslog\.v2\.FileAccessLog$/;
const standardStreams = new Set(['/dev/stdout', '/dev/stderr']);
/** Where a rewritten file access log goes. */
export const sandboxAccessLogPath = '/dev/stdout';

function typeOf(o: Record<string, unknown>): string {
  const t = typeof o['@type'] === 'string' ? o['@type'] : '';
  return /TypedStruct$/.test(t) && typeof o['type_url'] === 'string' ? o['type_url'] : t;
}

export interface Screened<T> {
  /** The node with file access logs pointed at /dev/stdout (the input is not modified). */
  value: T;
  hazards: Hazard[];
}

/** Screens a config (or an EnvoyFilter's patches) for what would reach the host; see the module comment. */
export function screenConfig<T>(node: T, path = ''): Screened<T> {
  const hazards: Hazard[] = [];
  const value = walk(node, path, false, 0, hazards) as T;
  return { value, hazards };
}

/**
 * Whether a hazard stops the config from being handed to Envoy. A script we cannot parse
 * goes to a sandboxed Envoy (its verdict on a syntax error is the point of the oracle, and
 * the sandbox holds whatever LuaJIT makes of it), never to an unsandboxed one.
 */
export const refusal =
  (mode: { unsandboxed?: boolean } = {}) =>
  (h: Hazard): boolean =>
    h.kind === 'unparsedLua' ? mode.unsandboxed === true : h.kind !== 'accessLog';

function walk(node: unknown, path: string, inLua: boolean, depth: number, out: Hazard[]): unknown {
  if (depth > maxScreenDepth) {
    out.push({ kind: 'depth', path, detail: `nested more than ${maxScreenDepth} levels deep` });
    return node;
  }
  if (Array.isArray(node)) return node.map((v, i) => walk(v, `${path}[${i}]`, inLua, depth + 1, out));
  if (!isObj(node)) return node;
  const type = typeOf(node);
  const lua = inLua || luaType.test(type);
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const at = joinPath(path, k);
    if (k === 'filename' && typeof v === 'string') out.push({ kind: 'file', path: at, detail: `reads the file ${JSON.stringify(v)}` });
    else if (k === 'environment_variable' && typeof v === 'string') out.push({ kind: 'env', path: at, detail: `reads the environment variable ${JSON.stringify(v)}` });
    else if (k in fileFields && v !== undefined && v !== null) out.push({ kind: 'file', path: at, detail: fileFields[k]! });
    else if (isObj(v) && /config(_source)?$/.test(k) && typeof v['path'] === 'string' && Object.keys(v).every((f) => configSourceFields.has(f))) {
      out.push({ kind: 'file', path: joinPath(at, 'path'), detail: `a config source read from the file ${JSON.stringify(v['path'])}` });
    }
    if (k === 'inline_code' && typeof v === 'string') screenLua(v, at, true, out);
    if ((k === 'inline_string' || k === 'inline_bytes') && typeof v === 'string') {
      const text = k === 'inline_bytes' ? Buffer.from(v, 'base64').toString('utf8') : v;
      screenLua(text, at, lua, out);
    }
    copy[k] = walk(v, at, lua || luaSourceKeys.has(k), depth + 1, out);
  }
  const rewriteAt = fileAccessLogType.test(type) ? (/TypedStruct$/.test(String(node['@type'])) ? 'value' : '') : undefined;
  if (rewriteAt !== undefined) {
    const target = rewriteAt === '' ? copy : isObj(copy[rewriteAt]) ? { ...copy[rewriteAt] } : undefined;
    const logPath = target?.['path'];
    if (target && typeof logPath === 'string' && !standardStreams.has(logPath)) {
      out.push({ kind: 'accessLog', path: joinPath(joinPath(path, rewriteAt), 'path'), detail: `writes to ${JSON.stringify(logPath)}` });
      target['path'] = sandboxAccessLogPath;
      if (rewriteAt !== '') copy[rewriteAt] = target;
    }
  }
  return copy;
}

type LuaNode = { type: string; [k: string]: unknown };
const isNode = (v: unknown): v is LuaNode => isObj(v) && typeof v['type'] === 'string';

/**
 * Host access in a Lua chunk. Text that is not Lua (another DataSource's body) is ignored
 * unless it sits where Envoy expects Lua: a script we cannot parse is refused, since we
 * cannot tell what it references.
 */
function screenLua(code: string, path: string, isLua: boolean, out: Hazard[]): void {
  let ast: LuaNode;
  try {
    ast = luaparse.parse(code, { luaVersion: 'LuaJIT', locations: true, comments: false }) as unknown as LuaNode;
  } catch (e) {
    if (isLua) out.push({ kind: 'unparsedLua', path, detail: `does not parse, so what it would run cannot be checked (${(e as Error).message.slice(0, 120)})` });
    return;
  }
  const found: Array<{ line: number; what: string }> = [];
  // Iterative walk: nesting depth is the attacker's choice.
  const stack: Array<{ node: LuaNode; parent?: LuaNode; key?: string }> = [{ node: ast }];
  while (stack.length > 0 && found.length < 5) {
    const { node, parent, key } = stack.pop()!;
    if (node.type === 'Identifier') {
      const why = hostReference(node, parent, key);
      if (why) found.push({ line: (node['loc'] as { start: { line: number } } | undefined)?.start.line ?? 0, what: why });
      continue;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'loc' || k === 'range') continue;
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) stack.push({ node: c, parent: node, key: k });
      } else if (isNode(v)) stack.push({ node: v, parent: node, key: k });
    }
  }
  found.sort((a, b) => a.line - b.line);
  if (found.length > 0) out.push({ kind: 'lua', path, detail: `reaches the host through ${found.map((f) => `${f.what} (line ${f.line})`).join(', ')}` });
}

/** Why a name in the chunk reaches the host, or undefined. */
function hostReference(id: LuaNode, parent: LuaNode | undefined, key: string | undefined): string | undefined {
  const name = String(id['name']);
  // A field name (`x.io`, `t:require()`), a table key (`{ io = 1 }`) or a label is not the global.
  if (parent?.type === 'MemberExpression' && key === 'identifier') return undefined;
  if (parent?.type === 'TableKeyString' && key === 'key') return undefined;
  if (parent?.type === 'LabelStatement' || parent?.type === 'GotoStatement') return undefined;
  if (hostGlobals.has(name)) return name;
  if (name === 'os') {
    const member = parent?.type === 'MemberExpression' && key === 'base' && parent['indexer'] === '.' ? String((parent['identifier'] as LuaNode)['name']) : undefined;
    return member !== undefined && clockOnly.has(member) ? undefined : member !== undefined ? `os.${member}` : 'os';
  }
  if (name === 'require') {
    const arg = requiredModule(parent, key);
    return arg !== undefined && builtinModules.has(arg) ? undefined : `require(${arg === undefined ? '…' : JSON.stringify(arg)})`;
  }
  return undefined;
}

/** The literal module name of `require 'x'` / `require('x')`, when the identifier is the callee. */
function requiredModule(parent: LuaNode | undefined, key: string | undefined): string | undefined {
  if (key !== 'base' || !parent) return undefined;
  const lit = (n: unknown) => (isNode(n) && n.type === 'StringLiteral' ? literalValue(n) : undefined);
  if (parent.type === 'StringCallExpression') return lit(parent['argument']);
  if (parent.type === 'CallExpression') {
    const args = parent['arguments'] as unknown[];
    return args.length === 1 ? lit(args[0]) : undefined;
  }
  return undefined;
}

/** luaparse leaves `value` null unless encodingMode is set; the raw text is the quoted literal. */
function literalValue(n: LuaNode): string | undefined {
  if (typeof n['value'] === 'string') return n['value'];
  const raw = String(n['raw'] ?? '');
  const m = /^(['"])([A-Za-z0-9_.]*)\1$/.exec(raw);
  return m?.[2];
}
