/**
 * Timing of the MW5xx checks: `node --import tsx operator/src/validate/syntax/bench-syntax.ts`.
 * Prints microseconds per call; numbers go into docs/adr/0040-lua-and-regex-checks.md and
 * docs/adr/0100-bounded-lua-evaluation.md (the worker round trip). CPU time is process-wide, so it
 * includes the Lua worker thread.
 */
import luaparse from 'luaparse';
import { checkLua, clearLuaCache, runTopLevel } from './lua.js';
import { luajitLevelViolation } from './lua-levels.js';
import { runInThisThread } from './lua-sandbox.js';
import { checkProxyVersion, checkRegex, clearRegexCache } from './regex.js';
import { checkWasmPlugin } from './wasm.js';

export const SCRIPT_20_LINES = `-- adds a request id and times the upstream
local header = 'x-meshwarden-id'
local counter = 0
local function next_id()
  counter = counter + 1
  return string.format('%s-%d', 'mw', counter)
end
local skip = { ['/healthz'] = true, ['/readyz'] = true }
function envoy_on_request(request_handle)
  local path = request_handle:headers():get(':path') or ''
  if skip[path] then return end
  request_handle:headers():add(header, next_id())
  request_handle:streamInfo():dynamicMetadata():set('meshwarden', 'start', os.time())
end
function envoy_on_response(response_handle)
  local md = response_handle:streamInfo():dynamicMetadata():get('meshwarden')
  if md and md.start then
    response_handle:headers():add('x-meshwarden-elapsed', tostring(os.time() - md.start))
  end
end`;

function bench(name: string, n: number, f: (i: number) => void): number {
  for (let i = 0; i < Math.min(50, n); i++) f(i); // warm-up
  // CPU time, not wall time: the machine is shared, wall clock includes waiting for a core.
  // Best of 3 rounds (GC and neighbours add noise).
  let cpu = Infinity;
  let wall = Infinity;
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i + round * n);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1000 / n);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / n);
  }
  console.log(`${name.padEnd(40)} cpu ${cpu.toFixed(1).padStart(8)} µs/call   wall ${wall.toFixed(1).padStart(8)} µs  (n=${n}, best of 3)`);
  return cpu;
}

const main = (): void => {
  const t0 = performance.now();
  runTopLevel('local x = 1');
  console.log(`${'first run (worker start + warm-up)'.padEnd(40)} wall ${((performance.now() - t0) * 1000).toFixed(0).padStart(8)} µs`);
  bench('luaparse only (LuaJIT, locations)', 2000, () => luaparse.parse(SCRIPT_20_LINES, { luaVersion: 'LuaJIT', locations: true }));
  bench('LuaJIT level check only', 2000, () => luajitLevelViolation(SCRIPT_20_LINES));
  const inThread = { instructionBudget: 1_000_000, memoryBudget: 64 * 1024 * 1024 };
  bench('fengari run in this thread (no worker)', 300, () => runInThisThread(SCRIPT_20_LINES, inThread));
  bench('fengari run in the worker (round trip)', 300, () => runTopLevel(SCRIPT_20_LINES));
  bench('worker round trip of `local x = 1`', 1000, () => runTopLevel('local x = 1'));
  bench('checkLua uncached (parse + run)', 300, (i) => {
    clearLuaCache();
    checkLua(SCRIPT_20_LINES + `\n-- ${i}`);
  });
  bench('checkLua cached (LRU hit)', 100000, () => checkLua(SCRIPT_20_LINES));
  bench('checkLua run:false (parse + static)', 2000, (i) => checkLua(SCRIPT_20_LINES + `\n-- ${i}`, { run: false }));
  const rx = '^/api/v[0-9]+/users/[a-z0-9-]{1,36}(/orders)?$';
  bench('checkRegex uncached (RE2 compile)', 5000, (i) => {
    clearRegexCache();
    checkRegex(rx + `|x${i}`);
  });
  bench('checkRegex cached', 100000, () => checkRegex(rx));
  bench('checkProxyVersion uncached', 1000, (i) => {
    clearRegexCache();
    checkProxyVersion(`^1\\.${i % 40}\\.`);
  });
  bench('checkWasmPlugin', 100000, () => checkWasmPlugin({ url: 'oci://reg/p:1.0.0', phase: 'AUTHZ', vmConfig: { env: [{ name: 'A', value: '1' }] } }));
};

main();
