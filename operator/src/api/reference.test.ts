import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render, type MeshwardenResource, type RenderContext } from '../render/index.js';
import { referenceMarkdown, renderDefaults } from './reference.js';

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080, targetPort: 8080 }] },
};
const ctx: RenderContext = { services: [service], pods: [] };

/** Resources with every optional parent of a defaulted field present, the field itself absent. */
const bases: Record<string, MeshwardenResource[]> = {
  SmartLimiter: [
    {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'SmartLimiter',
      metadata: { name: 'local', namespace: 'shop' },
      spec: {
        target: { service: 'reviews' },
        limits: [{ name: 'l', port: 9080, rate: { requests: 10, per: '1m' }, distinctBy: { header: 'x-user' }, response: { headers: { 'retry-after': '60' } } }],
      },
    },
    {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'SmartLimiter',
      metadata: { name: 'global', namespace: 'shop' },
      spec: {
        target: { service: 'reviews' },
        rateLimitService: { host: 'ratelimit.rls.svc.cluster.local', port: 8081 },
        limits: [{ name: 'g', port: 9080, rate: { requests: 10, per: '1m' }, strategy: 'global' }],
      },
    },
  ],
  EnvoyPlugin: [
    {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'EnvoyPlugin',
      metadata: { name: 'stamp', namespace: 'shop' },
      spec: { target: { service: 'reviews' }, plugins: [{ name: 'stamp', lua: { code: 'function envoy_on_request(h) end' } }] },
    },
  ],
};

/** The object holding the field at `path` (array steps take element 0), or undefined when a parent is missing. */
function parentOf(resource: unknown, path: string): { holder: Record<string, unknown>; key: string } | undefined {
  const steps = path.split('.');
  const key = steps.pop()!;
  let node: unknown = resource;
  for (const step of steps) {
    const name = step.replace(/\[\]$/, '');
    node = (node as Record<string, unknown> | undefined)?.[name];
    if (step.endsWith('[]')) node = (node as unknown[] | undefined)?.[0];
    if (node === undefined) return undefined;
  }
  return { holder: node as Record<string, unknown>, key };
}

const renderOf = (r: MeshwardenResource) => {
  const out = render(r, ctx);
  assert.deepEqual(
    out.findings.filter((f) => f.severity === 'error'),
    [],
    `${r.metadata.name} renders without errors`,
  );
  return out.objects;
};

for (const [kind, defaults] of Object.entries(renderDefaults)) {
  for (const [path, value] of Object.entries(defaults)) {
    test(`${kind} ${path}: omitted renders as ${JSON.stringify(value)}`, () => {
      const base = bases[kind]!.find((b) => {
        const p = parentOf(b, path);
        return p !== undefined && !(p.key in p.holder);
      });
      assert.ok(base, `no base ${kind} has the parent of ${path}`);
      const withDefault = structuredClone(base);
      const p = parentOf(withDefault, path)!;
      p.holder[p.key] = value;
      assert.deepEqual(renderOf(withDefault), renderOf(base));
      // The check can fail: another value of the field changes the output (or is refused).
      if (typeof value === 'number') {
        p.holder[p.key] = value + 1;
        const changed = render(withDefault, ctx);
        assert.ok(
          changed.findings.some((f) => f.severity === 'error') || JSON.stringify(changed.objects) !== JSON.stringify(renderOf(base)),
          `${path}: ${String(p.holder[p.key])} renders the same as omitted`,
        );
      }
    });
  }
}

test('the reference shows every default, CEL rule and printer column', () => {
  const md = referenceMarkdown();
  assert.match(md, /\| `spec\.limits\[\]\.strategy` \| string \| {2}\| `perPod` \|/);
  assert.match(md, /\| `spec\.priority` \| integer \| {2}\| `20` \|/);
  assert.match(md, /\| `spec\.limits` \| `self\.all\(l, self\.exists_one\(m, m\.name == l\.name\)\)` \| limit names must be unique \|/);
  assert.match(md, /`kubectl get smartlimiters` shows READY, REASON, AGE; `-o wide` adds MESSAGE/);
});
