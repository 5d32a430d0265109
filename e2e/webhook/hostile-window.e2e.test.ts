/**
 * A hostile dry run no longer opens a window for a bad EnvoyFilter (issue 21): on a real
 * kube-apiserver, with the chart's failure policies (our CRDs Fail, raw EnvoyFilter Ignore), an
 * EnvoyFilter whose Lua top level escapes the emulator's instruction budget is sent with
 * `kubectl apply --dry-run=server`; while it is being judged, a broken EnvoyFilter
 * (fill_interval -1s) and a valid SmartLimiter are applied. Before the evaluation pool, the
 * webhook's event loop was stuck on the first: the API server timed out on the other two, so the
 * broken EnvoyFilter was stored (Ignore) and the valid SmartLimiter refused (Fail).
 *
 * The webhook is the real process `meshwarden serve --webhook-only` (evaluation workers, 0.6 s
 * evaluation budget). Whichever bound stops the hostile script first — the pool's deadline
 * (ADR 0101) or the Lua emulator's own budget — the outcome must be the same: nothing of the
 * window stored, the valid object admitted. The pool's path itself is pinned, independently of
 * any input, by operator/src/webhook/server.test.ts. Skipped when the control plane is missing, unless MESHWARDEN_E2E_REQUIRE=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { controlPlaneAvailable, freePort, startControlPlane, REPO_ROOT, type ControlPlane } from '../harness/controlplane.js';
import { validatingWebhookConfiguration } from '../../operator/src/webhook/configuration.js';
import * as f from '../../operator/src/webhook/fixtures.js';
import { defaultIstioMinors } from '../../operator/src/versions/table.js';

const skip = controlPlaneAvailable() || process.env.MESHWARDEN_E2E_REQUIRE === '1' ? false : '.tools/bin/kube-controlplane not built: run scripts/setup-e2e.sh';

/** The oldest minor Istio supports (the table's default set): its CRDs in the API server, the webhook judging for it. */
const ISTIO_MINOR = defaultIstioMinors()[0]!;
const OPERATOR_NS = 'meshwarden-system';
const NS = 'shop';
/**
 * Under the Lua emulator's own load-time budget (1 s), so that the pool's deadline is what stops
 * the hostile script here; ordinary objects take milliseconds (tens on a loaded machine).
 */
const EVAL_TIMEOUT_MS = 600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const json = (o: unknown): string => JSON.stringify(o); // JSON is YAML; kubectl reads either

/** Istio's EnvoyFilter and WasmPlugin CRDs, from scripts/fetch-istio-crds.sh's cache. */
function istioCrds(): string {
  const file = join(REPO_ROOT, '.tools', 'istio', ISTIO_MINOR, 'crd-all.gen.yaml');
  if (!existsSync(file)) execFileSync('bash', [join(REPO_ROOT, 'scripts', 'fetch-istio-crds.sh'), ISTIO_MINOR], { stdio: 'inherit' });
  const wanted = new Set(['envoyfilters.networking.istio.io', 'wasmplugins.extensions.istio.io']);
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { metadata?: { name?: string } } | null)
    .filter((d) => d && wanted.has(d.metadata?.name ?? ''))
    .map(json)
    .join('\n---\n');
}

/** ~150 bytes of Lua whose top level backtracks exponentially inside one string-pattern call. */
const hostileLua = "local s = string.rep('a', 30) s:find(string.rep('a*', 40) .. 'b')";
const luaFilter = (name: string, code: string) =>
  f.envoyFilter(name, NS, [
    {
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'SIDECAR_INBOUND',
        listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
      },
      patch: {
        operation: 'INSERT_BEFORE',
        value: { name: 'hostile.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: code } } },
      },
    },
  ]);
/** Passes Istio's CRD schema; Envoy refuses it (MW206 fill_interval must be greater than 0s). */
const brokenEnvoyFilter = () => f.envoyFilter('broken-window', NS, [f.localRateLimitPatch(0, { token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '-1s' } })]);

