/**
 * `meshwarden validate --envoy` never runs manifest content on the host (issue 21) and runs
 * Envoy the way a sidecar does (/dev/stdout opens: issue 22), against the real Envoy 1.39:
 * - the screen: hostile EnvoyFilters are not handed to Envoy and say so (MW703-MW705);
 * - the sandbox, below the screen: a Lua script that does reach Envoy cannot read or write
 *   host files, run commands, or see the host's network;
 * - clean failures: a timeout, a missing binary, a missing bubblewrap are typed errors with
 *   a message that names the fix, never a stack trace.
 * Skipped (loudly) without the binary or bwrap, unless MESHWARDEN_E2E_REQUIRE=1.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './harness.js';
import { loadYaml } from '../../operator/src/yaml/documents.js';
import { envoyValidate, EnvoyTimeoutError, EnvoyUnavailableError } from '../../operator/src/oracle/envoy.js';
import { SandboxUnavailableError } from '../../operator/src/oracle/sandbox.js';
import { oracleFindings } from '../../operator/src/oracle/oracle.js';
import type { EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';

const ENVOY = join(REPO_ROOT, '.tools', 'bin', 'envoy-1.39.3');
const ISTIO = '1.31.0';
const haveBwrap = spawnSync('bwrap', ['--version']).status === 0;
const skip =
  process.env.MESHWARDEN_E2E_REQUIRE === '1'
    ? false
    : !existsSync(ENVOY)
      ? 'missing .tools/bin/envoy-1.39.3 (run npm run setup)'
      : !haveBwrap
        ? 'bubblewrap (bwrap) not installed (scripts/setup-validator.sh installs it)'
        : false;

const scratch = mkdtempSync(join(tmpdir(), 'mw-oracle-sandbox-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** A unique host path that must never appear. */
const marker = (what: string) => join(scratch, `${what}-${randomUUID()}`);
const passwdFirstLine = readFileSync('/etc/passwd', 'utf8').split('\n')[0]!;

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** A static bootstrap: one listener whose HCM runs `lua` and logs to `accessLog`. */
function bootstrap(opts: { lua?: string; accessLog?: string }) {
  const httpFilters = [
    ...(opts.lua !== undefined ? [{ name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, default_source_code: { inline_string: opts.lua } } }] : []),
    { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
  ];
  const hcm = {
    '@type': HCM,
    stat_prefix: 'oracle',
    route_config: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [] }] },
    http_filters: httpFilters,
    ...(opts.accessLog ? { access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG, path: opts.accessLog } }] } : {}),
  };
  return {
    node: { id: 'sidecar~127.0.0.1~oracle.default~default.svc.cluster.local', cluster: 'oracle' },
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
        },
      ],
    },
  };
}

/** Lua that hands what it saw back through Envoy's rejection message (one line). */
const report = (expr: string) => `error('SEEN[' .. (${expr}):gsub('\\n', ' ') .. ']')`;

describe('the sandbox: a Lua script that reaches Envoy cannot touch the host', { skip }, () => {
  test('os.execute and io.open create nothing on the host, /etc/passwd is not there', () => {
    const [m1, m2] = [marker('execute'), marker('io-open')];
    const lua = [
      `os.execute('touch ${m1}')`,
      `local w = io.open('${m2}', 'w') if w then w:write('x') w:close() end`,
      `local p = io.open('/etc/passwd')`,
      report(`p and p:read('*l') or 'no-passwd'`),
    ].join('\n');
    const verdict = envoyValidate(ENVOY, bootstrap({ lua }));
    assert.equal(verdict.ok, false);
    assert.match(verdict.error ?? '', /SEEN\[no-passwd\]/);
    assert.ok(!(verdict.error ?? '').includes(passwdFirstLine));
    assert.equal(existsSync(m1), false, 'os.execute ran on the host');
    assert.equal(existsSync(m2), false, 'io.open wrote on the host');
  });

  test('nothing inside the sandbox is writable: no file system to fill, not even /dev/shm', () => {
    const places = ['/tmp/x', '/dev/shm/x', '/oracle/config/x', '/x'];
    const lua = report(places.map((p) => `(io.open('${p}', 'w') and '${p}:writable' or '${p}:read-only')`).join(" .. ' ' .. "));
    const verdict = envoyValidate(ENVOY, bootstrap({ lua }));
    assert.match(verdict.error ?? '', new RegExp(`SEEN\\[${places.map((p) => `${p}:read-only`).join(' ')}\\]`));
  });

  test('no network: the sandbox sees only its own loopback, none of the host interfaces', () => {
    const hostInterfaces = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim())
      .filter((n) => n && n !== 'lo');
    assert.ok(hostInterfaces.length > 0, 'the host has a non-loopback interface to hide');
    const verdict = envoyValidate(ENVOY, bootstrap({ lua: report(`io.open('/proc/net/dev'):read('*a')`) }));
    const seen = /SEEN\[(.*)\]/.exec(verdict.error ?? '')?.[1] ?? '';
    assert.match(seen, /\blo:/);
    for (const name of hostInterfaces) assert.ok(!seen.includes(`${name}:`), `${name} is visible in the sandbox`);
  });

  test('an access log to /dev/stdout is accepted, as a sidecar accepts it (issue 22)', () => {
    assert.deepEqual(envoyValidate(ENVOY, bootstrap({ accessLog: '/dev/stdout' })), { ok: true });
    assert.deepEqual(envoyValidate(ENVOY, bootstrap({ accessLog: '/dev/stderr' })), { ok: true });
  });
});

