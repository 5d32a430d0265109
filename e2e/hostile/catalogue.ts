/**
 * The hostile cases of issue 21, as data: the input, the verdict class expected from
 * `meshwarden lint` (and from the admission webhook where the input is one object the API server
 * would send), and the bounds. cli.e2e.test.ts and webhook.e2e.test.ts run every case;
 * docs/adr/0106-hostile-input-suite.md explains the classes and the numbers.
 *
 * Where issue 21 fixes the verdict but not the rule code (an emulator budget, a fatal top level,
 * a string LuaJIT cannot hold), a case accepts the error rules that each state the same verdict
 * ("Envoy would not load this"); never a warning, never a pass.
 */
import { existsSync } from 'node:fs';
import type { CliBounds } from './bounds.js';

export type HostileClass = 'lua-budget' | 'lua-verdict' | 'regex' | 'yaml' | 'size' | 'metadata' | 'cache' | 'cross-object' | 'host-access';

/** What the CLI must answer. */
export type CliExpect =
  /** Exit 1 and at least one error diagnostic (with `warningSuffices`: exit 0 or 1, any severity) with one of `rules` (at a path matching `path`, with a message matching `message`). */
  | { verdict: 'findings'; rules: readonly string[]; path?: RegExp; message?: RegExp; alsoRules?: readonly string[]; warningSuffices?: boolean }
  /** Exit 0: no error diagnostic (warnings are allowed). */
  | { verdict: 'passes' }
  /** Exit 2 for an input the reader refuses (YAML bounds): one `file:line:col: message` line matching `message`, not an internal error. */
  | { verdict: 'input-error'; message: RegExp };

/** What the admission webhook must answer (over a live server, in a child process). */
export type WebhookExpect =
  | { allowed: false; message: RegExp }
  | { allowed: true }
  /** Admitted (with warnings) or denied: a verdict either way, never a 500. */
  | { allowed: 'either' };

export interface HostileCase {
  id: string;
  class: HostileClass;
  /** One line: what it does and what issue 21 saw. */
  title: string;
  /** The manifest text the CLI reads (YAML; JSON is YAML). */
  text: () => string;
  /** The object the webhook judges, when the case is one object the API server would send. */
  object?: () => Record<string, unknown>;
  cli: CliExpect;
  webhook?: WebhookExpect;
  /** `validate --envoy` instead of `lint` (host-access cases: Envoy itself loads the config). */
  command?: 'lint' | 'validate';
  /** Checked after the run (host-access cases): a problem, or undefined. */
  after?: (run: { stdout: string; stderr: string }) => string | undefined;
  bounds?: Partial<CliBounds>;
}

const NS = 'shop';
const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const hcmRouter = { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } };
const json = (o: unknown): string => JSON.stringify(o, null, 1) + '\n';

/** A raw EnvoyFilter with one Lua filter: the kind whose webhook fails open (failurePolicy Ignore). */
export function luaEnvoyFilter(name: string, code: string, luaSource: Record<string, unknown> = { inline_string: code }): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: NS },
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      priority: 10,
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: hcmRouter } },
          patch: { operation: 'INSERT_BEFORE', value: { name: 'hostile.lua', typed_config: { '@type': LUA, default_source_code: luaSource } } },
        },
      ],
    },
  };
}

/**
 * An EnvoyFilter of 16 Lua filters (the most the input limits allow) whose top levels each run a
 * catastrophic string pattern: each is stopped by the Lua checker's wall-clock budget (about a
 * second), so together they outlast the webhook's evaluation deadline. Each script is unique (the
 * checker memoises verdicts by script).
 */
export function manyLuaScripts(name: string): Record<string, unknown> {
  const one = luaEnvoyFilter(name, '') as { spec: { configPatches: Array<Record<string, unknown>> } };
  const template = JSON.stringify(one.spec.configPatches[0]);
  one.spec.configPatches = Array.from({ length: 16 }, (_, i) => {
    const patch = JSON.parse(template) as { patch: { value: { name: string; typed_config: { default_source_code: { inline_string: string } } } } };
    patch.patch.value.name = `hostile.lua.${i}`;
    patch.patch.value.typed_config.default_source_code.inline_string = `local tag = '${name}-${i}'\nlocal s = ('a'):rep(64)\nlocal found = s:find(('a*'):rep(40) .. 'b')` + handler;
    return patch;
  });
  return one;
}

