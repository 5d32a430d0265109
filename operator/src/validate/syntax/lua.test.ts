import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLua, clearLuaCache, runTopLevel } from './lua.js';

const codes = (fs: { rule: string }[]): string[] => fs.map((f) => f.rule);

const GOOD = `-- stamps a header
local header = 'x-stamp'
local function value() return '1' end
function envoy_on_request(request_handle)
  request_handle:headers():add(header, value())
end
function envoy_on_response(response_handle)
  response_handle:headers():add('x-served-by', 'meshwarden')
end`;

test('good script: no findings', () => {
  assert.deepEqual(checkLua(GOOD), []);
});

test("MW501: syntax error names ')' expected with line and column", () => {
  const f = checkLua("function envoy_on_request(h) h:headers():add('a' end");
  assert.deepEqual(codes(f), ['MW501']);
  assert.equal(f[0]!.severity, 'error');
  assert.match(f[0]!.message, /'\)' expected/);
  assert.match(f[0]!.message, /line 1, column 50/);
});

test('MW501: LuaJIT syntax is accepted (goto, 64-bit literals parse)', () => {
  assert.deepEqual(codes(checkLua('goto done\n::done::\nfunction envoy_on_request(h) end')), []);
  // 1LL parses as LuaJIT; fengari cannot compile it -> only an MW505 warning, never an error.
  const f = checkLua('local x = 1LL\nfunction envoy_on_request(h) end');
  assert.deepEqual(codes(f), ['MW505']);
  assert.equal(f[0]!.severity, 'warning');
});

test('MW501: Lua 5.3 operators are LuaJIT syntax errors', () => {
  assert.deepEqual(codes(checkLua('local a = 7 // 2\nfunction envoy_on_request(h) end')), ['MW501']);
});

test('MW502: top-level runtime error is a load error', () => {
  const f = checkLua('local s = nil; s.x = 1\nfunction envoy_on_request(h) end');
  assert.deepEqual(codes(f), ['MW502']);
  assert.match(f[0]!.message, /attempt to index a nil value \(local 's'\)/);
  assert.match(f[0]!.message, /line 1/);
  assert.deepEqual(codes(checkLua("error('boom')")), ['MW502']);
});

test('MW502: errors inside handlers are not load errors', () => {
  assert.deepEqual(checkLua('function envoy_on_request(h) local s = nil; s.x = 1 end'), []);
});

test('MW503: no handler is a warning; local handlers do not count', () => {
  assert.deepEqual(codes(checkLua('local x = 1')), ['MW503']);
  assert.deepEqual(codes(checkLua('local function envoy_on_request(h) end')), ['MW503']);
  assert.deepEqual(checkLua('envoy_on_response = function(h) end'), []);
});

test('MW504: empty script', () => {
  assert.deepEqual(codes(checkLua('  \n\t')), ['MW504']);
  assert.deepEqual(codes(checkLua('function envoy_on_request(h) end')), []);
});

test('MW505: host access and 5.1/5.3 differences downgrade to warnings', () => {
  const io = checkLua("local f = io.open('/etc/hosts'); f:read('*a')\nfunction envoy_on_request(h) end");
  assert.deepEqual(codes(io), ['MW505']);
  assert.deepEqual(codes(checkLua("local ok, cjson = pcall(require, 'cjson')\nfunction envoy_on_request(h) end")), []);
  assert.deepEqual(codes(checkLua("local s = string.format('%d', 1.5)\nfunction envoy_on_request(h) end")), ['MW505']);
});

test("MW502: require of a module stock Envoy's LuaJIT lacks fails the load as in Envoy; its built-ins do not", () => {
  const [f, ...rest] = checkLua("local cjson = require('cjson')\nfunction envoy_on_request(h) end");
  assert.deepEqual([f?.rule, f?.severity, rest.length], ['MW502', 'error', 0]);
  assert.match(f?.message ?? '', /module 'cjson' not found/);
  assert.match(f?.hint ?? '', /unless your proxy image ships 'cjson'/);
  // LuaJIT built-ins the emulator lacks stay MW505 (unverified), not errors.
  assert.deepEqual(codes(checkLua("local b = require('string.buffer')\nfunction envoy_on_request(h) end")), ['MW505']);
  // Other host access before the failing require keeps the verdict uncertain.
  assert.deepEqual(codes(checkLua("local f = io.open('/x')\nlocal m = require('lpeg')\nfunction envoy_on_request(h) end")), ['MW505']);
});

test('5.1 shims: unpack, loadstring, setfenv, bit, table.getn work at load time', () => {
  const code = `local a, b = unpack({1, 2})
local f = loadstring('return 1')
setfenv(f, {})
assert(bit.band(0xff, 0x0f) == 15 and bit.bor(1, 2) == 3 and bit.lshift(1, 4) == 16)
assert(table.getn({1, 2, 3}) == 3 and math.pow(2, 3) == 8)
local ffi = require('ffi')
function envoy_on_request(h) end`;
  assert.deepEqual(checkLua(code), []);
});

test('MW506: infinite loop at load time is an error at the instruction budget, even through pcall', () => {
  const f = checkLua('while true do pcall(function() while true do end end) end\nfunction envoy_on_request(h) end', {
    instructionBudget: 100_000,
  });
  assert.deepEqual(codes(f), ['MW506']);
  assert.equal(f[0]!.severity, 'error');
  assert.match(f[0]!.message, /100,000 Lua instructions/);
});

test('sandbox: os.execute, debug.sethook are stubs; os.exit stops the run', () => {
  const r = runTopLevel("os.execute('true'); debug.sethook(); function envoy_on_request(h) end");
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.handlers, ['envoy_on_request']);
  assert.ok(r.approx.includes('os.execute'));
  assert.equal(runTopLevel('pcall(os.exit, 1) x = 1').kind, 'exit');
});

test('cache returns equal findings with the caller path', () => {
  clearLuaCache();
  const a = checkLua('local x = 1', { path: 'a' });
  const b = checkLua('local x = 1', { path: 'b' });
  assert.equal(a[0]!.path, 'a');
  assert.equal(b[0]!.path, 'b');
  assert.equal(a[0]!.message, b[0]!.message);
});

test('LuaJIT lacks utf8, string.pack, math.type (load errors, as in Envoy)', () => {
  assert.deepEqual(codes(checkLua('local c = utf8.char(65)\nfunction envoy_on_request(h) end')), ['MW502']);
  assert.deepEqual(codes(checkLua("local s = string.pack('i4', 1)\nfunction envoy_on_request(h) end")), ['MW502']);
  assert.deepEqual(codes(checkLua('local t = math.type(1)\nfunction envoy_on_request(h) end')), ['MW502']);
  // LuaJIT accepts these where Lua 5.3 raises (checked with Envoy 1.36.2): warnings only.
  assert.deepEqual(codes(checkLua('local t = {} table.insert(t, 5, 1) local r = math.random(0)\nfunction envoy_on_request(h) end')), ['MW505']);
});
