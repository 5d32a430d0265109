/**
 * ADR 0007 through the webhook: every object of every example gets the same verdict from
 * admit() as from the CLI's path (evaluate() with the facts of the same input), and every
 * error the CLI reports appears in the denial message. The only difference allowed is
 * ADR 0070's: MW601–603 warn at admission.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readInputs } from '../cli/inputs.js';
import { contextFromInputs } from '../cli/facts.js';
import { evaluate } from '../evaluate.js';
import { isK8sObject, type K8sObject } from '../k8s-object.js';
import { packageRoot } from '../util/package-root.js';
import { admit, clusterFactRules, validatedKinds } from './admission.js';
import * as f from './fixtures.js';

const examples = join(packageRoot, 'examples');

test('the webhook agrees with the CLI on every example object, and on the webhook fixtures', async () => {
  const dirs = readdirSync(examples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(examples, d.name));
  const { objects, errors } = await readInputs(dirs, async () => '');
  assert.deepEqual(errors, []);
  const values = objects.map((o) => o.value).filter(isK8sObject);
  const extra = [f.goodSmartLimiter(), f.badSmartLimiter(), f.serviceSmartLimiter(), f.goodEnvoyFilter(3), f.badEnvoyFilter(), f.warnEnvoyFilter()] as unknown as K8sObject[];
  const all = [...values, ...extra];
  const ctx = contextFromInputs(objects, { istioVersions: ['1.28', '1.31'] });
  ctx.envoyFilters = all.filter((v) => v.kind === 'EnvoyFilter');
  ctx.wasmPlugins = all.filter((v) => v.kind === 'WasmPlugin');
  let judged = 0;
  for (const obj of all) {
    if (!validatedKinds.some((k) => k.kind === obj.kind)) continue;
    judged++;
    const cliErrors = evaluate(obj, ctx).diagnostics.filter((d) => d.severity === 'error' && !clusterFactRules.has(d.rule));
    const out = admit(f.admissionReview(obj), ctx);
    assert.equal(out.status, 200);
    if (out.status !== 200) continue;
    const { response } = out.review;
    const name = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
    assert.equal(response.allowed, cliErrors.length === 0, `${name}: webhook ${response.allowed ? 'allowed' : 'denied'}, CLI errors: ${cliErrors.map((d) => d.rule).join(',')}`);
    for (const d of cliErrors) assert.ok(response.status?.message.includes(`${d.rule} ${d.path || '(object)'}: ${d.message}`), `${name}: ${d.rule} missing`);
  }
  assert.ok(judged >= 20, `only ${judged} objects judged`);
});
