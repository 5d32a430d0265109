/**
 * Linting a folder gives every file the findings it gets linted alone (issue 22,
 * docs/adr/0109-lint-isolates-objects-and-documents.md): no object's shape switches off,
 * changes or crashes the checks of another, and a document that cannot be read costs only
 * itself. Services and Pods are the cluster facts the CLI reads from its input (targets,
 * replica counts, which selectors match pods): each file alone is given the folder's, so
 * what is compared is the isolation of the judged objects, not the facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { Diagnostic } from '../src/diagnostics.js';
import { isK8sObject } from '../src/k8s-object.js';
import { packageRoot } from '../src/util/package-root.js';
import { loadYaml } from '../src/yaml/documents.js';
import { toYaml } from '../src/yaml/emit.js';
import { runCli } from './cli-harness.js';

function manifestsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ['.yaml', '.yml', '.json'].includes(extname(e.name)))
    .map((e) => relative(packageRoot, join(e.parentPath, e.name)))
    .sort();
}

/** The Services and Pods of the files, as one YAML stream. */
function workloadFacts(files: readonly string[]): string {
  return files
    .flatMap((f) => loadYaml(readFileSync(join(packageRoot, f), 'utf8'), f).objects.map((o) => o.value))
    .filter((v) => isK8sObject(v) && v.apiVersion === 'v1' && (v.kind === 'Service' || v.kind === 'Pod'))
    .map(toYaml)
    .join('---\n');
}

const lint = async (args: string[], stdin = '') => {
  const run = await runCli(['lint', '-o', 'json', ...args], stdin, packageRoot);
  assert.notEqual(run.stdout, '', `lint ${args.join(' ')} printed its results: ${run.stderr}`);
  return { code: run.code, diagnostics: JSON.parse(run.stdout) as Diagnostic[] };
};

const byFile = (ds: readonly Diagnostic[], file: string) =>
  ds
    .filter((d) => d.source?.file === file)
    .map((d) => JSON.stringify(d))
    .sort();

async function assertFolderEqualsFiles(dir: string): Promise<{ perFile: Map<string, number>; code: number }> {
  const files = manifestsUnder(join(packageRoot, dir));
  assert.ok(files.length > 0, `${dir} has manifests`);
  const facts = workloadFacts(files);
  const folder = await lint([dir]);
  const perFile = new Map<string, number>();
  let worst = 0;
  for (const file of files) {
    const alone = await lint(facts ? [file, '-'] : [file], facts);
    worst = Math.max(worst, alone.code);
    const expected = byFile(alone.diagnostics, file);
    perFile.set(file, expected.length);
    assert.deepEqual(byFile(folder.diagnostics, file), expected, `${file}: the findings of the folder run equal those of the file alone`);
  }
  assert.equal(folder.code, worst, `${dir}: the folder's exit code is the worst of its files'`);
  return { perFile, code: folder.code };
}

test('a folder of broken EnvoyFilters next to a legacy-API one, a rejected one and broken YAML: every file keeps its findings', async () => {
  const { perFile, code } = await assertFolderEqualsFiles('operator/test/fixtures/lint-folder');
  assert.equal(code, 2, 'a YAML error makes the exit code 2');
  // Findings each file must have (what was lost before): none of them may be an empty comparison.
  const dir = 'operator/test/fixtures/lint-folder';
  for (const [file, n] of [
    ['broken-yaml.yaml', 3], // MW501, MW108, MW402
    ['istio-system/gateway-after-router.yaml', 1],
    ['istio-system/legacy-lua.yaml', 2],
    ['payments/v2-type.yaml', 1],
    ['shop/after-router.yaml', 1],
    ['shop/anchor-nothing.yaml', 1],
    ['shop/fill-interval.yaml', 1],
    ['shop/malformed.yaml', 2],
  ] as const) {
    assert.equal(perFile.get(`${dir}/${file}`), n, file);
  }
});

test('linting examples/ in one run gives every example file its own findings', async () => {
  await assertFolderEqualsFiles('examples');
});
