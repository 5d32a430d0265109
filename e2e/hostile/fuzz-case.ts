/**
 * Prints one fuzz input, to reproduce a failure alone (docs/adr/0106-hostile-input-suite.md):
 *
 *   npx tsx e2e/hostile/fuzz-case.ts GENERATOR INDEX [SEED] > case.yaml
 *   node bin/meshwarden.js lint case.yaml
 *
 * GENERATOR is lua, regex or yaml; SEED defaults to the suite's (bounds.ts `fuzz.seed`).
 */
import { fuzz } from './bounds.js';
import { fuzzInput, generatorNames, type GeneratorName } from './generators.js';

const [name, index, seed] = process.argv.slice(2);
if (!generatorNames.includes(name as GeneratorName) || !/^\d+$/.test(index ?? '')) {
  process.stderr.write(`usage: fuzz-case.ts ${generatorNames.join('|')} INDEX [SEED]\n`);
  process.exit(2);
}
process.stdout.write(fuzzInput(name as GeneratorName, Number(index), seed === undefined ? fuzz.seed : Number(seed)).text);
