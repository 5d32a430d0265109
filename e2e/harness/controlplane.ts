/**
 * A real Kubernetes control plane for e2e tests, modelled on controller-runtime's envtest:
 * embedded etcd + kube-apiserver + kube-controller-manager (garbage collector, namespace,
 * service-account controllers), all from the multi-call binary `.tools/bin/kube-controlplane`
 * built by `scripts/build-controlplane.sh` (Go wrapper module in `e2e/controlplane/`).
 *
 *   const cp = await startControlPlane();
 *   // cp.kubeconfigPath, cp.server, cp.kubectl([...]), await cp.restartApiServer()
 *   await cp.stop();
 *
 * Everything binds 127.0.0.1 on free ports; certificates are made with the `openssl` CLI.
 * Each process runs in its own process group and logs to `<dir>/logs/<name>.log`.
 * Set MESHWARDEN_E2E_KEEP=1 to keep the temp dir after stop() for debugging.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import https from 'node:https';

const execFileP = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

/** Path of the multi-call binary (override with MESHWARDEN_KUBE_CONTROLPLANE). */
export function controlPlaneBinary(): string {
  return process.env.MESHWARDEN_KUBE_CONTROLPLANE ?? join(TOOLS_BIN, 'kube-controlplane');
}

/** True when the control-plane binary has been built (scripts/setup-e2e.sh). */
export function controlPlaneAvailable(): boolean {
  return existsSync(controlPlaneBinary());
}

/** kubectl to use: `.tools/bin/kubectl` (built from the same k8s version) or `kubectl` on PATH. */
export function kubectlBinary(): string {
  const local = join(TOOLS_BIN, 'kubectl');
  return existsSync(local) ? local : 'kubectl';
}

export const DEFAULT_CONTROLLERS = ['garbage-collector-controller', 'namespace-controller', 'serviceaccount-controller', 'serviceaccount-token-controller', 'root-ca-certificate-publisher-controller'];

