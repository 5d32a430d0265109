/**
 * The npm package is the product (issue 14.1): `npm pack` (which runs scripts/prepack.sh), then
 * the tarball installed into an empty project from the local npm cache (--prefer-offline), run with a PATH
 * holding node and npm only (no Go, Python or Envoy). Its `lint -o json` verdicts on every fixture
 * and example, for each default Istio minor, must equal the checkout's; `render` too. The tarball
 * must ship no test code, e2e or bench, and must ship LICENSE and every minor's data.
 *
 * The `re2` addon is installed with --ignore-scripts and given the checkout's compiled binary: it
 * stands for the prebuilt binary re2's installer downloads from GitHub, which this machine cannot
 * reach (docs/adr/0118-re2-engine.md). Everything else comes from the tarball.
 *
 * Skipped (loudly) when the validator data or the re2 binary is absent, unless MESHWARDEN_E2E_REQUIRE=1.
 * MESHWARDEN_PACKAGE_TARBALL=path reuses a tarball instead of packing (packing compiles: ~1-2 min).
 * docs/adr/0117-package-layout-and-data-resolution.md
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultIstioMinors } from '../../operator/src/versions/table.js';
import { dataFilesOf } from '../../operator/src/util/validator-data.js';
import { VERSION_TABLE } from '../../operator/src/versions/table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RE2_BINARY = join(ROOT, 'node_modules', 're2', 'build', 'Release', 're2.node');
const missingData = VERSION_TABLE.flatMap((r) => dataFilesOf(r)).filter((f) => !existsSync(join(ROOT, '.tools', f.kind, f.file)));
const skip =
  process.env['MESHWARDEN_E2E_REQUIRE'] === '1'
    ? false
    : missingData.length > 0
      ? `validator data missing (${missingData.map((f) => f.file).join(', ')}): run npm run setup:validator`
      : !existsSync(RE2_BINARY)
        ? 'node_modules/re2 has no compiled binary: run npm ci'
        : false;

/** What lint reads in both installations: relative paths, so the reports are comparable byte for byte. */
const INPUTS = ['operator/test/fixtures', 'examples'];

describe('the packed tarball, installed with Node only, judges like the checkout', { skip, timeout: 900_000 }, () => {
  let work: string;
  let tarball: string;
  let installed: string;
  let nodeOnlyPath: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'mw-pack-'));
    tarball = process.env['MESHWARDEN_PACKAGE_TARBALL'] ?? pack(work);
    // A PATH with node and npm only: the package must not need Go, Python or Envoy.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    for (const sh of ['sh', 'bash']) if (existsSync(`/bin/${sh}`)) symlinkSync(`/bin/${sh}`, join(bin, sh));
    nodeOnlyPath = bin;
    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name":"empty","version":"1.0.0","private":true}\n');
    const t0 = Date.now();
    // From the local npm cache; a dependency the cache lacks comes from the registry once (the
    // product needs no network after install, not an install without a registry).
    execFileSync(join(bin, 'npm'), ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      env: { PATH: bin, HOME: process.env['HOME'] ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    installed = join(project, 'node_modules', 'meshwarden');
    const re2 = join(project, 'node_modules', 're2', 'build', 'Release');
    mkdirSync(re2, { recursive: true });
    copyFileSync(RE2_BINARY, join(re2, 're2.node'));
    console.log(`# tarball ${tarball}: ${(statSync(tarball).size / 1024).toFixed(0)} KiB packed, install ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const packaged = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(installed, 'bin', 'meshwarden.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: nodeOnlyPath, ...env }, timeout: 300_000, maxBuffer: 256 << 20 });
  const checkout = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'operator', 'src', 'cli', 'bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 256 << 20 });

  test("the tarball holds the compiled CLI, LICENSE and every minor's data, and no test, e2e or bench code", () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(files.includes('package/LICENSE'), 'LICENSE');
    assert.ok(files.includes('package/dist/operator/src/cli/bin.js'), 'compiled CLI');
    for (const f of VERSION_TABLE.flatMap((r) => dataFilesOf(r))) assert.ok(files.includes(`package/data/${f.kind}/${f.file}`), `data/${f.kind}/${f.file}`);
    const testCode = files.filter((f) =>
      /\.test\.js$|\.testkit\.js$|\/fixtures\.js$|\/bench-[^/]*\.js$|^package\/(e2e|bench|operator)\/|^package\/dist\/(e2e|bench|operator\/test|operator\/tools)\/|\.ts$|\.map$/.test(f),
    );
    assert.deepEqual(testCode, [], 'test code, e2e, bench or sources in the tarball');
    console.log(`# ${files.length} files`);
  });

  for (const minor of defaultIstioMinors()) {
    test(`lint -o json --istio-version ${minor} on every fixture and example: same report and exit code`, () => {
      const args = ['lint', '-o', 'json', '--istio-version', minor, ...INPUTS];
      const [mine, theirs] = [packaged(args), checkout(args)];
      assert.equal(mine.stderr.includes('    at '), false, `no stack trace: ${mine.stderr.slice(0, 500)}`);
      assert.equal(mine.status, theirs.status, `exit code (package stderr: ${mine.stderr.slice(0, 300)})`);
      assert.ok(mine.stdout.length > 1000, 'a report');
      assert.equal(mine.stdout, theirs.stdout);
    });
  }

  test('render of the examples: the same objects', () => {
    const [mine, theirs] = [packaged(['render', 'examples']), checkout(['render', 'examples'])];
    assert.equal(mine.status, theirs.status);
    assert.equal(mine.stdout, theirs.stdout);
  });

  for (const command of ['migrate', 'adopt'] as const) {
    test(`${command} of all its fixtures: the same output and exit code`, () => {
      const dir = join('operator', 'test', 'fixtures', command);
      // One process per side for every file (each file alone would cost a start-up per file).
      const files = readdirSync(join(ROOT, dir))
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join(dir, f));
      assert.ok(files.length > 0);
      const [mine, theirs] = [packaged([command, ...files]), checkout([command, ...files])];
      assert.equal(mine.status, theirs.status, `exit code (package stderr: ${mine.stderr.slice(0, 300)})`);
      assert.ok(mine.stdout.length > 100, 'an output');
      assert.equal(mine.stdout, theirs.stdout);
      assert.equal(mine.stderr, theirs.stderr);
    });
  }

  test('validate without an Envoy: says the package ships none and to name one with --envoy, exit 2', () => {
    const run = packaged(['validate', 'examples']);
    assert.equal(run.status, 2, run.stderr);
    assert.doesNotMatch(run.stderr, /^\s+at /m);
    assert.match(run.stderr, /ships no Envoy/);
    assert.match(run.stderr, /--envoy/);
  });

  test('missing data in the package: one line naming the package fix, exit 2, no stack trace', () => {
    const run = packaged(['lint', 'examples'], { MESHWARDEN_PROTOS_DIR: join(work, 'nowhere') });
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /npm install -g meshwarden@latest/);
    assert.doesNotMatch(run.stderr, /scripts\/|npm run setup /);
  });
});

/** `npm pack` of the checkout (runs scripts/prepack.sh), into `dir`; returns the tarball's path. */
function pack(dir: string): string {
  const out = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string }>;
  assert.ok(packed, `npm pack --json printed no tarball: ${out.slice(0, 300)}`);
  const { filename } = packed;
  const tarball = join(dir, filename);
  assert.ok(readdirSync(dir).includes(filename), `npm pack wrote ${tarball}`);
  return tarball;
}
