/**
 * The rule tester (docs/adr/0114-rule-tester.md): every case file under operator/test/rules/
 * is judged by each shell that decides on objects — evaluate() behind the input limits (what
 * the shells share), the admission webhook's handler, the controller's reconcile, and
 * `meshwarden lint -o json` (plus `meshwarden validate --envoy` for `needs: envoy` cases) —
 * and each shell's findings are held to the ones the file declares. ESLint's RuleTester and
 * Istio's analyzer testdata are the models: a case is data, the harness is one loop.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Diagnostic, Severity } from '../src/diagnostics.js';
import { evaluate } from '../src/evaluate.js';
import { readInputs } from '../src/cli/inputs.js';
import { contextFromInputs } from '../src/cli/facts.js';
import { defaultLimits, findLimitBreach, limitFinding } from '../src/input-limits.js';
import { isK8sObject, refOf, type K8sObject } from '../src/k8s-object.js';
import { admit, clusterFactRules, validatedKinds } from '../src/webhook/admission.js';
import { ResourceReconciler } from '../src/controller/reconcile-resource.js';
import { ApiError, type Kube } from '../src/controller/kube.js';
import type { Cache } from '../src/controller/informers.js';
import type { Caches } from '../src/controller/caches.js';
import { allRules } from '../src/validate/catalogue.js';
import { defaultIstioMinors, envoyOf, VERSION_TABLE } from '../src/versions/table.js';
import { packageRoot } from '../src/util/package-root.js';
import { runCli } from './cli-harness.js';

export const rulesDir = join(packageRoot, 'operator', 'test', 'rules');

export interface Expected {
  rule: string;
  severity: Severity;
  /** Field path; '' for the object as a whole (written `(object)`). */
  path: string;
}

export type Need = 'envoy';

export interface RuleCase {
  /** The rule whose directory holds the case. */
  rule: string;
  /** `valid-…` or `invalid-…` file name. */
  name: string;
  file: string;
  valid: boolean;
  expect: Expected[];
  /** Istio minors to judge for (`# istio:`); undefined: the version table's default set. */
  istio?: string[];
  needs: Need[];
}

const directive = /^# (expect|istio|needs): ?(.*)$/;

/** Reads the header directives of one case file; a malformed directive is an error, never ignored. */
export function parseCase(rule: string, file: string, text: string): RuleCase {
  const name = file.split('/').pop()!;
  const valid = name.startsWith('valid-');
  if (!valid && !name.startsWith('invalid-')) throw new Error(`${name}: a case file is named valid-*.yaml or invalid-*.yaml`);
  const c: RuleCase = { rule, name, file, valid, expect: [], needs: [] };
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) continue;
    const m = directive.exec(line);
    if (!m) {
      if (/^#\s*(expect\w*|istio\w*|needs?)\s*:/i.test(line)) throw new Error(`${name}: malformed directive "${line}" (see operator/test/rules/README.md)`);
      continue;
    }
    const words = m[2]!
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (m[1] === 'expect') {
      const [code, severity, path, ...rest] = words;
      if (!code || !/^MW\d{3}$/.test(code) || !['error', 'warning', 'info'].includes(severity ?? '') || path === undefined || rest.length > 0) {
        throw new Error(`${name}: "# expect: CODE SEVERITY PATH" (path \`(object)\` for the whole object), not "${line}"`);
      }
      c.expect.push({ rule: code, severity: severity as Severity, path: path === '(object)' ? '' : path });
    } else if (m[1] === 'istio') {
      const known: readonly string[] = VERSION_TABLE.map((r) => r.istio);
      for (const v of words) if (!known.includes(v)) throw new Error(`${name}: Istio ${v} is not a row of the version table (${known.join(', ')})`);
      if (words.length === 0) throw new Error(`${name}: "# istio:" names at least one Istio minor`);
      c.istio = words;
    } else {
      for (const w of words) if (w !== 'envoy') throw new Error(`${name}: unknown need "${w}" (known: envoy)`);
      c.needs = words as Need[];
    }
  }
  return c;
}

/** Every case of every rule directory. */
export function loadCases(dir = rulesDir): RuleCase[] {
  const cases: RuleCase[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const f of readdirSync(join(dir, entry.name))
      .filter((n) => n.endsWith('.yaml'))
      .sort()) {
      const file = join(dir, entry.name, f);
      cases.push(parseCase(entry.name, file, readFileSync(file, 'utf8')));
    }
  }
  return cases.sort((a, b) => a.file.localeCompare(b.file));
}

