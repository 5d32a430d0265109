/**
 * The layer rules (.dependency-cruiser.cjs, docs/adr/0108-layer-rules.md) catch what they are
 * meant to: run `depcruise` with the repository's config on a small tree with one violation of
 * each rule (a type-only cycle included) and imports the rules allow, and compare the findings.
 * `npm run check:layers` (scripts/test.sh) runs the same config on the real tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const TREE: Record<string, string> = {
  // A cycle of value imports, and the core importing a shell.
  'operator/src/validate/a.ts': "import { b } from './b.js';\nimport type { Io } from '../cli/io.js';\nexport const a = 1;\nexport type A = Io;\nvoid b;\n",
  'operator/src/validate/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
  // A cycle of type-only imports (erased by tsc, still a design cycle).
  'operator/src/controller/x.ts': "import type { Y } from './y.js';\nexport interface X { y?: Y }\n",
  'operator/src/controller/y.ts': "import type { X } from './x.js';\nexport interface Y { x?: X }\n",
  // Shipped code importing a test kit and the operator/test tree.
  'operator/src/render/r.ts': "import { kit } from '../webhook/client.testkit.js';\nimport { helper } from '../../test/helper.js';\nexport const r = [kit, helper];\n",
  // Allowed: a shell importing the core; a core test using a shell and a fixture.
  'operator/src/cli/io.ts': "import { c } from '../validate/c.js';\nexport interface Io { c: typeof c }\n",
  'operator/src/validate/c.ts': 'export const c = 1;\n',
  'operator/src/validate/a.test.ts': "import type { Io } from '../cli/io.js';\nimport { fixture } from '../webhook/fixtures.js';\nexport type T = Io;\nvoid fixture;\n",
  'operator/src/webhook/client.testkit.ts': 'export const kit = 1;\n',
  'operator/src/webhook/fixtures.ts': 'export const fixture = 1;\n',
  'operator/test/helper.ts': 'export const helper = 1;\n',
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

test('each layer rule reports its violation and nothing else', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-layers-'));
  try {
    for (const [path, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) copyFileSync(join(ROOT, f), join(dir, f));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const depcruise = (outputType: string) =>
      spawnSync(process.execPath, [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'operator/src', '--config', '.dependency-cruiser.cjs', '--output-type', outputType], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 25_000,
      });
    const r = depcruise('json');
    const violations = (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
    const found = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    assert.deepEqual(
      found,
      [
        'core-not-to-shells: operator/src/render/r.ts → operator/src/webhook/client.testkit.ts',
        'core-not-to-shells: operator/src/validate/a.ts → operator/src/cli/io.ts',
        'no-circular: operator/src/controller/x.ts → operator/src/controller/y.ts',
        'no-circular: operator/src/validate/a.ts → operator/src/validate/b.ts',
        'no-test-code-in-src: operator/src/render/r.ts → operator/src/webhook/client.testkit.ts',
        'src-not-to-test-trees: operator/src/render/r.ts → operator/test/helper.ts',
      ].sort(),
      r.stderr,
    );
    // What npm run check:layers runs: its exit code fails scripts/test.sh.
    const err = depcruise('err');
    assert.equal(err.status, violations.length, err.stdout + err.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
