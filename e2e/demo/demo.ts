/**
 * `npm run demo`: meshwarden working end to end on this machine, everything on 127.0.0.1.
 *
 *   a real control plane (e2e/harness/controlplane.ts) → `meshwarden serve` (operator and
 *   webhook, e2e/operator/helpers.ts) registered through the generated
 *   ValidatingWebhookConfiguration → the examples applied, their status and EnvoyFilters →
 *   bad configuration refused at `kubectl apply` → the operator following changes → a real
 *   Envoy serving the EnvoyFilter read back from the API server (e2e/envoy/harness.ts),
 *   turning requests into 429s → everything stopped.
 *
 * Run by scripts/demo.sh, which installs the binaries first and points TMPDIR at a directory
 * of its own that it removes afterwards. `--pause` waits for Enter before shutting down, to
 * try kubectl against the live cluster.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { freePort, REPO_ROOT, startControlPlane, type ControlPlane } from '../harness/controlplane.js';
import { eventually, istioCrds, ourCrds, podYaml, setPodReady, startOperator, waitCondition, type Env, type Operator } from '../operator/helpers.js';
import { ENVOYS, startTraffic } from '../envoy/harness.js';
import { validatingWebhookConfiguration } from '../../operator/src/webhook/configuration.js';
import type { EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
import type { EffectiveLimit } from '../../operator/src/api/types.gen.js';
import { codesLine, command, indent, output, say, seconds, Steps } from './output.js';

const NS = 'bookinfo';
const OPERATOR_NS = 'meshwarden-system';
/** The operator validates for Istio 1.28, whose proxy is Envoy 1.36. */
const ENVOY = ENVOYS[0];

const EXAMPLES = [
  { dir: 'smartlimiter-per-pod', kind: 'SmartLimiter', name: 'reviews', what: 'every reviews pod allows 100 requests a minute, plus a burst of 20' },
  { dir: 'smartlimiter-average', kind: 'SmartLimiter', name: 'ratings', what: '100 requests a minute shared by the ready ratings pods (3 of 4 ready)' },
  { dir: 'envoyplugin-lua', kind: 'EnvoyPlugin', name: 'stamp', what: 'a Lua filter that stamps every reviews response' },
] as const;
/** The per-pod example ships only its Service; these stand in for its Deployment's pods. */
const REVIEWS_PODS = ['reviews-1', 'reviews-2'];

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: { conditions?: Array<{ type: string; status: string }> };
  items?: Obj[];
};

/** An example's manifests (not rendered.yaml: the operator writes those objects), Lists expanded. */
function exampleObjects(dir: string): { files: string[]; objects: Obj[] } {
  const files = readdirSync(join(REPO_ROOT, 'examples', dir))
    .filter((f) => f.endsWith('.yaml') && f !== 'rendered.yaml')
    .sort();
  const docs = files.flatMap((f) => parseAllDocuments(readFileSync(join(REPO_ROOT, 'examples', dir, f), 'utf8')).map((d) => d.toJS() as Obj | null));
  return { files: files.map((f) => `examples/${dir}/${f}`), objects: docs.flatMap((o) => (o === null ? [] : o.kind === 'List' ? (o.items ?? []) : [o])) };
}

/**
 * Example Pods stand for a Deployment's pods: the API server needs an image, and `status`
 * (which `kubectl apply` ignores) is what a kubelet would report, so it is set through
 * pods/status afterwards. Returns the objects to apply and the pods to mark Ready.
 */
function asApplied(objs: Obj[]): { apply: Obj[]; ready: string[] } {
  const ready: string[] = [];
  const apply = objs.map((o) => {
    if (o.kind !== 'Pod') return o;
    if (o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.push(o.metadata.name);
    const { status: _status, ...pod } = o;
    const spec = pod.spec as { containers: Array<Record<string, unknown>> };
    return { ...pod, spec: { ...spec, containers: spec.containers.map((c) => ({ image: 'example.invalid/app:1', ...c })) } };
  });
  return { apply, ready };
}

const yamlStream = (objs: unknown[]): string => objs.map((o) => stringify(o)).join('---\n');

/** kubectl -o yaml without the bookkeeping a reader does not need. */
function trimmed(yamlText: string): string {
  const o = parseAllDocuments(yamlText)[0]!.toJS() as Obj;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) delete o.metadata[k];
  const owners = o.metadata.ownerReferences as Array<{ kind: string; name: string; controller?: boolean }> | undefined;
  if (owners) o.metadata.ownerReferences = owners.map((r) => ({ kind: r.kind, name: r.name, controller: r.controller }));
  return stringify(o, { lineWidth: 0 });
}

