/**
 * Cross-checks the MW3xx verdicts against real Envoy 1.36.2 and 1.39.3 (`--mode validate` on a
 * minimal static bootstrap holding the fixture as HTTP filter or per-route config). For every
 * fixture: Envoy accepts the good config; Envoy rejects the bad one exactly when our finding is an
 * error, with the text we quote. Skipped when .tools/bin/envoy-1.36.2 is absent
 * (scripts/fetch-envoy.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvoySemantics } from './index.js';
import { fixtures, type Fixture } from './fixtures.js';
import { bootstrap, envoyValidate, haveEnvoy } from './oracle.testkit.js';

const skip = haveEnvoy ? false : 'no .tools/bin/envoy-1.36.2 (run scripts/fetch-envoy.sh)';
const input = (fx: Fixture, cfg: Record<string, unknown>) => (fx.perRoute ? { perRoute: cfg } : { filter: cfg });

for (const version of ['1.36', '1.39'] as const) {
  test(`MW3xx verdicts agree with Envoy ${version} --mode validate`, { skip }, () => {
    for (const fx of fixtures.filter((f) => f.envoy !== undefined && (f.versions ?? [version]).includes(version))) {
      const good = envoyValidate(version, bootstrap(input(fx, fx.good)));
      assert.ok(good.ok, `${fx.rule} good fixture rejected by Envoy ${version}: ${good.out.split('\n').pop()}`);
      const bad = envoyValidate(version, bootstrap(input(fx, fx.bad)));
      const ours = checkEnvoySemantics(fx.type, fx.bad, { perRoute: fx.perRoute ?? false, envoyVersion: version }).filter((f) => f.rule === fx.rule);
      const oursError = ours.some((f) => f.severity === 'error');
      assert.equal(!bad.ok, fx.envoy === 'reject', `${fx.rule}: fixture says ${fx.envoy}, Envoy ${version} ${bad.ok ? 'accepted' : 'rejected: ' + bad.out.split('\n').pop()}`);
      assert.equal(oursError, !bad.ok, `${fx.rule}: our severity ${ours.map((f) => f.severity).join(',')} vs Envoy ${bad.ok ? 'accept' : 'reject'}`);
      if (!bad.ok && fx.envoyText) assert.ok(bad.out.includes(fx.envoyText), `${fx.rule}: Envoy said ${bad.out.split('\n').pop()}`);
    }
  });
}

test('MW331/MW340 agree with Envoy: unknown LuaPerRoute name is accepted (silent no-op), empty FilterConfig is rejected', { skip }, () => {
  const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
  const LUAPR = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute';
  const filter = { '@type': LUA, default_source_code: { inline_string: 'function envoy_on_request(h) end' }, source_codes: { a: { inline_string: 'function envoy_on_request(h) end' } } };
  const FC = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
  for (const version of ['1.36', '1.39'] as const) {
    assert.ok(envoyValidate(version, bootstrap({ filter, perRoute: { '@type': LUAPR, name: 'b' } })).ok, 'Envoy accepts an unknown LuaPerRoute name');
    const empty = envoyValidate(version, bootstrap({ perRoute: { '@type': FC } }));
    assert.ok(!empty.ok && empty.out.includes('Empty route/virtual host per filter configuration'), empty.out);
    assert.ok(envoyValidate(version, bootstrap({ perRoute: { '@type': FC, config: {} } })).ok);
    assert.ok(checkEnvoySemantics(FC, { '@type': FC }, { perRoute: true, envoyVersion: version }).some((f) => f.rule === 'MW340' && f.severity === 'error'));
  }
});
