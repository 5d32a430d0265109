/**
 * Full-validation throughput of `meshwarden lint`, against baselines in the same run:
 *
 *   in-process   the CLI's main() on the corpus as one stream, after a warm-up (no process
 *                start), against parsing the same stream with `yaml` (the floor of a
 *                position-aware linter);
 *   whole process each program started on the same directory of files, start to exit, under
 *                GNU time: meshwarden (compiled JS, as the npm package runs), `istioctl analyze
 *                --use-kube=false` (built from the istio.io/istio module; it only reads whole
 *                runs of files) and kubeconform -strict (schema only, local schemas).
 *   startup      the same programs on one file of two documents: their fixed cost.
 *   Istio kinds  the whole-process runs again on a corpus of only Services, EnvoyFilters and
 *                WasmPlugins: istioctl ignores meshwarden's kinds, so this is the like-for-like
 *                comparison of the work both do.
 *
 * Every figure is documents per CPU-second (user + system of the process: "per core", and
 * steady on a shared machine) and per wall second; load averages are recorded with each scale.
 *
 *   npx tsx bench/lint.bench.ts [--documents 2400] [--scales 1,5,10] [--runs 3] [--json FILE]
 *     [--istio 1.NN] [--no-peers]   (default: the newest minor with a real istioctl here, for the peer run)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { corpus } from './corpus.js';
import { runCliQuiet } from './cli-quiet.js';
import { REPO_ROOT } from '../e2e/harness/controlplane.js';
import { kubeconformSchemas, schemaTemplate } from './kubeconform-schemas.js';
import { compiledCli, growth, loadavg, machine, median, timeProcess, writeResult, type ProcessRun } from './lib.js';
import { capturedIstioMinors, defaultIstioMinors } from '../operator/src/versions/table.js';

/** The run with no --istio-version: the version table's default set (four minors before issue 15, three after). */
const MW_DEFAULT = `meshwarden lint (Istio ${defaultIstioMinors()[0]}-${defaultIstioMinors().at(-1)}, the default)`;

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '2400' },
    scales: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    json: { type: 'string' },
    istio: { type: 'string', default: capturedIstioMinors().at(-1)! },
    'no-peers': { type: 'boolean', default: false },
  },
});
const base = Number(values.documents);
const scales = values.scales.split(',').map(Number);
const runs = Math.max(1, Math.min(Number(values.runs), 10));
const istio = values.istio;
const BIN = join(REPO_ROOT, '.tools', 'bin');

interface Figure {
  documents: number;
  docsPerCpuS: number;
  docsPerS: number;
  cpuS: number;
  wallS: number;
  maxRssMB?: number;
  exitCode?: number;
  /** What the program reported (findings, messages, valid resources): proof it did the work. */
  reported?: string;
}

const figure = (documents: number, cpuS: number, wallS: number, extra: Partial<Figure> = {}): Figure => ({
  documents,
  cpuS,
  wallS,
  docsPerCpuS: documents / cpuS,
  docsPerS: documents / wallS,
  ...extra,
});

/** In-process: `runs` timed runs after one warm-up; CPU of this process. */
async function inProcess(documents: number, fn: () => unknown, n: number): Promise<Figure> {
  await fn(); // warm-up: compiled schemas, descriptor sets, Lua and regex caches
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let r = 0; r < n; r++) await fn();
  const cpu = process.cpuUsage(cpu0);
  return figure(documents, (cpu.user + cpu.system) / 1e6 / n, Number(process.hrtime.bigint() - wall0) / 1e9 / n);
}

/** Writes the corpus as a repository of files: one per service (its Service and its resource), a directory per team. */
function writeCorpus(documents: number, dir: string, istioOnly = false): number {
  const docs = corpus(documents, { istioOnly });
  let files = 0;
  for (let k = 0; k < docs.length; k += 2, files++) {
    const team = join(dir, `team-${files % 40}`);
    mkdirSync(team, { recursive: true });
    writeFileSync(join(team, `svc-${files}.yaml`), docs.slice(k, k + 2).join('---\n'));
  }
  return files;
}

interface Tool {
  name: string;
  cmd: string;
  args: (target: string) => string[];
  /** A line about what the program reported, checked for plausibility. */
  reported: (r: ProcessRun, documents: number) => string;
  env?: NodeJS.ProcessEnv;
}

