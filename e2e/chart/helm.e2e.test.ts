/**
 * The Helm chart without a cluster: `helm lint --strict`, what `helm template` renders (default
 * values, every optional feature on, each switch off), that the output lints clean with
 * `meshwarden lint -` (as a CI step would run it), and that values.schema.json refuses bad
 * values with the field named. Applying the chart to a real API server: chart.e2e.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/controlplane.js';
import { allFeaturesValues, chartPath, ensureHelm, find, helm, parseStream, render, renderText } from './helm.js';
import type { K8sObject } from '../../operator/src/k8s-object.js';
import { EvaluationPool } from '../../operator/src/webhook/eval-pool.js';
import { parseServeFlags } from '../../operator/src/serve/flags.js';
import { istioMinors } from '../../operator/src/versions/table.js';

const skip = ensureHelm();

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/**
 * Rules that reach ConfigMaps more widely than ADR 0105 allows: any ClusterRole rule on
 * ConfigMaps (or on every resource of the core group), and any Role rule on them that is not
 * restricted by name, except create (which RBAC cannot restrict by name).
 */
function configMapAccessViolations(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    if (o.kind !== 'ClusterRole' && o.kind !== 'Role') continue;
    const where = o.kind === 'Role' ? `Role ${o.metadata.namespace}/${o.metadata.name}` : `ClusterRole ${o.metadata.name}`;
    for (const r of (o as unknown as { rules: Rule[] }).rules) {
      const core = r.apiGroups.includes('') || r.apiGroups.includes('*');
      const res = r.resources.find((x) => x === 'configmaps' || x === '*');
      if (!core || !res) continue;
      if (o.kind === 'ClusterRole') out.push(`${where}: ${r.verbs.join(',')} ${res}`);
      else if (!r.resourceNames?.length && r.verbs.some((v) => v !== 'create')) out.push(`${where}: ${r.verbs.join(',')} ${res} without resourceNames`);
    }
  }
  return out;
}

/** `meshwarden lint -o json -` on a rendered stream: exit code and findings. */
function meshwardenLint(yaml: string): { code: number; findings: Array<{ rule: string; severity: string; message: string }>; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'meshwarden.js'), 'lint', '-o', 'json', '-'], { input: yaml, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, findings: r.stdout.trim() ? JSON.parse(r.stdout) : [], stderr: r.stderr };
}