/** The rule directories present, whether or not they hold cases. */
export function ruleDirectories(dir = rulesDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Problems with a case's declarations themselves (before any shell runs). */
export function declarationProblems(c: RuleCase): string[] {
  const problems: string[] = [];
  const known = new Set(allRules().map((r) => r.code));
  for (const e of c.expect) if (!known.has(e.rule)) problems.push(`declares ${e.rule}, which is not in the catalogue`);
  if (c.valid) {
    if (c.expect.some((e) => e.severity === 'error')) problems.push('a valid case declares an error');
    if (c.expect.some((e) => e.rule === c.rule)) problems.push(`a valid case declares its own rule ${c.rule}`);
  } else if (!c.expect.some((e) => e.rule === c.rule)) {
    problems.push(`an invalid case does not declare its rule ${c.rule}`);
  }
  const keys = c.expect.map(keyOf);
  for (const k of new Set(keys.filter((k, i) => keys.indexOf(k) !== i))) problems.push(`declares ${k} twice`);
  if (c.expect.some((e) => isOracleRule(e.rule)) && !c.needs.includes('envoy')) problems.push('declares an MW7xx finding without "# needs: envoy"');
  return problems;
}

/** MW7xx: only `meshwarden validate --envoy` reports them. */
const oracleCodes: ReadonlySet<string> = new Set(
  allRules()
    .filter((r) => r.layer === 'oracle')
    .map((r) => r.code),
);
const isOracleRule = (code: string): boolean => oracleCodes.has(code);

const keyOf = (d: { rule: string; severity: string; path: string }) => `${d.rule} ${d.severity} ${d.path === '' ? '(object)' : d.path}`;
const sorted = (xs: string[]) => [...xs].sort();

/**
 * How a shell's findings differ from the declared ones, as sets of `code severity path`: errors
 * and warnings exactly, each declared info present (infos explain, and come and go with context).
 * Sets, not lists: a finding reported once per Istio minor (its message names the minor) is one
 * declaration, so a case does not change when the default set of minors does.
 */
export function differences(shell: string, found: ReadonlyArray<{ rule: string; severity: string; path: string }>, declared: readonly Expected[]): string[] {
  const strict = (ds: ReadonlyArray<{ rule: string; severity: string; path: string }>) => new Set(ds.filter((d) => d.severity !== 'info').map(keyOf));
  const want = strict(declared);
  const have = strict(found);
  const out: string[] = [];
  for (const w of sorted([...want])) if (!have.has(w)) out.push(`${shell}: missing ${w}`);
  for (const h of sorted([...have])) if (!want.has(h)) out.push(`${shell}: unexpected ${h}`);
  const infos = new Set(found.filter((d) => d.severity === 'info').map(keyOf));
  for (const d of declared.filter((e) => e.severity === 'info')) if (!infos.has(keyOf(d))) out.push(`${shell}: missing ${keyOf(d)}`);
  return out;
}

/** What the shells share before judging: the input limits (MW105), then evaluate(). */
function referenceVerdict(value: unknown, ctx: Parameters<typeof evaluate>[1]): Diagnostic[] {
  const breach = findLimitBreach(value, defaultLimits);
  if (breach) return [{ ...limitFinding(breach), object: refOf(isK8sObject(value) ? value : { kind: 'Unknown' }) }];
  return evaluate(value, ctx).diagnostics;
}

const groupOf = (apiVersion: unknown): [string, string] => {
  const s = typeof apiVersion === 'string' ? apiVersion : '';
  const i = s.indexOf('/');
  return i < 0 ? ['', s] : [s.slice(0, i), s.slice(i + 1)];
};

/** An AdmissionReview v1 CREATE for `obj`, kind and group as the API server derives them from its apiVersion. */
function admissionReview(obj: K8sObject) {
  const [group, version] = groupOf(obj.apiVersion);
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'rule-tester',
      kind: { group, version, kind: obj.kind },
      name: obj.metadata.name,
      namespace: obj.metadata.namespace ?? 'default',
      operation: 'CREATE',
      object: obj,
    },
  };
}

/** The webhook's answer must be the reference verdict: denied exactly when it holds an error (MW601–603 warn there). */
export function webhookProblems(obj: K8sObject, reference: readonly Diagnostic[], ctx: Parameters<typeof evaluate>[1]): string[] {
  const [group] = groupOf(obj.apiVersion);
  if (!validatedKinds.some((k) => k.group === group && k.kind === obj.kind)) return [];
  const out = admit(admissionReview(obj), ctx);
  const who = `webhook (${obj.kind} ${obj.metadata.name ?? ''})`;
  if (out.status !== 200) return [`${who}: HTTP ${out.status}: ${out.error}`];
  const { response } = out.review;
  const errors = reference.filter((d) => d.severity === 'error' && !clusterFactRules.has(d.rule));
  const problems: string[] = [];
  if (response.allowed !== (errors.length === 0)) problems.push(`${who}: ${response.allowed ? 'allowed' : 'denied'}, but the verdict has ${errors.length} error(s)`);
  const message = response.status?.message ?? '';
  for (const d of errors) {
    const line = d.rule === 'MW105' ? 'too large for the admission webhook to validate' : `${d.rule} ${d.path || '(object)'}: `;
    if (!message.includes(line)) problems.push(`${who}: denial does not name ${keyOf(d)}`);
  }
  const warned = reference.filter((d) => d.severity === 'warning' || (d.severity === 'error' && clusterFactRules.has(d.rule)));
  const warnings = response.warnings ?? [];
  // Past 12 the webhook sums the rest up in one line.
  if (warned.length <= 12) for (const d of warned) if (!warnings.some((w) => w.startsWith(`${d.rule} `))) problems.push(`${who}: no warning for ${keyOf(d)}`);
  return problems;
}

