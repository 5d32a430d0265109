/**
 * Shared pieces of the operator e2e suites: a control plane with our CRDs and Istio's real
 * EnvoyFilter/WasmPlugin CRDs (scripts/fetch-istio-crds.sh → .tools/istio/<minor>/crd-all.gen.yaml),
 * and the operator as a real child process (`node bin/meshwarden.js serve …`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { controlPlaneAvailable, freePort, REPO_ROOT, startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import { defaultIstioMinors } from '../../operator/src/versions/table.js';

export const skip = controlPlaneAvailable() || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/kube-controlplane not built: run scripts/setup-e2e.sh';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/**
 * The Istio minor the operator e2e runs for (its CRDs in the API server, `serve --istio-version`):
 * $MESHWARDEN_E2E_ISTIO, else the oldest minor Istio supports (the version table's default set).
 */
export const E2E_ISTIO_MINOR = process.env.MESHWARDEN_E2E_ISTIO ?? defaultIstioMinors()[0]!;

/** Istio's CRD file for {@link E2E_ISTIO_MINOR}, fetched by scripts/fetch-istio-crds.sh when missing. */
export function istioCrdsPath(): string {
  const minor = E2E_ISTIO_MINOR;
  const path = join(REPO_ROOT, '.tools', 'istio', minor, 'crd-all.gen.yaml');
  if (!existsSync(path)) execFileSync('bash', [join(REPO_ROOT, 'scripts', 'fetch-istio-crds.sh'), minor], { stdio: 'inherit' });
  return path;
}

/** Only the EnvoyFilter and WasmPlugin CRDs (what the operator watches and writes). */
export function istioCrds(): string {
  const docs = parseAllDocuments(readFileSync(istioCrdsPath(), 'utf8'));
  return docs
    .filter((d) => {
      const v = d.toJS() as { metadata?: { name?: string } } | null;
      return v?.metadata?.name === 'envoyfilters.networking.istio.io' || v?.metadata?.name === 'wasmplugins.extensions.istio.io';
    })
    .map((d) => d.toString())
    .join('---\n');
}

/** Our generated CRDs, as one YAML stream. */
export function ourCrds(): string {
  const dir = join(REPO_ROOT, 'crds');
  return ['meshwarden.io_smartlimiters.yaml', 'meshwarden.io_envoyplugins.yaml'].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n');
}

export interface Env {
  cp: ControlPlane;
  kubectl(args: string[], input?: string): Promise<string>;
  /** kubectl that may fail: returns code, stdout, stderr. */
  kubectlRaw(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  apply(yaml: string): Promise<void>;
  getJson<T = Record<string, unknown>>(kind: string, ns: string, name: string): Promise<T | undefined>;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const cp = await startControlPlane({ log: (m) => console.error(`[controlplane] ${m}`) });
  const kubectlRaw = async (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input });
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectlRaw(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    await kubectl(['apply', '--server-side', '-f', '-'], ourCrds());
    await kubectl(['apply', '--server-side', '-f', '-'], istioCrds());
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/smartlimiters.meshwarden.io',
      'crd/envoyplugins.meshwarden.io',
      'crd/envoyfilters.networking.istio.io',
      'crd/wasmplugins.extensions.istio.io',
    ]);
  } catch (e) {
    await cp.stop();
    throw e;
  }
  return {
    cp,
    kubectl,
    kubectlRaw,
    apply: async (yaml) => {
      await kubectl(['apply', '-f', '-'], yaml);
    },
    getJson: async <T>(kind: string, ns: string, name: string) => {
      const r = await kubectlRaw(['get', kind, name, '-n', ns, '-o', 'json', '--ignore-not-found']);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as T);
    },
    stop: () => cp.stop(),
  };
}

