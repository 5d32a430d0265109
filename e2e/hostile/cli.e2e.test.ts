/**
 * Issue 21's hostile cases against the real CLI: each case is one `meshwarden lint -o json -`
 * process (`validate --envoy` for the host-access cases) with its input on stdin. Asserted: the
 * verdict class (exit 0 passes, 1 with the expected error rule, 2 only for an input the reader
 * refuses, by name), no stack trace, wall time and peak RSS within the case's bounds
 * (bounds.ts). See docs/adr/0106-hostile-input-suite.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLS_BIN } from '../harness/controlplane.js';
import { cli } from './bounds.js';
import { hostAccessCases, hostileCases, type HostileCase } from './catalogue.js';
import { newestIstio, runCli, type CliRun } from './cli-runner.js';
import { cliProblems, stackLine } from './verdict.js';

const envoy = join(TOOLS_BIN, 'envoy');
const skipEnvoy = existsSync(envoy) || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/envoy not fetched: run scripts/fetch-envoy.sh';

async function judge(c: HostileCase): Promise<{ run: CliRun; problems: string[] }> {
  const bounds = { ...cli.defaults, ...c.bounds };
  const args = c.command === 'validate' ? ['validate', '--envoy', envoy, '-o', 'json', '-'] : ['lint', '--istio-version', newestIstio, '-o', 'json', '-'];
  const run = await runCli(args, { stdin: c.text(), bounds });
  const problems = cliProblems(c.cli, run, bounds);
  const extra = c.after?.(run);
  if (extra) problems.push(extra);
  return { run, problems };
}

const report = (c: HostileCase, run: CliRun): string => `${c.id}: exit ${run.code}, ${Math.round(run.wallMs)} ms, peak ${run.peakRssMb === undefined ? '?' : Math.round(run.peakRssMb)} MiB`;

describe('the runner itself', () => {
  test('recognises a stack trace and a clean one-line error', () => {
    assert.ok(stackLine.test('RangeError: Maximum call stack size exceeded\n    at parse (file:///x.js:1:2)\n'));
    assert.ok(!stackLine.test('<stdin>:3:1: nested too deeply: limit 512 levels\n'));
  });

  test('measures the peak RSS of a child that allocates, and kills one that hangs', async () => {
    // 300 MB touched and released, then a hang the runner must cut short: the peak, not the last value, is reported.
    const script = 'let b = Buffer.alloc(300 * 2 ** 20, 1); b = undefined; globalThis.gc?.(); setInterval(() => {}, 1000);';
    const run = await runCli([], { nodeArgs: ['-e', script], bounds: { wallMs: 1_500, rssMb: 1 }, killAfterExtraMs: 1_000 });
    assert.equal(run.killed, true);
    assert.ok(run.wallMs < 10_000, `killed after ${run.wallMs} ms`);
    assert.ok(run.peakRssMb !== undefined && run.peakRssMb > 300, `peak RSS read as ${run.peakRssMb} MiB`);
    assert.ok(cliProblems({ verdict: 'passes' }, run, { wallMs: 1_500, rssMb: 100 }).some((p) => /peak RSS/.test(p)));
  });
});

describe('hostile inputs against the CLI', { concurrency: cli.concurrency, timeout: 600_000 }, () => {
  for (const c of hostileCases) {
    test(`${c.id} (${c.class}): ${c.title}`, async () => {
      const { run, problems } = await judge(c);
      console.log(`# ${report(c, run)}`);
      assert.deepEqual(problems, [], `${c.id}:\n- ${problems.join('\n- ')}`);
    });
  }
});

describe('the reader refuses hostile YAML the same way in every command that reads manifests', { concurrency: cli.concurrency, timeout: 300_000 }, () => {
  const yamlCases = hostileCases.filter((c) => c.cli.verdict === 'input-error' && c.class === 'yaml');
  for (const command of ['render', 'migrate', 'adopt'] as const) {
    for (const c of yamlCases) {
      test(`${command}: ${c.id}`, async () => {
        const bounds = { ...cli.defaults, ...c.bounds };
        const run = await runCli([command, '-'], { stdin: c.text(), bounds });
        console.log(`# ${command} ${report(c, run)}`);
        const problems = cliProblems(c.cli, run, bounds);
        assert.deepEqual(problems, [], `${command} ${c.id}:\n- ${problems.join('\n- ')}`);
      });
    }
  }
});

describe('validate --envoy keeps the manifest off the host', { skip: skipEnvoy, concurrency: 1, timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-hostile-host-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  // The cases need the directory, which exists only once `before` ran: build them lazily.
  for (const id of ['envoy-os-execute', 'envoy-access-log-path', 'envoy-datasource-passwd']) {
    test(id, async () => {
      const c = hostAccessCases(dir).find((h) => h.id === id)!;
      const { run, problems } = await judge(c);
      console.log(`# ${report(c, run)}`);
      assert.deepEqual(problems, [], `${c.id}:\n- ${problems.join('\n- ')}`);
    });
  }
});
