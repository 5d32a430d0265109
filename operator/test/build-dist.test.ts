/**
 * What `npm run build` ships (tsconfig.build.json, docs/adr/0108-layer-rules.md): compile with
 * the build config into a temporary directory and check that it holds every source module of
 * operator/src and no test code (tests, test kits, fixtures, benchmark drivers), that the workers
 * loaded by path are there, and that the CLI from that tree lints examples/ as the sources do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEST_CODE = /(\.test|\.testkit|\/fixtures|\/bench-[^/]+)\.(ts|js)$/;

/** Files under `dir` (relative to it) whose name ends with `ext`. */
function filesOf(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

test('the build config compiles operator/src without test code, and its CLI lints examples/', { timeout: 240_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'mw-build-'));
  try {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {
      encoding: 'utf8',
      timeout: 200_000,
    });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

    const built = filesOf(out, '.js');
    assert.deepEqual(
      built.filter((f) => TEST_CODE.test(`/${f}`)),
      [],
      'test code compiled into the build',
    );
    assert.deepEqual(
      built.filter((f) => !f.startsWith('operator/src/')),
      [],
      'the build holds more than operator/src',
    );
    // Every shipped module is built: the build config leaves out test code and nothing else.
    const shipped = filesOf(join(ROOT, 'operator/src'), '.ts')
      .filter((f) => !f.endsWith('.d.ts') && !TEST_CODE.test(`/${f}`))
      .map((f) => `operator/src/${f.replace(/\.ts$/, '.js')}`);
    assert.ok(shipped.length > 100, `found ${shipped.length} shipped modules`);
    assert.deepEqual(
      shipped.filter((f) => !built.includes(f)),
      [],
      'shipped modules missing from the build',
    );
    // Loaded by path, not by import (lua-runner.ts, eval-pool.ts): present because the build takes every module.
    for (const worker of ['operator/src/validate/syntax/lua-worker.js', 'operator/src/webhook/eval-worker.js']) {
      assert.ok(built.includes(worker), `${worker} missing from the build`);
    }

    // The CLI finds its data beside package.json (util/package-root.ts): link the package's data
    // next to the build, as dist/ sits in the package.
    for (const f of ['package.json', 'schemas', 'crds', 'envoy-templates', 'node_modules', '.tools']) symlinkSync(join(ROOT, f), join(out, f));
    const args = ['lint', 'examples/', '--istio-version', '1.31'];
    const compiled = spawnSync(process.execPath, [join(out, 'operator/src/cli/bin.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
    assert.match(compiled.stdout, /examples\/.*MW\d{3}/, 'the lint reported nothing: did it read examples/?');
    const sources = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'operator/src/cli/bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(sources.status, 0, sources.stdout + sources.stderr);
    assert.equal(compiled.stdout, sources.stdout, 'the compiled CLI and the sources disagree on examples/');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