export interface Operator {
  child: ChildProcess;
  port: number;
  logPath: string;
  exited: Promise<number | null>;
  log(): string;
  metrics(): Promise<string>;
  ready(): Promise<boolean>;
  /** SIGTERM (graceful) or SIGKILL; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const operators = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of operators) c.kill('SIGKILL');
});

export async function startOperator(env: Env, args: string[] = [], opts: { name?: string; waitReady?: boolean } = {}): Promise<Operator> {
  const port = await freePort();
  const logPath = join(env.cp.logDir, `operator-${opts.name ?? 'main'}-${port}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'meshwarden.js'),
      'serve',
      '--kubeconfig',
      env.cp.kubeconfigPath,
      '--health-probe-bind-address',
      `127.0.0.1:${port}`,
      '--metrics-bind-address',
      `127.0.0.1:${port}`,
      '--leader-election-namespace',
      'default',
      '--rate-limit-service',
      'ratelimit.rls.svc.cluster.local:8081',
      '--istio-version',
      E2E_ISTIO_MINOR,
      // Every replica serves the webhook too: an ephemeral port and its own certificates.
      '--webhook-port',
      '0',
      '--webhook-bind-address',
      '127.0.0.1',
      '--cert-dir',
      join(env.cp.dir, `certs-${opts.name ?? 'main'}-${port}`),
      ...args,
    ],
    { stdio: ['ignore', fd, fd], env: { ...process.env, KUBECONFIG: '' } },
  );
  closeSync(fd);
  operators.add(child);
  const exited = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      operators.delete(child);
      res(code);
    }),
  );
  const op: Operator = {
    child,
    port,
    logPath,
    exited,
    log: () => readFileSync(logPath, 'utf8'),
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    ready: async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200;
      } catch {
        return false;
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  if (opts.waitReady ?? true) {
    await eventually(
      `operator ready on ${port} (log ${logPath})`,
      90_000,
      async () => {
        if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}: ${op.log().slice(-2000)}`);
        return op.ready();
      },
      250,
    );
  }
  return op;
}

/** A namespace with a Service `app` (port 9080 → 8080) and `n` pods, ready or not. */
export function appYaml(ns: string, opts: { service?: boolean; app?: string } = {}): string {
  const app = opts.app ?? 'app';
  const svc = `apiVersion: v1
kind: Service
metadata: {name: ${app}, namespace: ${ns}}
spec:
  selector: {app: ${app}}
  ports: [{name: http, port: 9080, targetPort: 8080}]
`;
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
${opts.service === false ? '' : svc}`;
}

export function podYaml(ns: string, name: string, app = 'app'): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${app}}}
spec:
  containers: [{name: app, image: example.invalid/app:1, ports: [{name: http, containerPort: 8080}]}]
`;
}

/** There is no kubelet: mark a pod Ready (or not) through pods/status. */
export async function setPodReady(env: Env, ns: string, name: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    },
  };
  await env.kubectl(['patch', 'pod', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
}

export interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export async function condition(env: Env, kind: string, ns: string, name: string, type: string): Promise<Cond | undefined> {
  const o = await env.getJson<{ status?: { conditions?: Cond[] } }>(kind, ns, name);
  return o?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until condition `type` has `status` (and `reason`, when given) for the current generation. */
export async function waitCondition(env: Env, kind: string, ns: string, name: string, type: string, status: string, reason?: string, timeoutMs = 30_000): Promise<Cond> {
  return eventually(`${kind} ${ns}/${name} ${type}=${status}${reason ? ` (${reason})` : ''}`, timeoutMs, async () => {
    const o = await env.getJson<{ metadata: { generation: number }; status?: { conditions?: Cond[] } }>(kind, ns, name);
    const c = o?.status?.conditions?.find((x) => x.type === type);
    if (!c || c.status !== status || (reason && c.reason !== reason) || c.observedGeneration !== o?.metadata.generation) return undefined;
    return c;
  });
}

export function smartLimiter(ns: string, name: string, limits: string, extra = '', target = '{service: app}'): string {
  return `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: ${name}, namespace: ${ns}}
spec:
  target: ${target}
${extra}  limits:
${limits}`;
}
