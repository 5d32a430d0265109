/**
 * Full-validation throughput of `meshwarden lint` on one core, in documents per CPU-second,
 * against a baseline in the same run: reading and parsing the same stream (the floor
 * any linter pays). Run: npx tsx bench/lint.bench.ts [documents] [istio versions...]
 */
import { parseAllDocuments } from 'yaml';
import { corpus } from './corpus.js';
import { runCliQuiet } from './cli-quiet.js';

const documents = Number(process.argv[2] ?? 2400);
const versions = process.argv.slice(3);
const stream = corpus(documents).join('---\n');

/**
 * Documents per second of this process's CPU time (user + system): "per core", and
 * steady on a machine shared with other work, where wall time is not.
 */
async function time(label: string, runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm-up: compiled schemas, descriptor sets, Lua and regex caches
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let r = 0; r < runs; r++) await fn();
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6 / runs;
  const wallS = Number(process.hrtime.bigint() - wall0) / 1e9 / runs;
  console.log(`${label.padEnd(44)} ${(documents / cpuS).toFixed(0).padStart(7)} documents/CPU-s  (${(cpuS * 1000).toFixed(0)} ms CPU, ${(wallS * 1000).toFixed(0)} ms wall per run)`);
  return documents / cpuS;
}

const parse = await time('baseline: YAML parse only', 5, () => parseAllDocuments(stream).map((d) => d.toJS()));
const args = ['lint', '-o', 'json', ...versions.flatMap((v) => ['--istio-version', v]), '-'];
const lint = await time(`meshwarden lint (${versions.length ? versions.join(', ') : 'all 4 Istio minors'})`, 3, () => runCliQuiet(args, stream));
console.log(`ratio lint/parse: ${(lint / parse).toFixed(3)}; target >= 5000 documents/s per core: ${lint >= 5000 ? 'met' : 'MISSED'}`);