describe('Helm chart charts/meshwarden', { skip, timeout: 600_000 }, () => {
  test('helm lint --strict passes with the default values and with every feature on', () => {
    for (const extra of [[], ['--values', allFeaturesValues]]) {
      const r = helm(['lint', '--strict', chartPath, ...extra]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  test('helm template output lints clean with meshwarden lint (default and every feature on)', () => {
    for (const files of [[], [allFeaturesValues]]) {
      const text = renderText({ files });
      const r = meshwardenLint(text);
      assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(r.findings, null, 2)}`);
      assert.deepEqual(
        r.findings.filter((f) => f.severity === 'error'),
        [],
      );
    }
    // The check can fail: the same stream with a broken SmartLimiter appended does not lint clean.
    const broken = `${renderText()}\n---\napiVersion: meshwarden.io/v1alpha1\nkind: SmartLimiter\nmetadata: {name: x, namespace: shop}\nspec: {target: {service: a}, limits: [{name: a, rate: {requests: 0, per: 1m}}]}\n`;
    const bad = meshwardenLint(broken);
    assert.equal(bad.code, 1);
    assert.deepEqual(
      bad.findings.map((f) => f.rule),
      ['MW103'],
    );
  });

  test('default values: 2 hardened replicas with leader election, probes, shared-Secret certificates, the webhook per kind', () => {
    const objs = render();
    const d = find(objs, 'Deployment', 'mw-meshwarden');
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(
      [c.livenessProbe.httpGet, c.readinessProbe.httpGet],
      [
        { path: '/healthz', port: 'probes' },
        { path: '/readyz', port: 'probes' },
      ],
    );
    assert.equal(c.ports.find((p: { name: string }) => p.name === 'probes').containerPort, 8081);
    assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
    for (const arg of [
      '--leader-elect=true',
      '--leader-election-namespace=meshwarden-system',
      '--leader-election-id=mw-meshwarden-controller',
      '--health-probe-bind-address=:8081',
      '--cert-dir=/var/run/meshwarden/certs',
      '--webhook-service=mw-meshwarden-webhook.meshwarden-system',
      '--cert-secret=meshwarden-system/mw-meshwarden-webhook-tls',
      '--webhook-configuration=mw-meshwarden',
    ]) {
      assert.ok(c.args.includes(arg), `missing ${arg} in ${c.args.join(' ')}`);
    }
    assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'certs').emptyDir, { sizeLimit: '1Mi' });
    assert.deepEqual(
      pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey),
      ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
    );
    assert.equal(find(objs, 'Secret', 'mw-meshwarden-webhook-tls').data, undefined, 'the chart creates the Secret empty');

    const vwc = find(objs, 'ValidatingWebhookConfiguration', 'mw-meshwarden');
    assert.deepEqual(
      vwc.webhooks.map((w: { name: string; failurePolicy: string; timeoutSeconds: number }) => [w.name, w.failurePolicy, w.timeoutSeconds]),
      [
        ['validate.meshwarden.io', 'Fail', 10],
        ['istio.validate.meshwarden.io', 'Ignore', 10],
      ],
    );
    for (const w of vwc.webhooks) {
      assert.deepEqual(w.namespaceSelector.matchExpressions[0].values, ['meshwarden-system', 'kube-system']);
      assert.deepEqual(w.clientConfig.service, { name: 'mw-meshwarden-webhook', namespace: 'meshwarden-system', path: '/validate', port: 443 });
    }
    const svc = find(objs, 'Service', 'mw-meshwarden-webhook');
    assert.deepEqual(svc.spec.ports, [{ name: 'https-webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
    assert.equal(find(objs, 'Service', 'mw-meshwarden-metrics').spec.ports[0].port, 8080);
    assert.equal(find(objs, 'PodDisruptionBudget').spec.minAvailable, 1);
    for (const crd of objs.filter((o) => o.kind === 'CustomResourceDefinition')) assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    assert.deepEqual(
      objs
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name)
        .sort(),
      ['envoyplugins.meshwarden.io', 'smartlimiters.meshwarden.io'],
    );
    assert.ok(!objs.some((o) => ['ServiceMonitor', 'NetworkPolicy', 'Certificate', 'Issuer'].includes(o.kind)));
  });

  test('every feature on: cert-manager instead of the Secret, ServiceMonitor, NetworkPolicy, rate limit ConfigMap Roles', () => {
    const objs = render({ files: [allFeaturesValues] });
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['Certificate', 'ServiceMonitor', 'NetworkPolicy']) assert.ok(kinds.has(k), k);
    assert.ok(!kinds.has('Issuer'), 'an issuerRef given: no self-signed Issuer');
    assert.ok(!objs.some((o) => o.kind === 'Secret'), 'cert-manager writes the Secret');
    const d = find(objs, 'Deployment');
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.image, 'registry.example.com/meshwarden/meshwarden@sha256:0000000000000000000000000000000000000000000000000000000000000000');
    assert.ok(!c.args.some((a: string) => a.startsWith('--cert-secret') || a.startsWith('--webhook-configuration')), 'cert-manager injects the CA');
    assert.deepEqual(d.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'certs').secret, { secretName: 'mw-meshwarden-serving-cert' });
    assert.ok(c.args.includes('--rate-limit-service=ratelimit.rls.svc.cluster.local:8081') && c.args.includes('--istio-version=1.31'));
    const vwc = find(objs, 'ValidatingWebhookConfiguration');
    assert.equal(vwc.metadata.annotations['cert-manager.io/inject-ca-from'], 'meshwarden-system/mw-meshwarden-serving-cert');
    assert.deepEqual(vwc.webhooks[0].namespaceSelector.matchExpressions[0].values, ['meshwarden-system', 'kube-system', 'istio-system']);
    const roles = objs
      .filter((o) => o.kind === 'Role' && o.metadata.name === 'mw-meshwarden-ratelimit-config')
      .map((o) => o.metadata.namespace)
      .sort();
    assert.deepEqual(roles, ['rls', 'rls-shared'], "the address's namespace and the listed one");
    const cr = find(objs, 'ClusterRole');
    assert.ok(!cr.rules.some((r: { resources: string[] }) => r.resources.includes('validatingwebhookconfigurations')), 'no caBundle patch permission with cert-manager');
  });

  test('effective: syncz flags, istiod CA and token volumes only when enabled; no new RBAC; egress to istiod', () => {
    type Volume = { name: string; configMap?: unknown; projected?: unknown };
    const pick = (objs: ReturnType<typeof render>) => {
      const pod = find(objs, 'Deployment').spec.template.spec;
      const c = pod.containers[0];
      return {
        args: (c.args as string[]).filter((a) => a.startsWith('--istiod')),
        mounts: c.volumeMounts.filter((m: { name: string }) => m.name.startsWith('istiod')),
        volumes: (pod.volumes as Volume[]).filter((v) => v.name.startsWith('istiod')),
        clusterRole: find(objs, 'ClusterRole').rules,
        role: find(objs, 'Role', 'mw-meshwarden').rules,
      };
    };
    const off = pick(render());
    assert.deepEqual([off.args, off.mounts, off.volumes], [[], [], []], 'disabled by default: no flag, no volume');

    const objs = render({ files: [allFeaturesValues] });
    const on = pick(objs);
    assert.deepEqual(on.args, [
      '--istiod-discovery',
      '--istiod-address=istiod-canary.istio-system.svc:15012',
      '--istiod-ca-file=/var/run/meshwarden/istiod-ca/root-cert.pem',
      '--istiod-token-file=/var/run/meshwarden/istiod-token/istio-token',
    ]);
    assert.deepEqual(on.mounts, [
      { name: 'istiod-ca', mountPath: '/var/run/meshwarden/istiod-ca', readOnly: true },
      { name: 'istiod-token', mountPath: '/var/run/meshwarden/istiod-token', readOnly: true },
    ]);
    assert.deepEqual(on.volumes, [
      { name: 'istiod-ca', configMap: { name: 'istio-ca-root-cert', items: [{ key: 'root-cert.pem', path: 'root-cert.pem' }] } },
      { name: 'istiod-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 7200, path: 'istio-token' } }] } },
    ]);
    // Discovery reads the Pod informer the operator already has; the CA is a volume, not an API read.
    const sameValuesOff = pick(render({ files: [allFeaturesValues], values: { effective: { enabled: false } } }));
    assert.deepEqual([sameValuesOff.args, sameValuesOff.volumes], [[], []]);
    assert.deepEqual(on.clusterRole, sameValuesOff.clusterRole, 'no permission added for the Effective condition');
    assert.deepEqual(on.role, sameValuesOff.role);
    const egress = find(objs, 'NetworkPolicy').spec.egress.at(-1);
    assert.deepEqual(egress, {
      ports: [{ port: 15012, protocol: 'TCP' }],
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
    });
    assert.ok(
      !find(render({ files: [allFeaturesValues], values: { effective: { enabled: false } } }), 'NetworkPolicy').spec.egress.some((e: { ports: Array<{ port: number }> }) =>
        e.ports.some((p) => p.port === 15012),
      ),
    );

    // Plaintext (istiod with ENABLE_DEBUG_ENDPOINT_AUTH=false): addresses only, no token, no CA.
    const plain = pick(render({ values: { effective: { enabled: true, discovery: false, addresses: ['istiod.istio-system.svc:15010'], tls: { enabled: false } } } }));
    assert.deepEqual([plain.args, plain.volumes, plain.mounts], [['--istiod-address=istiod.istio-system.svc:15010'], [], []]);
  });

  test('switches: crds.enabled, crds.keep, webhook.enabled, webhook.validateIstio, one replica', () => {
    assert.ok(!render({ values: { crds: { enabled: false } } }).some((o) => o.kind === 'CustomResourceDefinition'));
    assert.ok(
      render({ values: { crds: { keep: false } } })
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .every((o) => o.metadata.annotations === undefined),
    );
    const off = render({ values: { webhook: { enabled: false } } });
    assert.ok(!off.some((o) => o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'Secret' || o.metadata.name === 'mw-meshwarden-webhook'));
    assert.ok(find(off, 'Deployment').spec.template.spec.containers[0].args.includes('--webhook=false'));
    const role = find(off, 'Role', 'mw-meshwarden');
    assert.ok(!role.rules.some((r: { resources: string[] }) => r.resources.includes('secrets')));
    assert.equal(find(render({ values: { webhook: { validateIstio: false } } }), 'ValidatingWebhookConfiguration').webhooks.length, 1);
    assert.ok(!render({ values: { replicaCount: 1 } }).some((o) => o.kind === 'PodDisruptionBudget'), 'minAvailable 1 of 1 would block drains');
  });

  test('ConfigMaps: no cluster-wide rule; per rate limit namespace, get/list/watch/update by name, create; the operator watches the same namespaces and names', () => {
    const cases: Array<{ name: string; values?: unknown; files?: string[]; namespaces: string[]; names: string[] }> = [
      { name: 'default (no rate limit service)', namespaces: [], names: [] },
      { name: 'every feature', files: [allFeaturesValues], namespaces: ['rls', 'rls-shared'], names: ['ratelimit-config', 'ratelimit-config-canary'] },
      { name: 'namespaces without an address', values: { rateLimitService: { configMapNamespaces: ['team-rls'] } }, namespaces: ['team-rls'], names: ['ratelimit-config'] },
    ];
    for (const c of cases) {
      const objs = render({ ...(c.values !== undefined ? { values: c.values } : {}), ...(c.files ? { files: c.files } : {}) });
      assert.deepEqual(configMapAccessViolations(objs), [], c.name);
      const roles = objs.filter((o) => o.kind === 'Role' && (o as unknown as { rules: Rule[] }).rules.some((r) => r.resources.includes('configmaps'))) as unknown as Array<{
        metadata: { name: string; namespace: string };
        rules: Rule[];
      }>;
      assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), c.namespaces, `${c.name}: Roles on ConfigMaps`);
      for (const r of roles) {
        assert.deepEqual(
          r.rules.map((x) => [x.verbs, x.resourceNames ?? null]),
          [
            [['create'], null],
            [['get', 'list', 'watch', 'update'], c.names],
          ],
          `${c.name}: ${r.metadata.namespace}`,
        );
      }
      const args = find(objs, 'Deployment').spec.template.spec.containers[0].args as string[];
      const flag = (f: string): string[] =>
        args
          .filter((a) => a.startsWith(`--${f}=`))
          .map((a) => a.slice(f.length + 3))
          .sort();
      assert.deepEqual([flag('rate-limit-config-namespace'), flag('rate-limit-config-name')], [c.namespaces, c.names], `${c.name}: what the operator watches is what the Roles grant`);
    }
  });

  test('a ConfigMap rule wider than by-name in the rate limit namespaces fails the chart (the check can fail)', () => {
    for (const files of [[], [allFeaturesValues]]) {
      for (const values of [{}, { webhook: { enabled: false } }, { certManager: { enabled: true } }, { effective: { enabled: true } }]) {
        assert.deepEqual(configMapAccessViolations(render({ files, values })), [], JSON.stringify({ files, values }));
      }
    }
    // The rule this chart had until ADR 0105, and other wide forms, are each reported.
    const role = (kind: string, rules: Rule[]): K8sObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: 'x', ...(kind === 'Role' ? { namespace: 'rls' } : {}) }, rules });
    assert.deepEqual(configMapAccessViolations([role('ClusterRole', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }])]), ['ClusterRole x: list,watch configmaps']);
    assert.deepEqual(configMapAccessViolations([role('ClusterRole', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }])]), ['ClusterRole x: get *']);
    assert.deepEqual(configMapAccessViolations([role('Role', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }])]), [
      'Role rls/x: list,watch configmaps without resourceNames',
    ]);
    assert.deepEqual(configMapAccessViolations([role('Role', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'delete'] }])]), [
      'Role rls/x: create,delete configmaps without resourceNames',
    ]);
  });

  test("/metrics only on the metrics port: Services, ServiceMonitor and NetworkPolicy; the API server's rule opens the webhook port only", () => {
    const objs = render({ files: [allFeaturesValues] });
    const c = find(objs, 'Deployment').spec.template.spec.containers[0];
    assert.deepEqual(
      c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
      [
        ['webhook', 9443],
        ['metrics', 8080],
        ['probes', 8081],
      ],
    );
    assert.ok(c.args.includes('--metrics-bind-address=:8080') && c.args.includes('--webhook-port=9443'));
    assert.deepEqual(find(objs, 'Service', 'mw-meshwarden-metrics').spec.ports, [{ name: 'http-metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    assert.deepEqual(
      find(objs, 'Service', 'mw-meshwarden-webhook').spec.ports.map((p: { targetPort: string }) => p.targetPort),
      ['webhook'],
    );
    assert.deepEqual(
      find(objs, 'ServiceMonitor').spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]),
      [['http-metrics', '/metrics']],
    );
    const ingress = find(objs, 'NetworkPolicy').spec.ingress as Array<{ ports: Array<{ port: string }>; from?: unknown[] }>;
    assert.deepEqual(ingress, [
      { ports: [{ port: 'webhook', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '10.0.0.0/28' } }] },
      { ports: [{ port: 'probes', protocol: 'TCP' }] },
      { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
    ]);
    // webhookFrom empty: the webhook rule admits any source, still on the webhook port alone.
    const open = find(render({ values: { networkPolicy: { enabled: true } } }), 'NetworkPolicy').spec.ingress[0];
    assert.deepEqual(open, { ports: [{ port: 'webhook', protocol: 'TCP' }] });
    // One port for two listeners would put /metrics behind another port's rule: refused.
    assert.throws(() => renderText({ values: { metrics: { port: 8081 } } }), /metrics\.port and probes\.port are both 8081: give \/metrics its own port/);
    assert.throws(() => renderText({ values: { webhook: { port: 8080 } } }), /webhook\.port 8080 is also the metrics or probes port: the webhook port serves admission only/);
    assert.doesNotThrow(() => renderText({ values: { webhook: { enabled: false, port: 8080 } } }), 'no webhook, no clash');
  });

  test("evaluation pool and connection cap: the chart's defaults are the code's, every rendered arg parses as a serve flag", () => {
    const pool = new EvaluationPool({ istioVersions: [] });
    const args = (objs: K8sObject[]): string[] => find(objs, 'Deployment').spec.template.spec.containers[0].args;
    const defaults = args(render());
    for (const a of [
      `--webhook-eval-workers=${pool.size}`,
      `--webhook-eval-timeout=${pool.timeoutMs / 1000}s`,
      `--webhook-eval-memory=${pool.rssMb}Mi`,
      `--webhook-eval-queue=${pool.maxQueue}`,
      '--webhook-max-connections=256',
    ]) {
      assert.ok(defaults.includes(a), `missing ${a} in ${defaults.join(' ')}`);
    }
    const all = parseServeFlags(args(render({ files: [allFeaturesValues] })).slice(1), {});
    assert.deepEqual(all.webhookPool, { evaluation: { size: 3, timeoutMs: 2000, rssMb: 512, heapMb: 341, maxQueue: 32 }, maxConnections: 512 });
    assert.ok(!args(render({ values: { webhook: { enabled: false } } })).some((a) => a.startsWith('--webhook-eval') || a.startsWith('--webhook-max')), 'no webhook, no pool flags');
  });

  test('the memory limit holds the bounded budgets (main process + workers × cap) and the evaluation budget fits timeoutSeconds: the chart refuses otherwise', () => {
    const c = find(render(), 'Deployment').spec.template.spec.containers[0];
    const mib = (q: string): number => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      assert.ok(m, `memory quantity ${q} in Mi or Gi`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
    };
    // values.yaml's arithmetic: 200 (warm validator) + 144 (its Lua runner, worst case) + 128 (caches) = 472.
    const need = 472 + 2 * 384;
    assert.ok(mib(c.resources.limits.memory) - need >= 256, `limits.memory ${c.resources.limits.memory}: ${need} MiB plus headroom for the 50 ms sampling of the workers' cap`);
    assert.ok(mib(c.resources.requests.memory) >= 200 + 2 * 200, `requests.memory ${c.resources.requests.memory} below an idle pod (main + 2 warm workers)`);
    assert.throws(
      () => renderText({ values: { resources: { limits: { memory: '1Gi' } } } }),
      /resources\.limits\.memory 1024Mi is below the bounded budgets: 472Mi \(main process: validator, Lua runner, caches\) \+ 2 workers × 384Mi = 1240Mi/,
    );
    assert.throws(() => renderText({ values: { webhook: { evaluation: { workers: 4, timeout: '4s', memory: '384Mi', queue: 64 } } } }), /\+ 4 workers × 384Mi = 2008Mi/);
    assert.doesNotThrow(() => renderText({ values: { webhook: { evaluation: { workers: 4, timeout: '4s', memory: '384Mi', queue: 64 } }, resources: { limits: { memory: '2Gi' } } } }));
    assert.doesNotThrow(() => renderText({ values: { webhook: { enabled: false }, resources: { limits: { memory: '512Mi' } } } }), 'no webhook, no workers');
    assert.doesNotThrow(() => renderText({ values: { resources: { limits: { memory: '1G' } } } }), 'other units are not judged');
    assert.throws(() => renderText({ values: { webhook: { timeoutSeconds: 6 } } }), /webhook\.evaluation\.timeout 4s \+ 2s of queue wait \+ 1s round trip exceeds webhook\.timeoutSeconds 6/);
    assert.doesNotThrow(() => renderText({ values: { webhook: { timeoutSeconds: 7 } } }));
    assert.doesNotThrow(() => renderText({ values: { webhook: { timeoutSeconds: 4, evaluation: { workers: 2, timeout: '500ms', memory: '384Mi', queue: 64 } } } }));
  });

  test('values.schema.json refuses bad values, naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ replicas: 2 }, /additional properties 'replicas' not allowed/],
      [{ replicaCount: 0 }, /at '\/replicaCount': minimum: got 0, want 1/],
      [{ webhook: { timeoutSeconds: 31 } }, /at '\/webhook\/timeoutSeconds': maximum: got 31, want 30/],
      [{ webhook: { failurePolicy: { istio: 'Maybe' } } }, /at '\/webhook\/failurePolicy\/istio': value must be one of 'Fail', 'Ignore'/],
      [{ webhook: { excludeNamespaces: ['Not_A_Namespace'] } }, /at '\/webhook\/excludeNamespaces\/0'/],
      [{ leaderElection: { leaseDuration: '15' } }, /at '\/leaderElection\/leaseDuration'/],
      [{ image: { digest: 'latest' } }, /at '\/image\/digest'/],
      [{ rateLimitService: { address: 'ratelimit.rls' } }, /at '\/rateLimitService\/address'/],
      [
        { controller: { istioVersions: ['1.27'] } },
        new RegExp(
          `at '/controller/istioVersions/0': value must be one of ${istioMinors()
            .map((m) => `'${m.replace('.', '\\.')}'`)
            .join(', ')}`,
        ),
      ],
      [{ certManager: { issuerRef: { kind: 'ClusterIssuer' } } }, /at '\/certManager\/issuerRef'/],
      [{ crds: { keep: 'yes' } }, /at '\/crds\/keep': got string, want boolean/],
      [{ effective: { addresses: ['istiod.istio-system.svc'] } }, /at '\/effective\/addresses\/0': 'istiod.istio-system.svc' does not match pattern/],
      [{ effective: { enabled: true, discovery: false } }, /at '\/effective': 'anyOf' failed/],
      [{ effective: { tls: { tokenExpirationSeconds: 60 } } }, /at '\/effective\/tls\/tokenExpirationSeconds': minimum: got 60, want 600/],
      [{ effective: { tls: { ca: 'x' } } }, /additional properties 'ca' not allowed/],
      [{ networkPolicy: { webhookFrom: '10.0.0.1/32' } }, /at '\/networkPolicy\/webhookFrom': got string, want array/],
      [{ webhook: { evaluation: { workers: 0, timeout: '4s', memory: '384Mi', queue: 64 } } }, /at '\/webhook\/evaluation\/workers': minimum: got 0, want 1/],
      [{ webhook: { evaluation: { workers: 2, timeout: '4', memory: '384Mi', queue: 64 } } }, /at '\/webhook\/evaluation\/timeout'/],
      [{ webhook: { evaluation: { workers: 2, timeout: '4s', memory: '384MB', queue: 64 } } }, /at '\/webhook\/evaluation\/memory'/],
      [{ webhook: { maxConnections: 0 } }, /at '\/webhook\/maxConnections': minimum: got 0, want 1/],
    ];
    for (const [values, want] of cases) {
      assert.throws(() => renderText({ values }), want, JSON.stringify(values));
    }
  });

  test('the rendered stream is plain YAML a cluster accepts: every object has apiVersion, kind, name', () => {
    for (const o of parseStream(renderText({ files: [allFeaturesValues] }))) {
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 200));
    }
  });
});
