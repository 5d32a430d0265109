/**
 * Cross-checks the MW110-MW113 verdicts against a real kube-apiserver with Istio's CRDs of 1.28
 * and 1.31 installed: `kubectl create --dry-run=server --validate=strict` runs the same OpenAPI
 * schema, pruning/unknown-field detection and CEL rules (with the real Kubernetes URL library).
 * Needs .tools/bin/kube-controlplane (scripts/setup-e2e.sh) and .tools/istio
 * (scripts/fetch-istio-crds.sh); skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from '../../../../e2e/harness/controlplane.js';
import { checkIstioObject, hasIstioCrds, istioCrdFile } from './index.js';
import { seededRandom } from '../../../test/seeded-random.js';

const MINORS = ['1.28', '1.31'] as const;
const skip = !controlPlaneAvailable() ? 'no .tools/bin/kube-controlplane (scripts/setup-e2e.sh)' : !MINORS.every(hasIstioCrds) ? 'no Istio CRDs (scripts/fetch-istio-crds.sh)' : false;

const HCM = 'envoy.filters.network.http_connection_manager';
const ef = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace: 'shop' }, spec });
const wp = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name, namespace: 'shop' }, spec });
const patch = (match: Record<string, unknown>, op = 'INSERT_BEFORE') => ({ applyTo: 'HTTP_FILTER', match, patch: { operation: op, value: { name: 'x' } } });
const lm = { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } } };

const objects: Array<Record<string, unknown>> = [
  ef('good', { workloadSelector: { labels: { app: 'a' } }, priority: 10, configPatches: [patch(lm)] }),
  ef('unknown-match-field', { configPatches: [patch({ ...lm, proxyVersion: '1' })] }),
  ef('waypoint', { configPatches: [patch({ context: 'WAYPOINT', waypoint: { portNumber: 80 } })] }),
  ef('merge-replace-list', { configPatches: [patch(lm, 'MERGE_AND_REPLACE_LIST')] }),
  ef('two-matches', { configPatches: [patch({ listener: {}, cluster: {} })] }),
  ef('bad-applyto', { configPatches: [{ ...patch(lm), applyTo: 'HTTP_FILTERS' }] }),
  ef('selector-and-refs', { workloadSelector: { labels: { app: 'a' } }, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'g' }] }),
  ef('wildcard-label', { workloadSelector: { labels: { app: 'a*' } } }),
  ef('priority-string', { priority: '10' }),
  ef('cross-ns-ref', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'g', namespace: 'other' }] }),
  ef('value-free-form', { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'MERGE', value: { anything: { goes: [1, 'x'] } } } }] }),
  wp('good', { url: 'oci://ghcr.io/acme/f:1', selector: { matchLabels: { app: 'a' } } }),
  wp('no-url', { selector: { matchLabels: { app: 'a' } } }),
  wp('bad-sha', { url: 'oci://ghcr.io/acme/f:1', sha256: 'ABC' }),
  wp('env-host-value', { url: 'oci://ghcr.io/acme/f:1', vmConfig: { env: [{ name: 'A', valueFrom: 'HOST', value: 'x' }] } }),
  wp('bad-phase', { url: 'oci://ghcr.io/acme/f:1', phase: 'LATE' }),
  wp('empty-key', { url: 'oci://ghcr.io/acme/f:1', selector: { matchLabels: { '': 'a' } } }),
  wp('dup-port', { url: 'oci://ghcr.io/acme/f:1', match: [{ ports: [{ number: 80 }, { number: 80 }] }] }),
  wp('port-zero', { url: 'oci://ghcr.io/acme/f:1', match: [{ ports: [{ number: 0 }] }] }),
  wp('env-dup', {
    url: 'oci://ghcr.io/acme/f:1',
    vmConfig: {
      env: [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ],
    },
  }),
  wp('priority-big', { url: 'oci://ghcr.io/acme/f:1', priority: 3000000000 }),
  ef('priority-big', { priority: 3000000000 }),
  ef('label-64', { workloadSelector: { labels: { app: 'a'.repeat(64) } } }),
  ef('refs-17', { targetRefs: Array.from({ length: 17 }, (_, i) => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: `g${i}` })) }),
  ef('port-big', { configPatches: [patch({ context: 'SIDECAR_INBOUND', listener: { portNumber: 70000 } })] }),
  ef('null-patch', { configPatches: [null] }),
  ef('empty-spec', {}),
  ...[
    'ghcr.io/acme/f:1',
    'localhost:5000/f:1',
    'file:///opt/f.wasm',
    'https://example.com/f.wasm',
    'ftp://example.com/f.wasm',
    '/opt/f.wasm',
    'oci://[::1]:5000/f',
    'a b',
    'HTTP://EXAMPLE.COM/f',
    'f.wasm',
    'registry:5000/f',
  ].map((url, i) => wp(`url-${i}`, { url })),
];

describe('MW110-MW113 agree with a real kube-apiserver', { skip, timeout: 600_000 }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane({ controllerManager: false });
    const r = await cp.kubectl(['create', 'namespace', 'shop']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await cp?.stop();
  });

  for (const minor of MINORS) {
    test(`Istio ${minor} CRDs`, async () => {
      const crds = parseAllDocuments(readFileSync(istioCrdFile(minor), 'utf8'))
        .map((d) => d.toJSON() as { spec?: { names?: { kind?: string } } } | null)
        .filter((c) => c?.spec?.names?.kind === 'EnvoyFilter' || c?.spec?.names?.kind === 'WasmPlugin');
      const applied = await cp.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: crds.map((c) => stringify(c)).join('---\n') });
      assert.equal(applied.code, 0, applied.stderr);
      // `kubectl wait` can race the CRD's creation in discovery: retry for a while.
      let est = { code: 1, stdout: '', stderr: '' };
      for (let i = 0; i < 30 && est.code !== 0; i++) {
        est = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/envoyfilters.networking.istio.io', 'crd/wasmplugins.extensions.istio.io']);
        if (est.code !== 0) await new Promise((r) => setTimeout(r, 1000));
      }
      assert.equal(est.code, 0, est.stderr);
      await new Promise((r) => setTimeout(r, 1500)); // discovery/OpenAPI refresh after a CRD update
      const disagreements: string[] = [];
      for (const obj of objects) {
        const r = await cp.kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'], { input: JSON.stringify(obj) });
        const ours = checkIstioObject(obj, { istioVersions: [minor] }).filter((f) => /^MW11[0-3]$/.test(f.rule));
        const apiserverRejects = r.code !== 0;
        if (apiserverRejects !== ours.length > 0) {
          disagreements.push(
            `${(obj['metadata'] as { name: string }).name}: apiserver ${apiserverRejects ? 'rejects: ' + r.stderr.trim().split('\n').pop() : 'accepts'}; ours ${JSON.stringify(ours.map((f) => `${f.rule} ${f.path} ${f.message}`))}`,
          );
        }
      }
      assert.deepEqual(disagreements, []);
    });
  }
});

/** Every object node of `o` (path of keys) except free-form ones (patch.value, pluginConfig). */
function objectNodes(o: unknown, at: string[] = []): string[][] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return [];
  const last = at[at.length - 1];
  if (last === 'value' || last === 'pluginConfig' || last === 'metadata' || last === 'labels' || last === 'matchLabels') return [];
  const out = [at];
  for (const [k, v] of Object.entries(o)) out.push(...objectNodes(v, [...at, k]));
  return out;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
