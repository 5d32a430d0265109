/**
 * Hostile Lua top levels (issue 21): every one ends within its budget with Envoy's verdict.
 * Each case failed on the in-process emulator (hang, multi-GB string, wrong verdict or a stack
 * overflow); e2e/envoy/lua-hostile.e2e.test.ts checks the same verdicts against real Envoy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLua, clearLuaCache } from './lua.js';

const H = '\nfunction envoy_on_request(h) end';
const rules = (fs: { rule: string }[]): string[] => fs.map((f) => f.rule);
/** Small budgets keep the suite fast; the defaults are 1,000,000 instructions, 1000 ms, 64 MiB. */
const FAST = { instructionBudget: 200_000, deadlineMs: 400, memoryBudget: 8 * 1024 * 1024 };

function timed<T>(f: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = f();
  return { value, ms: performance.now() - t };
}

// Start the worker once, so the timings below measure runs, not the warm-up.
checkLua(`local warm = 1${H}`, FAST);

test('MW506: a backtracking string pattern is stopped by the wall clock', () => {
  const { value, ms } = timed(() => checkLua(`local s = ('a'):rep(30) s:find(('a*'):rep(40) .. 'b')${H}`, FAST));
  assert.deepEqual(rules(value), ['MW506']);
  assert.equal(value[0]!.severity, 'error');
  assert.match(value[0]!.message, /within 400 ms of wall-clock time/);
  assert.ok(ms < 400 + 1500, `${ms} ms`);
  // the worker is replaced: the next script is judged normally
  assert.deepEqual(checkLua(`local x = 1${H}`, FAST), []);
});

test('MW506: a looping xpcall message handler is counted by the instruction budget', () => {
  for (const code of [`xpcall(error, function() while true do end end)${H}`, `xpcall(function() while true do end end, function() while true do end end)${H}`]) {
    const f = checkLua(code, { ...FAST, deadlineMs: 5000 });
    assert.deepEqual(rules(f), ['MW506'], code);
    assert.match(f[0]!.message, /200,000 Lua instructions/, code);
  }
});

test('MW506: doubling a string and table.concat stop at the memory budget', () => {
  for (const code of [
    `local s = 'x' for i = 1, 31 do s = s .. s end${H}`,
    `local t = {} for i = 1, 64 do t[i] = ('x'):rep(2^24) end local s = table.concat(t)${H}`,
    `local t = {} for i = 1, 4096 do t[i] = 'x' end local s = table.concat(t) for i = 1, 20 do s = table.concat({s, s}) end${H}`,
    `local co = coroutine.wrap(function() local s = 'x' for i = 1, 40 do s = s .. s end end) co()${H}`,
    `local s = 'x' for i = 1, 31 do pcall(function() s = s .. s end) end${H}`,
  ]) {
    const f = checkLua(code, FAST);
    assert.deepEqual(rules(f), ['MW506'], code);
    assert.match(f[0]!.message, /more than 8 MiB of strings/, code);
  }
});

test('MW502: a string longer than LuaJIT allows is "string length overflow", as in Envoy', () => {
  const f = checkLua(`local s = ('x'):rep(2^31)${H}`, FAST);
  assert.deepEqual(rules(f), ['MW502']);
  assert.match(f[0]!.message, /string length overflow/);
  // catchable like LuaJIT's error
  assert.deepEqual(checkLua(`local ok, e = pcall(string.rep, 'xy', 2^30) assert(not ok and e == 'string length overflow')${H}`, FAST), []);
});

test('string.rep stays exact (doubling copy) and fast for large results within the budget', () => {
  const code = `assert(('ab'):rep(3, ',') == 'ab,ab,ab') assert(('x'):rep(0) == '') assert((''):rep(1e9) == '')
assert(#('abc'):rep(1000000) == 3000000 and ('abc'):rep(1000000):sub(-4) == 'cabc')${H}`;
  assert.deepEqual(checkLua(code, FAST), []);
});

test('MW502: os.exit at the top level (Envoy exits), even under pcall', () => {
  for (const code of [`os.exit()${H}`, `pcall(os.exit, 0)${H}`]) {
    const f = checkLua(code, FAST);
    assert.deepEqual(rules(f), ['MW502'], code);
    assert.match(f[0]!.message, /os\.exit/);
  }
  assert.deepEqual(checkLua('function envoy_on_request(h) os.exit() end', FAST), []);
});

test('MW506: while true do end at the top level is an error (Envoy hangs at config load)', () => {
  const f = checkLua(`while true do end${H}`, FAST);
  assert.deepEqual(rules(f), ['MW506']);
  assert.equal(f[0]!.severity, 'error');
});

