/**
 * The seeded fuzzer against the real CLI: random Lua top levels, regexes and YAML texts
 * (generators.ts), judged in batches (one `meshwarden lint DIR` process per batch of
 * bounds.ts `fuzz.cliBatchSize` files: startup costs seconds, an input milliseconds). Property:
 * every batch ends in a verdict within its bound (exit 0 or 1; 2 only with the reader's
 * file:line:col refusals), never a stack trace or an internal error, peak RSS bounded.
 * The live webhook gets the Lua and regex inputs in webhook.e2e.test.ts. A YAML batch usually ends
 * in exit 2 (some file is refused by the reader's bounds, and lint then judges none): every file
 * is still read, and the reader is what the YAML generator is aimed at.
 *
 * MESHWARDEN_FUZZ_RUNS sets the inputs per generator (default small for CI), MESHWARDEN_FUZZ_SEED
 * replays a run; a failing batch is kept on disk and each input can be printed alone with
 * e2e/hostile/fuzz-case.ts (docs/adr/0106-hostile-input-suite.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, fuzz } from './bounds.js';
import { newestIstio, runCli } from './cli-runner.js';
import { fuzzInput, generatorNames, type FuzzInput } from './generators.js';
import { stackLine } from './verdict.js';

describe('the generators', () => {
  test('are reproducible: the same seed and index give the same input, another index another one', () => {
    for (const g of generatorNames) {
      assert.equal(fuzzInput(g, 5, fuzz.seed).text, fuzzInput(g, 5, fuzz.seed).text);
      const distinct = new Set(Array.from({ length: 8 }, (_, i) => fuzzInput(g, i, fuzz.seed).text));
      assert.ok(distinct.size >= 6, `${g}: only ${distinct.size} distinct inputs of 8`);
    }
  });

  test('reach the hostile classes (not only harmless inputs)', () => {
    const lua = Array.from({ length: 200 }, (_, i) => fuzzInput('lua', i, fuzz.seed).text).join('\n');
    for (const marker of ['while true do end', ':rep(', 's = s .. s', 'table.concat', 'xpcall(', 'os.exit()', '((((((((((']) assert.ok(lua.includes(marker), `no Lua input with ${marker}`);
    const regex = Array.from({ length: 200 }, (_, i) => fuzzInput('regex', i, fuzz.seed).text).join('\n');
    for (const marker of [/\({10}/, /\(\?=/, /\{\d+,1\d{3}\}/]) assert.ok(marker.test(regex), `no regex matching ${marker}`);
    const yaml = Array.from({ length: 200 }, (_, i) => fuzzInput('yaml', i, fuzz.seed).text).join('\n');
    for (const marker of ['&t0', '*t6', '[[[[[[[[[[', '<<:']) assert.ok(yaml.includes(marker), `no YAML with ${marker}`);
  });
});

interface Batch {
  generator: (typeof generatorNames)[number];
  inputs: FuzzInput[];
}

function batches(): Batch[] {
  const out: Batch[] = [];
  for (const generator of generatorNames) {
    for (let from = 0; from < fuzz.runs; from += fuzz.cliBatchSize) {
      const inputs = Array.from({ length: Math.min(fuzz.cliBatchSize, fuzz.runs - from) }, (_, k) => fuzzInput(generator, from + k, fuzz.seed));
      out.push({ generator, inputs });
    }
  }
  return out;
}

describe(`seeded fuzz against the CLI (seed ${fuzz.seed}, ${fuzz.runs} inputs per generator)`, { concurrency: cli.concurrency, timeout: fuzz.suiteTimeoutMs }, () => {
  for (const batch of batches()) {
    const first = batch.inputs[0]!.index;
    const last = batch.inputs[batch.inputs.length - 1]!.index;
    test(`${batch.generator} #${first}-${last}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `mw-hostile-fuzz-${batch.generator}-`));
      await Promise.all(batch.inputs.map((i) => writeFile(join(dir, `${i.generator}-${i.index}.yaml`), i.text)));
      const bounds = { wallMs: cli.defaults.wallMs + fuzz.cliPerInputMs * batch.inputs.length, rssMb: cli.defaults.rssMb };
      const run = await runCli(['lint', '--istio-version', newestIstio, '-o', 'json', dir], { bounds });
      console.log(`# ${batch.generator} #${first}-${last}: exit ${run.code}, ${Math.round(run.wallMs)} ms, peak ${Math.round(run.peakRssMb ?? -1)} MiB`);
      const problems: string[] = [];
      if (run.killed || run.wallMs > bounds.wallMs) problems.push(`no verdict within ${bounds.wallMs} ms (${Math.round(run.wallMs)} ms${run.killed ? ', killed' : ''})`);
      if (run.peakRssMb === undefined || run.peakRssMb > bounds.rssMb) problems.push(`peak RSS ${run.peakRssMb} MiB, bound ${bounds.rssMb} MiB`);
      if (stackLine.test(run.stderr) || stackLine.test(run.stdout)) problems.push(`a stack trace: ${run.stderr.slice(0, 1500)}`);
      if (/internal error/.test(run.stderr)) problems.push(`an internal error: ${run.stderr.slice(0, 1500)}`);
      if (!run.killed && run.code !== 0 && run.code !== 1) {
        // Exit 2 only for the reader's refusals, each `file:line:col: message`.
        const unexplained = run.stderr.split('\n').filter((l) => l !== '' && !/^\S+:\d+:\d+: /.test(l) && !/^meshwarden: warning:/.test(l));
        if (run.code !== 2 || unexplained.length > 0) problems.push(`exit ${run.code ?? run.signal}: ${unexplained.join(' | ').slice(0, 1500)}`);
      }
      if (problems.length === 0) {
        await rm(dir, { recursive: true, force: true });
        return;
      }
      assert.fail(
        `${problems.join('\n')}\nThe batch is kept in ${dir}. Replay: MESHWARDEN_FUZZ_SEED=${fuzz.seed} MESHWARDEN_FUZZ_RUNS=${fuzz.runs}; ` +
          `one input: npx tsx e2e/hostile/fuzz-case.ts ${batch.generator} INDEX ${fuzz.seed} (INDEX ${first}-${last})`,
      );
    });
  }
});
