/**
 * Seeded generators of hostile inputs for the fuzzer: Lua top levels, regexes and YAML text.
 * Input `i` of generator `g` under seed `s` is always the same text (its own PRNG stream, seeded
 * from s, g and i), so one failing input is reproduced alone:
 *
 *   npx tsx e2e/hostile/fuzz-case.ts lua 17 0x686f7374 > case.yaml && node bin/meshwarden.js lint case.yaml
 *
 * The generators aim at the classes of issue 21: loops and recursion, catastrophic string
 * patterns, string growth, pcall/xpcall nesting, deep syntax nesting; regexes with deep nesting,
 * big repetitions, lookaround and backreferences; YAML with anchors, aliases, merge keys, deep
 * nesting and long scalars. Every size is capped, so a generated text is at most a few hundred KiB.
 */
import { seededRandom } from '../../operator/test/seeded-random.js';
import { luaEnvoyFilter, luaPlugin, smartLimiter } from './catalogue.js';

export const generatorNames = ['lua', 'regex', 'yaml'] as const;
export type GeneratorName = (typeof generatorNames)[number];

class Rng {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A 32-bit seed for input `index` of `name` under `seed` (FNV-1a over the three). */
function inputSeed(seed: number, name: GeneratorName, index: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of `${name}/${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h >>> 0;
}

// ---------------------------------------------------------------- Lua

const luaPatterns = ['a*', 'a-', '.-', '.*', '%a*', '[%w_]*', '(a*)*', 'a?', '%s*', '[^b]*'];

function luaExpr(r: Rng, depth: number): string {
  if (depth <= 0 || r.chance(0.4)) return r.pick(['1', 'x', "'a'", 'n', '#s', 'true', 'nil', '{}', 'i']);
  switch (r.int(0, 4)) {
    case 0:
      return `(${luaExpr(r, depth - 1)})`;
    case 1:
      return `{${luaExpr(r, depth - 1)}, ${luaExpr(r, depth - 1)}}`;
    case 2:
      return `${luaExpr(r, depth - 1)} .. ${luaExpr(r, depth - 1)}`;
    case 3:
      return `tostring(${luaExpr(r, depth - 1)})`;
    default:
      return `select('#', ${luaExpr(r, depth - 1)})`;
  }
}

function luaStatement(r: Rng, depth: number): string {
  const body = (): string => (depth > 0 ? Array.from({ length: r.int(1, 3) }, () => luaStatement(r, depth - 1)).join('\n') : 'x = x + 1');
  switch (r.int(0, 11)) {
    case 0: // a loop, bounded or not
      return r.chance(0.3) ? `while true do ${body()} end` : `for i = 1, ${r.pick([10, 1_000, 100_000, 10_000_000])} do ${body()} end`;
    case 1:
      return `repeat ${body()} until ${r.pick(['false', 'true', 'x > 100'])}`;
    case 2: // a string pattern, possibly catastrophic
      return `local s = ('${r.pick(['a', 'ab', ' '])}'):rep(${r.int(1, 200)})\nlocal _ = s:${r.pick(['find', 'match', 'gsub'])}((${JSON.stringify(r.pick(luaPatterns))}):rep(${r.int(1, 60)}) .. '${r.pick(['b', '$', 'c', ''])}'${r.pick(['', ", '%1'", ', 1'])})`;
    case 3: // string growth
      return `local s = 'x'\nfor i = 1, ${r.int(1, 40)} do s = s .. s end`;
    case 4:
      return `local t, s = {}, string.rep('x', ${r.pick([1, 1024, 1_048_576])})\nfor i = 1, ${r.pick([10, 1_000, 10_000])} do t[i] = s end\nlocal r = table.concat(t${r.pick(['', ", ','"])})`;
    case 5: // recursion, bounded or not
      return `local function f(n) ${r.chance(0.5) ? 'if n > 50 then return n end ' : ''}return f(n + 1) + 1 end\npcall(f, 1)`;
    case 6: // pcall/xpcall nesting, handlers that loop or fail
      return nestCalls(r, r.int(1, 60), r.pick(["error('e')", 'x = 1', 'while true do end']), r.pick(['function(m) return m end', 'function(m) while true do end end', 'function(m) error(m) end']));
    case 7:
      return `local x = ${luaExpr(r, r.int(1, 8))}`;
    case 8: {
      // Deep syntax nesting, beyond LuaJIT's 200 levels at times.
      const n = r.int(1, 400);
      return `local y = ${'('.repeat(n)}1${')'.repeat(n)}`;
    }
    case 9:
      return r.pick(['os.exit()', "collectgarbage('collect')", "collectgarbage('count')", 'os.time()', "require('x')", "loadstring('return 1')()", "io.write('x')"]);
    case 10:
      return `local co = coroutine.wrap(function() ${body()} coroutine.yield(1) end)\npcall(co)`;
    default:
      return `if ${luaExpr(r, 2)} then ${body()} else ${body()} end`;
  }
}

function nestCalls(r: Rng, depth: number, inner: string, handler: string): string {
  let code = inner;
  for (let i = 0; i < depth; i++) code = r.chance(0.5) ? `pcall(function() ${code} end)` : `xpcall(function() ${code} end, ${handler})`;
  return code;
}

/** A Lua top level: a few random statements, then the handler a filter needs. */
export function luaProgram(r: Rng): string {
  const statements = Array.from({ length: r.int(1, 4) }, () => luaStatement(r, r.int(0, 2)));
  return `local x, n = 0, 1\n${statements.join('\n')}\nfunction envoy_on_request(h) h:headers():add('x-fuzz', '1') end\n`;
}

// ---------------------------------------------------------------- regex

function regexTerm(r: Rng, depth: number): string {
  if (depth <= 0 || r.chance(0.35)) return r.pick(['a', '.', '[a-z]', '[^/]', '\\d', '\\w', '/api', '\\p{L}', 'x', '\\1', '\\b']);
  switch (r.int(0, 6)) {
    case 0:
      return `(${regexTerm(r, depth - 1)})`;
    case 1:
      return `(?:${regexTerm(r, depth - 1)}|${regexTerm(r, depth - 1)})`;
    case 2:
      return `${regexTerm(r, depth - 1)}${r.pick(['*', '+', '?', '*?', '++', `{${r.int(0, 5)},${r.int(5, 1200)}}`, `{${r.int(0, 1000)}}`])}`;
    case 3:
      return `${regexTerm(r, depth - 1)}${regexTerm(r, depth - 1)}`;
    case 4:
      return r.pick(['(?=', '(?!', '(?<=', '(?<name>', '(?i)']) + regexTerm(r, depth - 1) + ')';
    default:
      return `[${r.pick(['a-z', '^a', '\\d\\s', 'z-a', '[:alpha:]', ''])}]`;
  }
}

export function regex(r: Rng): string {
  if (r.chance(0.2)) {
    // Deep nesting of one construct, the crash class of issue 21.
    const n = r.pick([100, 999, 1_001, 2_000, 5_000]);
    const [open, close] = r.pick([
      ['(', ')'],
      ['(?:', ')'],
      ['(', ')*'],
      ['[', ']'],
    ] as const);
    return `${open.repeat(n)}a${close.repeat(n)}`;
  }
  return `^${regexTerm(r, r.int(1, 7))}$`;
}

/** A raw EnvoyFilter routing on `regex` (no schema length limit: the RE2 checks see all of it). */
function regexFilter(name: string, pattern: string): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: 'shop' },
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      priority: 10,
      configPatches: [
        {
          applyTo: 'VIRTUAL_HOST',
          match: { context: 'SIDECAR_OUTBOUND', proxy: { proxyVersion: pattern.length < 200 ? pattern : '^1\\.' } },
          patch: { operation: 'MERGE', value: { routes: [{ name: 'fuzz', match: { safe_regex: { regex: pattern } }, direct_response: { status: 204 } }] } },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------- YAML

function yamlScalar(r: Rng): string {
  switch (r.int(0, 7)) {
    case 0:
      return `"${'x'.repeat(r.pick([1, 100, 70_000, 300_000]))}"`;
    case 1:
      return r.pick(['yes', 'no', 'on', '0x1F', '1e400', '~', '.inf', '2026-12-06', '!!binary aGk=', '!!str 1', "'a''b'", '"\\u202e"']);
    case 2:
      return `|\n${'  line\n'.repeat(r.int(1, 50))}`;
    default:
      return r.pick(['reviews', '1', 'a b', '"q"', 'null']);
  }
}

/** Random YAML around a SmartLimiter: anchors and aliases (sometimes an expanding tree), merge keys, deep flow or block nesting, long scalars. */
export function yamlText(r: Rng): string {
  const parts: string[] = ['apiVersion: meshwarden.io/v1alpha1', 'kind: SmartLimiter', 'metadata:', '  name: fuzz', '  namespace: shop'];
  const anchors: string[] = [];
  const extras: string[] = [];
  const count = r.int(1, 6);
  for (let k = 0; k < count; k++) {
    const key = `    fuzz.example.com/k${k}`;
    switch (r.int(0, 5)) {
      case 0: {
        const name = `a${k}`;
        anchors.push(name);
        extras.push(`${key}: &${name} ${yamlScalar(r).split('\n')[0]}`);
        break;
      }
      case 1:
        if (anchors.length > 0) extras.push(`${key}: *${r.pick(anchors)}`);
        break;
      case 2: {
        // An expanding alias tree: fan-out f, levels l (from harmless to a bomb).
        const f = r.int(2, 10);
        const l = r.int(1, 9);
        const tree = [`  t0: &t0 [${Array(f).fill('"lol"').join(',')}]`];
        for (let i = 1; i < l; i++)
          tree.push(
            `  t${i}: &t${i} [${Array(f)
              .fill(`*t${i - 1}`)
              .join(',')}]`,
          );
        return `${parts.join('\n')}\nspec:\n${tree.join('\n')}\n`;
      }
      case 3: {
        const d = r.pick([10, 99, 101, 511, 513, 1_000, 3_000]);
        const [o, c] = r.pick([
          ['[', ']'],
          ['{a: ', '}'],
        ] as const);
        extras.push(`${key}: ${o.repeat(d)}${c.repeat(d)}`);
        break;
      }
      case 4: {
        const d = r.pick([20, 200, 600]);
        const block = Array.from({ length: d }, (_, i) => `${' '.repeat(6 + 2 * i)}n${i}:`).join('\n');
        extras.push(`${key}:\n${block} 1`);
        break;
      }
      default:
        extras.push(`${key}: ${yamlScalar(r).replace(/\n/g, '\n      ')}`);
    }
  }
  if (r.chance(0.3)) extras.push('    <<: {merged: "1"}');
  if (extras.length > 0) parts.push('  annotations:', ...extras);
  parts.push('spec:', '  target: {workloadSelector: {matchLabels: {app: reviews}}}', '  limits:', '  - {name: per-pod, port: 9080, rate: {requests: 100, per: 1m}}');
  return parts.join('\n') + '\n';
}

// ---------------------------------------------------------------- inputs

export interface FuzzInput {
  generator: GeneratorName;
  index: number;
  seed: number;
  /** The manifest the CLI reads. */
  text: string;
  /** The object the webhook judges (Lua and regex inputs). */
  object?: Record<string, unknown>;
}

export function fuzzInput(generator: GeneratorName, index: number, seed: number): FuzzInput {
  const r = new Rng(seededRandom(inputSeed(seed, generator, index)));
  const name = `fuzz-${generator}-${index}`;
  let object: Record<string, unknown> | undefined;
  switch (generator) {
    case 'lua': {
      const code = luaProgram(r);
      object = r.chance(0.5) ? luaEnvoyFilter(name, code) : luaPlugin(name, code);
      break;
    }
    case 'regex': {
      const pattern = regex(r);
      object = r.chance(0.7) ? regexFilter(name, pattern) : smartLimiter(name, [{ name: 'fuzz', port: 9080, rate: { requests: 1, per: '1s' }, match: { path: { regex: pattern } } }]);
      break;
    }
    case 'yaml':
      return { generator, index, seed, text: yamlText(r) };
  }
  return { generator, index, seed, text: JSON.stringify(object) + '\n', object };
}
