/**
 * How the oracle runs a binary, with stand-in shell scripts (no Envoy needed; the real binary
 * and the sandbox are exercised in e2e/envoy/oracle-sandbox.e2e.test.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envoyValidate, EnvoyTimeoutError, EnvoyUnavailableError } from './envoy.js';

const dir = mkdtempSync(join(tmpdir(), 'mw-oracle-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('the binary can open /dev/stdout and /dev/stderr, as a sidecar can (issue 22: socketpair stdio gave ENXIO)', () => {
  const envoy = fake('opens-stdout', 'echo log > /dev/stdout || exit 1\necho log > /dev/stderr || exit 1\nexit 0');
  assert.deepEqual(envoyValidate(envoy, {}, { unsandboxed: true }), { ok: true });
});

test("exit 1 is Envoy's rejection, with its sentence and without the temporary file name", () => {
  const envoy = fake('rejects', `echo "[critical][main] error initializing configuration '/tmp/x/bootstrap.json': Proto constraint validation failed" >&2\nexit 1`);
  assert.deepEqual(envoyValidate(envoy, {}, { unsandboxed: true }), { ok: false, error: 'Proto constraint validation failed' });
});

test('a crash (another exit code or a signal) is EnvoyUnavailableError, not a verdict', () => {
  for (const [name, body] of [
    ['exits-3', 'echo boom >&2\nexit 3'],
    ['aborts', 'kill -ABRT $$'],
  ] as const) {
    assert.throws(
      () => envoyValidate(fake(name, body), {}, { unsandboxed: true }),
      (e: unknown) => e instanceof EnvoyUnavailableError && !(e instanceof EnvoyTimeoutError) && /a crash, not a verdict/.test(e.message),
      name,
    );
  }
});

test('a run over its deadline is stopped: EnvoyTimeoutError saying the config was not judged', () => {
  const started = Date.now();
  assert.throws(
    () => envoyValidate(fake('hangs', 'exec sleep 30'), {}, { unsandboxed: true, timeoutMs: 300 }),
    (e: unknown) => e instanceof EnvoyTimeoutError && /within 0\.3 s .*not judged/.test(e.message),
  );
  assert.ok(Date.now() - started < 5_000);
});

test('the binary gets no host environment (DataSources naming variables cannot read secrets)', () => {
  process.env.MW_ORACLE_SECRET = 'hunter2';
  try {
    const envoy = fake('env', '[ -z "$MW_ORACLE_SECRET" ] || exit 1\nexit 0');
    assert.deepEqual(envoyValidate(envoy, {}, { unsandboxed: true }), { ok: true });
  } finally {
    delete process.env.MW_ORACLE_SECRET;
  }
});
