/**
 * What each Istio minor costs the validator (a benchmark, not a test):
 *
 *   node --import tsx bench/minor-cost.bench.ts [--admissions 150] [--rounds 9]
 *
 * CPU per in-process admission (`admit()`, no HTTPS) of the webhook bench's 20-patch EnvoyFilter,
 * every admission a different object (no verdict cache), for version sets from the version table:
 * each of the two newest minors alone, the default set, and every minor. The sets are interleaved
 * round by round and the median of the rounds printed, so a busy shared machine moves them alike.
 * Then the one-time CPU of loading each Envoy descriptor set, in a fresh process each.
 */
import { execFileSync } from 'node:child_process';
import { cpuUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultIstioMinors, envoyMinors, istioMinors } from '../operator/src/versions/table.js';

const { values } = parseArgs({ options: { admissions: { type: 'string', default: '150' }, rounds: { type: 'string', default: '9' }, 'load-one': { type: 'string' } } });

if (values['load-one']) {
  // Child mode: the load cost of one descriptor set, in a process that has loaded nothing else.
  const { loadProtoSchema } = await import('../operator/src/validate/proto/index.js');
  const c0 = cpuUsage();
  loadProtoSchema(values['load-one'] as never);
  const c = cpuUsage(c0);
  process.stdout.write(String((c.user + c.system) / 1000));
  process.exit(0);
}

const { admit } = await import('../operator/src/webhook/admission.js');
const fx = await import('../operator/src/webhook/fixtures.js');
const n = Math.min(Number(values.admissions), 2000); // bounded
const rounds = Math.min(Number(values.rounds), 30);
const minors = istioMinors();
const sets = [[minors.at(-2)!], [minors.at(-1)!], [...defaultIstioMinors()], [...minors]];
let k = 0;
const perSet = new Map<string, number[]>();
for (const s of sets) for (let i = 0; i < 50; i++) admit(fx.admissionReview(fx.goodEnvoyFilter(20, `warm-${k++}`)), { services: [], pods: [], istioVersions: s });
for (let r = 0; r < rounds; r++) {
  for (const s of sets) {
    const ctx = { services: [], pods: [], istioVersions: s };
    const c0 = cpuUsage();
    for (let i = 0; i < n; i++) admit(fx.admissionReview(fx.goodEnvoyFilter(20, `o-${k++}`)), ctx);
    const c = cpuUsage(c0);
    perSet.set(s.join(', '), [...(perSet.get(s.join(', ')) ?? []), (c.user + c.system) / 1000 / n]);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`CPU per admission, 20-patch EnvoyFilter, ${n} admissions x ${rounds} rounds:`);
for (const [s, v] of perSet) console.log(`  ${s.padEnd(32)} median ${median(v).toFixed(2)} ms (${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)})`);
console.log('one-time CPU to load each Envoy descriptor set (fresh process):');
for (const v of envoyMinors()) {
  const ms = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--load-one', v], { encoding: 'utf8', timeout: 60_000 });
  console.log(`  Envoy ${v}: ${Number(ms).toFixed(0)} ms`);
}
