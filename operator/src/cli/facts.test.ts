/**
 * The CLI's cluster facts (Services, Pods) come from its input: one the API server would not
 * store is no fact, so it can neither change nor crash the checks of the objects that read the
 * facts (ADR 0109).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { loadYaml } from '../yaml/documents.js';
import { runCli } from '../../test/cli-harness.js';
import { contextFromInputs } from './facts.js';

const malformed = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec: {ports: 5, selector: "app=reviews"}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: bookinfo, labels: "app=reviews"}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: bookinfo, labels: {app: reviews}}
spec: {containers: [{ports: [{containerPort: "http"}]}]}
`;

test('a Service or Pod of a shape the API server would not store is no fact', () => {
  const facts = contextFromInputs(loadYaml(malformed, 'f.yaml').objects);
  assert.deepEqual([facts.services.length, facts.pods.length], [0, 0]);
  const wellFormed = malformed.replace('ports: 5, selector: "app=reviews"', 'ports: [{port: 9080}], selector: {app: reviews}').replace('labels: "app=reviews"', 'labels: {app: reviews}');
  const kept = contextFromInputs(loadYaml(wellFormed, 'f.yaml').objects);
  assert.deepEqual([kept.services.length, kept.pods.length], [1, 1]);
});

test('a malformed copy of the Service a SmartLimiter targets, read first, changes nothing of its verdict', async () => {
  const example = join(packageRoot, 'examples', 'smartlimiter-per-pod');
  const inputs = [join(example, 'service.yaml'), join(example, 'smartlimiter.yaml')];
  const alone = await runCli(['lint', '-o', 'json', ...inputs]);
  // Read first, the malformed copy was the one target resolution found, and crashed it.
  const next = await runCli(['lint', '-o', 'json', '-', ...inputs], malformed);
  assert.doesNotMatch(next.stderr, /internal error/);
  assert.deepEqual([next.code, next.stdout], [alone.code, alone.stdout]);
});