const maxTokens = (ef: EnvoyFilterObject): number => Number(/"max_tokens":(\d+)/.exec(JSON.stringify(ef))?.[1]);

/** A `kubectl` Env for the operator helpers, over an already started control plane. */
function envOf(cp: ControlPlane): Env {
  const kubectlRaw = (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input });
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectlRaw(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    cp,
    kubectl,
    kubectlRaw,
    apply: async (yaml) => void (await kubectl(['apply', '-f', '-'], yaml)),
    getJson: async <T>(kind: string, ns: string, name: string) => {
      const out = await kubectl(['get', kind, name, '-n', ns, '-o', 'json', '--ignore-not-found']);
      return out.trim() === '' ? undefined : (JSON.parse(out) as T);
    },
    stop: () => cp.stop(),
  };
}

const BAD_SMARTLIMITER = `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: {name: reviews-api, namespace: bookinfo}
spec:
  target: {service: reviews}
  limits:
  - name: api
    port: 9080
    match: {path: {regex: "/api/(?!internal).*"}}    # RE2, Envoy's regex engine, has no lookahead
    rate: {requests: 10, per: 1s}
`;

const BAD_ENVOYFILTER = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: hand-written, namespace: bookinfo}
spec:
  workloadSelector: {labels: {app: reviews}}
  priority: 10
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        portNumber: 8080
        filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}
    patch:
      operation: INSERT_AFTER                     # after the router: Envoy refuses the listener
      value:
        name: my.ratelimit
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
          stat_prefix: my_ratelimit
          token_bucket: {max_tokens: 10, fill_intervall: 1s}    # a typo
