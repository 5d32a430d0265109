import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slim } from './informers.js';
import { lastWriteMs } from './effective.js';
import type { K8sObject } from '../k8s-object.js';

test('slim: managedFields keep who wrote when, not the field sets; the last-applied copy goes; the rest stays', () => {
  const o = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: {
      name: 'a',
      namespace: 'n',
      labels: { app: 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', keep: 'me' },
      managedFields: [
        { manager: 'meshwarden', operation: 'Apply', apiVersion: 'networking.istio.io/v1alpha3', time: '2026-11-25T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
        { manager: 'kubectl', operation: 'Update', time: '2026-11-25T00:00:00Z', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } },
      ],
    },
    spec: { configPatches: [{ applyTo: 'HTTP_FILTER' }] },
  };
  const spec = o.spec;
  slim(o as unknown as Parameters<typeof slim>[0]); // raw JSON from the API: times are strings
  assert.deepEqual(o.metadata.managedFields, [
    { manager: 'meshwarden', operation: 'Apply', apiVersion: 'networking.istio.io/v1alpha3', time: '2026-11-25T00:00:01Z' },
    { manager: 'kubectl', operation: 'Update', time: '2026-11-25T00:00:00Z', subresource: 'status' },
  ]);
  assert.deepEqual(o.metadata.annotations, { keep: 'me' });
  assert.deepEqual(o.metadata.labels, { app: 'x' });
  assert.equal(o.spec, spec);
  // What the Effective condition reads of managedFields survives.
  assert.equal(lastWriteMs([o as unknown as K8sObject]), Date.parse('2026-11-25T00:00:01Z'));
});
