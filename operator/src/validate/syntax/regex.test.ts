import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProxyVersion, checkRegex, clearRegexCache, ENVOY_RE2_MAX_PROGRAM_SIZE, estimateProgramSize, regexCacheKeyChars } from './regex.js';

const codes = (fs: { rule: string }[]): string[] => fs.map((f) => f.rule);

test('MW511: valid RE2 passes', () => {
  for (const p of ['^/api/v1/users/[0-9]+$', '(?i)^bearer .+', '(?P<id>[a-z]+)', '(?<id>[a-z]+)', '\\pL+', '\\x{41}', ''])
    assert.deepEqual(checkRegex(p), [], p);
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
