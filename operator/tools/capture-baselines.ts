/**
 * Captures the baselines (envoy-templates/baselines/<minor>/{sidecar,gateway}.json) from a real
 * istiod: starts the e2e control plane, installs Istio's CRDs, creates the scenario the README
 * describes (productpage pod serving 8080 behind Service port 9080; reviews:9080 and kube-dns:53 in
 * the mesh; an ingress gateway with a Gateway for *.example.com and a VirtualService for
 * bookinfo.example.com), runs istiod as a default install would be configured (prometheus metrics,
 * metadata exchange, ALPN, PERMISSIVE mTLS) and records what it sends to a sidecar and a router with
 * a recording xDS client (e2e/istiod/recorder.ts). The per-port parts are turned back into template
 * elements (baseline-template.ts) and the result is checked to instantiate, with the default
 * parameters, to exactly what istiod sent. ADR 0082.
 *
 *   npx tsx operator/tools/capture-baselines.ts [1.30 1.31] [--out DIR] [--check]
 *
 * `--check` writes nothing and exits 1 when a committed baseline differs from a fresh capture.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { startControlPlane, type ControlPlane } from '../../e2e/harness/controlplane.js';
import { installIstio, ISTIOD_MINOR_LIST, ISTIOD_MINORS, registerPod, startIstiod, type IstiodMinor } from '../../e2e/harness/istiod.js';
import { record } from '../../e2e/istiod/recorder.js';
import { inbound, ROUTER, scenarioYaml, server, SIDECAR, TCP_SCENARIO, TCP_SIDECAR, tcpPort } from '../../e2e/istiod/scenario.js';
import { BASELINES_DIR, baselineFromConfigDump, instantiateBaseline, type BaselineTemplate } from '../src/validate/istio/baseline.js';
import { gatewayTemplate, sidecarTemplate } from '../src/validate/istio/baseline-template.js';
import { ISTIO_TO_ENVOY } from '../src/validate/proto/load.js';

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const outDir = outIdx >= 0 ? args[outIdx + 1]! : BASELINES_DIR;
const check = args.includes('--check');
const minors = args.filter((a) => /^1\.\d+$/.test(a)) as IstiodMinor[];
const want = minors.length > 0 ? minors : ISTIOD_MINOR_LIST;
const log = (m: string): void => console.error(`[capture-baselines] ${m}`);

async function apply(cp: ControlPlane, yaml: string): Promise<void> {
  const r = await cp.kubectl(['apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

async function capture(minor: IstiodMinor): Promise<{ sidecar: BaselineTemplate; gateway: BaselineTemplate }> {
  // Service IPs of a typical cluster (10.96.0.0/12), so kube-dns is 10.96.0.10 as in kubeadm.
  const cp = await startControlPlane({ apiServerArgs: ['--service-cluster-ip-range=10.96.0.0/12'], controllerManager: false, log });
  try {
    await installIstio(cp, minor);
    await apply(cp, scenarioYaml());
    await registerPod(cp, SIDECAR, [inbound.targetPort]);
    await registerPod(cp, ROUTER, [server.targetPort]);
    const istiod = await startIstiod(cp, {
      minor,
      upstreamEnvoy: false,
      // The ports every real sidecar uses; the recorder binds nothing.
      mesh: { proxyListenPort: 15001, proxyInboundListenPort: 15006, enablePrometheusMerge: true },
      log,
    });
    try {
      const envoy = ISTIO_TO_ENVOY[minor]!;
      const istioVersion = ISTIOD_MINORS[minor].istioVersion;
      const side = await record(istiod, SIDECAR, envoy);
      const gw = await record(istiod, ROUTER, envoy);
      side.close();
      gw.close();
      await apply(cp, TCP_SCENARIO);
      await registerPod(cp, TCP_SIDECAR, [tcpPort.targetPort]);
      const tcp = await record(istiod, TCP_SIDECAR, envoy);
      tcp.close();
      const sideCaptured = stableOrder(baselineFromConfigDump(side.dump, istioVersion, 'sidecar'));
      const sidecar = sidecarTemplate({
        http: sideCaptured,
        httpPort: { ...inbound, serviceHost: inbound.serviceHost! },
        tcp: baselineFromConfigDump(tcp.dump, istioVersion, 'sidecar'),
        tcpPort,
        namespace: 'default',
      });
      const gwCaptured = stableOrder(baselineFromConfigDump(gw.dump, istioVersion, 'gateway'));
      const gateway = gatewayTemplate(gwCaptured, { ...server, host: server.host! });
      // The template must give back exactly what istiod sent, for the ports it was captured with.
      const same = (t: BaselineTemplate, raw: BaselineTemplate, what: string): void => {
        const inst = instantiateBaseline(t, {});
        for (const k of ['listeners', 'routes', 'clusters'] as const) {
          if (!isDeepStrictEqual(inst[k], raw[k])) throw new Error(`${minor} ${what}: the template does not instantiate back to the capture (${k})`);
        }
      };
      same(sidecar, sideCaptured, 'sidecar');
      same(gateway, gwCaptured, 'gateway');
      return { sidecar, gateway };
    } finally {
      await istiod.stop();
    }
  } finally {
    await cp.stop();
  }
}

/**
 * istiod's order of outbound listeners and service clusters varies from run to run (it follows map
 * iteration), and nothing in EnvoyFilter semantics depends on it: sort those by name so that a
 * capture is reproducible. The virtual listeners stay last and the non-service clusters (blackhole,
 * passthrough, inbound) stay after the service clusters, where istiod puts them.
 */
