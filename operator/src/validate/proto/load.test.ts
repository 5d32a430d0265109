import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPatchValue, checkTypedConfig, clearProtoCache, hasProtoset, loadProtoSchema, ProtosetMissingError, protosetFile, rootVersion, setProtosDir } from './index.js';

test('a set that was not built: clear exception and an MW209 finding naming the setup step, no crash', () => {
  const empty = mkdtempSync(join(tmpdir(), 'meshwarden-protos-'));
  setProtosDir(empty);
  try {
    assert.equal(hasProtoset('1.37'), false);
    assert.throws(
      () => loadProtoSchema('1.37'),
      (e: unknown) => e instanceof ProtosetMissingError && e.version === '1.37' && /npm run setup/.test(e.message) && /scripts\/build-protosets\.sh 1\.37/.test(e.message),
    );
    const f = checkPatchValue('HTTP_FILTER', { name: 'x' }, '1.37');
    assert.equal(f.length, 1);
    assert.equal(f[0]!.rule, 'MW209');
    assert.equal(f[0]!.severity, 'error');
    assert.match(f[0]!.message, /npm run setup/);
    assert.equal(checkTypedConfig('envoy.extensions.filters.http.router.v3.Router', {}, '1.37')[0]!.rule, 'MW209');
    assert.equal(checkPatchValue('HTTP_FILTER', {}, '2.0')[0]!.rule, 'MW209');
  } finally {
    setProtosDir(undefined);
  }
});

test('loading is cached per version and carries the build metadata', () => {
  assert.ok(hasProtoset('1.39'), `${protosetFile('1.39')} missing: run bash scripts/build-protosets.sh`);
  const a = loadProtoSchema('1.39');
  assert.equal(loadProtoSchema('1.39'), a);
  assert.equal(rootVersion(a.root), '1.39');
  assert.equal(a.meta?.goControlPlane, 'v1.39.0');
  // PGV options survive the descriptor import.
  const tb = a.root.lookupType('envoy.type.v3.TokenBucket');
  assert.deepEqual(tb.fields['fill_interval']!.options?.['(validate.rules)'], { duration: { required: true, gt: {} } });
  const hcm = a.root.lookupType('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.equal(hcm.oneofs['route_specifier']!.options?.['(validate.required)'], true);
  clearProtoCache();
  assert.notEqual(loadProtoSchema('1.39'), a);
});
