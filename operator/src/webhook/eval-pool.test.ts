import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EvaluationPool, type EvaluationPoolOptions } from './eval-pool.js';
import { warmUpObjects } from './eval-worker.js';
import type { EvaluationResult } from './admission.js';
import type { EvaluationContext } from '../evaluate.js';

const testWorker = new URL(`./eval-worker.testkit${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const obj = (name: string) => ({ apiVersion: 'v1', kind: 'Test', metadata: { name, namespace: 'shop' } });
const ctx: EvaluationContext = { services: [], pods: [] };
const facts = { context: () => ctx };

const pools: EvaluationPool[] = [];
async function pool(opts: Partial<EvaluationPoolOptions> = {}): Promise<EvaluationPool> {
  const p = new EvaluationPool({ size: 1, istioVersions: ['1.31'], workerUrl: testWorker, ...opts });
  pools.push(p);
  await p.start();
  return p;
}
after(async () => {
  await Promise.all(pools.map((p) => p.stop()));
});

const refusal = (r: EvaluationResult): string => ('refused' in r ? `${r.refused.code} ${r.refused.message}` : JSON.stringify(r));

describe('evaluation pool', () => {
  test('an evaluation past its wall-clock budget is stopped and refused, and its worker replaced', async () => {
    const p = await pool({ timeoutMs: 300 });
    const t0 = Date.now();
    const r = await p.evaluate(obj('spin'), facts);
    const ms = Date.now() - t0;
    assert.match(refusal(r), /^422 evaluation exceeded its budget \(0\.3 s of wall-clock time\) and was stopped/);
    assert.ok(ms < 1_500, `refused after ${ms} ms`);
    assert.deepEqual(await p.evaluate(obj('fine'), facts), { diagnostics: [] }, 'the replacement worker judges the next request');
    assert.equal(p.stats().overTime, 1);
    assert.equal(p.stats().replaced, 1);
  });

  test('an evaluation over the heap cap is refused naming the cap, and its worker replaced', async () => {
    const p = await pool({ heapMb: 64, rssMb: 4096, timeoutMs: 20_000 });
    const r = await p.evaluate(obj('hog'), facts);
    assert.match(refusal(r), /^422 evaluation exceeded its budget \(64 MiB of heap\)/);
    assert.deepEqual(await p.evaluate(obj('fine'), facts), { diagnostics: [] });
    assert.equal(p.stats().overMemory, 1);
  });

  test('memory outside the heap (buffers) is bounded by the resident-memory cap', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const p = await pool({ rssMb: 256, timeoutMs: 20_000 });
    const r = await p.evaluate(obj('bloat'), facts);
    assert.match(refusal(r), /^422 evaluation exceeded its budget \(256 MiB of memory\)/);
    assert.deepEqual(await p.evaluate(obj('fine'), facts), { diagnostics: [] });
  });

  test('a full queue refuses at once, a request that waited too long is refused, both as "overloaded, retry"', async () => {
    const p = await pool({ timeoutMs: 1_200, maxQueue: 1, queueTimeoutMs: 400 });
    const spinning = p.evaluate(obj('spin'), facts); // occupies the one worker
    const waiting = p.evaluate(obj('fine'), facts); // queued
    const t0 = Date.now();
    const full = await p.evaluate(obj('fine'), facts);
    assert.ok(Date.now() - t0 < 100);
    assert.match(refusal(full), /^429 webhook overloaded \(1 evaluations are already waiting\), retry/);
    assert.match(refusal(await waiting), /^429 webhook overloaded \(no evaluation worker was free within 0\.4 s\), retry/);
    assert.match(refusal(await spinning), /^422 evaluation exceeded its budget/);
    assert.equal(p.stats().overloaded, 2);
  });

  test('stop() refuses what is being judged and returns promptly', async () => {
    const p = await pool({ timeoutMs: 60_000 });
    const spinning = p.evaluate(obj('spin'), facts);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await p.stop();
    assert.ok(Date.now() - t0 < 1_000, `stop took ${Date.now() - t0} ms`);
    assert.match(refusal(await spinning), /^503 webhook shutting down, retry/);
    assert.match(refusal(await p.evaluate(obj('fine'), facts)), /^503/);
  });

  test('cluster facts are fetched and sent once per version, and every request when unversioned', async () => {
    const p = await pool({ size: 2 });
    let calls = 0;
    const facts1 = (version?: number) => ({
      ...(version !== undefined ? { version } : {}),
      context: () => {
        calls++;
        return { services: Array.from({ length: version ?? 9 }, (_, i) => ({ metadata: { name: `s${i}`, namespace: 'shop' } })), pods: [] } as unknown as EvaluationContext;
      },
    });
    const message = (r: EvaluationResult) => ('diagnostics' in r ? r.diagnostics[0]?.message : refusal(r));
    const v3 = await Promise.all(Array.from({ length: 6 }, () => p.evaluate(obj('facts'), facts1(3))));
    assert.deepEqual(v3.map(message), Array(6).fill('services=3'));
    assert.equal(calls, 1, 'one context() for version 3, whichever workers judged');
    assert.equal(message(await p.evaluate(obj('facts'), facts1(4))), 'services=4');
    assert.equal(calls, 2);
    await Promise.all(Array.from({ length: 3 }, () => p.evaluate(obj('facts'), facts1())));
    assert.equal(calls, 5, 'without a version, every request brings its own facts');
  });

  test('stop() during the warm-up ends start() instead of leaving it waiting', async () => {
    const p = new EvaluationPool({ size: 1, istioVersions: ['1.31'], workerUrl: testWorker });
    const started = p.start();
    await p.stop();
    await assert.rejects(started, /before it was ready/);
  });

  test('a worker module that dies while warming up fails start()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mw-pool-'));
    try {
      await writeFile(join(dir, 'dies.mjs'), 'process.exit(3);\n');
      const p = new EvaluationPool({ size: 1, istioVersions: [], workerUrl: pathToFileURL(join(dir, 'dies.mjs')) });
      await assert.rejects(p.start(), /evaluation worker exited \(exit code 3\) before it was ready/);
      await p.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('the warm-up objects take every path a request takes and judge clean (a finding would stop a path early and leave it cold)', async () => {
  const { evaluate } = await import('../evaluate.js');
  const objects = warmUpObjects();
  assert.deepEqual(objects.map((o) => o.kind).sort(), ['EnvoyFilter', 'EnvoyPlugin', 'SmartLimiter']);
  for (const o of objects) {
    const v = evaluate(o, { services: [], pods: [], istioVersions: ['1.31'] });
    assert.deepEqual(
      v.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.rule} ${d.path}: ${d.message}`),
      [],
      String(o.kind),
    );
    if (o.kind !== 'EnvoyFilter') assert.ok(v.rendered.length > 0, `${String(o.kind)} renders`);
  }
});