test('collectgarbage: every LuaJIT option passes, an unknown option is a load error', () => {
  const ok = `collectgarbage() collectgarbage('collect') local kb = collectgarbage('count') + 1
assert(collectgarbage('step') == true) local p = collectgarbage('setpause', 100) local m = collectgarbage('setstepmul', 200)
collectgarbage('stop') assert(collectgarbage('isrunning') == false) collectgarbage('restart') local g = gcinfo()${H}`;
  assert.deepEqual(checkLua(ok, FAST), []);
  const bad = checkLua(`collectgarbage('bogus')${H}`, FAST);
  assert.deepEqual(rules(bad), ['MW502']);
  assert.match(bad[0]!.message, /invalid option 'bogus'/);
});

test('MW501: more than 200 LuaJIT syntax levels, at the exact limit Envoy uses', () => {
  const parens = (n: number) => `local x = ${'('.repeat(n)}1${')'.repeat(n)}${H}`;
  const blocks = (n: number) => `${'do '.repeat(n)}${'end '.repeat(n)}${H}`;
  const concat = (n: number) => `local x = ${"'a'..".repeat(n)}'a'${H}`;
  const targets = (n: number) => `local t = {} ${Array.from({ length: n }, (_, i) => `t.a${i}`).join(',')} = 1${H}`;
  for (const [ok, tooDeep] of [
    [parens(197), parens(198)],
    [blocks(198), blocks(199)],
    [concat(197), concat(198)],
    [targets(199), targets(200)],
  ] as const) {
    assert.deepEqual(rules(checkLua(ok, FAST)), [], ok.slice(0, 40));
    const f = checkLua(tooDeep, FAST);
    assert.deepEqual(rules(f), ['MW501'], tooDeep.slice(0, 40));
    assert.match(f[0]!.message, /limit 200|more than 200 variable names/);
  }
});

test('MW501: 10,000 levels of nesting are a clean finding naming the limit, not a stack overflow', () => {
  for (const code of [
    `local x = ${'('.repeat(10_000)}1${')'.repeat(10_000)}${H}`,
    `${'do '.repeat(10_000)}${'end '.repeat(10_000)}${H}`,
    `local t = ${'{'.repeat(10_000)}${'}'.repeat(10_000)}${H}`,
    `local x = ${'- '.repeat(10_000)}1${H}`,
  ]) {
    const f = checkLua(code, FAST);
    assert.deepEqual(rules(f), ['MW501'], code.slice(0, 30));
    assert.match(f[0]!.message, /nested too deeply \(limit 200, LuaJIT's\)/);
  }
  // A long left-associative chain is not nested for LuaJIT: accepted, and no crash on the AST.
  assert.deepEqual(checkLua(`local x = ${'1 + '.repeat(5000)}1${H}`, FAST), []);
});

test('hostile cases end within the deadline with bounded memory (child process, VmHWM)', () => {
  const child = `
import { checkLua } from ${JSON.stringify(new URL('./lua.js', import.meta.url).href)};
import { readFileSync } from 'node:fs';
const H = '\\nfunction envoy_on_request(h) end';
const cases = [
  "local s = 'x' for i = 1, 31 do s = s .. s end",
  "local t = {} for i = 1, 64 do t[i] = ('x'):rep(2^24) end local s = table.concat(t)",
  "local s = ('a'):rep(30) s:find(('a*'):rep(40) .. 'b')",
  "xpcall(error, function() while true do end end)",
];
const t = performance.now();
for (const c of cases) checkLua(c + H);
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ ms: performance.now() - t, hwm }));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
    cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
    timeout: 60_000,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const { ms, hwm } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; hwm: number };
  // default budgets: 64 MiB of strings, 1,000,000 instructions, 1000 ms (plus a cold worker start)
  assert.ok(hwm < 600 * 1024 * 1024, `peak RSS ${(hwm / 1048576).toFixed(0)} MiB`);
  assert.ok(ms < 4 * 1000 + 10_000, `${ms} ms`);
});

test('the findings cache is bounded by script size, not only by count', () => {
  clearLuaCache();
  const big = `-- ${'x'.repeat(4 * 1024 * 1024)}\nlocal a = 1${H}`;
  for (let i = 0; i < 6; i++) checkLua(`${big}-- ${i}`, { run: false });
  // 6 scripts of 4 MiB do not all fit under the 16 Mi-character cap: the oldest is recomputed
  assert.deepEqual(checkLua(`${big}-- 5`, { run: false }), []);
});

test('a top level that exhausts the worker heap (tables) is MW506, and the next script is judged', () => {
  const f = checkLua(`local t = {} for i = 1, 2000000 do t[i] = {i, i, i} end${H}`, { ...FAST, instructionBudget: 50_000_000, deadlineMs: 3000 });
  assert.deepEqual(rules(f), ['MW506']);
  assert.deepEqual(checkLua(`local t = {} for i = 1, 10000 do t[i] = {} end${H}`, FAST), []);
});
