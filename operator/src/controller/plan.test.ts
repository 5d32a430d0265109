import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { evaluate } from '../evaluate.js';
import type { K8sObject } from '../k8s-object.js';
import { isOwnedBy, mayOverlap, mergeRlsData, plan, upToDate, type PlanInput } from './plan.js';

const owner = { apiVersion: 'meshwarden.io/v1alpha1', kind: 'SmartLimiter', metadata: { name: 'r', namespace: 'ns1', uid: 'u1', generation: 1 } };
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'ns1' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } };
const sl = (limits: unknown[], extra: object = {}): K8sObject => ({ ...owner, spec: { target: { service: 'reviews' }, limits, ...extra } });
const local = [{ name: 'a', rate: { requests: 100, per: '1m' } }];
const rls = { rateLimitService: { host: 'ratelimit.rls.svc.cluster.local', port: 8081 } };

function input(obj: K8sObject, cache: K8sObject[] = [], previous: PlanInput['previous'] = []): PlanInput {
  const verdict = evaluate(obj, { services: [svc], pods: [] });
  return {
    owner,
    verdict,
    lookup: (kind, ns, name) => cache.find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name),
    candidates: cache,
    previous,
  };
}

test('a new resource: its EnvoyFilter is unknown to the cache (read before create)', () => {
  const p = plan(input(sl(local)));
  assert.equal(p.valid, true);
  assert.deepEqual(
    p.unknown.map((o) => o.metadata.name),
    ['r-ratelimit'],
  );
  assert.deepEqual(p.generated, [{ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', name: 'r-ratelimit' }]);
  assert.equal(p.unknown[0]!.metadata.ownerReferences?.[0]?.uid, 'u1');
});

test('an object as rendered is unchanged; an edited one is re-applied; a foreign one is a conflict', () => {
  const rendered = evaluate(sl(local), { services: [svc], pods: [] }).rendered[0]!;
  assert.equal(plan(input(sl(local), [structuredClone(rendered)])).unchanged.length, 1);
  const edited = structuredClone(rendered) as K8sObject & { spec: { priority: number } };
  edited.spec.priority = 99;
  assert.equal(plan(input(sl(local), [edited])).apply.length, 1);
  const foreign = { apiVersion: rendered.apiVersion, kind: 'EnvoyFilter', metadata: { name: 'r-ratelimit', namespace: 'ns1' }, spec: {} };
  const p = plan(input(sl(local), [foreign]));
  assert.equal(p.conflicts.length, 1);
  assert.equal(p.apply.length + p.unknown.length, 0);
});

test('owned objects no longer rendered are pruned; others are left alone', () => {
  const stale = {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'r-old', namespace: 'ns1', ownerReferences: [{ apiVersion: 'x', kind: 'SmartLimiter', name: 'r', uid: 'u1', controller: true }] },
  };
  const other = {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'x', namespace: 'ns1', ownerReferences: [{ apiVersion: 'x', kind: 'SmartLimiter', name: 'z', uid: 'u9', controller: true }] },
  };
  const p = plan(input(sl(local), [stale, other]));
  assert.deepEqual(
    p.prune.map((o) => o.metadata.name),
    ['r-old'],
  );
});

test('an invalid spec writes nothing and keeps the previous generated list', () => {
  const prev = [{ kind: 'EnvoyFilter', name: 'r-ratelimit' }];
  const p = plan(input(sl([{ name: 'a', port: 1234, rate: { requests: 1, per: '1m' } }]), [], prev));
  assert.equal(p.valid, false);
  assert.deepEqual([p.apply, p.unknown, p.prune, p.rls], [[], [], [], []]);
  assert.deepEqual(p.generated, prev);
});

test('global limits become a ConfigMap write without an ownerReference; dropping them removes ours', () => {
  const p = plan(input(sl([{ name: 'g', rate: { requests: 5, per: '1s' }, strategy: 'global' }], rls)));
  assert.equal(p.rls.length, 1);
  assert.deepEqual({ ...p.rls[0], descriptors: undefined }, { namespace: 'rls', name: 'ratelimit-config', key: 'meshwarden.yaml', domain: 'meshwarden', descriptors: undefined });
  const prev = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'rls', name: 'ratelimit-config' }];
  const q = plan(input(sl(local), [], prev));
  assert.deepEqual(q.rls, [{ namespace: 'rls', name: 'ratelimit-config', key: '', domain: '', descriptors: [] }]);
});

test('mergeRlsData keeps other keys and other owners; removal is idempotent', () => {
  const theirs = 'domain: meshwarden\ndescriptors:\n  - key: generic_key\n    value: other/x/a\n    rate_limit: {unit: second, requests_per_unit: 1}\n';
  const data = { 'meshwarden.yaml': theirs, 'unrelated.conf': 'keep me' };
  const write = {
    namespace: 'rls',
    name: 'c',
    key: 'meshwarden.yaml',
    domain: 'meshwarden',
    descriptors: [{ key: 'generic_key', value: 'ns1/r/g', rate_limit: { unit: 'second', requests_per_unit: 5 } }],
  };
  const merged = mergeRlsData(data, write, 'ns1/r/')!;
  assert.equal(merged['unrelated.conf'], 'keep me');
  const values = (parse(merged['meshwarden.yaml']!) as { descriptors: Array<{ value: string }> }).descriptors.map((d) => d.value);
  assert.deepEqual(values, ['ns1/r/g', 'other/x/a']);
  assert.equal(mergeRlsData(merged, write, 'ns1/r/'), undefined, 'no change the second time');
  const removed = mergeRlsData(merged, { ...write, key: '', descriptors: [] }, 'ns1/r/')!;
  assert.deepEqual(
    (parse(removed['meshwarden.yaml']!) as { descriptors: Array<{ value: string }> }).descriptors.map((d) => d.value),
    ['other/x/a'],
  );
  assert.equal(mergeRlsData(removed, { ...write, key: '', descriptors: [] }, 'ns1/r/'), undefined);
});

test('isOwnedBy and upToDate', () => {
  const mine = { apiVersion: 'v', kind: 'EnvoyFilter', metadata: { name: 'n', ownerReferences: [{ apiVersion: 'a', kind: 'SmartLimiter', name: 'r', uid: 'u1', controller: true }] } };
  assert.equal(isOwnedBy(mine, owner), true);
  assert.equal(isOwnedBy({ ...mine, metadata: { name: 'n' } }, owner), false);
  assert.equal(upToDate(mine, undefined), false);
});

test('mayOverlap: only a key with two different values keeps selectors apart', () => {
  assert.equal(mayOverlap({ app: 'a' }, { app: 'b' }), false);
  assert.equal(mayOverlap({ app: 'a' }, { app: 'a', version: 'v1' }), true);
  assert.equal(mayOverlap({ tier: 'web' }, { app: 'a' }), true);
  assert.equal(mayOverlap(undefined, { app: 'a' }), true);
});
