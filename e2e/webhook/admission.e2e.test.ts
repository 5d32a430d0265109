/**
 * The admission webhook against a real kube-apiserver: our CRDs and Istio's own EnvoyFilter and
 * WasmPlugin CRDs installed, a ValidatingWebhookConfiguration from configuration.ts pointing at
 * `https://127.0.0.1:<port>/validate` with the generated CA as caBundle, and kubectl as the user.
 *
 * The webhook runs as the real process `meshwarden serve --webhook-only`; its context is the
 * static default (no cluster facts).
 * Needs `.tools/bin/kube-controlplane` (scripts/setup-e2e.sh) and Go for
 * scripts/fetch-istio-crds.sh (cached). Skipped when the control plane is missing, unless
 * MESHWARDEN_E2E_REQUIRE=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { controlPlaneAvailable, freePort, startControlPlane, REPO_ROOT, type ControlPlane } from '../harness/controlplane.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { validatingWebhookConfiguration } from '../../operator/src/webhook/configuration.js';
import * as f from '../../operator/src/webhook/fixtures.js';
import { defaultIstioMinors } from '../../operator/src/versions/table.js';

const skip = controlPlaneAvailable() || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/kube-controlplane not built: run scripts/setup-e2e.sh';

/** The oldest minor Istio supports (the table's default set): its CRDs in the API server, the webhook judging for it. */
const ISTIO_MINOR = defaultIstioMinors()[0]!;
const OPERATOR_NS = 'meshwarden-system';
const NS = 'shop';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const yaml = (o: unknown): string => JSON.stringify(o); // JSON is YAML; kubectl reads either

/** Istio's EnvoyFilter and WasmPlugin CRDs, from scripts/fetch-istio-crds.sh's cache. */
function istioCrds(): string {
  const file = join(REPO_ROOT, '.tools', 'istio', ISTIO_MINOR, 'crd-all.gen.yaml');
  if (!existsSync(file)) execFileSync('bash', [join(REPO_ROOT, 'scripts', 'fetch-istio-crds.sh'), ISTIO_MINOR], { stdio: 'inherit' });
  const wanted = new Set(['envoyfilters.networking.istio.io', 'wasmplugins.extensions.istio.io']);
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { metadata?: { name?: string } } | null)
    .filter((d) => d && wanted.has(d.metadata?.name ?? ''));
  assert.equal(docs.length, 2, `${file} lacks the EnvoyFilter/WasmPlugin CRDs`);
  return docs.map((d) => yaml(d)).join('\n---\n');
}

/** A SmartLimiter the CRD schema accepts and the validator refuses: a global limit with no rate limit service (MW604). */
const globalWithoutRls = (name: string, namespace: string) => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name, namespace },
  spec: {
    target: { workloadSelector: { matchLabels: { app: 'reviews' } } },
    limits: [{ name: 'global', port: 9080, rate: { requests: 100, per: '1m' }, strategy: 'global' }],
  },
});

const envoyPlugin = (name: string, code: string) => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'EnvoyPlugin',
  metadata: { name, namespace: NS },
  spec: { target: { workloadSelector: { matchLabels: { app: 'reviews' } } }, plugins: [{ name: 'stamp', lua: { code } }] },
});

