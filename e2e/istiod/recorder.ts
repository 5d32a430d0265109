/**
 * A recording xDS client: connects to istiod as a proxy would (ADS, state of the world), subscribes to
 * clusters, listeners and then every route config the listeners name, and ACKs whatever it gets. It
 * never judges the config, so istiod's output for a default install (istio.stats, metadata exchange,
 * ALPN filters, mTLS chains: what the upstream Envoy NACKs) can be read back in full from istiod's
 * /debug/config_dump?proxyID=. That is what the baselines are (ADR 0082).
 *
 * Messages are encoded with the Envoy descriptor set the validator loads (.tools/protos), so no
 * proto files are vendored here.
 */
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { loadProtoSchema } from '../../operator/src/validate/proto/index.js';
import type { EnvoyVersion } from '../../operator/src/validate/proto/load.js';
import { anyToProtoNames } from './proto-names.js';
import { dumpListeners, nodeId, nodeMetadata, proxyId, type ConfigDump, type Istiod, type ProxyIdentity } from '../harness/istiod.js';

const TYPE = {
  cds: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  lds: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  rds: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON → google.protobuf.Value (protobufjs has no Struct wrapper). */
function toValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { null_value: 0 };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'string') return { string_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(toValue) } };
  return { struct_value: toStruct(v as Record<string, Json>) };
}
const toStruct = (o: Record<string, unknown>): Record<string, unknown> => ({
  fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])),
});

export interface Recording {
  proxyId: string;
  /**
   * istiod's /debug/config_dump for this connection, with every route config the listeners name,
   * field names as Envoy prints them (snake_case; istiod prints lowerCamelCase).
   */
  dump: ConfigDump;
  /** A fresh dump (after istiod pushed again); subscribes to route configs new listeners name first. */
  refresh(): Promise<ConfigDump>;
  close(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Route config names the listeners' HCMs load over RDS. */
export function rdsNames(d: ConfigDump): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const rds = o['rds'];
    const name = typeof rds === 'object' && rds !== null ? (rds as Record<string, unknown>)['route_config_name'] : undefined;
    if (typeof name === 'string') names.add(name);
    Object.values(o).forEach(walk);
  };
  walk(dumpListeners(d));
  return [...names].sort();
}

/**
 * Connects as `identity`, waits until istiod has sent (and we ACKed) clusters, listeners and routes,
 * and returns istiod's config dump for the connection. Keep it open (`close()` later) to record again.
 */
export async function record(istiod: Istiod, identity: ProxyIdentity, envoy: EnvoyVersion, timeoutMs = 60_000): Promise<Recording> {
  const root = loadProtoSchema(envoy).root;
  const Req = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const Res = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const id = proxyId(identity);
  const node = {
    id: nodeId(identity),
    cluster: `${identity.labels['app'] ?? identity.labels['istio'] ?? identity.name}.${identity.namespace}`,
    metadata: toStruct(nodeMetadata(identity, istiod)),
  };
  const client = new grpc.Client(istiod.xdsAddress, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    (m: protobuf.Message) => Buffer.from(Req.encode(m).finish()),
    (b: Buffer) => Res.toObject(Res.decode(b), { longs: String }) as { version_info?: string; nonce?: string; type_url?: string },
  );
  const received = new Map<string, number>();
  const subscribed: Record<string, string[]> = {};
  let failure: Error | undefined;
  const send = (typeUrl: string, names: string[], ack?: { version: string; nonce: string }): void => {
    subscribed[typeUrl] = names;
    call.write(Req.fromObject({ node, type_url: typeUrl, resource_names: names, ...(ack ? { version_info: ack.version, response_nonce: ack.nonce } : {}) }));
  };
  call.on('data', (r: { version_info?: string; nonce?: string; type_url?: string }) => {
    const t = r.type_url ?? '';
    received.set(t, (received.get(t) ?? 0) + 1);
    send(t, subscribed[t] ?? [], { version: r.version_info ?? '', nonce: r.nonce ?? '' });
    // As Envoy does: listeners are asked for once clusters have arrived.
    if (t === TYPE.cds && !subscribed[TYPE.lds]) send(TYPE.lds, []);
  });
  call.on('error', (e: Error) => (failure = e));
  const close = (): void => {
    call.cancel();
    client.close();
  };
  const deadline = Date.now() + timeoutMs;
  const until = async (what: string, ok: () => boolean, by: number): Promise<void> => {
    while (!ok()) {
      if (failure && !/Cancelled/.test(failure.message)) throw new Error(`xDS stream to ${istiod.xdsAddress} failed: ${failure.message}`);
      if (Date.now() > by) throw new Error(`recorder ${id}: timed out waiting for ${what}; istiod log:\n${istiod.logTail(20)}`);
      await sleep(50);
    }
  };
  const dump = async (): Promise<ConfigDump> => ({
    configs: (await istiod.configDump(id)).configs.map((c) => anyToProtoNames(root, c as never) as Record<string, unknown>),
  });
  /** Subscribes to the route configs the listeners name, when they changed; then dumps. */
  const refresh = async (): Promise<ConfigDump> => {
    const d = await dump();
    const names = rdsNames(d);
    if (JSON.stringify(names) === JSON.stringify(subscribed[TYPE.rds] ?? [])) return d;
    const before = received.get(TYPE.rds) ?? 0;
    send(TYPE.rds, names);
    await until(`route configs ${names.join(', ')}`, () => (received.get(TYPE.rds) ?? 0) > before, Date.now() + 10_000);
    return dump();
  };
  try {
    send(TYPE.cds, []);
    await until('clusters and listeners', () => received.has(TYPE.cds) && received.has(TYPE.lds), deadline);
    // The dump is generated from the connection's watched resources; it is complete once RDS is watched.
    return { proxyId: id, dump: await refresh(), refresh, close };
  } catch (e) {
    close();
    throw e;
  }
}
