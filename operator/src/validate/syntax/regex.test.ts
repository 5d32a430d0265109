import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProxyVersion, checkRegex, clearRegexCache, ENVOY_RE2_MAX_PROGRAM_SIZE, estimateProgramSize, re2CharsetsOf, regexCacheKeyChars } from './regex.js';

const codes = (fs: { rule: string }[]): string[] => fs.map((f) => f.rule);

test('MW511: valid RE2 passes', () => {
  for (const p of ['^/api/v1/users/[0-9]+$', '(?i)^bearer .+', '(?P<id>[a-z]+)', '(?<id>[a-z]+)', '\\pL+', '\\x{41}', '']) assert.deepEqual(checkRegex(p), [], p);
});

test('MW511: unsupported constructs are errors naming the construct', () => {
  const cases: Array<[string, RegExp]> = [
    ['(?=foo)', /lookahead/],
    ['foo(?!bar)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(a)\\1', /backreferences/],
    ['a++', /possessive/],
    ['(?>a)', /atomic/],
    ['\\u0041', /\\u/],
    ['\\p{Letter}', /short category names/],
    ['(unclosed', /missing \)/],
  ];
  for (const [p, re] of cases) {
    const f = checkRegex(p);
    assert.deepEqual(codes(f), ['MW511'], p);
    assert.equal(f[0]!.severity, 'error');
    assert.match(f[0]!.message, re, p);
  }
});

test('MW512: program size over the limit is a warning', () => {
  assert.deepEqual(checkRegex('^/api/v[0-9]+/.*$', { maxProgramSize: ENVOY_RE2_MAX_PROGRAM_SIZE }), []);
  const f = checkRegex('[a-z0-9]{1,64}\\.example\\.com', { maxProgramSize: ENVOY_RE2_MAX_PROGRAM_SIZE });
  assert.deepEqual(codes(f), ['MW512']);
  assert.equal(f[0]!.severity, 'warning');
  // Istio's 32768 default accepts it, but not a huge Unicode repeat.
  assert.deepEqual(checkRegex('[a-z0-9]{1,64}\\.example\\.com'), []);
  assert.deepEqual(codes(checkRegex('(\\pL{1,10}\\.){1,10}')), ['MW512']);
});

test('estimateProgramSize grows with repeats and classes', () => {
  assert.ok(estimateProgramSize('a') < estimateProgramSize('a{10}'));
  assert.ok(estimateProgramSize('[a-z]') < estimateProgramSize('[^a-z]'));
  assert.ok(estimateProgramSize('^abc') < estimateProgramSize('abc'));
});

test('MW513: proxyVersion good', () => {
  assert.deepEqual(checkProxyVersion('^1\\.28\\.'), []);
  assert.deepEqual(checkProxyVersion('^1\\.2[89]\\.'), []);
});

test('MW513: proxyVersion 1.2 warns (unanchored, matches 1.20–1.29, unescaped dot) with a hint', () => {
  const f = checkProxyVersion('1.2');
  assert.ok(f.length >= 2);
  assert.ok(f.every((x) => x.rule === 'MW513' && x.severity === 'warning'));
  assert.ok(f.some((x) => /1\.20, 1\.21/.test(x.message)));
  assert.equal(f[0]!.hint, 'use ^1\\.2\\.');
  assert.deepEqual(codes(checkProxyVersion('^1\\.2')), ['MW513']);
});

test('MW513: empty, too long, matches nothing', () => {
  assert.match(checkProxyVersion('')[0]!.message, /empty/);
  assert.match(checkProxyVersion('^1\\.28\\.' + 'x?'.repeat(600))[0]!.message, /> 1024/);
  assert.match(checkProxyVersion('^9\\.')[0]!.message, /matches no Istio version/);
});

test('MW511: proxyVersion that is not RE2', () => {
  assert.deepEqual(codes(checkProxyVersion('(?=1)')), ['MW511']);
});

test('MW511: repetition over 1000 is named', () => {
  assert.match(checkRegex('a{1001}')[0]!.message, /above 1000/);
});

