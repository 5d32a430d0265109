import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, VerdictCache, type AdmissionOutcome } from './admission.js';
import type { EvaluationContext } from '../evaluate.js';
import type { Service } from '../render/context.js';
import * as f from './fixtures.js';

const noFacts: EvaluationContext = { services: [], pods: [], istioVersions: ['1.31'] };
const reviews: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } };
const withService: EvaluationContext = { ...noFacts, services: [reviews] };

function response(o: AdmissionOutcome) {
  assert.equal(o.status, 200);
  if (o.status !== 200) throw new Error('unreachable');
  return o.review.response;
}

test('an unchanged object against unchanged facts is answered from the cache, with its own uid', () => {
  const cache = new VerdictCache();
  const verdicts = { cache, facts: 1 };
  const first = response(admit(f.admissionReview(f.serviceSmartLimiter(), { uid: 'a' }), noFacts, { verdicts }));
  const second = response(admit(f.admissionReview(f.serviceSmartLimiter(), { uid: 'b' }), noFacts, { verdicts }));
  assert.deepEqual([cache.misses, cache.hits], [1, 1]);
  assert.equal(second.uid, 'b');
  assert.deepEqual({ ...second, uid: 'a' }, first);
  assert.match(second.warnings?.[0] ?? '', /^MW601 /);
});

test('new facts or a changed object are evaluated again', () => {
  const cache = new VerdictCache();
  const before = response(admit(f.admissionReview(f.serviceSmartLimiter()), noFacts, { verdicts: { cache, facts: 1 } }));
  assert.match(before.warnings?.[0] ?? '', /^MW601 /, 'the Service is missing');
  // The Service arrived: the facts' version moved, and the warning goes.
  const after = response(admit(f.admissionReview(f.serviceSmartLimiter()), withService, { verdicts: { cache, facts: 2 } }));
  assert.equal(after.warnings, undefined);
  const bad = f.serviceSmartLimiter();
  (bad.spec.limits[0]!.rate as { requests: number }).requests = 0;
  assert.equal(response(admit(f.admissionReview(bad), withService, { verdicts: { cache, facts: 2 } })).allowed, false);
  // The namespace filled from the request is part of what was judged.
  const noNs = f.serviceSmartLimiter();
  delete (noNs.metadata as { namespace?: string }).namespace;
  const review = f.admissionReview(noNs);
  review.request.namespace = 'elsewhere';
  assert.match(response(admit(review, withService, { verdicts: { cache, facts: 2 } })).warnings?.[0] ?? '', /namespace "elsewhere"/);
  assert.deepEqual([cache.hits, cache.misses], [0, 4]);
});

test('the cache is bounded, least recently used out first', () => {
  const cache = new VerdictCache(2);
  cache.set('a', []);
  cache.set('b', []);
  assert.ok(cache.get('a'));
  cache.set('c', []);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('a') && cache.get('c'));
});
