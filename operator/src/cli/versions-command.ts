/** `meshwarden versions`: the version matrix (operator/src/versions/) as a table, JSON, or shell variables for the scripts. */
import { parseArgs } from 'node:util';
import type { Io } from './io.js';
import { versionsEnv } from '../versions/env.js';
import { formatMatrix, versionMatrix } from '../versions/matrix.js';

export const versionsUsage = `versions [-o text|json|env]
        The supported Istio minors with their Envoy, support status and end-of-life
        date, and what each check uses (CRD schema, Envoy API data, baseline, oracle).
        -o env prints the table as the shell variables of scripts/versions.env.`;

export function versionsCommand(args: string[], io: Io, today: Date = new Date()): number {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o', default: 'text' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    io.stdout(`Usage: meshwarden ${versionsUsage}\n`);
    return 0;
  }
  switch (values.output) {
    case 'text':
      io.stdout(formatMatrix(versionMatrix(today)));
      return 0;
    case 'json':
      io.stdout(JSON.stringify(versionMatrix(today), null, 2) + '\n');
      return 0;
    case 'env':
      io.stdout(versionsEnv());
      return 0;
    default:
      io.stderr(`meshwarden versions: -o must be text, json or env, not "${values.output}"\n\nUsage: meshwarden ${versionsUsage}\n`);
      return 2;
  }
}