describe('clean failures: typed errors with a message for the user', { skip }, () => {
  test('an Envoy that does not finish in time is stopped: EnvoyTimeoutError', () => {
    const started = Date.now();
    assert.throws(
      () => envoyValidate(ENVOY, bootstrap({ lua: 'while true do end' }), { timeoutMs: 1500 }),
      (e: unknown) => e instanceof EnvoyTimeoutError && /did not finish validating within 1\.5 s/.test(e.message) && !/\n\s+at /.test(e.message),
    );
    assert.ok(Date.now() - started < 10_000);
  });

  test(
    'output is capped: a Lua top level that prints without end cannot fill the disk',
    { skip: spawnSync('prlimit', ['--version']).status === 0 ? false : 'prlimit (util-linux) not installed' },
    () => {
      assert.throws(
        () => envoyValidate(ENVOY, bootstrap({ lua: "for i = 1, 100000 do print(string.rep('x', 1000)) end" })),
        (e: unknown) => e instanceof EnvoyUnavailableError && /wrote more than 4194304 bytes of output .* not judged/.test(e.message),
      );
    },
  );

  test('a missing or non-executable binary: EnvoyUnavailableError naming the fix', () => {
    const notExecutable = join(scratch, 'envoy-not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    for (const binary of [join(scratch, 'no-such-envoy'), notExecutable]) {
      for (const unsandboxed of [false, true]) {
        assert.throws(
          () => envoyValidate(binary, bootstrap({}), { unsandboxed }),
          (e: unknown) => e instanceof EnvoyUnavailableError && e.message.includes(binary.split('/').pop()!),
          `${binary} unsandboxed=${unsandboxed}`,
        );
      }
    }
  });

  test('without bubblewrap the oracle refuses (SandboxUnavailableError naming the fix) unless told to run unsandboxed', () => {
    const path = process.env.PATH;
    process.env.PATH = scratch; // no bwrap here
    try {
      assert.throws(
        () => envoyValidate(ENVOY, bootstrap({})),
        (e: unknown) => e instanceof SandboxUnavailableError && /apt-get install bubblewrap/.test(e.message) && /--unsandboxed-oracle/.test(e.message),
      );
      assert.deepEqual(envoyValidate(ENVOY, bootstrap({}), { unsandboxed: true }), { ok: true });
    } finally {
      process.env.PATH = path;
    }
  });
});

// --- The screen: what is never handed to Envoy, reported with the field path ---

const luaEnvoyFilter = readFileSync(join(REPO_ROOT, 'examples', 'envoyplugin-lua', 'rendered.yaml'), 'utf8');

/** The example EnvoyPlugin's EnvoyFilter (a Lua filter on the reviews sidecar's port 8080) with `patch` as its value. */
function envoyFilter(value: Record<string, unknown>, applyTo = 'HTTP_FILTER', operation = 'INSERT_BEFORE'): EnvoyFilterObject {
  const ef = loadYaml(luaEnvoyFilter, 'ef.yaml').objects.find((o) => (o.value as { kind?: string }).kind === 'EnvoyFilter')!.value as EnvoyFilterObject;
  const p = structuredClone(ef.spec!.configPatches![0]!) as Record<string, any>;
  p['applyTo'] = applyTo;
  if (applyTo === 'NETWORK_FILTER') delete p['match'].listener.filterChain.filter.subFilter;
  p['patch'] = { operation, value };
  return { ...ef, spec: { ...ef.spec, configPatches: [p] } };
}
const luaFilter = (source: Record<string, unknown>) => envoyFilter({ name: 'hostile.lua', typed_config: { '@type': LUA, default_source_code: source } });
const judge = (ef: EnvoyFilterObject) => oracleFindings(ef, { envoy: ENVOY, istioVersion: ISTIO });
const VALUE = 'spec.configPatches[0].patch.value';

