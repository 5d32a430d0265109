/**
 * The table of issue 8's rows from the JSON results of one `scripts/bench.sh` run: for each
 * row the figure, its same-run baseline, their ratio, the target and whether it is met; then
 * how each figure grows at 1×, 5× and 10× the load. Prints Markdown (bench/RESULTS.md takes it).
 *
 *   npx tsx bench/summary.ts [bench/results]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/results';
// The JSON files are this project's own output (bench/*.ts writeResult), read loosely.
type J = any;
const read = (name: string): J => (existsSync(join(dir, `${name}.json`)) ? JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) : undefined);
const lint = read('lint');
const op = read('operator');
const wh = read('webhook');
const envoy = read('envoy');

const n0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const n1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const n2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const ms = (x: number): string => `${n1(x)} ms`;
const verdict = (ok: boolean): string => (ok ? '**met**' : '**missed**');
const la = (l?: number[]): string => (l ? l.map((x) => x.toFixed(1)).join(' / ') : 'n/a');

const rows: string[][] = [];
const scale: string[][] = [];

if (wh) {
  const top = wh.rates.reduce((a: J, b: J) => (b.rate > a.rate ? b : a));
  const base = top.results[0];
  for (const r of top.results.slice(1)) {
    rows.push([
      `webhook (${r.label.replace('webhook, ', '')})`,
      `p50 / p99 admission latency, ${wh.patches}-patch EnvoyFilter, ${top.rate} req/s open loop, loopback HTTPS`,
      `empty HTTPS handler: p50 ${ms(base.p50)}, p99 ${ms(base.p99)}`,
      `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}; ${n2(r.cpuPerRequest)} ms server CPU/request; ${r.errors} errors`,
      `p99 ${n1(r.p99 / base.p99)}×`,
      'p99 ≤ 3 ms',
      verdict(r.p99 <= 3 && r.errors === 0),
      la(top.loadavgBefore),
    ]);
  }
  if (wh.rates.length > 1) {
    const low = wh.rates.reduce((a: J, b: J) => (b.rate < a.rate ? b : a));
    for (const { label } of low.results.slice(1)) {
      const at = (p: J): J => p.results.find((x: J) => x.label === label);
      const a = at(low);
      const b = at(top);
      scale.push([
        `webhook (${b.label.replace('webhook, ', '')})`,
        wh.rates.map((p: J) => `${p.rate}/s`).join(', '),
        wh.rates.map((p: J) => `p99 ${ms(at(p).p99)}`).join(', ') + '; CPU/request ' + wh.rates.map((p: J) => `${n2(at(p).cpuPerRequest)}`).join(', ') + ' ms',
        `CPU per request ${n2(b.cpuPerRequest / a.cpuPerRequest)}×; p99 ${n1(b.p99 / a.p99)}× for ${top.rate / low.rate}× the rate`,
        b.cpuPerRequest <= a.cpuPerRequest * 1.1 ? 'linear or better (CPU)' : 'worse than linear (CPU)',
      ]);
    }
  }
}

if (lint) {
  const s1 = lint.scales.find((s: J) => s.scale === 1) ?? lint.scales[0];
  const p = s1.processes;
  // Named after the default set it ran with (1.28-1.31 before issue 15, 1.30-1.32 after).
  const mwAllKey = Object.keys(p).find((k) => k.startsWith('meshwarden lint (Istio ') && k.endsWith(', the default)'));
  const mwAll = mwAllKey ? p[mwAllKey] : undefined;
  const defaultSet = mwAllKey?.slice('meshwarden lint ('.length, -', the default)'.length) ?? 'the default Istio minors';
  const mwOne = p[`meshwarden lint --istio-version ${lint.istio}`];
  const istKey = Object.keys(p).find((k) => k.startsWith('istioctl'));
  const kcKey = Object.keys(p).find((k) => k.startsWith('kubeconform'));
  const ist = istKey ? p[istKey] : undefined;
  const kc = kcKey ? p[kcKey] : undefined;
  const ip = s1.inProcess;
  rows.push([
    'lint, in-process',
    `documents per CPU-second, full validation (every layer), ${n0(s1.documents)}-document corpus, warm`,
    `YAML parse of the same stream: ${n0(ip.parse.docsPerCpuS)}/CPU-s`,
    `${defaultSet} ${n0(ip.lintAll.docsPerCpuS)}/CPU-s (${n0(ip.lintAll.docsPerS)}/s wall); Istio ${lint.istio} only ${n0(ip.lintOne.docsPerCpuS)}/CPU-s`,
    `${n2(ip.lintAll.docsPerCpuS / ip.parse.docsPerCpuS)} of parse`,
    '≥ 5,000/s per core',
    verdict(ip.lintAll.docsPerCpuS >= 5000),
    la(s1.loadavgBefore),
  ]);
  if (ist) {
    rows.push([
      'lint vs istioctl, whole process',
      `documents per CPU-second, start to exit, same ${n0(s1.files)} files`,
      `\`istioctl analyze --use-kube=false -A\` ${lint.istio}: ${n0(ist.docsPerCpuS)}/CPU-s (${n0(ist.docsPerS)}/s wall)`,
      `meshwarden (Istio ${lint.istio}) ${n0(mwOne.docsPerCpuS)}/CPU-s (${n0(mwOne.docsPerS)}/s wall); all 4 minors ${n0(mwAll.docsPerCpuS)}/CPU-s`,
      `${n2(mwOne.docsPerCpuS / ist.docsPerCpuS)}× istioctl (all 4: ${n2(mwAll.docsPerCpuS / ist.docsPerCpuS)}×)`,
      '≥ 10× istioctl',
      verdict(mwOne.docsPerCpuS >= 10 * ist.docsPerCpuS),
      la(s1.loadavgBefore),
    ]);
    const io = lint.istioOnly ?? {};
    const ioMw = io[`meshwarden lint --istio-version ${lint.istio}`];
    const ioIn = io[`in-process meshwarden lint --istio-version ${lint.istio}`];
    const ioIst = istKey ? io[istKey] : undefined;
    if (ioMw && ioIst) {
      rows.push([
        'lint vs istioctl, Istio kinds only',
        `as above on ${n0(ioMw.documents)} Services, EnvoyFilters and WasmPlugins (what istioctl reads)`,
        `istioctl: ${n0(ioIst.docsPerCpuS)}/CPU-s`,
        `meshwarden (Istio ${lint.istio}) ${n0(ioMw.docsPerCpuS)}/CPU-s whole process, ${ioIn ? n0(ioIn.docsPerCpuS) : 'n/a'}/CPU-s in-process`,
        `${n2(ioMw.docsPerCpuS / ioIst.docsPerCpuS)}× (in-process ${ioIn ? n2(ioIn.docsPerCpuS / ioIst.docsPerCpuS) : 'n/a'}×)`,
        '≥ 10× istioctl',
        verdict(ioMw.docsPerCpuS >= 10 * ioIst.docsPerCpuS),
        '',
      ]);
    }
  }
  if (kc) {
    rows.push([
      'lint vs kubeconform, whole process',
      'documents per CPU-second, same files; kubeconform checks schemas only',
      `\`kubeconform -strict\`: ${n0(kc.docsPerCpuS)}/CPU-s (${n0(kc.docsPerS)}/s wall)`,
      `meshwarden (Istio ${lint.istio}) ${n0(mwOne.docsPerCpuS)}/CPU-s`,
      `${n2(mwOne.docsPerCpuS / kc.docsPerCpuS)}× kubeconform`,
      '(no target)',
      '',
      '',
    ]);
  }
  if (lint.startup) {
    const st = Object.entries(lint.startup as Record<string, J>);
    rows.push([
      'lint fixed cost',
      'CPU and peak RSS of each program on one file of two documents (start, load, exit)',
      st
        .filter(([k]) => !k.startsWith('meshwarden'))
        .map(([k, v]) => `${k.split(' ')[0]} ${n0(v.cpuS * 1000)} ms, ${n0(v.maxRssMB)} MB`)
        .join('; '),
      st
        .filter(([k]) => k.startsWith('meshwarden'))
        .map(([k, v]) => `${k.includes('--istio-version') ? `Istio ${lint.istio}` : 'all 4 minors'} ${n0(v.cpuS * 1000)} ms, ${n0(v.maxRssMB)} MB`)
        .join('; '),
      '',
      '(no target)',
      '',
      '',
    ]);
  }
  if (lint.scales.length > 1) {
    const last = lint.scales[lint.scales.length - 1];
    const k = last.documents / s1.documents;
    const g = (a: J, b: J): string => n2(b.cpuS / a.cpuS / k);
    scale.push([
      'lint in-process (all minors)',
      lint.scales.map((s: J) => n0(s.documents)).join(', ') + ' documents',
      lint.scales.map((s: J) => `${n0(s.inProcess.lintAll.docsPerCpuS)}`).join(', ') + ' docs/CPU-s',
      `CPU ${g(ip.lintAll, last.inProcess.lintAll)} (YAML parse ${g(ip.parse, last.inProcess.parse)})`,
      last.inProcess.lintAll.cpuS / ip.lintAll.cpuS / k <= 1.1 ? 'linear or better' : 'worse than linear',
    ]);
    for (const key of Object.keys(p)) {
      const series = lint.scales.map((s: J) => s.processes[key]);
      if (series.some((x: J) => !x)) continue;
      const gr = series[series.length - 1].cpuS / series[0].cpuS / k;
      scale.push([
        key + ', whole process',
        lint.scales.map((s: J) => n0(s.documents)).join(', ') + ' documents',
        series.map((x: J) => n0(x.docsPerCpuS)).join(', ') + ' docs/CPU-s',
        `CPU ${n2(gr)}`,
        gr <= 1.1 ? 'linear or better' : 'worse than linear',
      ]);
    }
  }
}

if (op) {
  const r = op.runs.reduce((a: J, b: J) => (b.count > a.count ? b : a));
  rows.push([
    'cold start',
    `${n0(r.count)} SmartLimiters from operator spawn to all Ready with their EnvoyFilters (${r.workloads} Services, ${r.perWorkload} each), real kube-apiserver`,
    `create ${n0(r.count)} EnvoyFilters, ${r.rawCreate.inFlight} in flight: ${n1(r.rawCreate.ms / 1000)} s`,
    `${n1(r.cold.ms / 1000)} s (caches synced at ${n1(r.cold.cacheSyncMs / 1000)} s); operator CPU ${n1(r.cold.operatorCpuS)} s, apiserver+etcd CPU ${n1(r.cold.controlPlaneCpuS)} s (raw creates: ${n1(r.rawCreate.controlPlaneCpuS)} s)` +
      (r.cold.requests ? `; ${n1(Object.values(r.cold.requests as Record<string, number>).reduce((a, b) => a + b, 0) / r.count)} apiserver requests per SmartLimiter` : ''),
    `${n2(r.cold.ms / r.rawCreate.ms)}× raw create`,
    '≤ 60 s',
    verdict(r.cold.ms <= 60_000),
    la(r.loadavgBefore),
  ]);
  rows.push([
    'operator RSS',
    `after converging ${n0(r.count)} (peak during the run)`,
    '—',
    `${n0(r.cold.rssMB)} MB (peak ${n0(Math.max(r.cold.rssPeakMB, r.rssPeakMB))} MB); V8 heap used at the end ${n0(r.heapUsedMB)} MB`,
    '',
    '≤ 200 MB',
    verdict(Math.max(r.cold.rssPeakMB, r.rssPeakMB) <= 200),
    '',
  ]);
  rows.push([
    'steady state',
    `SmartLimiter PATCH → EnvoyFilter watch event, ${r.steady.changes} sequential changes with ${n0(r.count)} SmartLimiters`,
    `EnvoyFilter PATCH → its watch event, interleaved: p50 ${ms(r.steady.raw.p50)}, p99 ${ms(r.steady.raw.p99)}`,
    `p50 ${ms(r.steady.operator.p50)}, p99 ${ms(r.steady.operator.p99)} (max ${ms(r.steady.operator.max)}); operator CPU ${n1(r.steady.operatorCpuMsPerChange)} ms/change`,
    `p99 ${n1(r.steady.operator.p99 / r.steady.raw.p99)}×`,
    'p99 ≤ 250 ms',
    verdict(r.steady.operator.p99 <= 250 && r.steady.operator.n === r.steady.changes),
    la(r.loadavgBefore),
  ]);
  if (op.runs.length > 1) {
    const a = op.runs[0];
    const k = r.count / a.count;
    const gc = r.cold.ms / a.cold.ms / k;
    scale.push([
      'cold start',
      op.runs.map((x: J) => n0(x.count)).join(', ') + ' SmartLimiters',
      op.runs.map((x: J) => `${n1(x.cold.ms / 1000)} s`).join(', ') + ' (raw create ' + op.runs.map((x: J) => `${n1(x.rawCreate.ms / 1000)} s`).join(', ') + ')',
      `time ${n2(gc)}, operator CPU ${n2(r.cold.operatorCpuS / a.cold.operatorCpuS / k)}, raw create ${n2(r.rawCreate.ms / a.rawCreate.ms / k)}`,
      gc <= 1.1 ? 'linear or better' : 'worse than linear',
    ]);
    const gr = r.cold.rssMB / a.cold.rssMB;
    scale.push([
      'operator RSS',
      op.runs.map((x: J) => n0(x.count)).join(', ') + ' SmartLimiters',
      op.runs.map((x: J) => `${n0(x.cold.rssMB)} MB`).join(', '),
      `${n2(gr)}× for ${k}× the objects`,
      gr <= k ? 'better than linear' : 'worse than linear',
    ]);
    const gp = r.steady.operator.p99 / a.steady.operator.p99;
    scale.push([
      'steady state p99',
      op.runs.map((x: J) => n0(x.count)).join(', ') + ' SmartLimiters',
      op.runs.map((x: J) => ms(x.steady.operator.p99)).join(', ') + ' (raw ' + op.runs.map((x: J) => ms(x.steady.raw.p99)).join(', ') + ')',
      `${n2(gp)}× for ${k}× the objects`,
      gp <= k ? 'better than linear' : 'worse than linear',
    ]);
  }
}

if (envoy) {
  for (const r of envoy.runs) {
    rows.push([
      `Envoy ${r.envoy}`,
      `requests/s through a generated, never-triggering limiter (${envoy.load}, ${r.connections} connections, ${r.rounds}×${r.seconds} s interleaved)`,
      `the same Envoy without the filter: ${n0(r.rpsWithout)} req/s`,
      `${n0(r.rpsWith)} req/s; ${n0(r.evaluated)} requests evaluated, ${n0(r.limited)} limited`,
      `${n2(r.ratio)} (per-round median ${n2(r.perRoundRatio)}, per Envoy CPU-s ${n2(r.cpuRatio)})`,
      'ratio ≥ 0.95',
      verdict(r.ratio >= 0.95),
      la(r.loadavgAfter),
    ]);
  }
}

const table = (head: string[], body: string[][]): string => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const machine = (lint ?? op ?? wh ?? envoy)?.machine;
if (machine) console.log(`machine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}\n`);
console.log(table(['row', 'measure', 'baseline (same run)', 'figure', 'ratio to baseline', 'target', 'result', 'load avg (1/5/15 min)'], rows));
if (scale.length) console.log('\n' + table(['scale', 'loads', 'figures', 'growth (1 = linear)', 'verdict'], scale));
