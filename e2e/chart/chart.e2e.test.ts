/**
 * The chart on a real kube-apiserver, and its RBAC proven enough and no wider.
 *
 * `helm install` (default values plus a rate limit service), then `helm upgrade` and
 * `helm uninstall`, against the real API server. There is no kubelet or cluster network here, so
 * the Deployment's pods never run; instead its container args, as installed, run as two real
 * `meshwarden serve` processes outside the cluster, authenticated as the chart's ServiceAccount
 * with a TokenRequest token (no admin credentials). The only change to the chart's objects, made
 * by a Helm post-renderer: the webhook's clientConfig points at one replica's 127.0.0.1 port
 * instead of the Service, which the API server could not reach.
 *
 * Enough: the replicas fill the chart's empty Secret with one certificate, patch the caBundle
 * (after which the API server's TLS calls to the webhook succeed), elect a leader on the chart's
 * Lease, reconcile SmartLimiters and an EnvoyPlugin into EnvoyFilters, WasmPlugins and the rate
 * limit ConfigMap, prune, remove finalizers, record Events, with the
 * OwnerReferencesPermissionEnforcement admission plugin on; the audit log shows not one 403.
 * No wider: every rule the chart grants is matched against the requests the audit log recorded
 * (a rule nobody used fails the test unless it is listed with the reason it is not visible
 * there), and SubjectAccessReviews (`kubectl auth can-i --as`) show what the account cannot do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import { appYaml, E2E_ISTIO_MINOR, eventually, istioCrds, skip as cpSkip, smartLimiter, waitCondition, type Env } from '../operator/helpers.js';
import { chartPath, ensureHelm, find, helm, parseStream } from './helm.js';
import type { K8sObject } from '../../operator/src/k8s-object.js';

const helmSkip = ensureHelm();
const skip = cpSkip || helmSkip;

const NS = 'meshwarden-system';
const RELEASE = 'mw';
const FULLNAME = 'mw-meshwarden';
const SA = `system:serviceaccount:${NS}:${FULLNAME}`;
const APP = 'shop';
const values = { rateLimitService: { address: 'ratelimit.rls.svc.cluster.local:8081' } };

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestURI: string;
}

interface Replica {
  child: ChildProcess;
  port: number;
  certDir: string;
  logPath: string;
  log(): string;
  stop(): Promise<void>;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** `verb group/resource[/sub]` keys a rule grants. */