function at(o: unknown, path: string[]): Record<string, unknown> {
  return path.reduce((n, k) => (n as Record<string, unknown>)[k], o) as Record<string, unknown>;
}

/** Random single mutations of two rich valid objects: unknown keys, wrong types, bad enums, deletions. */
function mutants(seed: number, n: number): Array<Record<string, unknown>> {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const bases = [
    ef('m', {
      workloadSelector: { labels: { app: 'a' } },
      priority: 10,
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: {
            context: 'SIDECAR_INBOUND',
            proxy: { proxyVersion: '^1\\.28', metadata: { a: 'b' } },
            listener: {
              portNumber: 8080,
              name: 'virtualInbound',
              filterChain: {
                name: 'c',
                sni: 's',
                transportProtocol: 'raw_buffer',
                applicationProtocols: 'h2',
                destinationPort: 8080,
                filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } },
              },
            },
          },
          patch: { operation: 'INSERT_BEFORE', value: { name: 'x' } },
        },
        {
          applyTo: 'HTTP_ROUTE',
          match: {
            context: 'GATEWAY',
            routeConfiguration: {
              portNumber: 80,
              portName: 'http',
              gateway: 'ns/gw',
              name: 'http.8080',
              vhost: { name: 'v', domainName: 'a.example.com', route: { name: 'default', action: 'ROUTE' } },
            },
          },
          patch: { operation: 'MERGE', value: {} },
        },
        { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { portNumber: 80, service: 's', subset: 'v1', name: 'n' } }, patch: { operation: 'ADD', value: { name: 'c' } } },
      ],
    }),
    wp('m', {
      selector: { matchLabels: { app: 'a' } },
      url: 'oci://ghcr.io/acme/f:1',
      sha256: 'a'.repeat(64),
      imagePullPolicy: 'IfNotPresent',
      imagePullSecret: 's',
      pluginConfig: { k: 'v' },
      pluginName: 'p',
      phase: 'AUTHN',
      priority: 5,
      failStrategy: 'FAIL_OPEN',
      vmConfig: {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', valueFrom: 'HOST' },
        ],
      },
      match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
      type: 'HTTP',
    }),
  ];
  const values = [1, -1, 'x', '', true, null, [], {}, [1], { a: 1 }, 1.5, 70000, 'AUTHZ', 'FAIL_CLOSE', 'ANY', 'REMOVE', 'HTTP_FILTER'] as const;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const o = clone(pick(bases)) as Record<string, unknown>;
    (o['metadata'] as Record<string, unknown>)['name'] = `m-${i}`;
    const nodes = objectNodes(o['spec'], ['spec']);
    const node = at(o, pick(nodes));
    const keys = Object.keys(node);
    const kind = r();
    if (kind < 0.25 || keys.length === 0) node[pick(['extra', 'portNumbr', 'labels', 'name', 'waypoint', 'targetRef'])] = pick(values);
    else if (kind < 0.75) node[pick(keys)] = clone(pick(values));
    else delete node[pick(keys)];
    out.push(o);
  }
  return out;
}

