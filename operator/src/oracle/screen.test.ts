import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusal, screenConfig, maxScreenDepth } from './screen.js';

const refuses = refusal();

const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const lua = (code: string) => ({ name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, default_source_code: { inline_string: code } } });
const hazardsOf = (node: unknown) => screenConfig(node).hazards;
const luaRefused = (code: string) => hazardsOf(lua(code)).filter((h) => h.kind === 'lua');

test('Lua that reaches the host anywhere in the script is refused, with the path and line', () => {
  const cases = [
    "os.execute('touch /tmp/x')",
    "io.open('/tmp/x', 'w')",
    "local f = io.open\nf('/etc/passwd')",
    "require('socket')",
    'require "ffi"',
    "local m = 'ffi' require(m)",
    "loadfile('/etc/passwd')",
    "dofile('/x.lua')",
    "loadstring('os.execute(1)')()",
    'load(function() return nil end)',
    "package.loadlib('/x.so', 'f')",
    'debug.getinfo(1)',
    "_G['o'..'s'].exit()",
    'getfenv(0).os.exit()',
    'local o = os o.exit()',
    "os['execute']('x')",
    "os.getenv('HOME')",
    "function envoy_on_request(h) io.write('x') end",
  ];
  for (const code of cases) {
    const [h, ...rest] = luaRefused(code);
    assert.ok(h, `not refused: ${code}`);
    assert.equal(rest.length, 0);
    assert.equal(h.path, 'typed_config.default_source_code.inline_string');
    assert.match(h.detail, /line \d/, code);
  }
  assert.match(luaRefused('\n\nos.exit()')[0]!.detail, /os\.exit \(line 3\)/);
});

test('ordinary Lua passes: clock functions, built-in modules, fields and keys named like globals', () => {
  const cases = [
    'function envoy_on_request(h) h:headers():add("t", tostring(os.time())) end',
    'local d = os.date("!%Y") local c = os.clock() local x = os.difftime(1, 2)',
    'local s = require("string") local b = require "bit"',
    'local t = { io = 1, os = 2 } local u = t.io + t.os',
    'function envoy_on_response(h) h:logInfo("require") end',
    'local x = 1 goto done ::done::',
    'collectgarbage("count")',
  ];
  for (const code of cases) assert.deepEqual(luaRefused(code), [], code);
});

test('Lua is found in every place Envoy takes it: inline_code, source_codes, LuaPerRoute, inline_bytes, TypedStruct', () => {
  const bad = "os.execute('x')";
  const places: unknown[] = [
    { '@type': LUA, inline_code: bad },
    { '@type': LUA, source_codes: { a: { inline_string: bad } } },
    { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', source_code: { inline_string: bad } },
    { '@type': LUA, default_source_code: { inline_bytes: Buffer.from(bad).toString('base64') } },
    { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: LUA, value: { default_source_code: { inline_string: bad } } },
    // A MERGE value without @type still names Lua's fields.
    { default_source_code: { inline_string: bad } },
  ];
  for (const p of places) assert.equal(hazardsOf(p).filter((h) => h.kind === 'lua').length, 1, JSON.stringify(p));
});

const unparsed = (code: string) => hazardsOf(lua(code)).filter((h) => h.kind === 'unparsedLua');

test('a Lua script that does not parse goes only to a sandboxed Envoy (what it runs cannot be checked); non-Lua text is not parsed as Lua', () => {
  const [h] = unparsed('if then');
  assert.match(h!.detail, /does not parse/);
  assert.equal(refusal()(h!), false);
  assert.equal(refusal({ unsandboxed: true })(h!), true);
  // A direct response body is not Lua: no finding, even though it does not parse.
  assert.deepEqual(hazardsOf({ direct_response: { status: 200, body: { inline_string: 'if then <html>' } } }), []);
  // 10,000 levels of nesting: refused, no stack overflow.
  assert.equal(unparsed('return ' + '('.repeat(10_000) + '1' + ')'.repeat(10_000)).length, 1);
});

test('file and environment DataSources, file config sources and file sinks are refused with their path', () => {
  const cfg = {
    a: { default_source_code: { filename: '/etc/passwd' } },
    b: { common_tls_context: { tls_certificates: [{ certificate_chain: { environment_variable: 'AWS_SECRET_ACCESS_KEY' } }] } },
    c: { config_discovery: { config_source: { path_config_source: { path: '/etc/x' } } } },
    d: { rds: { config_source: { path: '/etc/routes.yaml' } } },
    e: { sink: { file_per_tap: { path_prefix: '/tmp/tap' } } },
    f: { typed_config: { dynamic_module_config: { name: 'evil' }, filter_name: 'x' } },
  };
  const h = hazardsOf(cfg);
  assert.deepEqual(
    h.map((x) => [x.kind, x.path]),
    [
      ['file', 'a.default_source_code.filename'],
      ['env', 'b.common_tls_context.tls_certificates[0].certificate_chain.environment_variable'],
      ['file', 'c.config_discovery.config_source.path_config_source'],
      ['file', 'd.rds.config_source.path'],
      ['file', 'e.sink.file_per_tap'],
      ['file', 'f.typed_config.dynamic_module_config'],
    ],
  );
  assert.ok(h.every(refuses));
  // A route's `path` match is not a file.
  assert.deepEqual(hazardsOf({ match: { path: '/etc/passwd' }, redirect: { path_redirect: '/x' } }), []);
});

test('file access logs are pointed at /dev/stdout (reported, not refused); standard streams stay', () => {
  const FILE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
  const input = {
    access_log: [
      { name: 'a', typed_config: { '@type': FILE, path: '/var/log/meshwarden-oracle.log', log_format: { text_format: '%START_TIME%\n' } } },
      { name: 'b', typed_config: { '@type': FILE, path: '/dev/stdout' } },
      { name: 'c', typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: FILE, value: { path: '/tmp/x.log' } } },
    ],
  };
  const { value, hazards } = screenConfig(input);
  assert.deepEqual(
    hazards.map((h) => [h.kind, h.path]),
    [
      ['accessLog', 'access_log[0].typed_config.path'],
      ['accessLog', 'access_log[2].typed_config.value.path'],
    ],
  );
  assert.ok(!hazards.some(refuses));
  assert.deepEqual(
    value.access_log.map((l) => JSON.stringify(l.typed_config).match(/"path":"([^"]+)"/)?.[1]),
    ['/dev/stdout', '/dev/stdout', '/dev/stdout'],
  );
  assert.equal(input.access_log[0]!.typed_config.path, '/var/log/meshwarden-oracle.log', 'the input is not modified');
});

test('nesting beyond the screen depth is refused, not walked', () => {
  let node: unknown = { leaf: 1 };
  for (let i = 0; i < maxScreenDepth + 10; i++) node = { n: node };
  assert.deepEqual(
    hazardsOf(node).map((h) => h.kind),
    ['depth'],
  );
});