function grantedKeys(rules: Rule[], scope: string): string[] {
  return rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${scope} ${v} ${g}/${res}${r.resourceNames ? `[${r.resourceNames.join(',')}]` : ''}`))));
}

describe("Helm chart on a real API server, operator under the chart's ServiceAccount", { skip, timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let env: Env;
  let objs: K8sObject[];
  let work: string;
  let saKubeconfig: string;
  let webhookPort: number;
  let helmArgs: string[];
  let notes: string;
  const replicas: Replica[] = [];
  const auditPath = (): string => join(work, 'audit.log');

  const kubectlRaw = (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input });
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectlRaw(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async <T>(kind: string, ns: string, name: string): Promise<T | undefined> => {
    const r = await kubectlRaw(['get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'json', '--ignore-not-found']);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as T);
  };

  /** The rendered Deployment's args, with only addresses and paths moved to this machine. */
  const startReplica = async (name: string, port = 0): Promise<Replica> => {
    const deployment = find(objs, 'Deployment', FULLNAME);
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    const probePort = await freePort();
    const whPort = port || (await freePort());
    const certDir = join(work, `certs-${name}`);
    const logPath = join(cp.logDir, `operator-${name}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'meshwarden.js'),
        ...args,
        // Later values win (node:util parseArgs): only where it listens and writes changes.
        `--kubeconfig=${saKubeconfig}`,
        `--health-probe-bind-address=127.0.0.1:${probePort}`,
        `--metrics-bind-address=127.0.0.1:${probePort}`,
        `--webhook-port=${whPort}`,
        '--webhook-bind-address=127.0.0.1',
        `--cert-dir=${certDir}`,
        `--istio-version=${E2E_ISTIO_MINOR}`, // the minor of the CRDs installed (istioCrds), one minor to keep replicas quick
      ],
      { stdio: ['ignore', fd, fd], env: { ...process.env, KUBECONFIG: '', POD_NAME: name, POD_NAMESPACE: NS } },
    );
    closeSync(fd);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const replica: Replica = {
      child,
      port: whPort,
      certDir,
      logPath,
      log: () => readFileSync(logPath, 'utf8'),
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      },
    };
    replicas.push(replica);
    await eventually(
      `replica ${name} ready (log ${logPath})`,
      90_000,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${replica.log().slice(-3000)}`);
        const r = await fetch(`http://127.0.0.1:${probePort}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        return r?.status === 200;
      },
      250,
    );
    return replica;
  };

  const audit = (): AuditEvent[] => {
    const byId = new Map<string, AuditEvent>();
    for (const line of readFileSync(auditPath(), 'utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.user.username !== SA) continue;
      // One request may log ResponseStarted (watches) and ResponseComplete: keep the last.
      byId.set(e.auditID, e);
    }
    return [...byId.values()];
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mw-chart-e2e-'));
    await writeFile(
      join(work, 'audit-policy.yaml'),
      JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata', users: [SA] }, { level: 'None' }] }),
    );
    cp = await startControlPlane({
      log: (m) => console.error(`[controlplane] ${m}`),
      apiServerArgs: [
        `--audit-policy-file=${join(work, 'audit-policy.yaml')}`,
        `--audit-log-path=${join(work, 'audit.log')}`,
        '--audit-log-format=json',
        // Owner references with blockOwnerDeletion then need update on the owner's finalizers, as on OpenShift.
        '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      ],
    });
    env = { cp, kubectl, kubectlRaw, apply: async (y) => void (await kubectl(['apply', '-f', '-'], y)), getJson, stop: () => cp.stop() };
    await kubectl(['apply', '--server-side', '-f', '-'], istioCrds());
    for (const ns of [NS, 'rls', APP]) await kubectl(['create', 'namespace', ns]);

    webhookPort = await freePort();
    // Post-renderer: the webhook service reference → this machine's replica (the chart renders the
    // configuration as JSON, so its clientConfig is the only `"service": {…}` in the stream).
    const post = join(work, 'post-render.sh');
    await writeFile(
      post,
      `#!/bin/sh\nexec ${process.execPath} -e 'process.stdout.write(require("fs").readFileSync(0, "utf8").replace(/"service": \\{[^}]*\\}/g, JSON.stringify("url") + ": " + JSON.stringify("https://127.0.0.1:${webhookPort}/validate")))'\n`,
      { mode: 0o755 },
    );
    await writeFile(join(work, 'values.json'), JSON.stringify(values));
    helmArgs = ['--namespace', NS, '--kubeconfig', cp.kubeconfigPath, '--values', join(work, 'values.json'), '--post-renderer', post];
    const install = helm(['install', RELEASE, chartPath, ...helmArgs]);
    assert.equal(install.code, 0, install.stderr);
    notes = install.stdout;
    objs = parseStream(helm(['get', 'manifest', RELEASE, '--namespace', NS, '--kubeconfig', cp.kubeconfigPath]).stdout);
    assert.deepEqual(
      find(objs, 'ValidatingWebhookConfiguration', FULLNAME).webhooks.map((w: { clientConfig: unknown }) => w.clientConfig),
      [{ url: `https://127.0.0.1:${webhookPort}/validate` }, { url: `https://127.0.0.1:${webhookPort}/validate` }],
    );
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/smartlimiters.meshwarden.io', 'crd/envoyplugins.meshwarden.io']);
    await kubectl(['apply', '-f', '-'], appYaml(APP));

    // The ServiceAccount's own credentials: a bound token from the TokenRequest API.
    const token = (await kubectl(['create', 'token', FULLNAME, '-n', NS, '--duration=1h'])).trim();
    saKubeconfig = join(work, 'sa.kubeconfig');
    await writeFile(
      saKubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'sa',
        clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: 'e2e', user: 'sa', namespace: NS } }],
      }),
      { mode: 0o600 },
    );
  });

  after(async () => {
    for (const r of replicas) await r.stop();
    for (const r of replicas) console.error(`[chart-e2e] replica log ${r.logPath}`);
    await cp?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('helm install: NOTES name the Lease and the certificate Secret', () => {
    assert.match(notes, /STATUS: deployed/);
    assert.match(notes, /get lease mw-meshwarden-controller/);
    assert.match(notes, /the operator fills the caBundle at start from Secret mw-meshwarden-webhook-tls/);
  });

  test('before the operator runs, the webhook (failurePolicy Fail, no caBundle) keeps SmartLimiters out', async () => {
    const r = await kubectlRaw(['apply', '-f', '-'], smartLimiter(APP, 'early', '  - name: p\n    rate: {requests: 5, per: 1m}\n'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /failed calling webhook "validate\.meshwarden\.io"/);
  });

  test("two replicas under the ServiceAccount: one certificate through the chart's Secret, caBundle patched, one leader", async () => {
    const a = await startReplica('replica-a', webhookPort);
    const b = await startReplica('replica-b');
    const secret = (await getJson<{ data: Record<string, string> }>('secret', NS, `${FULLNAME}-webhook-tls`))!;
    assert.deepEqual(Object.keys(secret.data).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    for (const r of [a, b])
      assert.equal(readFileSync(join(r.certDir, 'tls.crt'), 'utf8'), Buffer.from(secret.data['tls.crt']!, 'base64').toString('utf8'), `${r.certDir} holds the shared certificate`);
    assert.match(a.log(), /generated the webhook certificate into its Secret/);
    assert.match(b.log(), /webhook certificate read from its Secret/);
    const vwc = (await getJson<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>('validatingwebhookconfiguration', '', FULLNAME))!;
    assert.equal(vwc.webhooks.length, 2);
    for (const w of vwc.webhooks) assert.equal(w.clientConfig.caBundle, secret.data['ca.crt']);
    const lease = await eventually("a leader on the chart's Lease", 30_000, async () => {
      const l = await getJson<{ spec: { holderIdentity?: string } }>('lease', NS, `${FULLNAME}-controller`);
      return l?.spec.holderIdentity ? l : undefined;
    });
    assert.match(lease.spec.holderIdentity!, /^replica-[ab]_/);
  });

  test('the API server now reaches the webhook over TLS with the patched CA: bad refused, good admitted', async () => {
    const badLua = `apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: bad-lua, namespace: ${APP}}
spec:
  target: {service: app}
  plugins:
  - name: tag
    lua:
      code: "function envoy_on_request(h) h:headers():add('x', '1')"
`;
    const bad = await eventually('webhook enforced', 30_000, async () => {
      const r = await kubectlRaw(['apply', '-f', '-'], badLua);
      return /denied the request/.test(r.stderr) ? r : undefined;
    });
    assert.match(bad.stderr, /admission webhook "validate\.meshwarden\.io" denied the request: EnvoyPlugin shop\/bad-lua: 1 error\n- MW501 spec\.plugins\[0\]/);
    const good = await kubectlRaw(['apply', '--dry-run=server', '-f', '-'], smartLimiter(APP, 'good', '  - name: p\n    rate: {requests: 5, per: 1m}\n'));
    assert.equal(good.code, 0, good.stderr);
  });

  test('RBAC is enough: SmartLimiters (per-pod, global), an EnvoyPlugin, pruning, finalizers, NotOwned', async () => {
    await kubectl(['apply', '-f', '-'], smartLimiter(APP, 'web', '  - name: per-pod\n    rate: {requests: 100, per: 1m}\n'));
    await waitCondition(env, 'smartlimiter', APP, 'web', 'Ready', 'True', 'Applied');
    const ef = (await getJson<{ metadata: { ownerReferences: Array<{ kind: string; blockOwnerDeletion: boolean }> } }>('envoyfilter', APP, 'web-ratelimit'))!;
    assert.deepEqual(
      ef.metadata.ownerReferences.map((o) => [o.kind, o.blockOwnerDeletion]),
      [['SmartLimiter', true]],
    );

    // Global: the rate limit service's ConfigMap in its own namespace (the chart's per-namespace Role).
    await kubectl(['apply', '-f', '-'], smartLimiter(APP, 'glob', '  - name: g\n    rate: {requests: 50, per: 1s}\n    strategy: global\n'));
    await waitCondition(env, 'smartlimiter', APP, 'glob', 'Ready', 'True', 'Applied');
    const cm = await eventually('rls/ratelimit-config', 10_000, async () => getJson<{ data: Record<string, string> }>('configmap', 'rls', 'ratelimit-config'));
    assert.match(Object.values(cm.data).join('\n'), /shop\/glob\/g/);
    // An edit that drops our entries is repaired at once: only the by-name watch in rls can report it
    // (the full resync is 10 h away), so list+watch by resourceNames is enough for the informer.
    const key = Object.keys(cm.data).find((k) => /shop\/glob\/g/.test(cm.data[k]!))!;
    await kubectl(['patch', 'configmap', 'ratelimit-config', '-n', 'rls', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: `/data/${key.replace(/~/g, '~0').replace(/\//g, '~1')}` }])]);
    await eventually('the edited ConfigMap repaired through the watch', 20_000, async () =>
      /shop\/glob\/g/.test(Object.values((await getJson<{ data?: Record<string, string> }>('configmap', 'rls', 'ratelimit-config'))?.data ?? {}).join('\n')),
    );

    // EnvoyPlugin: a WasmPlugin and a Lua EnvoyFilter, then both dropped from the spec → pruned (delete).
    const plugin = (plugins: string): string => `apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: guard, namespace: ${APP}}
spec:
  target: {service: app}
  ports: [9080]
  plugins:
${plugins}`;
    const waf = '  - name: waf\n    wasm:\n      url: oci://registry.example.com/filters/waf:1.2.0\n      phase: AUTHZ\n';
    const audit = '  - name: audit\n    wasm:\n      url: oci://registry.example.com/filters/audit:0.4.1\n      phase: STATS\n';
    const lua = '  - name: tag\n    lua:\n      code: |\n        function envoy_on_response(h) h:headers():add("x-tag", "1") end\n';
    await kubectl(['apply', '-f', '-'], plugin(waf + audit + lua));
    await waitCondition(env, 'envoyplugin', APP, 'guard', 'Ready', 'True');
    for (const [kind, name] of [
      ['wasmplugin', 'guard-waf'],
      ['wasmplugin', 'guard-audit'],
      ['envoyfilter', 'guard-plugins'],
    ])
      assert.ok(await getJson(kind!, APP, name!), `${kind} ${name}`);
    await kubectl(['apply', '-f', '-'], plugin(waf));
    await eventually(
      'guard-audit and guard-plugins pruned',
      20_000,
      async () => (await getJson('wasmplugin', APP, 'guard-audit')) === undefined && (await getJson('envoyfilter', APP, 'guard-plugins')) === undefined,
    );

    // Deleting the global limiter: its entries leave the ConfigMap (update), the finalizer goes (patch).
    await kubectl(['delete', 'smartlimiter', 'glob', '-n', APP, '--wait=true', '--timeout=30s']);
    const after = (await getJson<{ data: Record<string, string> }>('configmap', 'rls', 'ratelimit-config'))!;
    assert.doesNotMatch(Object.values(after.data).join('\n'), /shop\/glob\/g/);

    // An object of the generated name that is not ours: RBAC would allow the write, the operator does not make it.
    await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: other-ratelimit, namespace: shop}\nspec:\n  workloadSelector: {labels: {app: other}}\n  configPatches: []\n',
    );
    const rv = (await getJson<{ metadata: { resourceVersion: string } }>('envoyfilter', APP, 'other-ratelimit'))!.metadata.resourceVersion;
    await kubectl(['apply', '-f', '-'], smartLimiter(APP, 'other', '  - name: per-pod\n    rate: {requests: 10, per: 1m}\n'));
    await waitCondition(env, 'smartlimiter', APP, 'other', 'Programmed', 'False', 'NotOwned');
    assert.equal((await getJson<{ metadata: { resourceVersion: string } }>('envoyfilter', APP, 'other-ratelimit'))!.metadata.resourceVersion, rv);

    const events = JSON.parse(await kubectl(['get', 'events.events.k8s.io', '-n', APP, '-o', 'json'])) as { items: Array<{ reportingController: string }> };
    assert.ok(
      events.items.some((e) => e.reportingController === 'meshwarden.io/controller'),
      'Events recorded under the ServiceAccount',
    );
    for (const r of replicas) assert.doesNotMatch(r.log(), /forbidden/i, `${r.logPath} mentions a forbidden request`);
  });

  test('helm upgrade keeps the operator-written certificate and caBundle', async () => {
    type VWC = { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    const before = { secret: (await getJson<{ data: unknown }>('secret', NS, `${FULLNAME}-webhook-tls`))!.data, vwc: (await getJson<VWC>('validatingwebhookconfiguration', '', FULLNAME))!.webhooks };
    const up = helm(['upgrade', RELEASE, chartPath, ...helmArgs, '--set', 'controller.concurrency=8']);
    assert.equal(up.code, 0, up.stderr);
    const dep = (await getJson<{ spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }>('deployment', NS, FULLNAME))!;
    assert.ok(dep.spec.template.spec.containers[0]!.args.includes('--concurrency=8'), 'the upgrade landed');
    assert.deepEqual((await getJson<{ data: unknown }>('secret', NS, `${FULLNAME}-webhook-tls`))!.data, before.secret);
    assert.deepEqual(
      (await getJson<VWC>('validatingwebhookconfiguration', '', FULLNAME))!.webhooks.map((w) => w.clientConfig.caBundle),
      before.vwc.map((w) => w.clientConfig.caBundle),
    );
    // Still admitted through the webhook after the upgrade.
    const good = await kubectlRaw(['apply', '--dry-run=server', '-f', '-'], smartLimiter(APP, 'after-upgrade', '  - name: p\n    rate: {requests: 5, per: 1m}\n'));
    assert.equal(good.code, 0, good.stderr);
  });

  test('RBAC is no wider: every granted rule was used (or says why the audit log cannot show it); no request was refused', async () => {
    // Wait for a Lease renewal to be in the log, then stop the replicas so their watches close and are logged.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const r of replicas) await r.stop();
    const events = audit();
    assert.ok(events.length > 50, `audit log has ${events.length} requests of ${SA}`);
    const refused = events.filter((e) => e.responseStatus?.code === 403);
    assert.deepEqual(
      refused.map((e) => `${e.verb} ${e.requestURI}`),
      [],
      'requests refused by RBAC',
    );

    const used = new Set<string>();
    for (const e of events) {
      const o = e.objectRef ?? {};
      const res = `${o.apiGroup ?? ''}/${o.resource}${o.subresource ? `/${o.subresource}` : ''}`;
      used.add(`${e.verb} ${res}`);
      used.add(`${e.verb} ${res}[${o.name}]`);
    }
    const cr = find(objs, 'ClusterRole', FULLNAME);
    const roles = objs.filter((o) => o.kind === 'Role') as unknown as Array<{ metadata: { namespace: string }; rules: Rule[] }>;
    const granted = [...grantedKeys(cr.rules, 'cluster'), ...roles.flatMap((r) => grantedKeys(r.rules, r.metadata.namespace))];
    // Rules the audit log cannot show as their own verb, and why they are needed anyway (removing
    // the create or the finalizers rule makes the 'enough' test fail with 403s).
    const invisible: Record<string, string> = {
      'create networking.istio.io/envoyfilters': 'server-side apply that creates the object is authorized as create; audit records it as patch',
      'create extensions.istio.io/wasmplugins': 'server-side apply that creates the object is authorized as create; audit records it as patch',
      'update meshwarden.io/smartlimiters/finalizers': 'checked by OwnerReferencesPermissionEnforcement for blockOwnerDeletion, not a request',
      'update meshwarden.io/envoyplugins/finalizers': 'checked by OwnerReferencesPermissionEnforcement for blockOwnerDeletion, not a request',
      'patch events.k8s.io/events': 'only a repeated event within 6 minutes is patched (its series)',
    };
    const unused = granted.map((g) => g.replace(/^\S+ /, '')).filter((k) => !used.has(k) && !(k.replace(/\[.*\]$/, '') in invisible));
    const distinct = new Set([...used].filter((k) => !k.endsWith(']')));
    console.error(
      `[chart-e2e] audit: ${events.length} requests by ${SA}, ${distinct.size} distinct verb+resource; ${granted.length} granted verb+resource(+name) pairs, ${Object.keys(invisible).length} not visible in audit`,
    );
    assert.deepEqual(unused, [], `granted but never used:\n${unused.join('\n')}\nused:\n${[...used].sort().join('\n')}`);
    // And every invisible rule is still in the chart (the list above is not stale).
    for (const k of Object.keys(invisible))
      assert.ok(
        granted.some((g) => g.replace(/^\S+ /, '') === k),
        `${k} no longer granted: drop it from the list`,
      );
  });

  test('RBAC is no wider: what the ServiceAccount may not do (SubjectAccessReview)', async () => {
    const can = async (...args: string[]): Promise<boolean> => {
      const r = await kubectlRaw(['auth', 'can-i', ...args, `--as=${SA}`]);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      return r.stdout.trim() === 'yes';
    };
    const expectations: Array<[boolean, string[]]> = [
      // What it needs (controls: the checks below can say yes).
      [true, ['update', 'secret/mw-meshwarden-webhook-tls', '-n', NS]],
      [true, ['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/mw-meshwarden']],
      [true, ['update', 'configmap/ratelimit-config', '-n', 'rls']],
      [true, ['update', 'lease.coordination.k8s.io/mw-meshwarden-controller', '-n', NS]],
      [true, ['patch', 'envoyfilters.networking.istio.io', '-n', APP]],
      // Secrets: only its own certificate Secret.
      [false, ['get', 'secrets', '-n', 'kube-system']],
      [false, ['list', 'secrets', '--all-namespaces']],
      [false, ['get', 'secret/other', '-n', NS]],
      [false, ['create', 'secrets', '-n', NS]],
      // Webhook configurations: only its own caBundle.
      [false, ['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/istio-validator-istio-system']],
      [false, ['delete', 'validatingwebhookconfigurations.admissionregistration.k8s.io/mw-meshwarden']],
      [false, ['create', 'mutatingwebhookconfigurations.admissionregistration.k8s.io']],
      // ConfigMaps: read, watched and written only in the rate limit service's namespace, only the
      // named one (ADR 0105): no list or watch of every ConfigMap, anywhere.
      [true, ['watch', 'configmap/ratelimit-config', '-n', 'rls']],
      [false, ['list', 'configmaps', '--all-namespaces']],
      [false, ['watch', 'configmaps', '--all-namespaces']],
      [false, ['list', 'configmaps', '-n', 'rls']],
      [false, ['watch', 'configmaps', '-n', APP]],
      [false, ['list', 'configmaps', '-n', NS]],
      [false, ['get', 'configmap/kube-root-ca.crt', '-n', APP]],
      [false, ['update', 'configmap/ratelimit-config', '-n', APP]],
      [false, ['update', 'configmap/other', '-n', 'rls']],
      [false, ['delete', 'configmaps', '-n', 'rls']],
      // Leases: only its own, only in its namespace.
      [false, ['update', 'lease.coordination.k8s.io/other', '-n', NS]],
      [false, ['create', 'lease.coordination.k8s.io', '-n', 'kube-system']],
      // Workloads and its own API: read what it renders from, write only what it generates.
      [false, ['create', 'pods', '-n', APP]],
      [false, ['delete', 'services', '-n', APP]],
      [false, ['get', 'pods', '--subresource=log', '-n', APP]],
      [false, ['create', 'pods', '--subresource=exec', '-n', APP]],
      [false, ['update', 'smartlimiters.meshwarden.io', '-n', APP]],
      [false, ['delete', 'envoyplugins.meshwarden.io', '-n', APP]],
      [false, ['create', 'smartlimiters.meshwarden.io', '-n', APP]],
      [false, ['update', 'envoyfilters.networking.istio.io', '-n', APP]],
      [false, ['delete', 'events.events.k8s.io', '-n', APP]],
      [false, ['create', 'gateways.networking.istio.io', '-n', APP]],
      // No escalation paths.
      [false, ['create', 'clusterrolebindings']],
      [false, ['escalate', 'clusterroles']],
      [false, ['bind', 'clusterroles']],
      [false, ['impersonate', 'serviceaccounts']],
      [false, ['create', 'serviceaccounts', '--subresource=token', '-n', NS]],
      [false, ['update', 'customresourcedefinitions.apiextensions.k8s.io']],
      [false, ['create', 'certificatesigningrequests.certificates.k8s.io']],
    ];
    const wrong: string[] = [];
    for (const [want, args] of expectations) if ((await can(...args)) !== want) wrong.push(`${want ? 'cannot' : 'can'} ${args.join(' ')}`);
    assert.deepEqual(wrong, []);
  });

  test('helm uninstall: the CRDs and the resources stay (crds.keep), the rest goes', async () => {
    const r = helm(['uninstall', RELEASE, '--namespace', NS, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /These resources were kept due to the resource policy:\n\[CustomResourceDefinition\] (envoyplugins|smartlimiters)\.meshwarden\.io/);
    for (const crd of ['smartlimiters.meshwarden.io', 'envoyplugins.meshwarden.io']) assert.ok(await getJson('crd', '', crd), `${crd} kept`);
    assert.ok(await getJson('smartlimiter', APP, 'web'), 'SmartLimiters kept');
    for (const [kind, ns, name] of [
      ['validatingwebhookconfiguration', '', FULLNAME],
      ['secret', NS, `${FULLNAME}-webhook-tls`],
      ['clusterrole', '', FULLNAME],
      ['deployment', NS, FULLNAME],
    ] as const) {
      await eventually(`${kind} ${name} deleted`, 30_000, async () => (await getJson(kind, ns, name)) === undefined);
    }
  });
});
