/**
 * Issue 21's hostile cases against a live admission webhook (`meshwarden serve --webhook-only`
 * in a child process, its own evaluation workers under it). While each hostile AdmissionReview is
 * judged, /healthz is polled every 50 ms and ordinary admissions keep coming: /healthz must never
 * stall, ordinary admissions must be answered, the hostile one must get a verdict (a denial
 * naming the rule or the budget, never a 500) within the deadline, and the process tree's
 * memory must stay bounded. Then: two hostile requests at once, the proxyVersion regex cache,
 * the seeded Lua/regex fuzzer over the same webhook, and SIGTERM during a hostile evaluation.
 * Bounds: bounds.ts; see docs/adr/0106-hostile-input-suite.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { goodSmartLimiter } from '../../operator/src/webhook/fixtures.js';
import { fuzz, webhook as bounds } from './bounds.js';
import { hostileCases, luaEnvoyFilter, manyLuaScripts, proxyVersionFilter } from './catalogue.js';
import { childrenOf, isRunning, newestIstio } from './cli-runner.js';
import { fuzzInput } from './generators.js';
import { observe, observationProblems, startLiveWebhook, type Answer, type LiveWebhook } from './live-webhook.js';
import { webhookProblems } from './verdict.js';

const linux = existsSync('/proc/self/status') ? false : 'needs /proc to observe the webhook process tree';
/** A looping top level, unique per name: the Lua checker memoises verdicts by script, and a memoised one is no evaluation in flight. */
const spin = (name: string): Record<string, unknown> => luaEnvoyFilter(name, `local tag = '${name}'\nwhile true do end\nfunction envoy_on_request(h) end`);
const normal = (tag: string) => (i: number) => goodSmartLimiter(`normal-${tag}-${i}`);
const fmt = (a: Answer): string =>
  `HTTP ${a.status || a.error}, ${Math.round(a.ms)} ms, allowed ${a.response?.allowed}, ${a.response?.status?.code ?? ''} ${(a.response?.status?.message ?? '').slice(0, 300)}`;

