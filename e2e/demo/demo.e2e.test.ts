/**
 * `npm run demo` (scripts/demo.sh) end to end, as a newcomer runs it: what the README promises
 * must be on the screen, and nothing may be left behind — no process, no temp file — whether
 * the demo finishes or is interrupted with Ctrl-C.
 *
 * Each run gets a fresh TMPDIR; every process the demo starts has a path under it on its
 * command line (kubeconfig, data dir, Envoy config), so a leftover is found by scanning /proc.
 * Skipped when the control plane or Envoy 1.36 is not built (the demo would build them for
 * minutes), unless MESHWARDEN_E2E_REQUIRE=1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneBinary, REPO_ROOT } from '../harness/controlplane.js';
import { ENVOYS } from '../envoy/harness.js';

const missing = [controlPlaneBinary(), ENVOYS[0].path].filter((p) => !existsSync(p));
const skip = missing.length === 0 || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : `missing ${missing.join(', ')}: run scripts/setup-e2e.sh`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  tmp: string;
}

/** Runs scripts/demo.sh in its own process group (as a terminal would); `interruptAt` sends Ctrl-C's SIGINT to the group once that text is printed. */
function runDemo(args: string[], opts: { interruptAt?: string; timeoutMs?: number } = {}): Promise<Run> {
  const tmp = mkdtempSync(join(tmpdir(), 'mw-demo-e2e-'));
  const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'demo.sh'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let interrupted = false;
  const onData = (c: Buffer): void => {
    out += c.toString();
    if (opts.interruptAt && !interrupted && out.includes(opts.interruptAt)) {
      interrupted = true;
      process.kill(-child.pid!, 'SIGINT');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), opts.timeoutMs ?? 240_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, tmp });
    }),
  );
}

/** Processes whose command line mentions `dir`: the demo's, if any survived. */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

function assertNothingLeft(run: Run): void {
  const tail = `\n--- demo output (end) ---\n${run.out.slice(-3000)}`;
  assert.deepEqual(processesUnder(run.tmp), [], `processes left behind${tail}`);
  assert.deepEqual(readdirSync(run.tmp, { recursive: true }), [], `temp files left behind${tail}`);
  assert.doesNotMatch(run.out, /leftover processes/, `the script had to kill what the demo left${tail}`);
  rmSync(run.tmp, { recursive: true, force: true });
}

describe('npm run demo', { skip, timeout: 600_000 }, () => {
  test('the live demo shows Ready resources, refusals and 429s, then stops everything', async () => {
    const run = await runDemo([]);
    assert.equal(run.code, 0, run.out);
    for (const want of [
      /\[1\/8\] Start a Kubernetes control plane/,
      /validate\.meshwarden\.io +smartlimiters, envoyplugins +failurePolicy Fail/,
      /smartlimiter\.meshwarden\.io\/reviews +True +Applied/,
      /smartlimiter\.meshwarden\.io\/ratings +True +Applied/,
      /envoyplugin\.meshwarden\.io\/stamp +True +Applied/,
      /3 ready pods → 33 requests per pod per 1m/,
      /max_tokens: 120/,
      /admission webhook "validate\.meshwarden\.io" denied the request: SmartLimiter bookinfo\/reviews-api: 1 error\n.*- MW511 spec\.limits\[0\]: /,
      /admission webhook "istio\.validate\.meshwarden\.io" denied the request: EnvoyFilter bookinfo\/hand-written: 3 errors/,
      /- MW401 spec\.configPatches\[0\]\.patch\.operation: .*ends up after envoy\.filters\.http\.router/,
      /nothing was stored: .*"reviews-api" not found; .*"hand-written" not found/,
      /ratings-ratelimit max_tokens 33 → 25/,
      /reviews-ratelimit max_tokens 120 → 5/,
      /request 1\.\.8: 200 200 200 200 200 429 429 429\n/,
      /Envoy's stats: ok 5, rate_limited 3; the backend saw 5 requests/,
      /meshwarden serve: SIGTERM → released its Lease, exited 0/,
      /demo finished in/,
    ]) {
      assert.match(run.out, want);
    }
    assert.doesNotMatch(run.out, /demo failed/);
    assertNothingLeft(run);
  });

  test('Ctrl-C in the middle stops everything too', async () => {
    const run = await runDemo([], { interruptAt: '[3/8]' });
    assert.notEqual(run.code, 0, run.out);
    assert.match(run.out, /SIGINT: stopping everything/);
    assert.doesNotMatch(run.out, /\[4\/8\]/);
    assertNothingLeft(run);
  });

  test('--offline renders and lints without a cluster', async () => {
    const run = await runDemo(['--offline'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /name: reviews-ratelimit/);
    assert.match(run.out, /error spec\.limits\[0\]\.rate\.requests: .*\[MW103 SmartLimiter shop\/broken\]/);
    assert.match(run.out, /\(exit code 1\)/);
    assert.match(run.out, /examples: no errors/);
    assertNothingLeft(run);
  });
});
