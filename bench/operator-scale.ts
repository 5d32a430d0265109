/**
 * Operator scale measurement on the real control plane (e2e harness):
 *   1. N SmartLimiters (default 1000, over 10 namespaces) exist before the operator starts;
 *      time from spawning `meshwarden serve` to every one Ready at its generation with its
 *      EnvoyFilter (cold start).
 *   2. p50/p99 latency from a spec PATCH to the watch event of the updated EnvoyFilter
 *      (steady state; M sequential changes, default 200).
 *   3. The operator's RSS (VmRSS, and peak VmHWM) from /proc.
 *
 *   node --import tsx bench/operator-scale.ts [--count 1000] [--changes 200] [--concurrency 4] [--all-istio-versions]
 *     [--namespaces 10] [--workloads 1]   (workloads: Services with distinct selectors per namespace)
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEnv, startOperator, appYaml, sleep } from '../e2e/operator/helpers.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '1000' }, changes: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '4' }, namespaces: { type: 'string', default: '10' }, 'all-istio-versions': { type: 'boolean', default: false }, workloads: { type: 'string', default: '1' } },
});
const count = Number(values.count);
const changes = Number(values.changes);
const nsCount = Number(values.namespaces);
/** Services (distinct pod selectors) per namespace; SmartLimiter i targets app<i / namespaces mod workloads>. */
const workloads = Number(values.workloads);

const env = await startEnv();
const kc = JSON.parse(readFileSync(env.cp.kubeconfigPath, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
const agent = new https.Agent({
  ca: env.cp.caPem,
  cert: Buffer.from(kc.users[0]!.user['client-certificate-data']!, 'base64'),
  key: Buffer.from(kc.users[0]!.user['client-key-data']!, 'base64'),
  keepAlive: true,
});
const server = new URL(env.cp.server);

function req(method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const r = https.request({ host: server.hostname, port: server.port, path, method, agent, headers: payload ? { 'content-type': type } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on('error', reject);
    r.end(payload);
  });
}

const nsOf = (i: number): string => `bench${i % nsCount}`;
const sl = (i: number, requests: number) => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name: `sl${i}`, namespace: nsOf(i) },
  spec: { target: { service: workloads > 1 ? `app${Math.floor(i / nsCount) % workloads}` : 'app' }, limits: [{ name: 'x', rate: { requests, per: '1m' } }] },
});

try {
  for (let n = 0; n < nsCount; n++) {
    await env.apply(appYaml(`bench${n}`));
    for (let w = 0; workloads > 1 && w < workloads; w++) await env.apply(appYaml(`bench${n}`, { app: `app${w}` }));
  }
  const t0 = Date.now();
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    pending.push(req('POST', `/apis/meshwarden.io/v1alpha1/namespaces/${nsOf(i)}/smartlimiters`, sl(i, 100)));
    if (pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  console.log(`created ${count} SmartLimiters in ${Date.now() - t0} ms`);

  const readyCount = async (): Promise<number> => {
    const r = await req('GET', '/apis/meshwarden.io/v1alpha1/smartlimiters');
    const items = (JSON.parse(r.body) as { items: Array<{ metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> } }> }).items;
    return items.filter((s) => s.status?.observedGeneration === s.metadata.generation && s.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  };
  const efCount = async (): Promise<number> => (JSON.parse((await req('GET', '/apis/networking.istio.io/v1alpha3/envoyfilters')).body) as { items: unknown[] }).items.length;

  const spawnAt = Date.now();
  // startOperator validates against Istio 1.28; --all-istio-versions adds 1.29-1.31 (the serve default is all four).
  const versions = values['all-istio-versions'] ? ['--istio-version', '1.29', '--istio-version', '1.30', '--istio-version', '1.31'] : [];
  const op = await startOperator(env, ['--leader-elect=false', '--concurrency', values.concurrency, '--log-level', 'warn', ...versions], { name: 'bench' });
  const readyAt = Date.now();
  let rssPeakDuring = 0;
  const rss = (): { rss: number; hwm: number } => {
    const s = readFileSync(`/proc/${op.child.pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  };
  for (;;) {
    rssPeakDuring = Math.max(rssPeakDuring, rss().rss);
    if ((await readyCount()) === count && (await efCount()) === count) break;
    if (Date.now() - spawnAt > 600_000) throw new Error('not converged in 600 s');
    await sleep(250);
  }
  const converged = Date.now();
  console.log(`cold start: ${count} SmartLimiters converged ${converged - spawnAt} ms after spawn (${converged - readyAt} ms after /readyz; caches synced ${readyAt - spawnAt} ms after spawn)`);
  const afterCold = rss();
  console.log(`RSS after convergence: ${afterCold.rss.toFixed(0)} MB (peak VmHWM ${afterCold.hwm.toFixed(0)} MB)`);

  // Steady state: PATCH a spec, wait for the EnvoyFilter's watch event.
  const seen = new Map<string, (t: number) => void>();
  const watchPath = `/apis/networking.istio.io/v1alpha3/envoyfilters?watch=true&resourceVersion=${(JSON.parse((await req('GET', '/apis/networking.istio.io/v1alpha3/envoyfilters?limit=1')).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion}`;
  const watch = https.request({ host: server.hostname, port: server.port, path: watchPath, agent: new https.Agent({ ca: env.cp.caPem, cert: Buffer.from(kc.users[0]!.user['client-certificate-data']!, 'base64'), key: Buffer.from(kc.users[0]!.user['client-key-data']!, 'base64') }) }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const ev = JSON.parse(line) as { object: { metadata: { namespace: string; name: string }; spec: unknown } };
        const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}:${/"max_tokens":(\d+)/.exec(JSON.stringify(ev.object.spec))?.[1]}`;
        seen.get(key)?.(performance.now());
      }
    });
  });
  watch.end();
  await sleep(500);
  const latencies: number[] = [];
  for (let k = 0; k < changes; k++) {
    const i = (k * 7) % count;
    const requests = 200 + k;
    const key = `${nsOf(i)}/sl${i}-ratelimit:${requests}`;
    const got = new Promise<number>((r) => seen.set(key, r));
    const t = performance.now();
    const res = await req('PATCH', `/apis/meshwarden.io/v1alpha1/namespaces/${nsOf(i)}/smartlimiters/sl${i}`, { spec: { limits: [{ name: 'x', rate: { requests, per: '1m' } }] } }, 'application/merge-patch+json');
    if (res.status !== 200) throw new Error(res.body);
    const at = await Promise.race([got, sleep(10_000).then(() => NaN)]);
    latencies.push(at - t);
    seen.delete(key);
    await sleep(20);
  }
  watch.destroy();
  const ok = latencies.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p: number): number => ok[Math.min(ok.length - 1, Math.ceil(p * ok.length) - 1)]!;
  console.log(`CR change → EnvoyFilter updated over ${ok.length}/${changes} changes: p50 ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${ok.at(-1)!.toFixed(1)} ms`);
  const end = rss();
  console.log(`RSS at the end: ${end.rss.toFixed(0)} MB (peak VmHWM ${end.hwm.toFixed(0)} MB)`);
  const m = await op.metrics();
  console.log(m.split('\n').filter((l) => /^(controller_runtime_reconcile_total|meshwarden_writes_total|nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|process_cpu_seconds_total)/.test(l)).join('\n'));
  const t = Date.now();
  console.log(`operator exit ${await op.stop()} after SIGTERM in ${Date.now() - t} ms`);
} finally {
  await env.stop();
}
