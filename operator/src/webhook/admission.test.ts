import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, checkLimits, defaultLimits, formatWarnings, maxWarningLength, type AdmissionOutcome } from './admission.js';
import { evaluate, type EvaluationContext } from '../evaluate.js';
import * as f from './fixtures.js';

const ctx: EvaluationContext = { services: [], pods: [], istioVersions: ['1.28', '1.31'] };

function ok(outcome: AdmissionOutcome) {
  assert.equal(outcome.status, 200, outcome.status === 400 ? outcome.error : '');
  if (outcome.status !== 200) throw new Error('unreachable');
  assert.equal(outcome.review.apiVersion, 'admission.k8s.io/v1');
  assert.equal(outcome.review.kind, 'AdmissionReview');
  return outcome.review.response;
}

describe('admit', () => {
  test('echoes the uid and allows a valid SmartLimiter and EnvoyFilter', () => {
    for (const obj of [f.goodSmartLimiter(), f.goodEnvoyFilter(3)]) {
      const r = ok(admit(f.admissionReview(obj, { uid: 'abc-123' }), ctx));
      assert.equal(r.uid, 'abc-123');
      assert.equal(r.allowed, true);
      assert.equal(r.status, undefined);
      assert.equal(r.warnings, undefined);
    }
  });

  test('denies a bad SmartLimiter with 422 and each error as rule, path and hint', () => {
    const r = ok(admit(f.admissionReview(f.badSmartLimiter()), ctx));
    assert.equal(r.allowed, false);
    assert.equal(r.status?.code, 422);
    const msg = r.status?.message ?? '';
    assert.match(msg, /^SmartLimiter shop\/broken: 2 errors$/m);
    assert.match(msg, /^- MW103 spec\.limits\[0\]\.rate\.requests: must be >= 1 \(fix: use a number of at least 1\)$/m);
    assert.match(msg, /^- MW101 spec\.limits\[0\]\.stratgy: .*\(fix: did you mean "strategy"\?\)$/m);
  });

  test('denies a bad raw EnvoyFilter with the same findings evaluate() reports (one verdict)', () => {
    const obj = f.badEnvoyFilter();
    const r = ok(admit(f.admissionReview(obj), ctx));
    assert.equal(r.allowed, false);
    const errors = evaluate(obj, ctx).diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0);
    for (const d of errors) assert.ok(r.status?.message.includes(`${d.rule} ${d.path}: ${d.message}`), `${d.rule} ${d.path} missing`);
  });

  test('warnings go to response.warnings, each at most 120 characters', () => {
    const r = ok(admit(f.admissionReview(f.warnEnvoyFilter()), ctx));
    assert.equal(r.allowed, true);
    assert.ok(r.warnings && r.warnings.length === 1, JSON.stringify(r.warnings));
    assert.match(r.warnings[0]!, /^MW503 spec\.configPatches\[0\]/);
    assert.ok(r.warnings[0]!.length <= maxWarningLength);
  });

  test('a missing Service is a warning at admission (creation order must not matter), an error in evaluate()', () => {
    const obj = f.serviceSmartLimiter();
    assert.ok(evaluate(obj, ctx).diagnostics.some((d) => d.rule === 'MW601' && d.severity === 'error'));
    const r = ok(admit(f.admissionReview(obj), ctx));
    assert.equal(r.allowed, true);
    assert.match(r.warnings?.[0] ?? '', /^MW601 spec\.target\.service: Service "reviews" not found/);
    const strict = ok(admit(f.admissionReview(obj), ctx, { warnOnlyRules: new Set() }));
    assert.equal(strict.allowed, false);
  });

  test('UPDATE is validated, DELETE and CONNECT are allowed, dryRun is answered the same way', () => {
    const bad = f.badSmartLimiter();
    assert.equal(ok(admit(f.admissionReview(bad, { operation: 'UPDATE' }), ctx)).allowed, false);
    assert.equal(ok(admit(f.admissionReview(bad, { operation: 'DELETE' }), ctx)).allowed, true);
    assert.equal(ok(admit(f.admissionReview(bad, { operation: 'CONNECT' }), ctx)).allowed, true);
    const dry = ok(admit(f.admissionReview(bad, { dryRun: true }), ctx));
    const wet = ok(admit(f.admissionReview(bad), ctx));
    assert.deepEqual(dry, wet);
  });

  test('an UPDATE of an object being deleted is allowed, so finalizers can always be removed', () => {
    const bad = f.badSmartLimiter();
    const deleting = { ...bad, metadata: { ...bad.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [] } };
    assert.equal(ok(admit(f.admissionReview(deleting, { operation: 'UPDATE' }), ctx)).allowed, true);
  });

  test('kinds it does not validate are allowed', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } };
    assert.equal(ok(admit(f.admissionReview(cm), ctx)).allowed, true);
  });

  test('fills the namespace from the request when the object lacks it', () => {
    const obj = f.serviceSmartLimiter('x');
    delete (obj.metadata as { namespace?: string }).namespace;
    const review = f.admissionReview(obj);
    review.request.namespace = 'team-a';
    const r = ok(admit(review, ctx));
    assert.match(r.warnings?.[0] ?? '', /namespace "team-a"/);
  });

  test('not an AdmissionReview v1 → 400 with a reason, never a throw', () => {
    const review = f.admissionReview(f.goodSmartLimiter());
    const cases: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [[], /not a JSON object/],
      ['x', /not a JSON object/],
      [{ ...review, apiVersion: 'admission.k8s.io/v1beta1' }, /apiVersion/],
      [{ ...review, kind: 'Pod' }, /kind/],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
      [{ ...review, request: { ...review.request, uid: '' } }, /uid/],
      [{ ...review, request: { ...review.request, kind: 'SmartLimiter' } }, /request\.kind/],
      [{ ...review, request: { ...review.request, operation: 7 } }, /operation/],
      [{ ...review, request: { ...review.request, object: 'x' } }, /request\.object/],
    ];
    for (const [body, re] of cases) {
      const out = admit(body, ctx);
      assert.equal(out.status, 400, JSON.stringify(body)?.slice(0, 80));
      if (out.status === 400) assert.match(out.error, re);
    }
  });

  test('size limits deny before evaluating, quickly', () => {
    const lua = (code: string) =>
      f.envoyFilter('big', 'shop', [
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND' },
          patch: {
            operation: 'INSERT_FIRST',
            value: { name: 'l', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: code } } },
          },
        },
      ]);
    const cases: Array<[unknown, RegExp]> = [
      [f.goodEnvoyFilter(defaultLimits.maxPatches + 1), /spec\.configPatches has 65 entries, more than 64/],
      [lua('--'.repeat(200 * 1024)), /inline_string has 400 KiB, more than 256 KiB/],
      [f.envoyFilter('deep', 'shop', [JSON.parse('['.repeat(200) + ']'.repeat(200))]), /nested more than 100 levels/],
    ];
    for (const [obj, re] of cases) {
      const t = performance.now();
      const r = ok(admit(f.admissionReview(obj as ReturnType<typeof f.goodEnvoyFilter>), ctx));
      assert.equal(r.allowed, false);
      assert.equal(r.status?.code, 422);
      assert.match(r.status?.message ?? '', re);
      assert.match(r.status?.message ?? '', /too large for the admission webhook/);
      assert.ok(performance.now() - t < 200);
    }
    assert.match(checkLimits({ a: 'x'.repeat(600 * 1024) }, { ...defaultLimits, maxStringBytes: 1e9, maxScriptBytes: 1e9 }) ?? '', /larger than 512 KiB/);
    assert.match(checkLimits({ a: ['x'.repeat(2000)].concat(Array(200).fill('y'.repeat(1500))) }, defaultLimits) ?? '', /add up to more than 256 KiB/);
    assert.equal(checkLimits(f.goodEnvoyFilter(20), defaultLimits), undefined);
    const luaFilters = Array.from({ length: 17 }, () => ({ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' } }));
    assert.match(checkLimits({ spec: { configPatches: luaFilters.slice(0, 20), more: luaFilters } }, defaultLimits) ?? '', /more than 16 Lua scripts/);
    assert.equal(checkLimits({ spec: { plugins: Array.from({ length: 16 }, () => ({ lua: { code: 'x' } })) } }, defaultLimits), undefined);
  });

  test('an exception inside the validator denies with 500 instead of crashing', () => {
    // luaparse recurses per nesting level: a few thousand parentheses overflow the stack.
    const deepLua = 'local x = ' + '('.repeat(8000) + '1' + ')'.repeat(8000);
    const obj = f.envoyFilter('deep-lua', 'shop', [
      {
        applyTo: 'HTTP_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
        patch: {
          operation: 'INSERT_BEFORE',
          value: { name: 'l', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: deepLua } } },
        },
      },
    ]);
    const r = ok(admit(f.admissionReview(obj), ctx));
    assert.equal(r.allowed, false);
    if (r.status?.code === 500) assert.match(r.status.message, /the validator failed on this object/);
    else assert.equal(r.status?.code, 422); // if the validator learns to report it as a finding
  });

  test('formatWarnings dedupes, clips and caps the list', () => {
    const d = (i: number) => ({
      rule: 'MW413',
      severity: 'warning' as const,
      message: `patch ${i} matches nothing `.repeat(10),
      path: `spec.configPatches[${i}]`,
      object: { kind: 'EnvoyFilter', name: 'x' },
    });
    const texts = formatWarnings([d(1), d(1), ...Array.from({ length: 30 }, (_, i) => d(i + 2))]);
    assert.equal(texts.length, 12);
    assert.match(texts[11]!, /^meshwarden: 20 more warnings/);
    assert.ok(texts.every((t) => t.length <= maxWarningLength && !/[\n\r]/.test(t)));
    assert.ok(texts.join('').length < 2048);
  });
});
