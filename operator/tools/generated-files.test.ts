import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { generatedFiles } from './generated-files.js';

test('generated CRDs and types are up to date with schemas/ (run npm run generate)', async () => {
  for (const [path, content] of await generatedFiles()) {
    assert.equal(readFileSync(join(packageRoot, path), 'utf8'), content, `${path} is stale: run npm run generate`);
  }
});