test('deeply nested groups: no stack overflow, and valid as in Envoy (RE2 has no nesting limit there)', () => {
  // Envoy 1.36/1.39 accept 100,000 nested groups (`envoy --mode validate`); the estimator walked
  // groups recursively and overflowed the stack at ~5,000.
  for (const p of ['('.repeat(5000) + 'a' + ')'.repeat(5000), '(?:'.repeat(20_000) + 'a' + ')*'.repeat(20_000)]) {
    assert.doesNotThrow(() => checkRegex(p));
    assert.ok(!checkRegex(p).some((f) => f.rule === 'MW511'));
  }
  // 5,000 capture groups cost two instructions each: over Envoy's default limit, under Istio's
  assert.ok(estimateProgramSize('('.repeat(5000) + 'a' + ')'.repeat(5000)) > 10_000);
  assert.deepEqual(checkRegex('('.repeat(5000) + 'a' + ')'.repeat(5000)), []);
});

test('the verdict caches stay within their character budget however many large unique patterns arrive (issue 21)', () => {
  clearRegexCache();
  // 100 distinct 200 KiB patterns: 20 Mi characters offered, unbounded before (1,000 entries of any size).
  const filler = 'a'.repeat(200 * 1024);
  for (let i = 0; i < 100; i++) {
    checkRegex(`${i}${filler}`);
    checkProxyVersion(`^1\\.${i}${filler}`);
  }
  assert.ok(regexCacheKeyChars() <= 2 * 8 * 1024 * 1024, `caches hold ${regexCacheKeyChars()} key characters`);
  assert.ok(regexCacheKeyChars() > 0, 'recent patterns are still cached');
  clearRegexCache();
});

// ---------------------------------------------------------------- RE2 charset per Envoy minor (ADR 0111)

test('re2CharsetsOf: UTF-8 before the security backport, either one on 1.38/1.39 (by patch), Latin-1 from 1.40', () => {
  assert.deepEqual(re2CharsetsOf('1.36'), ['utf8']);
  assert.deepEqual(re2CharsetsOf('1.37'), ['utf8']);
  assert.deepEqual(re2CharsetsOf('1.38'), ['utf8', 'latin1']);
  assert.deepEqual(re2CharsetsOf('1.39'), ['utf8', 'latin1']);
  assert.deepEqual(re2CharsetsOf('1.40'), ['latin1']);
});

test('MW511 in Latin-1: \\x{…} above FF is an error naming the Latin-1 builds; \\x{FF} and escaped backslashes are fine', () => {
  for (const p of ['\\x{100}', 'a\\x{41}\\x{1F600}', '[\\x{80}-\\x{10FFFF}]']) {
    assert.deepEqual(codes(checkRegex(p, { envoyVersion: '1.36' })), [], p);
    const f = checkRegex(p, { envoyVersion: '1.40' });
    assert.deepEqual(codes(f), ['MW511'], p);
    assert.match(f[0]!.message, /Latin-1/);
  }
  for (const p of ['\\x{FF}', '\\x{0041}', '\\\\x{100}']) assert.deepEqual(codes(checkRegex(p, { envoyVersion: '1.40' })), [], p);
});

test('MW514: non-ASCII in a class, under a repetition or case-insensitive, and Unicode classes warn where Latin-1 may apply; a lone literal and ASCII do not', () => {
  for (const p of ['[éè]', 'é+', 'ü{2}', '(?i)straße', '\\pL+', '[\\p{Greek}x]', '\\PN']) {
    assert.deepEqual(codes(checkRegex(p, { envoyVersion: '1.36' })), [], p);
    for (const v of ['1.38', '1.39', '1.40']) {
      const f = checkRegex(p, { envoyVersion: v });
      assert.deepEqual(codes(f), ['MW514'], `${p} ${v}`);
      assert.equal(f[0]!.severity, 'warning');
    }
  }
  for (const p of ['^/café/.*$', '^/api/[a-z]+$', '\\\\pL', '^x$']) assert.deepEqual(codes(checkRegex(p, { envoyVersion: '1.40' })), [], p);
  // One message for every version, so the validator reports it once with the versions it concerns.
  assert.equal(checkRegex('[éè]', { envoyVersion: '1.39' })[0]!.message, checkRegex('[éè]', { envoyVersion: '1.40' })[0]!.message);
});

test('MW512 in Latin-1: Unicode classes and `.` are single byte ranges, so a pattern too big for UTF-8 fits', () => {
  const p = '(\\pL{1,10}\\.){1,10}';
  assert.ok(estimateProgramSize(p, 'latin1') < 2000, String(estimateProgramSize(p, 'latin1')));
  assert.ok(estimateProgramSize('.{100}', 'latin1') < estimateProgramSize('.{100}', 'utf8'));
  assert.deepEqual(codes(checkRegex(p, { envoyVersion: '1.40' })), ['MW514']);
});
