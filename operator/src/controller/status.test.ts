import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../diagnostics.js';
import { computeConditions, setConditions, statusEqual, transitionEvent, transitions } from './status.js';

const diag = (rule: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
  rule,
  severity,
  message: 'bad',
  path: 'spec.limits[0].port',
  object: { kind: 'SmartLimiter', name: 'x' },
});

test('valid and applied: all True, Ready reason Applied', () => {
  const c = computeConditions({ diagnostics: [diag('MW605', 'warning')], conflicts: [] });
  assert.deepEqual(
    c.map((x) => [x.type, x.status, x.reason]),
    [
      ['Accepted', 'True', 'Accepted'],
      ['Programmed', 'True', 'Applied'],
      ['Ready', 'True', 'Applied'],
    ],
  );
  assert.match(c[0]!.message, /MW605/);
});

test('reasons for invalid specs carry the findings', () => {
  assert.equal(computeConditions({ diagnostics: [diag('MW103')], conflicts: [] })[0]!.reason, 'InvalidSpec');
  assert.equal(computeConditions({ diagnostics: [diag('MW601')], conflicts: [] })[2]!.reason, 'TargetNotFound');
  const c = computeConditions({ diagnostics: [diag('MW602')], conflicts: [], keptPrevious: true });
  assert.equal(c[0]!.reason, 'ValidationFailed');
  assert.equal(c[0]!.message, 'MW602 spec.limits[0].port: bad');
  assert.match(c[1]!.message, /stay in place/);
  assert.ok(c.every((x) => x.status === 'False'));
});

test('foreign objects and apply errors', () => {
  const c = computeConditions({ diagnostics: [], conflicts: ['EnvoyFilter ns/x'] });
  assert.deepEqual(
    c.map((x) => x.status),
    ['True', 'False', 'False'],
  );
  assert.equal(c[2]!.reason, 'NotOwned');
  assert.equal(computeConditions({ diagnostics: [], conflicts: [], applyError: 'boom' })[1]!.reason, 'ApplyFailed');
});

test('lastTransitionTime only moves when the status changes; transitions become events', () => {
  const first = setConditions(undefined, computeConditions({ diagnostics: [diag('MW602')], conflicts: [] }), 1, 't0');
  assert.ok(first.every((c) => c.status === 'False' && c.lastTransitionTime === 't0' && c.observedGeneration === 1));
  const ok = setConditions(first, computeConditions({ diagnostics: [], conflicts: [] }), 1, 't1');
  assert.ok(ok.every((c) => c.lastTransitionTime === 't1'));
  assert.equal(transitions(first, ok).length, 3);
  const again = setConditions(ok, computeConditions({ diagnostics: [], conflicts: [] }), 2, 't2');
  assert.ok(again.every((c) => c.lastTransitionTime === 't1' && c.observedGeneration === 2));
  assert.deepEqual(transitions(ok, again), []);
  const bad = setConditions(again, computeConditions({ diagnostics: [diag('MW602')], conflicts: [] }), 3, 't3');
  assert.deepEqual(
    transitions(again, bad).map((t) => `${t.type}:${t.reason}`),
    ['Accepted:ValidationFailed', 'Programmed:ValidationFailed', 'Ready:ValidationFailed'],
  );
});

test('statusEqual ignores key order', () => {
  assert.equal(statusEqual({ observedGeneration: 1, generated: [] }, { generated: [], observedGeneration: 1 }), true);
  assert.equal(statusEqual({ observedGeneration: 1 }, { observedGeneration: 2 }), false);
});

test('one Event per reconcile names every transition', () => {
  const ok = setConditions(undefined, computeConditions({ diagnostics: [], conflicts: [] }), 1, 't1');
  assert.deepEqual(transitionEvent(transitions(undefined, ok)), { type: 'Normal', reason: 'Applied', note: 'Accepted=True, Programmed=True, Ready=True: the generated configuration is applied' });
  const bad = setConditions(ok, computeConditions({ diagnostics: [diag('MW602')], conflicts: [] }), 2, 't2');
  const e = transitionEvent(transitions(ok, bad))!;
  assert.equal(e.type, 'Warning');
  assert.equal(e.reason, 'ValidationFailed');
  assert.equal(transitionEvent([]), undefined);
});
