/**
 * Hostile Lua top levels and regexes (issue 21) judged by the real Envoy (1.36.2 / 1.39.3,
 * `envoy --mode validate`) and by meshwarden: an error from meshwarden ⇔ Envoy refuses the config.
 * "Refuses" includes the two ways a load-time script kills a proxy without an error message:
 * a config load that does not finish (killed after HANG_MS) and a process that exits without
 * validating (`os.exit()` exits 0 before Envoy prints "OK").
 *
 * Only scripts without host access run here (no os.execute, io, require): Envoy runs the top level
 * with the full standard library. Each case's Envoy verdict was also checked by hand when the
 * cases were written (docs/adr/0100-bounded-lua-evaluation.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLua } from '../../operator/src/validate/syntax/lua.js';
import { checkRegex } from '../../operator/src/validate/syntax/regex.js';
import { luaRegexBootstrap as bootstrap } from '../../operator/src/validate/syntax/oracle-bootstrap.testkit.js';
import { ENVOYS, skipReason } from './harness.js';

const skip = skipReason();
/** A config load still running after this is a hang (the real ones never end). */
const HANG_MS = 3000;
const H = '\nfunction envoy_on_request(h) end';

interface EnvoyVerdict {
  accepted: boolean;
  why: string;
}

function envoyValidate(envoy: string, cfg: unknown, timeoutMs = HANG_MS): EnvoyVerdict {
  const dir = mkdtempSync(join(tmpdir(), 'mw-lua-hostile-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(cfg));
    const r = spawnSync(envoy, ['--mode', 'validate', '-c', file, '-l', 'critical', '--concurrency', '1'], {
      cwd: dir,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.signal === 'SIGKILL') return { accepted: false, why: `config load still running after ${timeoutMs} ms (killed)` };
    if (r.status === 0 && /OK/.test(out)) return { accepted: true, why: 'OK' };
    if (r.status === 0) return { accepted: false, why: 'exited 0 without validating (os.exit)' };
    return { accepted: false, why: out.trim().split('\n').pop() ?? `exit ${r.status}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const nested = (open: string, close: string, n: number, inner = '1') => `${open.repeat(n)}${inner}${close.repeat(n)}`;
const targets = (n: number) => `local t = {} ${Array.from({ length: n }, (_, i) => `t.a${i}`).join(',')} = 1${H}`;

/** Scripts whose verdicts must agree; `hangs` marks those Envoy never finishes loading. */
const LUA_CASES: Array<{ name: string; code: string; hangs?: boolean; heavy?: boolean }> = [
  { name: 'backtracking string pattern', code: `local s = ('a'):rep(30) s:find(('a*'):rep(40) .. 'b')${H}`, hangs: true },
  { name: 'looping xpcall message handler', code: `xpcall(error, function() while true do end end)${H}`, hangs: true },
  { name: 'while true do end', code: `while true do end${H}`, hangs: true },
  { name: 'os.exit()', code: `os.exit()${H}` },
  { name: 'string longer than LJ_MAX_STR (rep)', code: `local s = ('x'):rep(2^31)${H}` },
  // Envoy builds a 1 GiB string before it refuses the 2 GiB one: seconds and ~3 GB of memory.
  { name: 'string doubled 31 times', code: `local s = 'x' for i = 1, 31 do s = s .. s end${H}`, heavy: true },
  {
    name: 'collectgarbage, every option',
    code: `collectgarbage() collectgarbage('collect') local kb = collectgarbage('count') collectgarbage('step') collectgarbage('setpause', 100) collectgarbage('setstepmul', 200) collectgarbage('stop') collectgarbage('restart') local r = collectgarbage('isrunning')${H}`,
  },
  { name: 'collectgarbage, unknown option', code: `collectgarbage('bogus')${H}` },
  { name: '197 nested parentheses', code: `local x = ${nested('(', ')', 197)}${H}` },
  { name: '198 nested parentheses', code: `local x = ${nested('(', ')', 198)}${H}` },
  { name: '198 nested blocks', code: `${nested('do ', 'end ', 198, '')}${H}` },
  { name: '199 nested blocks', code: `${nested('do ', 'end ', 199, '')}${H}` },
  { name: '197 chained ..', code: `local x = ${"'a'..".repeat(197)}'a'${H}` },
  { name: '198 chained ..', code: `local x = ${"'a'..".repeat(198)}'a'${H}` },
  { name: '199 assignment targets', code: targets(199) },
  { name: '200 assignment targets', code: targets(200) },
  { name: '10,000 nested parentheses', code: `local x = ${nested('(', ')', 10_000)}${H}` },
  { name: '10,000 nested tables', code: `local t = ${nested('{', '}', 10_000, '')}${H}` },
];

for (const build of ENVOYS) {
  describe(`hostile Lua and regex on Envoy ${build.envoy}: meshwarden's errors are Envoy's refusals`, { skip, timeout: 180_000 }, () => {
    for (const c of LUA_CASES) {
      // the heavy case once (on the newest Envoy), to keep the suite short
      const heavySkip = c.heavy && build !== ENVOYS[ENVOYS.length - 1] ? 'heavy case runs on the newest Envoy only' : false;
      test(c.name, { skip: heavySkip }, () => {
        const envoy = envoyValidate(build.path, bootstrap({ lua: c.code }), c.heavy ? 60_000 : HANG_MS);
        const ours = checkLua(c.code);
        const error = ours.some((f) => f.severity === 'error');
        assert.equal(error, !envoy.accepted, `Envoy: ${envoy.why}; meshwarden: ${JSON.stringify(ours.map((f) => `${f.rule} ${f.message}`))}`);
        if (c.hangs) assert.match(envoy.why, /killed/, 'Envoy was expected to hang at config load');
      });
    }

    test('regex with 5,000 nested groups: a verdict (Envoy accepts), not a stack overflow', () => {
      for (const p of [nested('(', ')', 5000, 'a'), nested('(?:', ')', 5000, 'a')]) {
        const envoy = envoyValidate(build.path, bootstrap({ regex: p }));
        const ours = checkRegex(p);
        assert.equal(
          ours.some((f) => f.severity === 'error'),
          !envoy.accepted,
          `Envoy: ${envoy.why}`,
        );
      }
    });
  });
}
