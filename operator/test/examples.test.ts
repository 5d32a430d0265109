/**
 * Every example renders without findings, and its output equals the committed
 * rendered.yaml beside it (the golden file). UPDATE_GOLDEN=1 rewrites the golden files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { runCli } from './cli-harness.js';

const examplesDir = join(packageRoot, 'examples');
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

test('there is an example per feature', () => {
  assert.ok(examples.length >= 15, `only ${examples.length} examples`);
});

for (const name of examples) {
  test(`example ${name} renders as documented`, async () => {
    const dir = join(examplesDir, name);
    assert.ok(existsSync(join(dir, 'README.md')), 'every example explains itself in a README.md');
    const inputs = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && f !== 'rendered.yaml')
      .map((f) => join(dir, f));
    const run = await runCli(['render', ...inputs]);
    assert.equal(run.stderr, '', 'no findings');
    assert.equal(run.code, 0);
    const golden = join(dir, 'rendered.yaml');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, run.stdout);
    assert.equal(run.stdout, readFileSync(golden, 'utf8'), `${name}: output differs from rendered.yaml (UPDATE_GOLDEN=1 to accept)`);
  });
}