describe('a hostile dry run on a real kube-apiserver opens no window', { skip, timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let wh: ChildProcess | undefined;
  let certDir: string;
  let port = 0;
  const apply = (obj: unknown, ...extra: string[]) => cp.kubectl(['apply', '-f', '-', ...extra], { input: json(obj) });
  const probe = (path: string): Promise<number> =>
    new Promise((resolve) => {
      const req = httpsGet({ host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 2_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });

  before(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'mw-hostile-window-'));
    cp = await startControlPlane({ log: (m) => console.error(`[controlplane] ${m}`) });
    const crds = await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds'), '-f', '-'], { input: istioCrds() });
    assert.equal(crds.code, 0, crds.stderr);
    const est = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/smartlimiters.meshwarden.io', 'crd/envoyfilters.networking.istio.io']);
    assert.equal(est.code, 0, est.stderr);
    for (const ns of [NS, OPERATOR_NS]) assert.equal((await cp.kubectl(['create', 'namespace', ns])).code, 0);

    port = await freePort();
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
        '--metrics-bind-address',
        '0',
        '--cert-dir',
        certDir,
        '--istio-version',
        ISTIO_MINOR,
        '--webhook-eval-timeout',
        `${EVAL_TIMEOUT_MS}ms`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Ready only once the evaluation workers are warm: on a loaded 2-core machine that can take a minute.
    const deadline = Date.now() + 180_000;
    while ((await probe('/readyz')) !== 200) {
      if (Date.now() > deadline || wh.exitCode !== null) assert.fail('meshwarden serve --webhook-only did not become ready in 180 s');
      await sleep(250);
    }
    const caPem = readFileSync(join(certDir, 'ca.crt'), 'utf8');
    // The chart's policies: Fail for our CRDs, Ignore for raw EnvoyFilters (docs/adr/0102).
    const config = validatingWebhookConfiguration({ url: `https://127.0.0.1:${port}/validate`, caPem, operatorNamespace: OPERATOR_NS, istioFailurePolicy: 'Ignore', meshwardenFailurePolicy: 'Fail' });
    assert.equal((await apply(config)).code, 0);
    const enforced = Date.now() + 30_000;
    for (;;) {
      const r = await apply(f.badEnvoyFilter('probe', NS), '--dry-run=server');
      if (r.code !== 0 && /denied the request/.test(r.stderr)) break;
      if (Date.now() > enforced) assert.fail(`webhook not enforced after 30 s: ${r.stdout} ${r.stderr}`);
      await sleep(250);
    }
  });

  after(async () => {
    const child = wh;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await cp?.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  test('while the hostile EnvoyFilter is judged, a broken EnvoyFilter is refused and a valid SmartLimiter admitted; the hostile one is denied naming the budget', async () => {
    const t0 = performance.now();
    const hostile = apply(luaFilter('hostile', hostileLua), '--dry-run=server').then((r) => ({ ...r, ms: performance.now() - t0 }));
    // kubectl start-up and the API server's round trip: the hostile request reaches the webhook first.
    await sleep(300);
    const healthz = performance.now();
    assert.equal(await probe('/healthz'), 200);
    const healthzMs = performance.now() - healthz;
    const [broken, valid] = await Promise.all([apply(brokenEnvoyFilter()), apply(f.goodSmartLimiter('valid-window', NS))]);
    const othersMs = performance.now() - t0;
    const h = await hostile;
    console.error(
      `[hostile-window] /healthz ${Math.round(healthzMs)} ms; broken+valid answered ${Math.round(othersMs)} ms after the hostile request left; hostile answered after ${Math.round(h.ms)} ms: ${h.stderr.trim().slice(0, 300)}`,
    );

    assert.notEqual(broken.code, 0, `the broken EnvoyFilter was admitted: ${broken.stdout}`);
    assert.match(
      broken.stderr,
      /admission webhook "istio\.validate\.meshwarden\.io" denied the request: EnvoyFilter shop\/broken-window: 1 error\n- MW206 spec\.configPatches\[0\]\.patch\.value\.typed_config\.token_bucket\.fill_interval/,
    );
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /smartlimiter\.meshwarden\.io\/valid-window created/);

    assert.notEqual(h.code, 0, `the hostile EnvoyFilter was admitted: ${h.stdout}`);
    // Denied naming a budget: the evaluation pool's deadline, or (since the emulator counts pattern
    // work itself) the validator's own load-time budget, MW506. Either way judged, not timed out.
    assert.match(h.stderr, /denied the request: EnvoyFilter shop\/hostile: [\s\S]*budget/);
    // Denied by the webhook within its budget, never timed out into the failure policy (timeoutSeconds 10).
    assert.doesNotMatch(h.stderr, /context deadline exceeded|failed calling webhook/);
    assert.ok(healthzMs < 1_000, `/healthz took ${Math.round(healthzMs)} ms while the hostile request was judged`);

    const stored = await cp.kubectl(['get', 'envoyfilter', 'broken-window', 'hostile', '-n', NS, '--ignore-not-found', '-o', 'name']);
    assert.equal(stored.stdout.trim(), '', 'nothing of the window was stored');
  });

  test('SIGTERM stops the webhook promptly while a hostile request is being judged', async () => {
    const hostile = apply(luaFilter('hostile-at-stop', hostileLua), '--dry-run=server');
    await sleep(300);
    const child = wh!;
    const t0 = Date.now();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await exited;
    const ms = Date.now() - t0;
    assert.equal(code, 0);
    assert.ok(ms < 5_000, `exited ${ms} ms after SIGTERM`);
    const r = await hostile;
    // Answered "shutting down, retry" or (the connection gone) refused by the Ignore policy of a dry run: never stored either way.
    console.error(`[hostile-window] exit ${ms} ms after SIGTERM; kubectl: ${r.stderr.trim().slice(0, 200)}`);
    const stored = await cp.kubectl(['get', 'envoyfilter', 'hostile-at-stop', '-n', NS, '--ignore-not-found', '-o', 'name']);
    assert.equal(stored.stdout.trim(), '');
  });
});