export interface ControlPlaneOptions {
  /** Multi-call binary; default controlPlaneBinary(). */
  binary?: string;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** kube-controller-manager --controllers (default DEFAULT_CONTROLLERS). */
  controllers?: string[];
  /** Extra kube-apiserver flags (appended, so they win over the defaults). */
  apiServerArgs?: string[];
  /** Extra kube-controller-manager flags. */
  controllerManagerArgs?: string[];
  /** Timeout for each component to become ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Keep the temp dir after stop() (default: env MESHWARDEN_E2E_KEEP=1). */
  keepDir?: boolean;
  /** Progress messages (default: silent). */
  log?: (msg: string) => void;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  /** Admin kubeconfig (client cert in group system:masters), data embedded. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Temp dir holding certs, etcd data, kubeconfigs and logs/. */
  dir: string;
  logDir: string;
  /** PEM of the cluster CA (also the webhook-side CA if tests want it). */
  caPem: string;
  /** Paths of CA cert/key, so tests can sign more certs (e.g. webhook serving certs). */
  caCertPath: string;
  caKeyPath: string;
  /** Milliseconds from spawning kube-apiserver to /readyz = ok, per (re)start. */
  apiServerStartMs: number[];
  /** Runs kubectl with this control plane's kubeconfig. Never throws on non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Authenticated GET against the apiserver (admin cert); returns status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  /**
   * Issues a certificate signed by the cluster CA (ECDSA P-256, valid 2 days) into `<dir>/pki/<name>.{crt,key}`.
   * `usage: 'server'` for webhook serving certs (SANs from ips/dnsNames; default 127.0.0.1 + localhost),
   * `'client'` for extra users (CN = user, O = groups).
   */
  issueCert(name: string, opts: IssueCertOptions): Promise<IssuedCert>;
  /** Writes a kubeconfig authenticating as `user` in `groups` (client cert) and returns its path. */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /**
   * Stops kube-apiserver and starts it again on the same etcd and port (etcd and KCM keep running).
   * SIGTERM first; kube-apiserver waits for open watches (up to 60 s), so after `graceMs`
   * (default 5000; 0 = immediate) it gets SIGKILL, as a kubelet would do.
   */
  restartApiServer(opts?: { graceMs?: number }): Promise<void>;
  /** Kills all process groups and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface IssueCertOptions {
  usage: 'server' | 'client';
  commonName?: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface IssuedCert {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

interface Proc {
  name: string;
  args: string[];
  child: ChildProcess;
  exited: Promise<number | null>;
  logPath: string;
}

const live = new Set<ChildProcess>();
/** Temp dirs of running control planes, removed on abnormal exit (unless kept). */
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test crashes or is interrupted without stop(): the children run in their own
  // process groups (so Ctrl-C does not reach them), so kill those groups synchronously.
  const killAll = (): void => {
    for (const c of live) killGroup(c, 'SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig); // the once-listener is gone: default action now
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
}

interface Certs {
  ca: string;
  caKey: string;
  serving: string;
  servingKey: string;
  admin: string;
  adminKey: string;
  kcm: string;
  kcmKey: string;
  saKey: string;
  saPub: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Signs `<dir>/<name>.{key,crt}` with `<dir>/ca.{crt,key}`. Random serials: safe to run in parallel. */
async function signLeaf(dir: string, name: string, subj: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`],
    dir,
  );
}

const subjPart = (v: string): string => v.replace(/[\\/=+,]/g, (c) => `\\${c}`);

/** CA, apiserver serving cert, two client certs (system:masters) and an ECDSA service-account key pair. */
async function makeCerts(dir: string): Promise<Certs> {
  await mkdir(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=meshwarden-e2e-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const leaf = (name: string, subj: string, ext: string): Promise<void> => signLeaf(dir, name, subj, ext);
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  await Promise.all([
    leaf(
      'serving',
      '/CN=kube-apiserver',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
        'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
        'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
    ),
    leaf('admin', '/O=system:masters/CN=meshwarden-e2e-admin', client),
    leaf('kcm', '/O=system:masters/CN=system:kube-controller-manager', client),
    (async () => {
      await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'sa.key'], dir);
      await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    })(),
  ]);
  const p = (f: string): string => join(dir, f);
  return {
    ca: p('ca.crt'),
    caKey: p('ca.key'),
    serving: p('serving.crt'),
    servingKey: p('serving.key'),
    admin: p('admin.crt'),
    adminKey: p('admin.key'),
    kcm: p('kcm.crt'),
    kcmKey: p('kcm.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}

async function kubeconfig(server: string, ca: string, cert: string, key: string, user: string): Promise<string> {
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  // JSON is valid YAML; every kubeconfig loader accepts it.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'meshwarden-e2e', cluster: { server, 'certificate-authority-data': await b64(ca) } }],
      users: [{ name: user, user: { 'client-certificate-data': await b64(cert), 'client-key-data': await b64(key) } }],
      contexts: [{ name: 'meshwarden-e2e', context: { cluster: 'meshwarden-e2e', user, namespace: 'default' } }],
      'current-context': 'meshwarden-e2e',
      preferences: {},
    },
    null,
    2,
  );
}

function spawnProc(binary: string, name: string, args: string[], logPath: string): Proc {
  const fd = openSync(logPath, 'a');
  writeSync(fd, `\n=== ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number | null>((res) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      res(code ?? (signal ? 128 : null));
    });
    child.on('error', () => {
      live.delete(child);
      res(-1);
    });
  });
  return { name, args, child, exited, logPath };
}

