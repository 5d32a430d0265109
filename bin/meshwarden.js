#!/usr/bin/env node
// Runs the compiled CLI (npm run build), or the TypeScript sources through tsx in a checkout.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/operator/src/cli/bin.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../operator/src/cli/bin.ts', import.meta.url).href);
}