describe('admission webhook on a real kube-apiserver', { skip, timeout: 420_000 }, () => {
  let cp: ControlPlane;
  let wh: ChildProcess | undefined;
  let certDir: string;
  let port = 0;
  let metricsPort = 0;
  const apply = (obj: unknown, ...extra: string[]) => cp.kubectl(['apply', '-f', '-', ...extra], { input: yaml(obj) });

  /** Starts `meshwarden serve --webhook-only` (same port and certificates on a restart); returns the CA. */
  const startWebhook = async (): Promise<string> => {
    if (port === 0) port = await freePort();
    if (metricsPort === 0) metricsPort = await freePort();
    wh = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'meshwarden.js'),
        'serve',
        '--webhook-only',
        '--webhook-port',
        String(port),
        '--webhook-bind-address',
        '127.0.0.1',
        // /metrics is served on the metrics port only (ADR 0101), never on the webhook's TLS port.
        '--metrics-bind-address',
        `127.0.0.1:${metricsPort}`,
        '--health-probe-bind-address',
        '0',
        '--cert-dir',
        certDir,
        '--istio-version',
        ISTIO_MINOR,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Ready only once the evaluation workers are warm: from the TypeScript sources that is tsx
    // transpiling the validator in each worker process, tens of seconds on a loaded 2-core machine.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const ready = await new Promise<boolean>((resolve) => {
        const req = httpsGet({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false }, (res) => resolve(res.statusCode === 200));
        req.on('error', () => resolve(false));
      });
      if (ready) return readFileSync(join(certDir, 'ca.crt'), 'utf8');
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('meshwarden serve --webhook-only did not become ready in 120 s');
  };

  const stopWebhook = async (): Promise<void> => {
    const child = wh;
    wh = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  before(async () => {
    const t0 = Date.now();
    certDir = await mkdtemp(join(tmpdir(), 'mw-webhook-e2e-'));
    cp = await startControlPlane({ log: (m) => console.error(`[controlplane] ${m}`) });
    const crds = await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds'), '-f', '-'], { input: istioCrds() });
    assert.equal(crds.code, 0, crds.stderr);
    const est = await cp.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/smartlimiters.meshwarden.io',
      'crd/envoyplugins.meshwarden.io',
      'crd/envoyfilters.networking.istio.io',
      'crd/wasmplugins.extensions.istio.io',
    ]);
    assert.equal(est.code, 0, est.stderr);
    for (const ns of [NS, OPERATOR_NS]) assert.equal((await cp.kubectl(['create', 'namespace', ns])).code, 0);

    const caPem = await startWebhook();
    const config = validatingWebhookConfiguration({ url: `https://127.0.0.1:${port}/validate`, caPem, operatorNamespace: OPERATOR_NS, istioFailurePolicy: 'Ignore' });
    const r = await apply(config);
    assert.equal(r.code, 0, r.stderr);
    // The API server picks the configuration up through an informer: wait until it is enforced.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await apply(globalWithoutRls('probe', NS), '--dry-run=server');
      if (probe.code !== 0 && /denied the request/.test(probe.stderr)) break;
      if (Date.now() > deadline) assert.fail(`webhook not enforced after 30 s: ${probe.stdout} ${probe.stderr}`);
      await sleep(250);
    }
    console.error(`[webhook-e2e] control plane, CRDs and webhook ready in ${Date.now() - t0} ms`);
  });

  after(async () => {
    await stopWebhook();
    await cp?.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  test('a bad SmartLimiter is refused with rule, field path and fix', async () => {
    const r = await apply(globalWithoutRls('no-rls', NS));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "validate\.meshwarden\.io" denied the request: SmartLimiter shop\/no-rls: 1 error/);
    assert.match(r.stderr, /- MW604 spec\.limits\[0\]\.strategy: a global limit needs a rate limit service \(fix: /);
    const got = await cp.kubectl(['get', 'smartlimiter', 'no-rls', '-n', NS, '--ignore-not-found', '-o', 'name']);
    assert.equal(got.stdout.trim(), '');
    console.error(`[webhook-e2e] kubectl said:\n${r.stderr.trim()}`);
  });

  test('a bad EnvoyPlugin is refused at the resource field that generated the broken Lua', async () => {
    const r = await apply(envoyPlugin('bad-lua', "function envoy_on_request(h) h:headers():add('x', '1')"));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /denied the request: EnvoyPlugin shop\/bad-lua: 1 error\n- MW501 spec\.plugins\[0\]: generated EnvoyFilter .*Lua syntax error/);
  });

  test("a bad raw EnvoyFilter is refused (its patch value passes Istio's CRD schema, not Envoy's protos)", async () => {
    const r = await apply(f.badEnvoyFilter('broken', NS));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "istio\.validate\.meshwarden\.io" denied the request: EnvoyFilter shop\/broken: 3 errors/);
    assert.match(r.stderr, /- MW201 spec\.configPatches\[0\]\.patch\.value\.typed_config\.token_bucket\.fill_intervall: unknown field "fill_intervall".*\(fix: did you mean "fill_interval"\?\)/);
  });

  test('good SmartLimiter, EnvoyPlugin and EnvoyFilter are accepted', async () => {
    const plugin = envoyPlugin('stamp', "function envoy_on_request(h) h:headers():add('x-stamp', '1') end");
    for (const obj of [f.goodSmartLimiter('reviews', NS), plugin, f.goodEnvoyFilter(20, 'ratelimit-20', NS)]) {
      const r = await apply(obj);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /created/);
      assert.equal(r.stderr, '', 'no warnings expected');
    }
  });

  test('warnings are shown by kubectl and the object is created', async () => {
    const r1 = await apply(f.warnEnvoyFilter('lua-noop', NS));
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stderr, /^Warning: MW503 spec\.configPatches\[0\]….inline_string: Lua script defines neither/m);
    const r2 = await apply(f.serviceSmartLimiter('by-service', NS));
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /^Warning: MW601 spec\.target\.service: Service "reviews" not found in namespace "shop"/m);
  });

  test('UPDATE is validated: a good EnvoyFilter cannot be changed into a bad one', async () => {
    const good = f.goodEnvoyFilter(1, 'update-me', NS);
    assert.equal((await apply(good)).code, 0);
    const bad = f.badEnvoyFilter('update-me', NS);
    const r = await apply(bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /denied the request: EnvoyFilter shop\/update-me/);
  });

  test('--dry-run=server is a preflight: same verdict, nothing stored', async () => {
    const bad = await apply(globalWithoutRls('dry-bad', NS), '--dry-run=server');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /denied the request: SmartLimiter shop\/dry-bad: 1 error\n- MW604/);
    const good = await apply(f.goodSmartLimiter('dry-good', NS), '--dry-run=server');
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /created \(server dry run\)/);
    const got = await cp.kubectl(['get', 'smartlimiter', 'dry-good', '-n', NS, '--ignore-not-found', '-o', 'name']);
    assert.equal(got.stdout.trim(), '');
    const warn = await apply(f.warnEnvoyFilter('dry-warn', NS), '--dry-run=server');
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: MW503/);
  });

  test('the operator namespace and kube-system are not validated', async () => {
    for (const ns of [OPERATOR_NS, 'kube-system']) {
      const r1 = await apply(globalWithoutRls('no-rls', ns));
      assert.equal(r1.code, 0, `${ns}: ${r1.stderr}`);
      const r2 = await apply(f.badEnvoyFilter('broken', ns));
      assert.equal(r2.code, 0, `${ns}: ${r2.stderr}`);
    }
  });

  test('the webhook counted what it answered, on the metrics port and not on its TLS port', async () => {
    const onWebhookPort = await new Promise<number | undefined>((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    assert.equal(onWebhookPort, 404, '/metrics must not be served on the webhook port');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const n = Number(/controller_runtime_webhook_requests_total\{code="200",webhook="\/validate"\} (\d+)/.exec(text)?.[1] ?? 0);
    assert.ok(n >= 8, `only ${n} admissions counted`);
    assert.match(text, /meshwarden_webhook_admissions_total\{kind="EnvoyFilter",operation="CREATE",allowed="false"\} \d+/);
  });

  test('webhook down: failurePolicy Fail refuses our CRDs with a clear error, Ignore lets raw EnvoyFilters through', async () => {
    await stopWebhook();
    const ours = await apply(f.goodSmartLimiter('while-down', NS));
    assert.notEqual(ours.code, 0);
    assert.match(ours.stderr, /failed calling webhook "validate\.meshwarden\.io"/);
    assert.match(ours.stderr, /connection refused/);
    const raw = await apply(f.badEnvoyFilter('while-down', NS));
    assert.equal(raw.code, 0, raw.stderr);
    assert.match(raw.stdout, /envoyfilter\.networking\.istio\.io\/while-down created/);

    // Back up on the same port with the same certificate: enforced again.
    await startWebhook();
    const again = await apply(globalWithoutRls('after-restart', NS));
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /MW604/);
  });
});
