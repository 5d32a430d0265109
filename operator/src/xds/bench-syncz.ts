/**
 * What one syncz query costs as the number of proxies on an istiod grows (ADR 0085).
 *
 *   node --import tsx operator/src/xds/bench-syncz.ts [--minor M] [--proxies 10,100,500] [--queries 20]
 *
 * --minor: an Istio minor scripts/build-istiod.sh builds; default the newest of them (the version table's captured minors).
 *
 * Real kube-apiserver and istiod (the e2e harness); the proxies are minimal SotW ADS clients that
 * identify as sidecars (with PROXY_CONFIG, so syncz lists them), ask for CDS and LDS and ACK every
 * response — what istiod keeps per connection is the same as for an Envoy. Reported per N: the
 * query latency (p50/p90), response size, and the CPU istiod and this process spend per query
 * (istiod's from /proc/<pid>/stat, so run it on a quiet machine or compare within one run).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { installIstio, startIstiod, type IstiodMinor } from '../../../e2e/harness/istiod.js';
import { startEnv } from '../../../e2e/operator/helpers.js';
import { DiscoveryRequest, DiscoveryResponse, toObjectOptions } from './messages.js';
import { SynczClient } from './syncz.js';
import { capturedIstioMinors } from '../versions/table.js';

const { values } = parseArgs({
  options: { minor: { type: 'string', default: capturedIstioMinors().at(-1)! }, proxies: { type: 'string', default: '10,100,500' }, queries: { type: 'string', default: '20' } },
});
const sizes = values.proxies.split(',').map(Number);
const queries = Number(values.queries);
const ads = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const types = ['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'type.googleapis.com/envoy.config.listener.v3.Listener'];

const toValue = (v: unknown): unknown =>
  typeof v === 'string' ? { string_value: v } : { struct_value: { fields: Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toValue(x)])) } };

/** One fake sidecar: resolves once both types were received and ACKed. */
function fakeProxy(client: grpc.Client, i: number, xds: string): Promise<grpc.ClientDuplexStream<Buffer, Buffer>> {
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(
    ads,
    (b) => b,
    (b) => b,
  );
  const node = {
    id: `sidecar~127.0.0.1~fake-${i}.bench~bench.svc.cluster.local`,
    metadata: {
      fields: Object.fromEntries(
        Object.entries({ ISTIO_VERSION: `${values.minor}.0`, NAMESPACE: 'bench', CLUSTER_ID: 'Kubernetes', PROXY_CONFIG: { discoveryAddress: xds } }).map(([k, v]) => [k, toValue(v)]),
      ),
    },
  };
  const send = (o: Record<string, unknown>): boolean => call.write(Buffer.from(DiscoveryRequest.encode(DiscoveryRequest.fromObject(o)).finish()));
  return new Promise((resolve, reject) => {
    const acked = new Set<string>();
    call.on('data', (b: Buffer) => {
      const r = DiscoveryResponse.toObject(DiscoveryResponse.decode(b), toObjectOptions) as { type_url: string; version_info?: string; nonce?: string };
      send({ type_url: r.type_url, version_info: r.version_info ?? '', response_nonce: r.nonce ?? '' });
      acked.add(r.type_url);
      if (types.every((t) => acked.has(t))) resolve(call);
    });
    call.on('error', (e) => reject(e));
    send({ node, type_url: types[0] });
    send({ type_url: types[1] });
  });
}

/** CPU seconds (user + system) of a process so far. */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

const env = await startEnv();
try {
  await installIstio(env.cp, values.minor as IstiodMinor);
  // istiod admits 25 new streams a second by default; the fake proxies connect faster than that.
  const istiod = await startIstiod(env.cp, { minor: values.minor as IstiodMinor, env: { ENABLE_DEBUG_ENDPOINT_AUTH: 'false', PILOT_MAX_REQUESTS_PER_SECOND: '1000' } });
  const pid = findPid(istiod.xdsPort);
  const client = new grpc.Client(istiod.xdsAddress, grpc.credentials.createInsecure());
  const syncz = new SynczClient({ timeoutMs: 30_000 });
  const streams: Array<grpc.ClientDuplexStream<Buffer, Buffer>> = [];
  console.log(`istiod ${values.minor}, pid ${pid}; ${queries} queries per size`);
  console.log('proxies  listed  p50 ms  p90 ms  decoded JSON bytes  istiod CPU ms/query  our CPU ms/query');
  for (const n of sizes) {
    while (streams.length < n) {
      const batch = [];
      for (let i = streams.length; i < Math.min(n, streams.length + 50); i++) batch.push(fakeProxy(client, i, istiod.xdsAddress));
      streams.push(...(await Promise.all(batch)));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const lat: number[] = [];
    let listed = 0;
    let bytes = 0;
    const c0 = cpuOf(pid);
    const u0 = process.cpuUsage();
    for (let q = 0; q < queries; q++) {
      const t0 = performance.now();
      const r = await syncz.fetch(istiod.xdsAddress);
      lat.push(performance.now() - t0);
      listed = r.length;
      bytes = Buffer.byteLength(JSON.stringify(r));
    }
    const ours = process.cpuUsage(u0);
    const theirs = (cpuOf(pid) - c0) * 1000;
    console.log(
      `${String(n).padStart(7)}  ${String(listed).padStart(6)}  ${pct(lat, 50).toFixed(1).padStart(6)}  ${pct(lat, 90).toFixed(1).padStart(6)}  ${String(bytes).padStart(11)}   ${(theirs / queries).toFixed(2).padStart(8)}  ${((ours.user + ours.system) / 1000 / queries).toFixed(2).padStart(8)}`,
    );
  }
  for (const s of streams) s.cancel();
  syncz.close();
  client.close();
  await istiod.stop();
} finally {
  await env.stop();
}

/** istiod's pid: the process listening on its xDS port (from /proc/net/tcp and the fds). */
function findPid(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inode = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')?.[9];
  if (!inode) throw new Error(`nothing listens on ${port}`);
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) if (readlinkSync(`/proc/${p}/fd/${fd}`) === `socket:[${inode}]`) return Number(p);
    } catch {
      /* not ours to read, or gone */
    }
  }
  throw new Error(`no process owns the socket of port ${port}`);
}