async function stopProc(p: Proc | undefined, graceMs: number): Promise<void> {
  if (!p) return;
  killGroup(p.child, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer); // a pending timer would keep the test process alive
  if (timedOut) {
    killGroup(p.child, 'SIGKILL');
    await p.exited;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tail(path: string, lines = 30): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface TlsClient {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function httpsGet(url: string, tls: TlsClient | undefined, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = https.get(url, tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs } : { rejectUnauthorized: false, timeout: timeoutMs }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
  });
}

/** Polls `url` until it answers 200 "ok", the process exits, or the timeout passes. */
async function waitReady(p: Proc, url: string, tls: TlsClient | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${p.name} exited with ${exitCode} before becoming ready; log: ${p.logPath}\n${await tail(p.logPath)}`);
    }
    try {
      const r = await httpsGet(url, tls, 2_000);
      if (r.status === 200) return;
      last = `${r.status} ${r.body.slice(0, 500)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${p.name} not ready at ${url} after ${timeoutMs} ms (last: ${last}); log: ${p.logPath}\n${await tail(p.logPath)}`);
}

/** Polls etcd's plain-HTTP /health until it reports healthy. */
async function waitHttp(p: Proc, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} exited before becoming ready; log: ${p.logPath}\n${await tail(p.logPath)}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const body = await r.text();
      if (r.status === 200 && body.includes('"health":"true"')) return;
      last = `${r.status} ${body}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${p.name} not ready at ${url} after ${timeoutMs} ms (last: ${last}); log: ${p.logPath}\n${await tail(p.logPath)}`);
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binary = opts.binary ?? controlPlaneBinary();
  if (!existsSync(binary)) {
    throw new Error(`${binary} not found: run scripts/setup-e2e.sh (or scripts/build-controlplane.sh) first`);
  }
  const log = opts.log ?? ((): void => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const keepDir = opts.keepDir ?? process.env.MESHWARDEN_E2E_KEEP === '1';
  installExitHook();

  const dir = await mkdtemp(join(tmpdir(), 'meshwarden-cp-'));
  if (!keepDir) liveDirs.add(dir);
  const logDir = join(dir, 'logs');
  await mkdir(logDir, { recursive: true });
  let etcd: Proc | undefined;
  let apiserver: Proc | undefined;
  let kcm: Proc | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const ts = Date.now();
    // Short grace: kube-apiserver would otherwise wait for open watches; etcd gets longer to close cleanly.
    await stopProc(kcm, 3_000);
    await stopProc(apiserver, 3_000);
    await stopProc(etcd, 10_000);
    liveDirs.delete(dir);
    log(`control plane stopped in ${Date.now() - ts} ms`);
    if (keepDir) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };

  try {
    const t0 = Date.now();
    const certs = await makeCerts(join(dir, 'pki'));
    const tls: TlsClient = {
      ca: await readFile(certs.ca),
      cert: await readFile(certs.admin),
      key: await readFile(certs.adminKey),
    };
    log(`certificates ready in ${Date.now() - t0} ms (${dir})`);

    const [etcdClient, etcdPeer, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const server = `https://127.0.0.1:${apiPort}`;

    etcd = spawnProc(binary, 'etcd', ['etcd', '--data-dir', join(dir, 'etcd'), '--listen-client', `127.0.0.1:${etcdClient}`, '--listen-peer', `127.0.0.1:${etcdPeer}`], join(logDir, 'etcd.log'));
    await waitHttp(etcd, `http://127.0.0.1:${etcdClient}/health`, readyTimeoutMs);
    log(`etcd ready on 127.0.0.1:${etcdClient}`);

    const apiArgs = [
      'kube-apiserver',
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The kubernetes Service endpoint would be 127.0.0.1, which Endpoints validation rejects.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${certs.serving}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.ca}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      // As in envtest: pods need no ServiceAccount token volume.
      '--disable-admission-plugins=ServiceAccount',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${certs.saPub}`,
      `--service-account-signing-key-file=${certs.saKey}`,
      '--profiling=false',
      ...(opts.apiServerArgs ?? []),
    ];
    const apiServerStartMs: number[] = [];
    const startApiServer = async (): Promise<void> => {
      const t = Date.now();
      apiserver = spawnProc(binary, 'kube-apiserver', apiArgs, join(logDir, 'kube-apiserver.log'));
      await waitReady(apiserver, `${server}/readyz`, tls, readyTimeoutMs);
      apiServerStartMs.push(Date.now() - t);
      log(`kube-apiserver ready at ${server} in ${Date.now() - t} ms`);
    };
    await startApiServer();

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, await kubeconfig(server, certs.ca, certs.admin, certs.adminKey, 'admin'), { mode: 0o600 });

    if (opts.controllerManager ?? true) {
      const kcmKubeconfig = join(dir, 'kcm.kubeconfig');
      await writeFile(kcmKubeconfig, await kubeconfig(server, certs.ca, certs.kcm, certs.kcmKey, 'kcm'), { mode: 0o600 });
      kcm = spawnProc(
        binary,
        'kube-controller-manager',
        [
          'kube-controller-manager',
          `--kubeconfig=${kcmKubeconfig}`,
          `--authentication-kubeconfig=${kcmKubeconfig}`,
          `--authorization-kubeconfig=${kcmKubeconfig}`,
          `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
          `--secure-port=${kcmPort}`,
          '--bind-address=127.0.0.1',
          `--cert-dir=${join(dir, 'kcm-certs')}`,
          '--leader-elect=false',
          '--use-service-account-credentials=false',
          `--service-account-private-key-file=${certs.saKey}`,
          `--root-ca-file=${certs.ca}`,
          '--profiling=false',
          ...(opts.controllerManagerArgs ?? []),
        ],
        join(logDir, 'kube-controller-manager.log'),
      );
      await waitReady(kcm, `https://127.0.0.1:${kcmPort}/healthz`, undefined, readyTimeoutMs);
      log(`kube-controller-manager healthy on 127.0.0.1:${kcmPort}`);
    }
    log(`control plane ready in ${Date.now() - t0} ms; logs in ${logDir}`);

    const pki = join(dir, 'pki');
    const issueCert = async (name: string, o: IssueCertOptions): Promise<IssuedCert> => {
      if (!/^[A-Za-z0-9._-]+$/.test(name) || ['ca', 'serving', 'admin', 'kcm', 'sa'].includes(name)) {
        throw new Error(`issueCert: bad or reserved name ${JSON.stringify(name)}`);
      }
      const subj = [...(o.organizations ?? []).map((g) => `/O=${subjPart(g)}`), `/CN=${subjPart(o.commonName ?? name)}`].join('');
      let ext = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
      if (o.usage === 'server') {
        const ips = o.ipAddresses ?? (o.dnsNames ? [] : ['127.0.0.1']);
        const dns = o.dnsNames ?? ['localhost'];
        ext += `extendedKeyUsage=serverAuth\nsubjectAltName=${[...ips.map((i) => `IP:${i}`), ...dns.map((d) => `DNS:${d}`)].join(',')}\n`;
      } else {
        ext += 'extendedKeyUsage=clientAuth\n';
      }
      await signLeaf(pki, name, subj, ext);
      const certPath = join(pki, `${name}.crt`);
      const keyPath = join(pki, `${name}.key`);
      return { certPath, keyPath, certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
    };
    let users = 0;
    const kubeconfigFor = async (user: string, groups: string[] = []): Promise<string> => {
      const name = `user-${++users}`;
      const c = await issueCert(name, { usage: 'client', commonName: user, organizations: groups });
      const path = join(dir, `${name}.kubeconfig`);
      await writeFile(path, await kubeconfig(server, certs.ca, c.certPath, c.keyPath, user), { mode: 0o600 });
      return path;
    };

    const cp: ControlPlane = {
      kubeconfigPath,
      server,
      dir,
      logDir,
      caPem: tls.ca.toString('utf8'),
      caCertPath: certs.ca,
      caKeyPath: certs.caKey,
      apiServerStartMs,
      kubectl: (args, o = {}) => runKubectl(kubeconfigPath, args, o),
      get: (path) => httpsGet(`${server}${path}`, tls),
      issueCert,
      kubeconfigFor,
      restartApiServer: async (o = {}) => {
        if (stopped) throw new Error('control plane stopped');
        await stopProc(apiserver, o.graceMs ?? 5_000);
        log('kube-apiserver stopped; restarting on the same etcd');
        await startApiServer();
      },
      stop,
    };
    return cp;
  } catch (e) {
    // Kill what started, but keep the temp dir so the printed log path stays useful.
    stopped = true;
    liveDirs.delete(dir);
    await stopProc(kcm, 2_000);
    await stopProc(apiserver, 2_000);
    await stopProc(etcd, 2_000);
    throw new Error(`control plane failed to start (logs kept in ${logDir}): ${(e as Error).message}`, { cause: e });
  }
}

export async function runKubectl(kubeconfigPath: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((res, rej) => {
    const child = spawn(kubectlBinary(), args, {
      env: { ...process.env, KUBECONFIG: kubeconfigPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, stdout, stderr });
    });
    // A kubectl that exits before reading its input must fail the call, not crash the caller with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
