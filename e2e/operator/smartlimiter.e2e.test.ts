/**
 * SmartLimiter end to end: the operator as a child process against a real apiserver,
 * garbage collector included; the user's side through kubectl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { appYaml, condition, eventually, podYaml, setPodReady, skip, smartLimiter, startEnv, startOperator, waitCondition, type Env, type Operator } from './helpers.js';

type EF = {
  metadata: { uid: string; resourceVersion: string; ownerReferences?: Array<{ uid: string; controller?: boolean; kind: string }>; labels?: Record<string, string> };
  spec: { priority: number; configPatches: unknown[] };
};
type SL = {
  metadata: { uid: string; finalizers?: string[] };
  status?: { effective?: Array<{ limit: string; perPodRequests?: number; replicas?: number }>; generated?: unknown[]; observedGeneration?: number };
};

const perPod = (requests: number) => `  - name: per-pod
    rate: {requests: ${requests}, per: 1m}
`;

describe('SmartLimiter', { skip, timeout: 600_000 }, () => {
  let env: Env;
  let op: Operator;

  before(async () => {
    env = await startEnv();
    op = await startOperator(env, ['--leader-elect=false']);
  });

  after(async () => {
    if (op) {
      const code = await op.stop();
      console.error(`[operator] exited ${code}; log ${op.logPath}`);
    }
    await env?.stop();
  });

  test('perPod: create → owned EnvoyFilter, conditions True, printer columns; update → EnvoyFilter updated', async () => {
    await env.apply(appYaml('s1'));
    await env.apply(smartLimiter('s1', 'web', perPod(100)));
    await waitCondition(env, 'smartlimiter', 's1', 'web', 'Ready', 'True', 'Applied');
    const sl = (await env.getJson<SL>('smartlimiter', 's1', 'web'))!;
    const ef = (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))!;
    assert.ok(ef, 'EnvoyFilter created');
    assert.deepEqual(
      ef.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
      [['SmartLimiter', sl.metadata.uid, true]],
    );
    assert.equal(ef.metadata.labels?.['app.kubernetes.io/managed-by'], 'meshwarden');
    for (const t of ['Accepted', 'Programmed']) assert.equal((await condition(env, 'smartlimiter', 's1', 'web', t))?.status, 'True');
    assert.deepEqual(sl.status?.generated, [{ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', name: 'web-ratelimit' }]);

    const table = await env.kubectl(['get', 'smartlimiters', '-n', 's1']);
    assert.match(table, /^NAME\s+READY\s+REASON\s+AGE\n/);
    assert.match(table, /\nweb\s+True\s+Applied\s+\d+s\n/);

    await env.apply(smartLimiter('s1', 'web', perPod(100), '  priority: 42\n'));
    await eventually('EnvoyFilter priority 42', 15_000, async () => (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))?.spec.priority === 42);
    await waitCondition(env, 'smartlimiter', 's1', 'web', 'Ready', 'True');
  });

  test('events: the transitions as events.k8s.io/v1 Events with CamelCase reasons', async () => {
    const out = await eventually('events for s1/web', 10_000, async () => {
      const r = await env.kubectl(['get', 'events.events.k8s.io', '-n', 's1', '-o', 'json']);
      const items = (JSON.parse(r) as { items: Array<{ reason: string; type: string; note: string; regarding: { name: string } }> }).items.filter((e) => e.regarding.name === 'web');
      return items.length >= 1 ? items : undefined;
    });
    assert.ok(out.every((e) => /^[A-Z][A-Za-z]+$/.test(e.reason) && e.type === 'Normal'));
    assert.ok(out.some((e) => e.reason === 'Applied' && e.note.startsWith('Accepted=True, Programmed=True, Ready=True')));
  });

  test('invalid but schema-valid spec → Accepted=False with the finding, nothing written, last good object kept', async () => {
    await env.apply(appYaml('s2'));
    await env.apply(smartLimiter('s2', 'bad', '  - name: x\n    port: 1234\n    rate: {requests: 5, per: 1m}\n'));
    const c = await waitCondition(env, 'smartlimiter', 's2', 'bad', 'Accepted', 'False', 'ValidationFailed');
    assert.match(c.message, /MW602 spec\.limits\[0\]\.port: port 1234 is not a port of Service "app"/);
    assert.equal(await env.getJson('envoyfilter', 's2', 'bad-ratelimit'), undefined);
    assert.match(await env.kubectl(['get', 'smartlimiters', '-n', 's2']), /\nbad\s+False\s+ValidationFailed\s/);

    // A valid spec later made invalid: the last good EnvoyFilter stays as it was.
    const before = (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))!;
    await env.apply(smartLimiter('s1', 'web', '  - name: x\n    port: 1234\n    rate: {requests: 5, per: 1m}\n'));
    await waitCondition(env, 'smartlimiter', 's1', 'web', 'Ready', 'False', 'ValidationFailed');
    const kept = (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))!;
    assert.equal(kept.metadata.resourceVersion, before.metadata.resourceVersion);
    await env.apply(smartLimiter('s1', 'web', perPod(100)));
    await waitCondition(env, 'smartlimiter', 's1', 'web', 'Ready', 'True');
  });

  test('target Service missing → TargetNotFound (MW601); created → Ready', async () => {
    await env.apply(appYaml('s3', { service: false }));
    await env.apply(smartLimiter('s3', 'later', perPod(10)));
    const c = await waitCondition(env, 'smartlimiter', 's3', 'later', 'Ready', 'False', 'TargetNotFound');
    assert.match(c.message, /MW601/);
    await env.apply(appYaml('s3'));
    await waitCondition(env, 'smartlimiter', 's3', 'later', 'Ready', 'True', 'Applied');
    assert.ok(await env.getJson('envoyfilter', 's3', 'later-ratelimit'));
  });

  test('average: ready replicas 3 → 5 → 2 update the per-pod quota', async () => {
    await env.apply(appYaml('s4'));
    for (let i = 0; i < 5; i++) await env.apply(podYaml('s4', `p${i}`));
    for (let i = 0; i < 3; i++) await setPodReady(env, 's4', `p${i}`, true);
    await env.apply(smartLimiter('s4', 'avg', '  - name: shared\n    rate: {requests: 300, per: 1m}\n    strategy: average\n'));
    const quota = async (replicas: number, perPod: number): Promise<void> => {
      const t0 = Date.now();
      await eventually(`effective ${perPod}/pod at ${replicas} replicas`, 15_000, async () => {
        const e = (await env.getJson<SL>('smartlimiter', 's4', 'avg'))?.status?.effective?.[0];
        return e?.replicas === replicas && e.perPodRequests === perPod;
      });
      const ef = JSON.stringify((await env.getJson<EF>('envoyfilter', 's4', 'avg-ratelimit'))?.spec);
      assert.match(ef, new RegExp(`"max_tokens":${perPod}\\b`));
      console.error(`[average] ${replicas} replicas → ${perPod}/pod in ${Date.now() - t0} ms`);
    };
    await quota(3, 100);
    for (const i of [3, 4]) await setPodReady(env, 's4', `p${i}`, true);
    await quota(5, 60);
    for (const i of [0, 1, 2]) await setPodReady(env, 's4', `p${i}`, false);
    await quota(2, 150);
  });

  test('generated EnvoyFilter deleted or edited by hand → restored', async () => {
    const orig = (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))!;
    await env.kubectl(['delete', 'envoyfilter', 'web-ratelimit', '-n', 's1']);
    const back = await eventually('EnvoyFilter restored', 15_000, async () => {
      const ef = await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit');
      return ef && ef.metadata.uid !== orig.metadata.uid ? ef : undefined;
    });
    assert.deepEqual(back.spec, orig.spec);
    await env.kubectl(['patch', 'envoyfilter', 'web-ratelimit', '-n', 's1', '--type=merge', '-p', '{"spec":{"priority":7}}']);
    await eventually('priority repaired', 15_000, async () => (await env.getJson<EF>('envoyfilter', 's1', 'web-ratelimit'))?.spec.priority === orig.spec.priority);
  });

  test('an object of the same name that is not ours is never touched: NotOwned', async () => {
    await env.apply(appYaml('s5'));
    await env.apply(`apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: mine-ratelimit, namespace: s5}
spec:
  workloadSelector: {labels: {app: other}}
  configPatches: []
`);
    const before = (await env.getJson<EF>('envoyfilter', 's5', 'mine-ratelimit'))!;
    await env.apply(smartLimiter('s5', 'mine', perPod(10)));
    const c = await waitCondition(env, 'smartlimiter', 's5', 'mine', 'Programmed', 'False', 'NotOwned');
    assert.match(c.message, /EnvoyFilter s5\/mine-ratelimit/);
    assert.equal((await condition(env, 'smartlimiter', 's5', 'mine', 'Accepted'))?.status, 'True');
    const afterObj = (await env.getJson<EF>('envoyfilter', 's5', 'mine-ratelimit'))!;
    assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion, 'untouched');
    // The foreign object goes away → ours is created.
    await env.kubectl(['delete', 'envoyfilter', 'mine-ratelimit', '-n', 's5']);
    await waitCondition(env, 'smartlimiter', 's5', 'mine', 'Ready', 'True', 'Applied');
    assert.ok((await env.getJson<EF>('envoyfilter', 's5', 'mine-ratelimit'))?.metadata.ownerReferences?.length);
  });

  test('global: shared ConfigMap merged across resources, pre-existing entries kept, entries removed on delete (finalizer)', async () => {
    await env.apply(appYaml('rls'));
    await env.apply(appYaml('g1'));
    await env.apply(appYaml('g2'));
    // Pre-existing, not ours: another team's descriptors and another data key.
    await env.apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: ratelimit-config, namespace: rls}
data:
  meshwarden.yaml: |
    domain: meshwarden
    descriptors:
      - key: generic_key
        value: team-x/manual/a
        rate_limit: {unit: second, requests_per_unit: 3}
  other.conf: keep me
`);
    const global = '  - name: g\n    rate: {requests: 50, per: 1s}\n    strategy: global\n';
    await env.apply(smartLimiter('g1', 'a', global));
    await env.apply(smartLimiter('g2', 'b', global));
    await waitCondition(env, 'smartlimiter', 'g1', 'a', 'Ready', 'True');
    await waitCondition(env, 'smartlimiter', 'g2', 'b', 'Ready', 'True');
    const values = async (): Promise<string[]> => {
      const cm = await env.getJson<{ data: Record<string, string> }>('configmap', 'rls', 'ratelimit-config');
      return (parse(cm!.data['meshwarden.yaml']!) as { descriptors: Array<{ value: string }> }).descriptors.map((d) => d.value);
    };
    await eventually('both resources in the ConfigMap', 10_000, async () => JSON.stringify(await values()) === JSON.stringify(['g1/a/g', 'g2/b/g', 'team-x/manual/a']));
    const sl = (await env.getJson<SL>('smartlimiter', 'g1', 'a'))!;
    assert.deepEqual(sl.metadata.finalizers, ['meshwarden.io/ratelimit-config']);
    // Update: a new rate reaches the shared ConfigMap, other entries unchanged.
    await env.apply(smartLimiter('g2', 'b', global.replace('requests: 50', 'requests: 60')));
    await eventually('g2/b at 60/s', 10_000, async () => {
      const cm = await env.getJson<{ data: Record<string, string> }>('configmap', 'rls', 'ratelimit-config');
      const d = (parse(cm!.data['meshwarden.yaml']!) as { descriptors: Array<{ value: string; rate_limit: { requests_per_unit: number } }> }).descriptors;
      return d.find((x) => x.value === 'g2/b/g')?.rate_limit.requests_per_unit === 60 && d.find((x) => x.value === 'g1/a/g')?.rate_limit.requests_per_unit === 50;
    });
    const ef = (await env.getJson<EF>('envoyfilter', 'g1', 'a-ratelimit'))!;
    assert.ok(ef);

    await env.kubectl(['delete', 'smartlimiter', 'a', '-n', 'g1', '--wait=true', '--timeout=30s']);
    await eventually('g1 entries removed', 10_000, async () => JSON.stringify(await values()) === JSON.stringify(['g2/b/g', 'team-x/manual/a']));
    const cm = await env.getJson<{ data: Record<string, string>; metadata: { labels?: Record<string, string>; ownerReferences?: unknown } }>('configmap', 'rls', 'ratelimit-config');
    assert.equal(cm!.data['other.conf'], 'keep me');
    assert.equal(cm!.metadata.ownerReferences, undefined);
    assert.equal(cm!.metadata.labels, undefined, 'a pre-existing ConfigMap keeps its own labels');
    await eventually('EnvoyFilter garbage-collected by the real GC', 60_000, async () => (await env.getJson('envoyfilter', 'g1', 'a-ratelimit')) === undefined);
  });

  test('strategy changed from global to perPod: entries removed, finalizer dropped', async () => {
    await env.apply(smartLimiter('g2', 'b', perPod(10)));
    await eventually('finalizer dropped', 15_000, async () => (await env.getJson<SL>('smartlimiter', 'g2', 'b'))?.metadata.finalizers === undefined);
    const cm = await env.getJson<{ data: Record<string, string> }>('configmap', 'rls', 'ratelimit-config');
    assert.doesNotMatch(cm!.data['meshwarden.yaml']!, /g2\/b/);
    assert.match(cm!.data['meshwarden.yaml']!, /team-x\/manual\/a/);
  });

  test('CR deleted → generated objects garbage-collected; nothing orphaned', async () => {
    await env.kubectl(['delete', 'smartlimiter', 'web', '-n', 's1']);
    await eventually('s1 EnvoyFilter gone', 60_000, async () => (await env.getJson('envoyfilter', 's1', 'web-ratelimit')) === undefined);
  });

  test('metrics: controller-runtime names', async () => {
    const m = await op.metrics();
    for (const name of [
      'controller_runtime_reconcile_total{controller="smartlimiter",result="success"}',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds_bucket',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_retries_total',
      'workqueue_queue_duration_seconds_bucket',
      'process_resident_memory_bytes',
    ]) {
      assert.ok(m.includes(name), `missing ${name}`);
    }
  });
});
