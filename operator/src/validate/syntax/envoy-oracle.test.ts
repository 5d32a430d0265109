/**
 * Cross-checks the MW5xx verdicts against a real Envoy (`envoy --mode validate`, which runs the
 * Lua top level and compiles every regex). Skipped when `.tools/bin/envoy` is absent
 * (scripts/fetch-envoy.sh puts it there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLua } from './lua.js';
import { checkRegex, estimateProgramSize } from './regex.js';
import { luaRegexBootstrap as bootstrap } from './oracle-bootstrap.testkit.js';

const ENVOY = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../.tools/bin/envoy');
const skip = existsSync(ENVOY) ? false : 'no .tools/bin/envoy (run scripts/fetch-envoy.sh)';

function envoyValidate(cfg: unknown): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw5-oracle-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(cfg));
    const r = spawnSync(ENVOY, ['--mode', 'validate', '-c', file, '-l', 'critical'], { timeout: 30_000 });
    return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const H = '\nfunction envoy_on_request(h) end';

test('Lua: MW501/MW502 errors are exactly the scripts Envoy rejects', { skip }, () => {
  const cases = [
    `function envoy_on_request(h) h:headers():add('a' end`,
    `local s = nil; s.x = 1${H}`,
    `error('boom')${H}`,
    `local c = utf8.char(65)${H}`,
    `local p = string.pack('i4', 1)${H}`,
    `local a = 7 // 2${H}`,
    `local u = unpack({1, 2}) local f = loadstring('return 1') setfenv(f, {}) local b = bit.band(3, 1)${H}`,
    `local t = {} table.insert(t, 5, 1) local r = math.random(0) local s = string.format('%d', 1.5)${H}`,
    `goto done ::done::${H}`,
    `local x = 1LL${H}`,
    `table.foreach({1}, print) local m = table.move({1}, 1, 1, 1, {})${H}`,
  ];
  for (const code of cases) {
    const envoy = envoyValidate(bootstrap({ lua: code }));
    const ours = checkLua(code).some((f) => f.severity === 'error');
    assert.equal(ours, !envoy.ok, `${code}\nenvoy: ${envoy.ok ? 'accepted' : envoy.out.trim().split('\n').pop()}`);
  }
});

test('RE2: MW511 errors match Envoy, program-size estimate within 0.6–2.5× of Envoy', { skip }, () => {
  for (const p of ['(?=foo)', '(a)\\1', 'a++', 'a{1001}', '^/api/.*$', '(?<id>[0-9]+)']) {
    const envoy = envoyValidate(bootstrap({ regex: p }));
    assert.equal(checkRegex(p).some((f) => f.rule === 'MW511'), !envoy.ok, `${p}: ${envoy.out}`);
  }
  for (const p of ['^/api/v1/.*$', '[a-z0-9]{1,64}', '\\pL+', '(\\pL{1,10}\\.){1,10}', '.{100}', '^(GET|POST|PUT)$', '[^/]+', '\\p{Greek}']) {
    const envoy = envoyValidate(bootstrap({ regex: p, errorLevel: 1 }));
    const m = /program size of (\d+)/.exec(envoy.out);
    assert.ok(m, `${p}: ${envoy.out}`);
    const ratio = estimateProgramSize(p) / Number(m[1]);
    assert.ok(ratio >= 0.6 && ratio <= 2.5, `${p}: estimate ${estimateProgramSize(p)} vs Envoy ${m[1]}`);
  }
});