function tools(cli: string, scratch: string): Tool[] {
  const list: Tool[] = [];
  const mwReported = (r: ProcessRun): string => {
    if (r.code !== 0) throw new Error(`meshwarden lint exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const findings = JSON.parse(r.stdout) as Array<{ severity: string }>;
    return `${findings.length} findings (${findings.filter((f) => f.severity === 'error').length} errors)`;
  };
  list.push({ name: MW_DEFAULT, cmd: process.execPath, args: (t) => [cli, 'lint', '-o', 'json', t], reported: mwReported });
  list.push({ name: `meshwarden lint --istio-version ${istio}`, cmd: process.execPath, args: (t) => [cli, 'lint', '-o', 'json', '--istio-version', istio, t], reported: mwReported });
  if (values['no-peers']) return list;
  const istioctl = join(BIN, `istioctl-${istio}`);
  if (existsSync(istioctl)) {
    // Offline: no cluster (--use-kube=false), no kubeconfig to find; every namespace of the files (-A).
    list.push({
      name: `istioctl analyze ${istio} --use-kube=false -A`,
      cmd: istioctl,
      args: (t) => ['analyze', '--use-kube=false', '-A', '-o', 'json', '--color=false', t],
      env: { PATH: process.env.PATH, HOME: scratch, KUBECONFIG: join(scratch, 'no-kubeconfig') },
      reported: (r) => {
        const m = /^\s*\[[\s\S]*\]\s*$/m.test(r.stdout) ? (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as Array<{ code: string; level: string }>) : [];
        const byCode = new Map<string, number>();
        for (const x of m) byCode.set(`${x.level} ${x.code}`, (byCode.get(`${x.level} ${x.code}`) ?? 0) + 1);
        return `exit ${r.code}, ${m.length} messages${m.length ? ` (${[...byCode].map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}${/could not be parsed|Error\(s\) adding files/.test(r.stderr) ? '; parse errors: ' + r.stderr.slice(0, 300).replace(/\s+/g, ' ') : ''}`;
      },
    });
  } else console.log(`skip istioctl: ${istioctl} missing (scripts/build-istiod.sh ${istio})`);
  const kubeconform = join(BIN, 'kubeconform');
  if (existsSync(kubeconform)) {
    const schemas = kubeconformSchemas(istio);
    list.push({
      name: 'kubeconform -strict (schema only)',
      cmd: kubeconform,
      args: (t) => ['-strict', '-summary', '-schema-location', schemaTemplate(schemas.dir), t],
      reported: (r, documents) => {
        const s = /Summary: .*/.exec(r.stdout)?.[0] ?? r.stdout.slice(-300);
        if (!s.includes(`${documents} resources found`) || !s.includes(`Valid: ${documents},`))
          throw new Error(`kubeconform did not validate all ${documents} documents: ${s}\n${r.stderr.slice(0, 1000)}`);
        return s;
      },
    });
  } else console.log(`skip kubeconform: ${kubeconform} missing (scripts/build-kubeconform.sh)`);
  return list;
}

async function wholeProcess(tool: Tool, target: string, documents: number, n: number): Promise<Figure> {
  const rs: ProcessRun[] = [];
  for (let r = 0; r < n; r++) rs.push(await timeProcess(tool.cmd, tool.args(target), { env: tool.env, timeoutMs: 600_000 }));
  const reported = tool.reported(rs[0]!, documents);
  return figure(documents, median(rs.map((r) => r.cpuS)), median(rs.map((r) => r.wallS)), { maxRssMB: Math.max(...rs.map((r) => r.maxRssMB)), exitCode: rs[0]!.code, reported });
}

const fmt = (f: Figure): string =>
  `${f.docsPerCpuS.toFixed(0).padStart(7)} docs/CPU-s ${f.docsPerS.toFixed(0).padStart(7)} docs/s  (${(f.cpuS * 1000).toFixed(0)} ms CPU, ${(f.wallS * 1000).toFixed(0)} ms wall${f.maxRssMB ? `, ${f.maxRssMB.toFixed(0)} MB RSS` : ''})`;

