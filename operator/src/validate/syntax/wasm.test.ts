import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWasmOrdering, checkWasmPlugin, parseWasmUrl, type WasmPluginSpec } from './wasm.js';

const SHA = '1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210';
const GOOD: WasmPluginSpec = { url: 'oci://registry.example.com/waf:1.2.0', sha256: SHA, phase: 'STATS', failStrategy: 'FAIL_OPEN', priority: 10 };

const rules = (spec: WasmPluginSpec): string[] => checkWasmPlugin(spec).map((f) => f.rule);
const has = (spec: WasmPluginSpec, code: string): boolean => rules(spec).includes(code);

test('good WasmPlugin: no findings', () => {
  assert.deepEqual(checkWasmPlugin(GOOD), []);
});

test('MW521: url scheme and form', () => {
  for (const url of ['oci://r/p:v1', 'r/p:v1', 'https://h/p.wasm', 'http://h/p.wasm', 'file:///opt/p.wasm']) assert.ok(!has({ ...GOOD, url }, 'MW521'), url);
  for (const url of ['', 'ftp://h/p.wasm', 'registry:5000/p:v1', 'oci://r/P Q', 'https://']) {
    const f = checkWasmPlugin({ ...GOOD, url }).filter((x) => x.rule === 'MW521');
    assert.equal(f.length, 1, url);
    assert.equal(f[0]!.path, 'url');
    assert.equal(f[0]!.severity, 'error');
  }
  assert.equal((parseWasmUrl('r/p') as { scheme: string }).scheme, 'oci');
});

test('MW522: sha256 format and digest mismatch', () => {
  assert.ok(has({ ...GOOD, sha256: SHA.toUpperCase() }, 'MW522'));
  assert.ok(has({ ...GOOD, sha256: 'abc' }, 'MW522'));
  assert.ok(has({ ...GOOD, url: `oci://r/p@sha256:${'0'.repeat(64)}` }, 'MW522'));
  assert.ok(!has({ ...GOOD, url: `oci://r/p@sha256:${SHA}` }, 'MW522'));
});

test('MW523: http(s) without sha256', () => {
  const { sha256: _omit, ...noSha } = GOOD;
  assert.ok(has({ ...noSha, url: 'https://h/p.wasm' }, 'MW523'));
  assert.ok(!has({ ...GOOD, url: 'https://h/p.wasm' }, 'MW523'));
});

test('MW524: :latest / no tag pulls Always', () => {
  const { sha256: _omit, ...noSha } = GOOD;
  const f = checkWasmPlugin({ ...noSha, url: 'oci://reg/p:latest' }).filter((x) => x.rule === 'MW524');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.match(f[0]!.message, /Always/);
  assert.ok(has({ ...noSha, url: 'reg/p' }, 'MW524'));
  assert.ok(has({ ...noSha, url: 'oci://reg/p:v1', imagePullPolicy: 'Always' }, 'MW524'));
  assert.ok(!has({ ...noSha, url: 'oci://reg/p:v1' }, 'MW524'));
  assert.ok(!has({ ...GOOD, url: 'oci://reg/p:latest' }, 'MW524')); // sha256 pins it
});

test('MW525: enum values', () => {
  assert.ok(has({ ...GOOD, imagePullPolicy: 'Never' }, 'MW525'));
  assert.ok(has({ ...GOOD, failStrategy: 'FAIL_SOMETIMES' }, 'MW525'));
  assert.ok(!has({ ...GOOD, imagePullPolicy: 'IfNotPresent', failStrategy: 'FAIL_RELOAD', type: 'NETWORK' }, 'MW525'));
});

test('MW526: FAIL_CLOSE default is info; FAIL_OPEN on AUTHZ warns', () => {
  const { failStrategy: _omit, ...closed } = GOOD;
  const f = checkWasmPlugin(closed).filter((x) => x.rule === 'MW526');
  assert.equal(f[0]!.severity, 'info');
  assert.ok(!has({ ...closed, phase: 'AUTHN' }, 'MW526'));
  assert.equal(checkWasmPlugin({ ...GOOD, phase: 'AUTHZ' }).find((x) => x.rule === 'MW526')!.severity, 'warning');
});

test('MW527: ordering within a phase', () => {
  const plugins = [
    { name: 'a', namespace: 'ns', spec: { ...GOOD, priority: undefined, phase: 'AUTHN' } },
    { name: 'b', namespace: 'ns', spec: { ...GOOD, priority: undefined, phase: 'AUTHN', selector: { matchLabels: { app: 'r' } } } },
    { name: 'c', namespace: 'ns', spec: { ...GOOD, priority: 5, phase: 'AUTHN' } },
    { name: 'd', namespace: 'other', spec: { ...GOOD, priority: undefined, phase: 'AUTHN' } },
    { name: 'e', namespace: 'ns', spec: { ...GOOD, priority: 5, phase: 'STATS' } },
  ];
  const f = checkWasmOrdering(plugins);
  assert.deepEqual(
    f.map((x) => x.index),
    [0, 1],
  );
  assert.equal(f[0]!.finding.rule, 'MW527');
  assert.equal(f[0]!.finding.path, 'priority');
  assert.deepEqual(checkWasmOrdering([plugins[0]!, plugins[2]!]), []);
  // root namespace plugins apply everywhere
  assert.equal(checkWasmOrdering([plugins[3]!, { ...plugins[0]!, namespace: 'istio-system' }]).length, 2);
});

test('MW528: match ports', () => {
  const f = checkWasmPlugin({ ...GOOD, match: [{ mode: 'CLIENT', ports: [{ number: 0 }, { number: 8080 }] }] }).filter((x) => x.rule === 'MW528');
  assert.deepEqual(
    f.map((x) => [x.path, x.severity]),
    [['match[0].ports[0].number', 'error']],
  );
  const inbound = checkWasmPlugin({ ...GOOD, match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }] }).filter((x) => x.rule === 'MW528');
  assert.deepEqual(
    inbound.map((x) => x.severity),
    ['info'],
  );
});

test('MW529: pluginName and imagePullSecret length', () => {
  assert.ok(has({ ...GOOD, pluginName: 'x'.repeat(257) }, 'MW529'));
  assert.ok(has({ ...GOOD, imagePullSecret: 'x'.repeat(254) }, 'MW529'));
  assert.ok(!has({ ...GOOD, pluginName: 'x'.repeat(256) }, 'MW529'));
});

test('MW530: vmConfig.env', () => {
  const f = checkWasmPlugin({
    ...GOOD,
    vmConfig: { env: [{ name: '' }, { name: 'A', value: '1' }, { name: 'A' }, { name: 'POD_NAME', valueFrom: 'HOST', value: 'x' }] },
  }).filter((x) => x.rule === 'MW530');
  assert.deepEqual(
    f.map((x) => x.path),
    ['vmConfig.env[0].name', 'vmConfig.env[2].name', 'vmConfig.env[3].value'],
  );
  assert.ok(
    !has(
      {
        ...GOOD,
        vmConfig: {
          env: [
            { name: 'POD_NAME', valueFrom: 'HOST' },
            { name: 'T', value: 'x' },
          ],
        },
      },
      'MW530',
    ),
  );
});