/** An EnvoyPlugin with one Lua plugin: the kind whose webhook fails closed. */
export function luaPlugin(name: string, code: string): Record<string, unknown> {
  return {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'EnvoyPlugin',
    metadata: { name, namespace: NS },
    spec: { target: { workloadSelector: { matchLabels: { app: 'reviews' } } }, plugins: [{ name: 'hostile', lua: { code } }] },
  };
}

type Limit = Record<string, unknown>;
export function smartLimiter(
  name: string,
  limits: Limit[],
  target: Record<string, unknown> = { workloadSelector: { matchLabels: { app: 'reviews' } } },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { apiVersion: 'meshwarden.io/v1alpha1', kind: 'SmartLimiter', metadata: { name, namespace: NS, ...extra }, spec: { target, limits } };
}
const limit = (name: string, more: Limit = {}): Limit => ({ name, port: 9080, rate: { requests: 100, per: '1m' }, ...more });
const pathRegex = (name: string, regex: string): Limit => limit(name, { match: { path: { regex } } });

const nestedGroups = (n: number): string => `${'('.repeat(n)}a${')'.repeat(n)}`;

/** A raw EnvoyFilter adding a route whose match is `regex` (Envoy compiles it with RE2). */
function routeRegexFilter(name: string, regex: string): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: NS },
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      priority: 10,
      configPatches: [
        {
          applyTo: 'VIRTUAL_HOST',
          match: { context: 'SIDECAR_OUTBOUND' },
          patch: { operation: 'MERGE', value: { routes: [{ name: 'hostile', match: { safe_regex: { regex } }, direct_response: { status: 204 } }] } },
        },
      ],
    },
  };
}

/** Handlers so that a script that loads is a working filter (no MW503 noise in the verdict). */
const handler = '\nfunction envoy_on_request(h) h:headers():add("x-hostile", "1") end\n';

/** A budget escape: the verdict is an error (Envoy would hang or die loading it), from the emulator's budget or from its load-error emulation. */
const budgetRules = ['MW506', 'MW502'] as const;
/** Denied with a rule or a budget named, never a 500 ("the validator failed"). */
const deniedLua: WebhookExpect = { allowed: false, message: /MW50[126]|budget/ };