`;

async function main(): Promise<number> {
  const pause = process.argv.includes('--pause');
  const steps = new Steps(8);
  let cp: ControlPlane | undefined;
  let operator: Operator | undefined;
  let traffic: Awaited<ReturnType<typeof startTraffic>> | undefined;

  // Ctrl-C: the harnesses kill the control plane and Envoy and re-raise the signal; the operator is ours to kill.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.log(`\n${sig}: stopping everything`);
      operator?.child.kill('SIGKILL');
    });
  }

  console.log('meshwarden demo: a real kube-apiserver, the operator and its webhook, and a real Envoy, all on 127.0.0.1');
  try {
    steps.step('Start a Kubernetes control plane', 'etcd, kube-apiserver and kube-controller-manager built from k8s.io/kubernetes (scripts/build-controlplane.sh)');
    const progress = (m: string): void => {
      if (/^(etcd|kube-apiserver|kube-controller-manager) /.test(m)) say(m.replace(/ in (\d+) ms$/, (_, ms: string) => ` in ${seconds(Number(ms))}`));
    };
    cp = await startControlPlane({ log: progress });
    const env = envOf(cp);
    await env.kubectl(['apply', '--server-side', '-f', '-'], `${ourCrds()}\n---\n${istioCrds()}`);
    await env.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/smartlimiters.meshwarden.io',
      'crd/envoyplugins.meshwarden.io',
      'crd/envoyfilters.networking.istio.io',
      'crd/wasmplugins.extensions.istio.io',
    ]);
    say("CRDs installed: SmartLimiter and EnvoyPlugin (crds/), Istio's EnvoyFilter and WasmPlugin");
    for (const ns of [NS, OPERATOR_NS]) await env.kubectl(['create', 'namespace', ns]);

    steps.step(
      'Start `meshwarden serve`: the operator and its admission webhook',
      'As the Helm chart does without cert-manager: the ValidatingWebhookConfiguration is registered without a CA, serve generates one and patches it into caBundle.',
    );
    const webhookPort = await freePort();
    const certDir = join(cp.dir, 'webhook-certs');
    const vwc = validatingWebhookConfiguration({ url: `https://127.0.0.1:${webhookPort}/validate`, operatorNamespace: OPERATOR_NS });
    say('the ValidatingWebhookConfiguration, as operator/src/webhook/configuration.ts generates it for the chart:');
    command('kubectl apply -f webhook.yaml');
    await env.kubectl(['apply', '-f', '-'], JSON.stringify(vwc));
    for (const w of vwc.webhooks as Array<{ name: string; failurePolicy: string; rules: Array<{ resources: string[] }> }>) {
      say(
        `  ${w.name.padEnd(30)} ${w.rules
          .flatMap((r) => r.resources)
          .join(', ')
          .padEnd(26)} failurePolicy ${w.failurePolicy}`,
      );
    }
    command(`meshwarden serve --webhook-port ${webhookPort} --webhook-configuration ${vwc.metadata.name} --cert-dir <tmp>/webhook-certs --istio-version 1.28 …`);
    const t = Date.now();
    operator = await startOperator(env, ['--webhook-port', String(webhookPort), '--cert-dir', certDir, '--webhook-configuration', vwc.metadata.name], { name: 'demo' });
    say(`ready in ${seconds(Date.now() - t)}: informer caches synced, leader, webhook serving`);
    const caPem = readFileSync(join(certDir, 'ca.crt'), 'utf8');
    const bundles = await env.kubectl(['get', 'validatingwebhookconfiguration', vwc.metadata.name, '-o', 'jsonpath={.webhooks[*].clientConfig.caBundle}']);
    const patched = bundles.split(' ').every((b) => Buffer.from(b, 'base64').toString('utf8') === caPem);
    if (!patched) throw new Error(`caBundle of ${vwc.metadata.name} is not the CA in ${certDir}/ca.crt`);
    say(`caBundle of both webhooks = the CA serve generated in --cert-dir`);
    // The API server loads webhook configurations through an informer: wait until a bad object is denied.
    await eventually(
      'the webhook to be enforced',
      30_000,
      async () => {
        const r = await env.kubectlRaw(['apply', '--dry-run=server', '-f', '-'], BAD_ENVOYFILTER);
        return r.code !== 0 && r.stderr.includes('denied the request');
      },
      250,
    );

    steps.step('Apply three examples', 'Pods stand in for Deployments (there is no kubelet): the demo sets their Ready condition itself.');
    say(`two reviews pods, ${REVIEWS_PODS.join(' and ')}, Ready:`);
    command('kubectl apply -f reviews-pods.yaml');
    await env.kubectl(['apply', '-f', '-'], REVIEWS_PODS.map((p) => podYaml(NS, p, 'reviews')).join('---\n'));
    for (const pod of REVIEWS_PODS) await setPodReady(env, NS, pod, true);
    for (const ex of EXAMPLES) {
      const { files, objects } = exampleObjects(ex.dir);
      const { apply, ready } = asApplied(objects);
      say(`${ex.what}:`);
      command(`kubectl apply ${files.map((f) => `-f ${f}`).join(' ')}`);
      await env.kubectl(['apply', '-f', '-'], yamlStream(apply));
      for (const pod of ready) await setPodReady(env, NS, pod, true);
    }
    for (const ex of EXAMPLES) await waitCondition(env, ex.kind, NS, ex.name, 'Ready', 'True');
    const effective = async (name: string): Promise<EffectiveLimit | undefined> => (await env.getJson<{ status?: { effective?: EffectiveLimit[] } }>('smartlimiter', NS, name))?.status?.effective?.[0];
    await eventually('ratings averaged over 3 pods', 30_000, async () => (await effective('ratings'))?.replicas === 3);
    command(`kubectl get smartlimiters,envoyplugins -n ${NS}`);
    output(await env.kubectl(['get', 'smartlimiters,envoyplugins', '-n', NS]));
    const eff = (await effective('ratings'))!;
    say(`ratings' status.effective: ${eff.replicas} ready pods → ${eff.perPodRequests} requests per pod per ${eff.per}`);

    steps.step('The generated objects', 'Server-side applied with field manager meshwarden, owned by their resource (deleted with it).');
    command(`kubectl get envoyfilters -n ${NS}`);
    output(await env.kubectl(['get', 'envoyfilters', '-n', NS]));
    command(`kubectl get envoyfilter reviews-ratelimit -n ${NS} -o yaml     # trimmed`);
    output(trimmed(await env.kubectl(['get', 'envoyfilter', 'reviews-ratelimit', '-n', NS, '-o', 'yaml'])));

    steps.step('Bad configuration is refused at kubectl apply', 'The webhook runs the same validator as `meshwarden lint`, with the cluster as context; nothing is stored.');
    for (const [what, yaml] of [
      ['A SmartLimiter whose path regex Envoy cannot compile:', BAD_SMARTLIMITER],
      ['A hand-written EnvoyFilter that would take the listener down:', BAD_ENVOYFILTER],
    ] as const) {
      say(what);
      output(yaml);
      command('kubectl apply -f -');
      const r = await env.kubectlRaw(['apply', '-f', '-'], yaml);
      if (r.code === 0) throw new Error(`the webhook let a bad object through: ${r.stdout}`);
      output(r.stderr);
      console.log();
    }
    const stored = await env.kubectlRaw(['get', 'smartlimiter/reviews-api', 'envoyfilter/hand-written', '-n', NS]);
    say(
      `nothing was stored: ${stored.stderr
        .trim()
        .split('\n')
        .map((l) => l.replace(/^Error from server \(NotFound\): /, ''))
        .join('; ')}`,
    );

    steps.step('The operator follows the cluster', 'Every change to a resource, its Service or its pods is reconciled into the EnvoyFilters.');
    const efOf = async (name: string) => (await env.getJson<EnvoyFilterObject>('envoyfilter', NS, name))!;
    const follow = async (what: string, name: string, want: number, change: () => Promise<void>): Promise<void> => {
      const before = maxTokens(await efOf(name));
      const t0 = Date.now();
      await change();
      await eventually(`${name} max_tokens ${want}`, 30_000, async () => maxTokens(await efOf(name)) === want, 100);
      say(`${what}: ${name} max_tokens ${before} → ${want} in ${seconds(Date.now() - t0)}`);
    };
    command(`kubectl patch pod ratings-4 -n ${NS} --subresource=status …     # a fourth ratings pod becomes Ready`);
    await follow('100 a minute over 4 pods', 'ratings-ratelimit', 25, () => setPodReady(env, NS, 'ratings-4', true));
    const tighten = '[{"op":"replace","path":"/spec/limits/0/rate/requests","value":5},{"op":"replace","path":"/spec/limits/0/burst","value":0}]';
    command(`kubectl patch smartlimiter reviews -n ${NS} --type=json -p '${tighten}'`);
    await follow('5 a minute, no burst', 'reviews-ratelimit', 5, async () => void (await env.kubectl(['patch', 'smartlimiter', 'reviews', '-n', NS, '--type=json', '-p', tighten])));
    await waitCondition(env, 'SmartLimiter', NS, 'reviews', 'Ready', 'True');

    steps.step(
      'A real Envoy enforces the generated limiter',
      `Envoy ${ENVOY.envoy} (Istio ${ENVOY.istio.replace(/\.0$/, '')}'s proxy) runs the reviews-ratelimit EnvoyFilter read back from the API server, applied to the inbound listener istiod would generate for a reviews pod (the Istio baseline the validator uses), served on 127.0.0.1 in front of a tiny backend.`,
    );
    traffic = await startTraffic(ENVOY, await efOf('reviews-ratelimit'), { side: 'inbound', port: 8080 });
    const replies = [];
    for (let i = 0; i < 8; i++) replies.push(await traffic.send('/reviews/1'));
    say(codesLine(replies.map((r) => r.status)));
    const limited = replies[replies.length - 1]!;
    say(`the last answer: ${limited.status}, retry-after: ${String(limited.headers['retry-after'])}, body "${limited.body.trim()}"`);
    const stats = await traffic.envoy.stats('meshwarden.bookinfo.reviews.per-pod');
    const counter = (suffix: string): number => Object.entries(stats).find(([k]) => k.endsWith(suffix))?.[1] ?? 0;
    say(`Envoy's stats: ok ${counter('http_local_rate_limit.ok')}, rate_limited ${counter('http_local_rate_limit.rate_limited')}; the backend saw ${traffic.backend.seen} requests`);

    if (pause && process.stdin.isTTY) {
      console.log(`\nThe cluster is still up. In another shell:\n  export KUBECONFIG=${cp.kubeconfigPath}\n  ${join(REPO_ROOT, '.tools', 'bin', 'kubectl')} describe smartlimiter reviews -n ${NS}`);
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      await rl.question('Press Enter to shut everything down. ');
      rl.close();
    }
    return 0;
  } catch (e) {
    console.error(`\ndemo failed: ${(e as Error).message}`);
    if (operator) console.error(`last lines of the operator's log:\n${indent(operator.log().trimEnd().split('\n').slice(-15).join('\n'))}`);
    return 1;
  } finally {
    steps.step('Shut down');
    if (traffic) {
      await traffic.stop();
      say('Envoy and the backend stopped');
    }
    if (operator) {
      const t0 = Date.now();
      const code = await operator.stop('SIGTERM');
      say(`meshwarden serve: SIGTERM → released its Lease, exited ${code} in ${seconds(Date.now() - t0)}`);
    }
    if (cp) {
      const t0 = Date.now();
      await cp.stop();
      say(`control plane stopped in ${seconds(Date.now() - t0)}; its temp dir is removed`);
    }
    steps.close();
    console.log(`\ndemo finished in ${seconds(steps.elapsed())}`);
  }
}

process.exitCode = await main();
