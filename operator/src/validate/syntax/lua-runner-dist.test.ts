/**
 * The Lua worker also starts from compiled JavaScript (dist/, the image and `npm run build`),
 * where no tsx is involved: compile the runner and the worker with tsc into a temporary
 * directory and judge scripts through them in a plain `node` process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

test('compiled runner + worker judge scripts without tsx', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'mw-lua-dist-'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '--target',
        'ES2022',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--strict',
        '--esModuleInterop',
        '--skipLibCheck',
        '--rootDir',
        HERE,
        '--outDir',
        out,
        join(HERE, 'lua-runner.ts'),
        join(HERE, 'lua-worker.ts'),
        join(HERE, 'fengari.d.ts'),
      ],
      { encoding: 'utf8', timeout: 100_000 },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
    writeFileSync(join(out, 'package.json'), '{"type": "module"}'); // as dist/ sits under ours
    const script = `
import { runIsolated } from './lua-runner.js';
const limits = { instructionBudget: 100000, memoryBudget: 1 << 23, deadlineMs: 2000 };
const a = runIsolated('function envoy_on_request(h) end', limits);
const b = runIsolated('while true do end', limits);
const c = runIsolated("local s = 'x' for i = 1, 31 do s = s .. s end", limits);
console.log(JSON.stringify([a.kind, a.handlers, b.kind, b.limit, c.kind, c.limit]));
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: out, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), ['ok', ['envoy_on_request'], 'budget', 'instructions', 'budget', 'memory']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
