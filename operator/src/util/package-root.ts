import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding meshwarden's package.json, whether this code runs from the
 * TypeScript sources or from the compiled dist/ tree (data files live beside package.json).
 */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schemas'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('meshwarden: cannot find the package root (schemas/ beside package.json)');
    dir = parent;
  }
  return dir;
})();
