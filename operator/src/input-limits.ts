/**
 * Bounds on what one object may make the (synchronous) validator do, shared by the admission
 * webhook and the CLI so that both refuse the same objects before evaluating them. The
 * defaults keep the measured worst case of a single evaluation under about a second on one
 * core (bench/webhook.bench.ts, docs/adr/0070-admission-webhook.md) while admitting every
 * object our CRD schemas admit in practice (EnvoyPlugin `lua.code` may be 256 KiB).
 */
import { formatPath } from './diagnostics.js';
import type { Finding } from './validate/rule.js';
import { rules } from './validate/catalogue.js';

export const tooLargeToValidate = rules.MW105;

export interface InputLimits {
  /** Serialized size of the object (JSON bytes). */
  maxObjectBytes: number;
  /** Longest single string value (a Lua script, a regex, a Wasm config). */
  maxStringBytes: number;
  /** Sum of all string values of 1 KiB or more: scripts dominate evaluation time. */
  maxScriptBytes: number;
  /** Entries of an EnvoyFilter's `spec.configPatches` (each may carry a Lua script). */
  maxPatches: number;
  /** Entries of any other array. */
  maxListItems: number;
  /** Nesting depth of the object. */
  maxDepth: number;
  /**
   * Lua scripts (typed configs of the Lua filter and EnvoyPlugin `lua` plugins). Each runs in
   * the Lua emulator for up to 1M instructions (about 10–20 ms when it loops), however short.
   */
  maxLuaScripts: number;
}

export const defaultLimits: InputLimits = {
  maxObjectBytes: 512 * 1024,
  maxStringBytes: 256 * 1024,
  maxScriptBytes: 256 * 1024,
  maxPatches: 64,
  maxListItems: 1024,
  maxDepth: 100,
  maxLuaScripts: 16,
};

/** The first limit an object exceeds. */
export interface LimitBreach {
  /** Field path of the offending value (`spec.configPatches`), or '' for the object as a whole. */
  path: string;
  /** What is wrong, without the path when there is one: `has 65 entries, more than 64`. */
  problem: string;
  /** Which limit, and its value. */
  limit: keyof InputLimits;
  max: number;
}

/** The breach as one sentence: `spec.configPatches has 65 entries, more than 64`. */
export function breachText(b: LimitBreach): string {
  return b.path === '' ? b.problem : `${b.path} ${b.problem}`;
}

interface Node {
  v: unknown;
  depth: number;
  parent?: Node;
  key?: string | number;
}

/** The path of a node, built only when a limit is hit (the walk itself must stay cheap). */
function pathOf(n: Node): string {
  const parts: Array<string | number> = [];
  for (let c: Node | undefined = n; c?.key !== undefined; c = c.parent) parts.push(c.key);
  return formatPath(parts.reverse());
}

const luaType = /\.lua\.v3\.Lua(PerRoute)?$/;

/** Iterative walk (no recursion: a hostile object must not overflow the stack here). Returns the first limit exceeded. */
export function findLimitBreach(object: unknown, limits: InputLimits): LimitBreach | undefined {
  let bytes = 0;
  let scriptBytes = 0;
  let luaScripts = 0;
  const stack: Node[] = [{ v: object, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { v, depth } = node;
    if (typeof v === 'string') {
      bytes += v.length + 2;
      if (v.length > limits.maxStringBytes) {
        const path = pathOf(node);
        const problem = `has ${kib(v.length)}, more than ${kib(limits.maxStringBytes)}`;
        return { path, problem: path === '' ? `a string ${problem}` : problem, limit: 'maxStringBytes', max: limits.maxStringBytes };
      }
      if (v.length >= 1024) scriptBytes += v.length;
      if (scriptBytes > limits.maxScriptBytes) {
        return { path: '', problem: `long strings (scripts, configs) add up to more than ${kib(limits.maxScriptBytes)}`, limit: 'maxScriptBytes', max: limits.maxScriptBytes };
      }
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= limits.maxDepth) {
        return { path: pathOf(node), problem: `is nested more than ${limits.maxDepth} levels deep`, limit: 'maxDepth', max: limits.maxDepth };
      }
      if (Array.isArray(v)) {
        const isPatches = depth === 2 && node.key === 'configPatches' && node.parent?.key === 'spec';
        const max = isPatches ? limits.maxPatches : limits.maxListItems;
        if (v.length > max) return { path: pathOf(node), problem: `has ${v.length} entries, more than ${max}`, limit: isPatches ? 'maxPatches' : 'maxListItems', max };
        bytes += 2 + v.length;
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, parent: node, key: i });
      } else {
        const o = v as Record<string, unknown>;
        const type = o['@type'];
        if ((typeof type === 'string' && luaType.test(type)) || (typeof o.lua === 'object' && o.lua !== null)) {
          if (++luaScripts > limits.maxLuaScripts) {
            return { path: '', problem: `it has more than ${limits.maxLuaScripts} Lua scripts`, limit: 'maxLuaScripts', max: limits.maxLuaScripts };
          }
        }
        bytes += 2;
        for (const k in o) {
          if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
          bytes += k.length + 4;
          stack.push({ v: o[k], depth: depth + 1, parent: node, key: k });
        }
      }
    } else {
      bytes += 8;
    }
    if (bytes > limits.maxObjectBytes) {
      return { path: '', problem: `the object is larger than ${kib(limits.maxObjectBytes)}`, limit: 'maxObjectBytes', max: limits.maxObjectBytes };
    }
  }
  return undefined;
}

/** The breach as a finding at the offending field, naming the limit. */
export function limitFinding(b: LimitBreach): Finding {
  return tooLargeToValidate.finding(
    b.path,
    `${b.problem} (input limit ${b.limit} = ${b.limit.endsWith('Bytes') ? kib(b.max) : b.max}): too large to validate`,
    'split the object into smaller ones or shorten the field; the admission webhook applies the same limits by default',
  );
}

/** Why the object is too big to validate, as one sentence; undefined when it is within the limits. */
export function checkLimits(object: unknown, limits: InputLimits): string | undefined {
  const breach = findLimitBreach(object, limits);
  return breach && breachText(breach);
}

export const kib = (n: number): string => (n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`);