/** A cache over the objects of the case file (what the informers would hold). */
class ListCache<T extends K8sObject> implements Cache<T> {
  constructor(readonly items: T[]) {}
  get(name: string, ns?: string): T | undefined {
    return this.items.find((o) => o.metadata.name === name && o.metadata.namespace === ns);
  }
  list(ns?: string): readonly T[] {
    return ns === undefined ? this.items : this.items.filter((o) => o.metadata.namespace === ns);
  }
}

/** A Kube that has nothing (GET: 404) and accepts every write, recording it. */
function recordingKube(writes: Array<{ method: string; path: string; body: unknown }>): Kube {
  return {
    async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
      if (method === 'GET') throw new ApiError(404, 'NotFound', 'not found');
      writes.push({ method, path, body: opts.body });
      return opts.body as T;
    },
  };
}

const silent = pino({ level: 'silent' });

/**
 * The controller's verdict: one reconcile of the object against caches holding the case's
 * objects. Accepted must be False exactly when the reference verdict has an error, its message
 * must name each error, and a rejected spec must write no EnvoyFilter or WasmPlugin.
 */
export async function controllerProblems(obj: K8sObject, objects: readonly K8sObject[], reference: readonly Diagnostic[], istioVersions: readonly string[] | undefined): Promise<string[]> {
  const [group] = groupOf(obj.apiVersion);
  if (group !== 'meshwarden.io' || (obj.kind !== 'SmartLimiter' && obj.kind !== 'EnvoyPlugin')) return [];
  const stored = (o: K8sObject, i: number): K8sObject => ({
    ...o,
    metadata: { uid: `uid-${i}`, generation: 1, ...o.metadata, namespace: o.metadata.namespace ?? 'default' },
  });
  const all = objects.map(stored);
  const self = all[objects.indexOf(obj)]!;
  const byKind = (kind: string) => new ListCache(all.filter((o) => o.kind === kind && (kind === 'Service' || kind === 'Pod' ? o.apiVersion === 'v1' : true)));
  const caches = {
    SmartLimiter: byKind('SmartLimiter'),
    EnvoyPlugin: byKind('EnvoyPlugin'),
    EnvoyFilter: byKind('EnvoyFilter'),
    WasmPlugin: byKind('WasmPlugin'),
    Service: byKind('Service'),
    Pod: byKind('Pod'),
  } as unknown as Caches;
  const writes: Array<{ method: string; path: string; body: unknown }> = [];
  const reconciler = new ResourceReconciler(obj.kind, recordingKube(writes), caches, undefined, undefined, istioVersions ? { istioVersions: [...istioVersions] } : {});
  const who = `controller (${obj.kind} ${obj.metadata.name ?? ''})`;
  try {
    await reconciler.reconcile(self.metadata.namespace!, self.metadata.name!, silent);
  } catch (e) {
    return [`${who}: reconcile threw ${(e as Error).message}`];
  }
  const status = writes.filter((w) => w.path.endsWith('/status')).pop()?.body as { status?: { conditions?: Array<{ type: string; status: string; message: string }> } } | undefined;
  const accepted = status?.status?.conditions?.find((c) => c.type === 'Accepted');
  if (!accepted) return [`${who}: wrote no Accepted condition`];
  const errors = reference.filter((d) => d.severity === 'error');
  const problems: string[] = [];
  if ((accepted.status === 'True') !== (errors.length === 0)) problems.push(`${who}: Accepted=${accepted.status}, but the verdict has ${errors.length} error(s)`);
  // The condition message is clipped at 4000 characters; the cases stay far below.
  for (const d of errors) if (!accepted.message.includes(`${d.rule} ${d.path || '(object)'}: `)) problems.push(`${who}: Accepted does not name ${keyOf(d)}`);
  // An accepted spec lists its warnings in the condition; a rejected one only its errors.
  if (errors.length === 0) {
    for (const d of reference.filter((x) => x.severity === 'warning')) {
      if (!accepted.message.includes(`${d.rule} ${d.path || '(object)'}: `)) problems.push(`${who}: Accepted does not name ${keyOf(d)}`);
    }
  }
  if (errors.length > 0) {
    const objectsWritten = writes.filter((w) => /\/(envoyfilters|wasmplugins)\//.test(w.path));
    if (objectsWritten.length > 0) problems.push(`${who}: a rejected spec wrote ${objectsWritten.map((w) => `${w.method} ${w.path}`).join(', ')}`);
  }
  return problems;
}

/** The Envoy binary of an Istio minor, when fetched. */
export function envoyBinaryFor(istio: string): string | undefined {
  const minor = envoyOf(istio);
  if (!minor) return undefined;
  const bin = join(packageRoot, '.tools', 'bin');
  if (!existsSync(bin)) return undefined;
  const name = readdirSync(bin).find((n) => n.startsWith(`envoy-${minor}.`));
  return name ? join(bin, name) : undefined;
}

export interface Judgement {
  /** Every disagreement, with the shell that has it; empty when the case holds. */
  problems: string[];
  /** The shells that judged the case. */
  shells: string[];
}

const versionFlags = (c: RuleCase) => (c.istio ?? []).flatMap((v) => ['--istio-version', v]);

/** Runs one case through every shell that applies to it. */
export async function judge(c: RuleCase): Promise<Judgement> {
  const problems = declarationProblems(c);
  const shells: string[] = [];
  const inShells = c.expect.filter((e) => !isOracleRule(e.rule));
  const inputs = await readInputs([c.file], async () => '', packageRoot, { oversizedAsFindings: true });
  const istioVersions = c.istio ?? [...defaultIstioMinors()];
  const ctx = contextFromInputs(inputs.objects, { istioVersions });
  if (inputs.errors.length === 0) {
    // A document the reader cannot read reaches no other shell: it never becomes an object.
    shells.push('evaluate', 'webhook', 'controller');
    const judged = [...inputs.oversized.map((o) => o.object.value), ...inputs.objects.map((o) => o.value)];
    const values = judged.filter(isK8sObject);
    const reference = new Map<unknown, Diagnostic[]>(judged.map((v) => [v, referenceVerdict(v, ctx)]));
    problems.push(...differences('evaluate', [...reference.values()].flat(), inShells));
    // The API server refuses an object whose metadata is no object before any webhook or
    // controller sees it: only the CLI and evaluate() judge such a document (MW100).
    for (const v of values.filter((o) => typeof o.metadata === 'object' && o.metadata !== null && !Array.isArray(o.metadata))) {
      problems.push(...webhookProblems(v, reference.get(v)!, ctx));
      problems.push(...(await controllerProblems(v, values, reference.get(v)!, c.istio)));
    }
  }
  shells.push('lint');
  const lint = await runCli(['lint', '-o', 'json', ...versionFlags(c), c.file]);
  problems.push(...lintProblems('lint', lint, inShells, inputs.errors.length > 0));
  if (c.needs.includes('envoy')) {
    for (const v of c.istio ?? [defaultIstioMinors().at(-1)!]) {
      const envoy = envoyBinaryFor(v);
      if (!envoy) {
        problems.push(`validate --envoy: no Envoy binary for Istio ${v} in .tools/bin (scripts/fetch-envoy.sh)`);
        continue;
      }
      shells.push(`validate --envoy (Istio ${v})`);
      const run = await runCli(['validate', '--envoy', envoy, '--istio-version', v, '-o', 'json', c.file]);
      problems.push(...lintProblems(`validate --envoy (Istio ${v})`, run, c.expect, inputs.errors.length > 0));
    }
  }
  return { problems, shells };
}

function lintProblems(shell: string, run: { code: number; stdout: string; stderr: string }, declared: readonly Expected[], unreadable: boolean): string[] {
  let diags: Diagnostic[];
  try {
    diags = JSON.parse(run.stdout) as Diagnostic[];
  } catch {
    return [`${shell}: exit ${run.code}, no JSON on stdout; stderr: ${run.stderr.slice(0, 300)}`];
  }
  const problems = differences(shell, diags, declared);
  const wantCode = unreadable ? 2 : declared.some((d) => d.severity === 'error') ? 1 : 0;
  if (run.code !== wantCode) problems.push(`${shell}: exit code ${run.code}, expected ${wantCode}`);
  for (const d of diags.filter((x) => x.severity !== 'info')) {
    if (!d.hint && d.message.length <= 20) problems.push(`${shell}: ${keyOf(d)} says neither what is wrong nor how to fix it`);
    if (!d.source || d.source.line < 1 || d.source.column < 1) problems.push(`${shell}: ${keyOf(d)} has no position in the file`);
  }
  return problems;
}