describe('MW110-MW113 agree with a real kube-apiserver on random mutations', { skip, timeout: 600_000 }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane({ controllerManager: false });
    assert.equal((await cp.kubectl(['create', 'namespace', 'shop'])).code, 0);
  });
  after(async () => {
    await cp?.stop();
  });
  test('Istio 1.31 CRDs', async () => {
    const crds = parseAllDocuments(readFileSync(istioCrdFile('1.31'), 'utf8'))
      .map((d) => d.toJSON() as { spec?: { names?: { kind?: string } } } | null)
      .filter((c) => c?.spec?.names?.kind === 'EnvoyFilter' || c?.spec?.names?.kind === 'WasmPlugin');
    assert.equal((await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: crds.map((c) => stringify(c)).join('---\n') })).code, 0);
    let est = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 30 && est.code !== 0; i++) {
      est = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/envoyfilters.networking.istio.io', 'crd/wasmplugins.extensions.istio.io']);
      if (est.code !== 0) await new Promise((r) => setTimeout(r, 1000));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const seed = Number(process.env['MW11_SEED'] ?? 1125);
    const disagreements: string[] = [];
    for (const obj of mutants(seed, Number(process.env['MW11_N'] ?? 40))) {
      const res = await cp.kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'], { input: JSON.stringify(obj) });
      const ours = checkIstioObject(obj, { istioVersions: ['1.31'] }).filter((f) => /^MW11[0-3]$/.test(f.rule));
      if ((res.code !== 0) !== ours.length > 0) {
        disagreements.push(
          `apiserver ${res.code !== 0 ? 'rejects: ' + res.stderr.trim().split('\n').pop() : 'accepts'}; ours ${JSON.stringify(ours.map((f) => `${f.rule} ${f.path} ${f.message}`))}\n${JSON.stringify(obj['spec'])}`,
        );
      }
    }
    assert.deepEqual(disagreements, [], `seed ${seed}`);
  });
});
