/**
 * resolveTarget's Service index against the scan it replaced: the same Service (the first of
 * its namespace and name), the same findings, also after the Services array grew.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from './context.js';
import { resolveTarget } from './target.js';

const NAMESPACES = [undefined, 'default', 'team-a', 'team-b'];
const NAMES = ['api', 'web', 'db', 'x'];

function services(seed: number, n: number): Service[] {
  let a = seed;
  const next = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, (_, i) => {
    const namespace = NAMESPACES[Math.floor(next() * NAMESPACES.length)];
    const selector = next() < 0.15 ? {} : { app: `pods-${i}` };
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAMES[Math.floor(next() * NAMES.length)]!, ...(namespace ? { namespace } : {}) },
      spec: { selector, ports: [{ name: 'http', port: 80 + i }] },
    } as Service;
  });
}

/** What resolveTarget returned before the index, from the first matching Service. */
function expected(all: Service[], namespace: string, name: string) {
  const svc = all.find((s) => s.metadata.name === name && (s.metadata.namespace ?? 'default') === namespace);
  if (!svc) return { rule: 'MW601', message: `Service "${name}" not found in namespace "${namespace}"` };
  if (Object.keys(svc.spec?.selector ?? {}).length === 0) return { rule: 'MW601', message: `Service "${name}" has no selector, so it selects no pods` };
  return { selector: svc.spec!.selector, ports: svc.spec!.ports };
}

function actual(all: Service[], namespace: string, name: string) {
  const { resolved, findings } = resolveTarget({ service: name }, undefined, namespace, { services: all, pods: [] }, 'spec.target');
  if (resolved) return { selector: resolved.selector, ports: resolved.service!.ports };
  assert.equal(findings.length, 1);
  return { rule: findings[0]!.rule, message: findings[0]!.message };
}

test('resolveTarget finds the same Service as a scan of the Services (first of a namespace and name)', () => {
  let found = 0;
  let missing = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const all = services(seed, 1 + (seed % 25));
    for (const namespace of ['default', 'team-a', 'team-b', 'team-c']) {
      for (const name of [...NAMES, 'absent']) {
        const want = expected(all, namespace, name);
        assert.deepEqual(actual(all, namespace, name), want, `seed ${seed}, ${namespace}/${name}`);
        if ('ports' in want) found++;
        else missing++;
      }
    }
  }
  assert.ok(found > 200 && missing > 200, `found ${found}, missing ${missing}: both outcomes must be exercised`);
});

test('resolveTarget sees Services pushed to the array after an earlier lookup', () => {
  const all: Service[] = services(7, 3).map((s) => ({ ...s, metadata: { ...s.metadata, namespace: 'team-a' } }));
  assert.equal(actual(all, 'team-z', 'late').rule, 'MW601');
  all.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: 'team-z' }, spec: { selector: { app: 'late' }, ports: [] } });
  all.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: 'team-z' }, spec: { selector: { app: 'second' }, ports: [] } });
  assert.deepEqual(actual(all, 'team-z', 'late'), { selector: { app: 'late' }, ports: [] });
});