function stableOrder(t: BaselineTemplate): BaselineTemplate {
  const byName = (a: { name?: unknown }, b: { name?: unknown }) => String(a.name).localeCompare(String(b.name));
  const virtual = (l: { name?: unknown }) => l.name === 'virtualOutbound' || l.name === 'virtualInbound';
  const service = (c: { name?: unknown }) => /^outbound\|/.test(String(c.name));
  return {
    ...t,
    listeners: [...t.listeners.filter((l) => !virtual(l)).sort(byName), ...t.listeners.filter(virtual)],
    routes: [...t.routes].sort(byName),
    clusters: [...t.clusters.filter(service).sort(byName), ...t.clusters.filter((c) => !service(c))],
  };
}

/** What the file records about its origin (ignored by the validator). */
function provenance(minor: IstiodMinor): Record<string, string> {
  const gomod = readFileSync(join(BASELINES_DIR, '..', '..', 'e2e', 'istiod', 'gomod', minor, 'go.mod'), 'utf8');
  const pin = /^\s*istio\.io\/istio (\S+)/m.exec(gomod)?.[1] ?? 'unknown';
  return {
    from: `istiod built from istio.io/istio@${pin} (scripts/build-istiod.sh ${minor})`,
    command: `npm run baselines -- ${minor}   (operator/tools/capture-baselines.ts)`,
  };
}

let stale = 0;
for (const minor of want) {
  const t0 = Date.now();
  const { sidecar, gateway } = await capture(minor);
  for (const [kind, t] of [
    ['sidecar', sidecar],
    ['gateway', gateway],
  ] as const) {
    const file = join(outDir, minor, `${kind}.json`);
    const body = JSON.stringify({ captured: provenance(minor), ...t }, null, 1) + '\n';
    if (check) {
      const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (old !== body) {
        stale++;
        log(`${file} differs from a fresh capture`);
      }
      continue;
    }
    mkdirSync(join(outDir, minor), { recursive: true });
    writeFileSync(file, body);
    log(`wrote ${file} (${t.listeners.length} listeners, ${t.routes.length} route configs, ${t.clusters.length} clusters)`);
  }
  log(`Istio ${minor} captured in ${Date.now() - t0} ms`);
}
if (stale > 0) process.exit(1);