const scratch = mkdtempSync(join(tmpdir(), 'mw-lint-bench-'));
const results: Array<Record<string, unknown>> = [];
try {
  const cli = compiledCli();
  const list = tools(cli, scratch);
  console.log(`lint benchmark: corpus of ${base} documents × ${scales.join(', ')}; ${runs} runs each; ${machine().cpus} cores, load average ${loadavg().join(' ')}`);

  // Fixed cost: each program on one file of two documents.
  const one = join(scratch, 'one');
  writeCorpus(2, one);
  const startup: Record<string, Figure> = {};
  for (const t of list) {
    startup[t.name] = await wholeProcess(t, one, 2, runs);
    console.log(
      `startup  ${t.name.padEnd(48)} ${(startup[t.name]!.cpuS * 1000).toFixed(0)} ms CPU, ${(startup[t.name]!.wallS * 1000).toFixed(0)} ms wall, ${startup[t.name]!.maxRssMB?.toFixed(0)} MB RSS`,
    );
  }

  for (const scale of scales) {
    const documents = base * scale;
    const n = scale >= 5 ? Math.min(runs, 2) : runs; // bounded: a 10× run of every program takes a minute
    const loadBefore = loadavg();
    const stream = corpus(documents).join('---\n');
    console.log(`\n${documents} documents (${scale}×), load average ${loadBefore.join(' ')}`);
    const parse = await inProcess(documents, () => parseAllDocuments(stream).map((d) => d.toJS()), n);
    console.log(`in-process  baseline: YAML parse only${' '.repeat(23)} ${fmt(parse)}`);
    const lintAll = await inProcess(documents, () => runCliQuiet(['lint', '-o', 'json', '-'], stream), n);
    console.log(`in-process  meshwarden lint (the ${defaultIstioMinors().length} default Istio minors)${' '.repeat(2)} ${fmt(lintAll)}`);
    const lintOne = await inProcess(documents, () => runCliQuiet(['lint', '-o', 'json', '--istio-version', istio, '-'], stream), n);
    console.log(`in-process  meshwarden lint --istio-version ${istio}${' '.repeat(11)} ${fmt(lintOne)}`);

    const dir = join(scratch, `corpus-${scale}`);
    const files = writeCorpus(documents, dir);
    const processes: Record<string, Figure> = {};
    for (const t of list) {
      processes[t.name] = await wholeProcess(t, dir, documents, n);
      console.log(`process     ${t.name.padEnd(48)} ${fmt(processes[t.name]!)}  [${processes[t.name]!.reported}]`);
    }
    rmSync(dir, { recursive: true, force: true });
    results.push({ scale, documents, files, runs: n, loadavgBefore: loadBefore, loadavgAfter: loadavg(), inProcess: { parse, lintAll, lintOne }, processes });
  }

  // Like for like with istioctl: only the kinds it knows.
  const istioOnly: Record<string, Figure> = {};
  {
    const dir = join(scratch, 'istio-only');
    writeCorpus(base, dir, true);
    const stream = corpus(base, { istioOnly: true }).join('---\n');
    const lintOne = await inProcess(base, () => runCliQuiet(['lint', '-o', 'json', '--istio-version', istio, '-'], stream), runs);
    console.log(`\nIstio kinds only (Services, EnvoyFilters, WasmPlugins), ${base} documents, load average ${loadavg().join(' ')}`);
    console.log(`in-process  meshwarden lint --istio-version ${istio}${' '.repeat(11)} ${fmt(lintOne)}`);
    istioOnly['in-process ' + `meshwarden lint --istio-version ${istio}`] = lintOne;
    for (const t of list) {
      istioOnly[t.name] = await wholeProcess(t, dir, base, runs);
      console.log(`process     ${t.name.padEnd(48)} ${fmt(istioOnly[t.name]!)}  [${istioOnly[t.name]!.reported}]`);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  // Ratios against the same-run baselines, per scale.
  const mwOne = `meshwarden lint --istio-version ${istio}`;
  const mwAll = MW_DEFAULT;
  const ist = list.find((t) => t.name.startsWith('istioctl'))?.name;
  const kc = list.find((t) => t.name.startsWith('kubeconform'))?.name;
  console.log('\nratios (documents per CPU-second; whole process unless marked):');
  for (const r of results) {
    const p = r['processes'] as Record<string, Figure>;
    const ip = r['inProcess'] as Record<string, Figure>;
    const ratio = (a?: Figure, b?: Figure): string => (a && b ? (a.docsPerCpuS / b.docsPerCpuS).toFixed(2) : 'n/a');
    console.log(
      `  ${String(r['documents']).padStart(6)} docs: in-process lint/parse ${ratio(ip['lintAll'], ip['parse'])}; ` +
        `meshwarden(${istio})/istioctl ${ratio(p[mwOne], ist ? p[ist] : undefined)}, meshwarden(all)/istioctl ${ratio(p[mwAll], ist ? p[ist] : undefined)}; ` +
        `meshwarden(${istio})/kubeconform ${ratio(p[mwOne], kc ? p[kc] : undefined)}`,
    );
  }
  if (ist) console.log(`  Istio kinds only: meshwarden(${istio})/istioctl ${(istioOnly[mwOne]!.docsPerCpuS / istioOnly[ist]!.docsPerCpuS).toFixed(2)}`);
  if (results.length > 1) {
    const first = results[0]!;
    console.log('growth of CPU time per scale step (1 = linear, < 1 better):');
    for (const r of results.slice(1)) {
      const k = (r['documents'] as number) / (first['documents'] as number);
      const g = (pick: (x: Record<string, unknown>) => Figure | undefined): string => {
        const a = pick(first);
        const b = pick(r);
        return a && b ? growth(a.cpuS, b.cpuS, k).toFixed(2) : 'n/a';
      };
      console.log(
        `  ×${k}: lint in-process ${g((x) => (x['inProcess'] as Record<string, Figure>)['lintAll'])}, meshwarden process ${g((x) => (x['processes'] as Record<string, Figure>)[mwAll])}` +
          `${ist ? `, istioctl ${g((x) => (x['processes'] as Record<string, Figure>)[ist])}` : ''}${kc ? `, kubeconform ${g((x) => (x['processes'] as Record<string, Figure>)[kc])}` : ''}`,
      );
    }
  }
  writeResult(values.json, 'lint', { istio, baseDocuments: base, startup, scales: results, istioOnly, tools: list.map((t) => ({ name: t.name, command: [t.cmd, ...t.args('<dir>')].join(' ') })) });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