describe('hostile inputs against a live webhook', { skip: linux, concurrency: 1, timeout: fuzz.suiteTimeoutMs }, () => {
  let wh: LiveWebhook;
  let warm: ReturnType<LiveWebhook['rss']>;

  before(async () => {
    wh = await startLiveWebhook(newestIstio);
    await wh.settle();
    warm = wh.rss();
    console.log(`# webhook warm: main ${Math.round(warm.main)} MiB, workers ${warm.workers.map(Math.round).join(' + ')} MiB`);
  });
  after(async () => {
    if (wh && wh.child.exitCode === null) await wh.stop();
  });

  /** Sends `objects` at once while observing; returns the answers and every bound broken. */
  async function judgeWhileObserved(objects: Array<Record<string, unknown>>, tag: string, normalMustPass: boolean): Promise<{ answers: Answer[]; problems: string[] }> {
    // From a full pool: a worker killed by the previous case may still be warming up.
    const settled = await wh.settle();
    if (settled.ms > 1_000) console.log(`# ${tag}: waited ${Math.round(settled.ms)} ms for the pool to be warm again (longest warm-up so far ${settled.longestWarmUpMs} ms)`);
    const watch = observe(wh, { normalMustPass, normal: normal(tag) });
    const answers = await Promise.all(objects.map((o) => wh.admit(o, { dryRun: true })));
    // Keep observing a little after the verdict: a worker being replaced must not disturb either.
    await new Promise((r) => setTimeout(r, 300));
    const o = await watch.stop();
    console.log(
      `# ${tag}: ${answers.map(fmt).join(' | ')}; /healthz max ${Math.round(o.healthz.maxMs)} ms over ${o.healthz.count}, ordinary max ${Math.round(o.normal.maxMs)} ms over ${o.normal.count}, peak main ${Math.round(o.peakMainRssMb)} MiB, tree ${Math.round(o.peakTreeRssMb)} MiB`,
    );
    const problems = observationProblems(o);
    for (const a of answers) if (a.ms > bounds.hostileVerdictMs) problems.push(`verdict after ${Math.round(a.ms)} ms, bound ${bounds.hostileVerdictMs} ms`);
    return { answers, problems };
  }

  for (const c of hostileCases.filter((h) => h.object && h.webhook)) {
    test(`${c.id} (${c.class}): ${c.title}`, async () => {
      const { answers, problems } = await judgeWhileObserved([c.object!()], c.id, true);
      problems.push(...webhookProblems(c.webhook!, answers[0]!.status, answers[0]!.response));
      assert.deepEqual(problems, [], `${c.id}:\n- ${problems.join('\n- ')}\nwebhook log:\n${wh.log().slice(-3000)}`);
    });
  }

  test('two hostile requests at once (both workers busy): both denied in time, /healthz and ordinary admissions still answered', async () => {
    const { answers, problems } = await judgeWhileObserved([spin('spin-a'), spin('spin-b')], 'two-at-once', false);
    for (const a of answers) problems.push(...webhookProblems({ allowed: false, message: /MW50[126]|budget/ }, a.status, a.response));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('a stream of unique proxyVersion regexes is judged without a worker outgrowing its memory cap', async () => {
    const { proxyVersionRequests: n, proxyVersionPatchesPerRequest: patches } = bounds;
    await wh.settle();
    const workersBefore = childPids(wh);
    const watch = observe(wh, { normalMustPass: true, normal: normal('proxyversion') });
    const problems: string[] = [];
    // One at a time: each 64-patch filter keeps a worker busy for a few hundred ms, and two at once
    // would leave the ordinary admissions to the queue; this case is about memory, not overload.
    for (let k = 0; k < n; k++) {
      const a = await wh.admit(proxyVersionFilter(`pv-${k}`, k + 1000, patches));
      if (a.status !== 200 || !a.response?.allowed) problems.push(`proxyVersion filter: ${fmt(a)}`);
      else if (a.ms > bounds.hostileVerdictMs) problems.push(`proxyVersion filter judged after ${Math.round(a.ms)} ms`);
    }
    const o = await watch.stop();
    const workersAfter = childPids(wh);
    console.log(`# proxyVersion: ${n * patches} unique regexes; tree peak ${Math.round(o.peakTreeRssMb)} MiB; workers now ${wh.rss().workers.map(Math.round).join(' + ')} MiB`);
    problems.push(...observationProblems(o));
    const replaced = workersBefore.filter((pid) => !workersAfter.includes(pid));
    if (replaced.length > 0) problems.push(`evaluation workers were replaced (over a budget?) while judging ordinary filters: ${replaced.join(', ')}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test(`seeded fuzz: ${fuzz.runs} Lua and ${fuzz.runs} regex objects, each judged in time, never a 500, the webhook serving throughout (seed ${fuzz.seed})`, async () => {
    await wh.settle();
    const watch = observe(wh, { normalMustPass: false, normal: normal('fuzz') });
    const problems: string[] = [];
    for (const generator of ['lua', 'regex'] as const) {
      for (let i = 0; i < fuzz.runs; i++) {
        const input = fuzzInput(generator, i, fuzz.seed);
        const a = await wh.admit(input.object!, { dryRun: true });
        const found = [...webhookProblems({ allowed: 'either' }, a.status, a.response), ...(a.ms > bounds.hostileVerdictMs ? [`verdict after ${Math.round(a.ms)} ms`] : [])];
        if (found.length > 0) problems.push(`${generator} #${i} (reproduce: npx tsx e2e/hostile/fuzz-case.ts ${generator} ${i} ${fuzz.seed}): ${found.join('; ')}`);
      }
    }
    const o = await watch.stop();
    console.log(`# fuzz over the webhook: /healthz max ${Math.round(o.healthz.maxMs)} ms, ordinary max ${Math.round(o.normal.maxMs)} ms, peak tree ${Math.round(o.peakTreeRssMb)} MiB`);
    problems.push(...observationProblems(o));
    assert.deepEqual(problems, [], `MESHWARDEN_FUZZ_SEED=${fuzz.seed} MESHWARDEN_FUZZ_RUNS=${fuzz.runs}\n${problems.join('\n')}`);
  });

  test('SIGTERM while a hostile request is judged: the request is still answered (denied), and the process and its workers are gone within seconds', async () => {
    await wh.settle();
    const workers = wh.rss().workers.length;
    assert.ok(workers > 0, 'no evaluation worker under the webhook');
    const pids = childPids(wh);
    let settledEarly = false;
    let signalled = false;
    // Sixteen catastrophic patterns: each stopped by the Lua wall-clock budget, together past the pool's deadline.
    const pending = wh.admit(manyLuaScripts('spin-term'), { timeoutMs: bounds.sigtermExitMs * 3 });
    void pending.then(() => (settledEarly = !signalled));
    await new Promise((r) => setTimeout(r, 1_000));
    signalled = true;
    const stopped = await wh.stop(bounds.sigtermExitMs * 3);
    const answer = await pending;
    console.log(`# SIGTERM: exited after ${Math.round(stopped.ms)} ms (code ${stopped.code}, signal ${stopped.signal}); hostile request: ${fmt(answer)}`);
    const problems: string[] = [];
    if (settledEarly) problems.push('the hostile request was answered before SIGTERM: nothing was being judged (a memoised verdict?)');
    if (stopped.ms > bounds.sigtermExitMs) problems.push(`exited ${Math.round(stopped.ms)} ms after SIGTERM, bound ${bounds.sigtermExitMs} ms`);
    if (stopped.signal === 'SIGKILL') problems.push('had to be killed');
    // A connection error is not an answer: the API server would apply the failure policy (Ignore for raw EnvoyFilters: admitted).
    if (answer.status !== 200 || !answer.response)
      problems.push(`the hostile request got no answer on the way out (${answer.error ?? `HTTP ${answer.status}`}): the API server applies the failure policy`);
    else if (answer.response.allowed) problems.push('the hostile request was admitted on the way out');
    const alive = pids.filter(isRunning);
    if (alive.length > 0) problems.push(`evaluation workers outlived the webhook: ${alive.join(', ')}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

function childPids(wh: LiveWebhook): number[] {
  const pids: number[] = [];
  const todo = [wh.child.pid!];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (pid !== wh.child.pid) pids.push(pid);
    todo.push(...childrenOf(pid));
  }
  return pids;
}
