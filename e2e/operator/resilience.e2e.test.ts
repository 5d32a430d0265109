/**
 * The operator against an unreliable API server: kube-apiserver restarted mid-run (watches
 * cut, connections refused for seconds), and watch expiry (410 Gone) injected by a proxy
 * between the operator and the API server. Both must end converged: every resource Ready at
 * its generation, exactly one generated object per resource, none orphaned.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy } from './proxy.js';
import { appYaml, eventually, skip, smartLimiter, startEnv, startOperator, waitCondition, type Env, type Operator } from './helpers.js';

type EF = { metadata: { name: string; ownerReferences?: Array<{ uid: string; name: string }> } };
type SL = { metadata: { name: string; uid: string; generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> } };

const limit = (n: number) => `  - name: x\n    rate: {requests: ${n}, per: 1s}\n`;

/** Every SmartLimiter in `ns` Ready at its generation with exactly its own EnvoyFilter. */
async function converged(env: Env, ns: string): Promise<boolean> {
  const sls = JSON.parse(await env.kubectl(['get', 'smartlimiters', '-n', ns, '-o', 'json'])) as { items: SL[] };
  const efs = JSON.parse(await env.kubectl(['get', 'envoyfilters', '-n', ns, '-o', 'json'])) as { items: EF[] };
  const ready = sls.items.every((s) => s.status?.observedGeneration === s.metadata.generation && s.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!ready) return false;
  const want = sls.items.map((s) => `${s.metadata.name}-ratelimit:${s.metadata.uid}`).sort();
  const have = efs.items.map((e) => `${e.metadata.name}:${e.metadata.ownerReferences?.[0]?.uid}`).sort();
  return JSON.stringify(want) === JSON.stringify(have);
}

describe('resilience', { skip, timeout: 600_000 }, () => {
  let env: Env;
  let op: Operator | undefined;

  before(async () => {
    env = await startEnv();
  });

  after(async () => {
    if (op) console.error(`[operator] exited ${await op.stop()}; log ${op.logPath}`);
    await env?.stop();
  });

  test('kube-apiserver restarted mid-run: the operator recovers and converges, no duplicates or orphans', async () => {
    op = await startOperator(env, ['--leader-elect=false'], { name: 'restart' });
    await env.apply(appYaml('r1'));
    for (let i = 0; i < 10; i++) await env.apply(smartLimiter('r1', `sl${i}`, limit(10 + i)));
    await eventually('10 SmartLimiters converged', 60_000, () => converged(env, 'r1'), 500);

    const t0 = Date.now();
    await env.cp.restartApiServer({ graceMs: 2000 });
    console.error(`[restart] apiserver back after ${Date.now() - t0} ms`);
    // Changes right after the restart: an update, a delete, a create.
    await env.apply(smartLimiter('r1', 'sl0', limit(99), '  priority: 5\n'));
    await env.kubectl(['delete', 'smartlimiter', 'sl1', '-n', 'r1']);
    await env.apply(smartLimiter('r1', 'sl10', limit(5)));
    await eventually('converged after the restart', 90_000, () => converged(env, 'r1'), 500);
    console.error(`[restart] converged ${Date.now() - t0} ms after the restart began`);
    assert.equal(op.child.exitCode, null, 'the operator kept running');
    assert.equal(await op.ready(), true);
    assert.match(op.log(), /watch failed; restarting|relisted/);
    await op.stop();
    op = undefined;
  });

  test('watch expiry (410 Gone) → relist, changes made meanwhile are reconciled', async () => {
    const proxy = await startProxy(env);
    const kcPath = join(env.cp.dir, 'proxy.kubeconfig');
    writeFileSync(
      kcPath,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'p', cluster: { server: `http://127.0.0.1:${proxy.port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'p', user: {} }],
        contexts: [{ name: 'p', context: { cluster: 'p', user: 'p' } }],
        'current-context': 'p',
      }),
    );
    try {
      op = await startOperator(env, ['--leader-elect=false', '--kubeconfig', kcPath], { name: 'expiry' });
      await env.apply(appYaml('r2'));
      await env.apply(smartLimiter('r2', 'a', limit(10)));
      await waitCondition(env, 'smartlimiter', 'r2', 'a', 'Ready', 'True');
      const relists = (): number => (op!.log().match(/"informer":"SmartLimiter".*"msg":"relisted"/g) ?? []).length;
      const before = relists();

      proxy.expireNextWatch('smartlimiters');
      proxy.cutWatches('smartlimiters');
      await env.apply(smartLimiter('r2', 'a', limit(10), '  priority: 77\n'));
      await env.apply(smartLimiter('r2', 'b', limit(20)));
      await eventually('a 410 served', 15_000, async () => proxy.expired > 0);
      await eventually('relisted after 410', 30_000, async () => relists() > before);
      await eventually('converged after the relist', 30_000, () => converged(env, 'r2'), 300);
      const ef = JSON.parse(await env.kubectl(['get', 'envoyfilter', 'a-ratelimit', '-n', 'r2', '-o', 'json'])) as { spec: { priority: number } };
      assert.equal(ef.spec.priority, 77);
    } finally {
      proxy.close();
    }
  });
});