const cases: HostileCase[] = [
  // ---- Lua: escapes from the emulator's budget (the webhook hung; Envoy hangs or dies) ----
  {
    id: 'lua-pattern-backtracking',
    class: 'lua-budget',
    title: "string pattern with 40 'a*' against 64 'a's: exponential backtracking inside one JS call, where the count hook never fired",
    object: () => luaEnvoyFilter('pattern', "local s = ('a'):rep(64)\nlocal found = s:find(('a*'):rep(40) .. 'b')" + handler),
    text: () => json(luaEnvoyFilter('pattern', "local s = ('a'):rep(64)\nlocal found = s:find(('a*'):rep(40) .. 'b')" + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-xpcall-handler-loop',
    class: 'lua-budget',
    title: 'xpcall whose message handler loops forever: the handler was not counted',
    object: () => luaPlugin('xpcall', "xpcall(function() error('boom') end, function(m) while true do end end)" + handler),
    text: () => json(luaPlugin('xpcall', "xpcall(function() error('boom') end, function(m) while true do end end)" + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-while-true',
    class: 'lua-budget',
    title: '`while true do end` at top level: only a warning before, and Envoy hangs loading it',
    object: () => luaEnvoyFilter('spin', 'while true do end' + handler),
    text: () => json(luaEnvoyFilter('spin', 'while true do end' + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-string-doubling',
    class: 'lua-budget',
    title: "`s = s .. s` 31 times: a 2 GiB string (LuaJIT: 'string length overflow'); took the webhook to 3.4 GB and was admitted",
    object: () => luaPlugin('double', "local s = 'x'\nfor i = 1, 31 do s = s .. s end" + handler),
    text: () => json(luaPlugin('double', "local s = 'x'\nfor i = 1, 31 do s = s .. s end" + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-table-concat',
    class: 'lua-budget',
    title: 'table.concat of 4,096 one-MiB strings: a 4 GiB string in one library call (5.3 GB in the CLI)',
    object: () => luaEnvoyFilter('concat', "local t, s = {}, string.rep('x', 1048576)\nfor i = 1, 4096 do t[i] = s end\nlocal r = table.concat(t)" + handler),
    text: () => json(luaEnvoyFilter('concat', "local t, s = {}, string.rep('x', 1048576)\nfor i = 1, 4096 do t[i] = s end\nlocal r = table.concat(t)" + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-many-scripts',
    class: 'lua-budget',
    title: 'sixteen catastrophic patterns in one EnvoyFilter (the most scripts the input limits allow): each stopped by the Lua budget, the object by the evaluation deadline',
    object: () => manyLuaScripts('many-loops'),
    text: () => json(manyLuaScripts('many-loops')),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
    // The CLI has no per-object deadline: sixteen Lua wall-clock budgets of a second, each with its
    // worker's restart (34 s measured at load 8 on 2 cores, 2026-12-06).
    bounds: { wallMs: 60_000 },
  },
  // ---- Lua: verdicts that must match Envoy ----
  {
    id: 'lua-os-exit',
    class: 'lua-verdict',
    title: '`os.exit()` at top level: Envoy exits while loading the config; it was admitted',
    object: () => luaPlugin('exit', 'os.exit()' + handler),
    text: () => json(luaPlugin('exit', 'os.exit()' + handler)),
    cli: { verdict: 'findings', rules: budgetRules },
    webhook: deniedLua,
  },
  {
    id: 'lua-syntax-levels',
    class: 'lua-verdict',
    title: "250 nested parentheses: more than LuaJIT's 200 syntax levels (Envoy: 'too many syntax levels'); only a warning before",
    object: () => luaEnvoyFilter('levels', `local x = ${'('.repeat(250)}1${')'.repeat(250)}` + handler),
    text: () => json(luaEnvoyFilter('levels', `local x = ${'('.repeat(250)}1${')'.repeat(250)}` + handler)),
    cli: { verdict: 'findings', rules: ['MW501'] },
    webhook: { allowed: false, message: /MW501/ },
  },
  {
    id: 'lua-nesting-10000',
    class: 'lua-verdict',
    title: 'a table constructor nested 10,000 deep: a stack trace and exit 1 before, a 500 from the webhook',
    object: () => luaPlugin('deep', `local t = ${'{'.repeat(10_000)}${'}'.repeat(10_000)}` + handler),
    text: () => json(luaPlugin('deep', `local t = ${'{'.repeat(10_000)}${'}'.repeat(10_000)}` + handler)),
    cli: { verdict: 'findings', rules: ['MW501'] },
    webhook: { allowed: false, message: /MW501/ },
  },
  {
    id: 'lua-collectgarbage',
    class: 'lua-verdict',
    title: "top-level collectgarbage('collect') and ('count'): valid in Envoy 1.39, refused before as 'lua_gc not implemented'",
    object: () => luaPlugin('gc', "collectgarbage('collect')\nlocal kb = collectgarbage('count')" + handler),
    text: () => json(luaPlugin('gc', "collectgarbage('collect')\nlocal kb = collectgarbage('count')" + handler)),
    cli: { verdict: 'passes' },
    webhook: { allowed: true },
  },
  // ---- Regex ----
  {
    id: 'regex-5000-groups',
    class: 'regex',
    title: "a route safe_regex of 5,000 nested groups in a raw EnvoyFilter: 'Maximum call stack size exceeded' before; valid in istio-proxy (RE2 program size 10,005, Istio's error level 32,768)",
    object: () => routeRegexFilter('groups', nestedGroups(5_000)),
    text: () => json(routeRegexFilter('groups', nestedGroups(5_000))),
    cli: { verdict: 'passes' },
    webhook: { allowed: true },
  },
  {
    id: 'regex-20000-groups',
    class: 'regex',
    title: "20,000 nested groups: RE2 program size about 40,000, over Istio's re2.max_program_size.error_level (32,768), so Envoy rejects it",
    object: () => routeRegexFilter('groups', nestedGroups(20_000)),
    text: () => json(routeRegexFilter('groups', nestedGroups(20_000))),
    // Checked with `envoy --mode validate` and Istio's error level: 5,000 groups OK, 20,000 "RE2 program
    // size of 40005 > max program size of 32768". MW512 is a warning (the runtime key can be raised); it must be there, at the regex.
    cli: { verdict: 'findings', rules: ['MW512'], path: /\.regex$/, warningSuffices: true },
    webhook: { allowed: 'either' },
  },
  {
    id: 'regex-5000-groups-smartlimiter',
    class: 'regex',
    title: 'a SmartLimiter path regex of 5,000 nested groups: refused at the regex (schema length or RE2), no crash',
    object: () => smartLimiter('groups', [pathRegex('deep', `${'('.repeat(5_000)}a${')'.repeat(5_000)}`)]),
    text: () => json(smartLimiter('groups', [pathRegex('deep', `${'('.repeat(5_000)}a${')'.repeat(5_000)}`)])),
    cli: { verdict: 'findings', rules: ['MW103', 'MW511'], path: /^spec\.limits\[0\]/ },
    webhook: { allowed: false, message: /MW103|MW511/ },
  },
  {
    id: 'regex-lookahead',
    class: 'regex',
    title: 'a lookahead path regex: not RE2, Envoy rejects it',
    object: () => smartLimiter('lookahead', [pathRegex('ahead', '^/api/(?=v1)')]),
    text: () => json(smartLimiter('lookahead', [pathRegex('ahead', '^/api/(?=v1)')])),
    // Reported on the limit: the regex is checked in the EnvoyFilter generated from it.
    cli: { verdict: 'findings', rules: ['MW511'], path: /^spec\.limits\[0\]/ },
    webhook: { allowed: false, message: /MW511/ },
  },
  // ---- YAML (CLI only: the API server sends the webhook JSON it has already decoded) ----
  {
    id: 'yaml-billion-laughs',
    class: 'yaml',
    title: 'alias bomb (9 levels of 9 aliases): a stack trace and exit 1 before',
    text: billionLaughs,
    cli: { verdict: 'input-error', message: /alias/i },
  },
  {
    id: 'yaml-101-aliases',
    class: 'yaml',
    title: "101 ordinary aliases (annotations sharing one anchored value): refused before as an 'attack' at 0:0; kubectl accepts them",
    text: hundredAndOneAliases,
    cli: { verdict: 'passes' },
  },
  {
    id: 'yaml-nesting-1000',
    class: 'yaml',
    title: 'a document nested 1,000 deep: a bare stack-overflow message before',
    text: () =>
      `apiVersion: meshwarden.io/v1alpha1\nkind: SmartLimiter\nmetadata: {name: nested, namespace: ${NS}}\nspec:\n  target: {workloadSelector: {matchLabels: {app: reviews}}}\n  limits: ${'['.repeat(1_000)}${']'.repeat(1_000)}\n`,
    cli: { verdict: 'input-error', message: /nested too deeply.*limit \d+/ },
  },
  {
    id: 'json-nesting-1000',
    class: 'size',
    title: 'an object nested 1,000 deep as JSON (what the API server sends): refused by the nesting limit, named',
    object: () => smartLimiter('nested', [limit('deep', { match: nest(1_000) })]),
    text: () => JSON.stringify(smartLimiter('nested', [limit('deep', { match: nest(1_000) })])),
    // JSON is YAML: the reader's nesting bound refuses it before anything recurses.
    cli: { verdict: 'input-error', message: /nested too deeply.*limit \d+/ },
    webhook: { allowed: false, message: /limit|deep/ },
  },
  // ---- Size ----
  {
    id: 'size-10000-limits',
    class: 'size',
    title: "a SmartLimiter with 10,000 limits: 41 s in the CLI before being told 'max 64'",
    object: () =>
      smartLimiter(
        'many',
        Array.from({ length: 10_000 }, (_, i) => limit(`l${i}`)),
      ),
    text: () =>
      json(
        smartLimiter(
          'many',
          Array.from({ length: 10_000 }, (_, i) => limit(`l${i}`)),
        ),
      ),
    cli: { verdict: 'findings', rules: ['MW105'], message: /limit/ },
    webhook: { allowed: false, message: /limit|too large/ },
    // A refusal before evaluation: startup plus parsing ~1 MB.
    bounds: { wallMs: 15_000 },
  },
  // ---- Metadata and kinds in the meshwarden.io group (lint exited 0 with no output) ----
  {
    id: 'meta-unknown-version',
    class: 'metadata',
    title: 'apiVersion meshwarden.io/v1apha1 (a typo): lint exited 0 with no output',
    text: () => json({ ...smartLimiter('typo', [limit('a')]), apiVersion: 'meshwarden.io/v1apha1' }),
    cli: { verdict: 'findings', rules: ['MW106'], path: /^apiVersion$/, message: /v1apha1/ },
  },
  {
    id: 'meta-unknown-kind',
    class: 'metadata',
    title: 'kind Smartlimiter (wrong case) in the meshwarden.io group: lint exited 0 with no output',
    text: () => json({ ...smartLimiter('case', [limit('a')]), kind: 'Smartlimiter' }),
    cli: { verdict: 'findings', rules: ['MW106'], path: /^kind$/, message: /Smartlimiter/ },
  },
  {
    id: 'meta-invalid-name',
    class: 'metadata',
    title: 'metadata.name "Bad_Name!": the API server refuses it, lint said nothing',
    text: () => json(smartLimiter('Bad_Name!', [limit('a')])),
    cli: { verdict: 'findings', rules: ['MW107'], path: /^metadata\.name$/ },
  },
  // ---- Cross-object: cluster-independent checks run without the Service ----
  {
    id: 'missing-service-invalid-regex',
    class: 'cross-object',
    title: 'a SmartLimiter on a Service that does not exist yet, with a lookahead regex: only MW601 before',
    object: () => smartLimiter('early', [pathRegex('ahead', '^/api/(?=v1)')], { service: 'reviews' }),
    text: () => json(smartLimiter('early', [pathRegex('ahead', '^/api/(?=v1)')], { service: 'reviews' })),
    cli: { verdict: 'findings', rules: ['MW511'], alsoRules: ['MW601'] },
    webhook: { allowed: false, message: /MW511/ },
  },
  // ---- Cache growth, in the CLI (one process; the webhook test measures growth across requests) ----
  {
    id: 'proxyversion-unique-regexes',
    class: 'cache',
    title: '4 EnvoyFilters of 64 patches with a unique proxyVersion regex each: time and memory bounded',
    text: () => Array.from({ length: 4 }, (_, i) => json(proxyVersionFilter(`pv-${i}`, i, 64))).join('---\n'),
    cli: { verdict: 'passes' },
  },
];

/** Host access: `validate --envoy` runs Envoy on the manifest; what its Lua or file paths reach must stay in the sandbox. */
export const hostAccessMarker = (dir: string): string => `${dir}/meshwarden-hostile-was-here`;
export function hostAccessCases(markerDir: string): HostileCase[] {
  const marker = hostAccessMarker(markerDir);
  const firstPasswdLine = /^root:[^:\n]*:0:0:/m;
  return [
    {
      id: 'envoy-os-execute',
      class: 'host-access',
      title: 'top-level os.execute and io.open under `validate --envoy`: they ran on the host before',
      command: 'validate',
      text: () => json(luaEnvoyFilter('exec', `os.execute('touch ${marker}')\nlocal f = io.open('${marker}', 'w') if f then f:write('x') f:close() end` + handler)),
      // Screened before Envoy runs (the oracle sandbox, ADR 0103), and said so.
      cli: { verdict: 'findings', rules: ['MW703'], warningSuffices: true },
      after: () => (existsSync(marker) ? `${marker} was created on the host` : undefined),
      bounds: { wallMs: 60_000 },
    },
    {
      id: 'envoy-access-log-path',
      class: 'host-access',
      title: 'an access log file path under `validate --envoy`: Envoy created the file on the host before',
      command: 'validate',
      text: () => json(accessLogFilter('access-log', `${marker}.log`)),
      // Screened before Envoy runs (the oracle sandbox, ADR 0103), and said so.
      cli: { verdict: 'findings', rules: ['MW705'], warningSuffices: true },
      after: () => (existsSync(`${marker}.log`) ? `${marker}.log was created on the host` : undefined),
      bounds: { wallMs: 60_000 },
    },
    {
      id: 'envoy-datasource-passwd',
      class: 'host-access',
      title: 'a Lua DataSource reading /etc/passwd under `validate --envoy`: its first line was printed before',
      command: 'validate',
      text: () => json(luaEnvoyFilter('passwd', '', { filename: '/etc/passwd' })),
      // Screened before Envoy runs (the oracle sandbox, ADR 0103), and said so.
      cli: { verdict: 'findings', rules: ['MW704'], warningSuffices: true },
      after: (run) => (firstPasswdLine.test(run.stdout + run.stderr) ? 'the output quotes /etc/passwd' : undefined),
      bounds: { wallMs: 60_000 },
    },
  ];
}

/** A raw EnvoyFilter giving the inbound HTTP connection manager a file access log at `path`. */
function accessLogFilter(name: string, path: string): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: NS },
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      priority: 10,
      configPatches: [
        {
          applyTo: 'NETWORK_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
          patch: {
            operation: 'MERGE',
            value: {
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path } }],
              },
            },
          },
        },
      ],
    },
  };
}

/** An object nested `depth` deep under one key: {a: {a: …}}. */
function nest(depth: number): Record<string, unknown> {
  let o: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) o = { a: o };
  return o;
}

/**
 * Unique proxyVersion regexes that compile to sizeable RE2 programs (about 34 KB each once
 * matched, measured): what an unbounded regex cache keeps forever.
 */
export function proxyVersionRegex(i: number): string {
  return `^1\\.${i}([a-z]{0,90}[0-9]{0,90}){0,10}$`;
}

export function proxyVersionFilter(name: string, seed: number, patches: number): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: NS },
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      priority: 10,
      configPatches: Array.from({ length: patches }, (_, j) => ({
        applyTo: 'HTTP_FILTER',
        match: { context: 'SIDECAR_INBOUND', proxy: { proxyVersion: proxyVersionRegex(seed * patches + j + 100) }, listener: { portNumber: 8080, filterChain: hcmRouter } },
        patch: { operation: 'MERGE', value: { name: 'envoy.filters.http.router' } },
      })),
    },
  };
}

/** The classic billion-laughs document: tiny on disk, 9^9 scalars once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol, namespace: ${NS}}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** A valid SmartLimiter whose 101 annotations share one anchored value. */
function hundredAndOneAliases(): string {
  const annotations = Array.from({ length: 101 }, (_, i) => `    team.example.com/owner-${i}: *owner`).join('\n');
  return [
    'apiVersion: meshwarden.io/v1alpha1',
    'kind: SmartLimiter',
    'metadata:',
    '  name: aliases',
    `  namespace: ${NS}`,
    '  labels:',
    '    owner: &owner payments-team',
    '  annotations:',
    annotations,
    'spec:',
    '  target: {workloadSelector: {matchLabels: {app: reviews}}}',
    '  limits:',
    '  - {name: per-pod, port: 9080, rate: {requests: 100, per: 1m}}',
    '',
  ].join('\n');
}

export const hostileCases: readonly HostileCase[] = cases;
