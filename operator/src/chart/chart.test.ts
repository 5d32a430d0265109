/**
 * The chart's generated templates match their sources: the CRDs are crds/ byte for byte (plus
 * the template lines for crds.enabled and crds.keep), and the webhook configuration is
 * helmTemplate()'s. Rendering with Helm is tested in e2e/chart/ (it needs .tools/bin/helm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { chartDir, chartGeneratedFiles, crdFiles, crdFromTemplate, crdTemplate } from './generated.js';

test("the chart's generated templates are up to date (run npm run generate)", () => {
  for (const [path, content] of chartGeneratedFiles()) {
    assert.equal(readFileSync(join(packageRoot, path), 'utf8'), content, `${path} is stale: run npm run generate`);
  }
});

test('each CRD template is its crds/ file plus only the enabled/keep template lines', () => {
  for (const file of crdFiles) {
    const plural = file.replace(/^meshwarden\.io_/, '').replace(/\.yaml$/, '');
    const template = readFileSync(join(packageRoot, chartDir, 'templates', 'crds', `${plural}.meshwarden.io.yaml`), 'utf8');
    const crd = readFileSync(join(packageRoot, 'crds', file), 'utf8').replace(/^#.*\n/, '');
    assert.equal(crdFromTemplate(template), crd, `${file}: the chart's copy differs from crds/`);
    assert.equal(template.split('\n').filter((l) => l.includes('{{')).length, 4, 'exactly the four template lines');
  }
});

test('a CRD text that Helm would read as a template is refused, not silently broken', () => {
  const text = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.meshwarden.io\nspec:\n  description: "use {{ .x }}"\n';
  assert.throws(() => crdTemplate('x.yaml', text), /would be read as a Helm template/);
  assert.throws(() => crdTemplate('y.yaml', 'kind: X\n'), /expected "metadata:"/);
});

test('the ClusterRole grants nothing on ConfigMaps or on every resource (ADR 0105; the rendered RBAC is checked in e2e/chart)', () => {
  const rbac = readFileSync(join(packageRoot, chartDir, 'templates', 'rbac.yaml'), 'utf8');
  const start = rbac.indexOf('kind: ClusterRole\n');
  assert.ok(start > 0, 'rbac.yaml has a ClusterRole');
  const clusterRole = rbac.slice(start, rbac.indexOf('\n---', start));
  const lines = clusterRole.split('\n').filter((l) => !/^\s*#/.test(l));
  assert.ok(
    lines.some((l) => /resources: \[services, pods\]/.test(l)),
    "the ClusterRole's rules were found",
  );
  assert.deepEqual(
    lines.filter((l) => /configmaps|\*/.test(l)),
    [],
    'a ClusterRole rule on ConfigMaps lets the operator read every ConfigMap of the cluster',
  );
});