describe('the screen: hostile EnvoyFilters are reported, not handed to Envoy', { skip }, () => {
  test('a Lua filter using os.time in a handler is judged by Envoy: no findings', () => {
    assert.deepEqual(judge(luaFilter({ inline_string: 'function envoy_on_request(h) h:headers():add("t", tostring(os.time())) end' })), []);
  });

  test('Lua os.execute / io.open at top level: MW703 at the script, nothing created on the host', () => {
    const [m1, m2] = [marker('ef-execute'), marker('ef-io')];
    const findings = judge(luaFilter({ inline_string: `os.execute('touch ${m1}')\nio.open('${m2}', 'w'):write('x')` }));
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [['MW703', `${VALUE}.typed_config.default_source_code.inline_string`]],
    );
    assert.match(findings[0]!.message, /os\.execute \(line 1\), io \(line 2\)/);
    assert.match(findings[0]!.message, /not hand this EnvoyFilter to Envoy/);
    assert.equal(existsSync(m1), false);
    assert.equal(existsSync(m2), false);
  });

  test('a Lua script that does not parse: judged by the sandboxed Envoy (MW701), refused without the sandbox (MW703)', () => {
    const ef = luaFilter({ inline_string: 'function envoy_on_request(h) if then end' });
    assert.deepEqual(
      judge(ef).map((f) => f.rule),
      ['MW701'],
    );
    const unsandboxed = oracleFindings(ef, { envoy: ENVOY, istioVersion: ISTIO, unsandboxed: true });
    assert.deepEqual(
      unsandboxed.map((f) => [f.rule, f.path]),
      [['MW703', `${VALUE}.typed_config.default_source_code.inline_string`]],
    );
  });

  test('a filename DataSource (/etc/passwd): MW704 at the field, the file content appears nowhere', () => {
    const findings = judge(luaFilter({ filename: '/etc/passwd' }));
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [['MW704', `${VALUE}.typed_config.default_source_code.filename`]],
    );
    assert.ok(!JSON.stringify(findings).includes(passwdFirstLine));
  });

  test('an environment_variable DataSource: MW704 (the host environment is not the proxy one)', () => {
    const findings = judge(luaFilter({ environment_variable: 'PATH' }));
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [['MW704', `${VALUE}.typed_config.default_source_code.environment_variable`]],
    );
  });

  const accessLogMerge = (path: string) =>
    envoyFilter(
      { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM, access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG, path } }] } },
      'NETWORK_FILTER',
      'MERGE',
    );

  test('an access log to a host path: judged with /dev/stdout (MW705 info), no file created on the host', () => {
    const logFile = marker('access-log');
    const findings = judge(accessLogMerge(logFile));
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.path]),
      [['MW705', 'info', `${VALUE}.typed_config.access_log[0].typed_config.path`]],
    );
    assert.equal(existsSync(logFile), false);
  });

  test('an access log to /dev/stdout: accepted as a sidecar accepts it, no findings', () => {
    assert.deepEqual(judge(accessLogMerge('/dev/stdout')), []);
  });

  test('another EnvoyFilter of the input that is refused does not reach Envoy through this one (MW706)', () => {
    const m = marker('other');
    const other = { ...luaFilter({ inline_string: `os.execute('touch ${m}')` }), metadata: { name: 'hostile', namespace: 'bookinfo' } } as EnvoyFilterObject;
    const findings = oracleFindings(accessLogMerge('/dev/stdout'), { envoy: ENVOY, istioVersion: ISTIO, otherEnvoyFilters: [other] });
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [['MW706', 'spec']],
    );
    assert.match(findings[0]!.message, /bookinfo\/hostile/);
    assert.equal(existsSync(m), false);
  });
});

describe('the CLI: validate --envoy runs sandboxed; --unsandboxed-oracle is the explicit opt-out', { skip }, () => {
  const input = join(scratch, 'access-log.yaml');
  const hostLog = marker('cli-access-log');
  const cli = async (args: string[], path?: string) => {
    const { main } = await import('../../operator/src/cli/main.js');
    const out = { stdout: '', stderr: '' };
    const saved = process.env.PATH;
    if (path !== undefined) process.env.PATH = path;
    try {
      const code = await main(['validate', '--envoy', ENVOY, '-o', 'json', ...args, input], {
        stdout: (t) => void (out.stdout += t),
        stderr: (t) => void (out.stderr += t),
        readStdin: async () => '',
      });
      return { code, ...out };
    } finally {
      process.env.PATH = saved;
    }
  };

  test('sandboxed by default: the file access log is judged with /dev/stdout (MW705), nothing written on the host', async () => {
    const ef = envoyFilter(
      {
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: { '@type': HCM, access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG, path: hostLog } }] },
      },
      'NETWORK_FILTER',
      'MERGE',
    );
    writeFileSync(input, JSON.stringify(ef));
    const run = await cli([]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(
      (JSON.parse(run.stdout) as Array<{ rule: string }>).map((d) => d.rule).filter((r) => r.startsWith('MW7')),
      ['MW705'],
    );
    assert.equal(existsSync(hostLog), false);
  });

  test('without bubblewrap: exit 2 and a message naming the fix, no stack trace; --unsandboxed-oracle runs Envoy anyway', async () => {
    const refused = await cli([], scratch);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /apt-get install bubblewrap.*--unsandboxed-oracle/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
    const unsandboxed = await cli(['--unsandboxed-oracle'], scratch);
    assert.equal(unsandboxed.code, 0, unsandboxed.stdout + unsandboxed.stderr);
  });
});
