/**
 * The `meshwarden` command line. Exit codes everywhere: 0 ok, 1 findings or invalid
 * input, 2 usage, I/O or YAML parse errors, an unavailable Envoy, or an internal error
 * (reported in one line, never as a stack trace).
 */
import { parseArgs } from 'node:util';
import { toYaml } from '../yaml/emit.js';
import { atLeast, type Diagnostic } from '../diagnostics.js';
import { evaluate, reportAtOrigin, type Verdict } from '../evaluate.js';
import { oracleFindings, type OracleOptions } from '../oracle/oracle.js';
import { EnvoyUnavailableError, envoyMinor } from '../oracle/envoy.js';
import type { EnvoyFilterObject } from '../validate/istio/index.js';
import { istioNeighbours } from '../validate/index.js';
import type { Finding } from '../validate/rule.js';
import { packageRoot } from '../util/package-root.js';
import { join, resolve } from 'node:path';
import { access } from 'node:fs/promises';
import { allRules, codesTagged } from '../validate/catalogue.js';
import { rulesMarkdown } from '../validate/rules-markdown.js';
import { contextFromInputs } from './facts.js';
import type { Io } from './io.js';
import { readInputs, type Inputs } from './inputs.js';
import { at, InternalError, internalErrorText } from './internal-error.js';
import { formatJson, formatText } from './report.js';
import { formatGithub, formatJunit, formatSarif, type LintedObject } from './formats.js';
import { isK8sObject, refOf, type K8sObject } from '../k8s-object.js';
import { istioVersionFlag } from './istio-version-flag.js';
import { canonical, changedFiles, ChangedFilesError } from './changed-files.js';
import { envoyBinaryHint, requireValidatorData, ValidatorDataMissingError } from '../util/validator-data.js';
import { defaultIstioMinors, istioOfEnvoy, VERSION_TABLE } from '../versions/table.js';
import { version } from '../version.js';
import type { RateLimitService } from '../api/types.gen.js';
import type { LoadedObject, YamlError } from '../yaml/documents.js';
import { inputErrorDiagnostic } from '../input-errors.js';
import { parsePath } from '../diagnostics.js';

/** How `validate` runs the oracle (--envoy, the Istio version it implies, --unsandboxed-oracle). */
type OracleRun = Pick<OracleOptions, 'envoy' | 'istioVersion' | 'unsandboxed'>;

export const exitOk = 0;
export const exitFindings = 1;
export const exitUsage = 2;
/** Not a verdict on the input: meshwarden itself failed (or the Envoy it was told to run could not run). */
export const exitInternal = 2;

class UsageError extends Error {}

const usage = `Usage: meshwarden <command> [options]

Commands:
  render [--replicas N] [--rate-limit-service HOST:PORT] FILE...|-
        Print the EnvoyFilter, WasmPlugin and ConfigMap objects generated from the
        SmartLimiter and EnvoyPlugin resources in the input, as a YAML stream.
        Services and Pods in the input resolve targets and replica counts.
  lint [--istio-version V]... [--fail-on error|warning] [-o text|json|sarif|junit|github]
       [--suppress CODE[=NAMESPACE/NAME]]... [--changed-since GIT-REF] PATH...|-
        Validate manifests (files, directories, or - for stdin) against each Istio
        version (default: every supported one, ${defaultIstioMinors().join(', ')}) and report findings
        with file:line:col. --changed-since: report only files changed since GIT-REF
        (the other files under PATH are still read as context; docs/ci.md).
  validate [--envoy PATH] [--unsandboxed-oracle] [--istio-version V] [lint's options] PATH...|-
        Everything lint does, then each EnvoyFilter (given or generated) applied to
        the Istio baseline and checked by a real Envoy binary (default
        .tools/bin/envoy); the Istio version follows the binary's Envoy version.
        Envoy runs in a bubblewrap sandbox; --unsandboxed-oracle runs it on this host
        (only for trusted input: docs/security.md).
  rules [-o text|json|markdown]
        List the validator's rules.
  serve [--kubeconfig PATH] [--leader-elect=false] [--rate-limit-service HOST:PORT] ...
        Run the operator (controller); \`meshwarden serve --help\` lists every flag.
  migrate [--allow-dropped] [--rate-limit-service HOST:PORT] FILE...|-
        Convert Slime SmartLimiter, EnvoyPlugin and PluginManager objects into
        meshwarden resources; report what was not converted (\`migrate --help\`).
  adopt [--allow-differences] FILE...|-
        Propose a SmartLimiter or EnvoyPlugin for each hand-written EnvoyFilter of a
        known pattern, checked against the original (\`adopt --help\`).
  versions [-o text|json]
        The supported Istio and Envoy versions, their support status and what each
        check uses for them.

Exit codes: 0 ok, 1 findings or invalid input, 2 usage, I/O or YAML errors, Envoy
unavailable, or an internal error. lint and validate still check the rest of the input
when a document or file cannot be read, and report it (MW108 in -o json|sarif|junit|github);
any such input error makes the exit code 2, even with findings.`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'render':
        return await renderCommand(rest, io);
      case 'lint':
      case 'validate':
        return await checkCommand(command, rest, io);
      case 'rules':
        return rulesCommand(rest, io);
      // --- serve: the operator process (operator/src/serve/), loaded only when used ---
      case 'serve':
        return await (await import('../serve/command.js')).serveCommand(rest, io);
      // --- adoption: Slime objects and hand-written EnvoyFilters (operator/src/{migrate,adopt}/) ---
      case 'migrate':
        return await (await import('../migrate/command.js')).migrateCommand(rest, io);
      case 'adopt':
        return await (await import('../adopt/command.js')).adoptCommand(rest, io);
      case 'versions':
        return (await import('./versions-command.js')).versionsCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(usage + '\n');
        return exitOk;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`meshwarden: ${(e as Error).message}\n\n${usage}\n`);
      return exitUsage;
    }
    if (e instanceof ValidatorDataMissingError || e instanceof ChangedFilesError) {
      io.stderr(`meshwarden: ${e.message}\n`);
      return exitUsage;
    }
    if (e instanceof EnvoyUnavailableError) {
      io.stderr(`meshwarden: Envoy could not judge the input: ${e.message}\n`);
      return exitInternal;
    }
    io.stderr(internalErrorText(e) + '\n');
    return exitInternal;
  }
}

/**
 * Reads the inputs; YAML and I/O errors are printed and turn into exit code 2. Objects over
 * an input limit come back as findings (MW105), never evaluated.
 */
async function inputsOf(positionals: string[], io: Io): Promise<Inputs | undefined> {
  if (positionals.length === 0) throw new UsageError('no input: give files, directories or - for standard input');
  const inputs = await readInputs(positionals, io.readStdin, io.cwd, { oversizedAsFindings: true });
  if (inputs.errors.length > 0) {
    printInputErrors(inputs.errors, io);
    return undefined;
  }
  return inputs;
}

/** One line per input error on standard error; a file that cannot be read has no position: `x.yaml: no such file or directory`, not `x.yaml:0:0`. */
function printInputErrors(errors: readonly YamlError[], io: Io): void {
  io.stderr(errors.map((e) => `${e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file}: ${e.message}`).join('\n') + '\n');
}

/** Rules whose finding is shown at the field's key, not its value (an unknown field: the value is not what is wrong). */
const locatedAtKey = codesTagged('locateAtKey');

/**
 * Evaluates every object (and, with an oracle, judges its EnvoyFilters with Envoy) and attaches
 * file:line:col. The cluster facts come from `context` (default: the objects themselves).
 */
function evaluateAll(objects: LoadedObject[], extra: Parameters<typeof contextFromInputs>[1], oracle?: OracleRun, context: LoadedObject[] = objects) {
  const ctx = contextFromInputs(context, extra);
  const { envoyFilters } = ctx;
  return objects.map((o) => {
    const ref = isK8sObject(o.value) ? refOf(o.value) : { kind: 'Unknown', name: '' };
    let verdict: Verdict;
    let findings: Finding[];
    try {
      verdict = evaluate(o.value, ctx);
      findings = oracle ? judge(o.value, verdict, envoyFilters, oracle) : [];
    } catch (e) {
      if (e instanceof EnvoyUnavailableError) throw e;
      throw new InternalError(at(o.locate([]), ref), e);
    }
    const diagnostics: Diagnostic[] = [...verdict.diagnostics, ...findings.map((f) => ({ ...f, object: ref }))].map((d) => ({
      ...d,
      source: o.locate(parsePath(d.path), locatedAtKey.has(d.rule)),
    }));
    return { ...verdict, diagnostics };
  });
}

/** The oracle's findings for an EnvoyFilter, or for the EnvoyFilters a resource rendered (at their origin). */
function judge(value: unknown, verdict: Verdict, envoyFilters: K8sObject[], oracle: OracleRun) {
  // The other EnvoyFilters as the validator sees them: none the API server or istiod rejects (ADR 0109).
  const opts = (self: K8sObject) => ({
    ...oracle,
    otherEnvoyFilters: istioNeighbours(envoyFilters, self, [oracle.istioVersion]) as unknown as EnvoyFilterObject[],
  });
  if (isK8sObject(value) && value.kind === 'EnvoyFilter') return oracleFindings(value as unknown as EnvoyFilterObject, opts(value));
  if (!verdict.origins) return [];
  const vctx = { istioVersions: [oracle.istioVersion], envoyFilters, wasmPlugins: [], pods: [] };
  return reportAtOrigin(
    verdict.rendered.filter((o) => o.kind === 'EnvoyFilter'),
    verdict.origins,
    (obj) => oracleFindings(obj as unknown as EnvoyFilterObject, opts(obj)),
    vctx,
  );
}

async function renderCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { replicas: { type: 'string' }, 'rate-limit-service': { type: 'string' } },
  });
  const inputs = await inputsOf(positionals, io);
  if (!inputs) return exitUsage;
  const extra: Parameters<typeof contextFromInputs>[1] = {};
  if (values.replicas !== undefined) {
    const n = Number(values.replicas);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--replicas must be a whole number >= 0, not "${values.replicas}"`);
    extra.replicas = n;
  }
  if (values['rate-limit-service'] !== undefined) extra.rateLimitService = parseRateLimitService(values['rate-limit-service']);

  // What render checks its output with: the default Istio minors' data.
  requireValidatorData(defaultIstioMinors());
  const results = evaluateAll(inputs.objects, extra);
  const diagnostics = [...inputs.oversized.map((o) => o.diagnostic), ...results.flatMap((r) => r.diagnostics)];
  if (diagnostics.length > 0) io.stderr(formatText(diagnostics) + '\n');
  if (diagnostics.some((d) => d.severity === 'error')) return exitFindings;
  const rendered = results.flatMap((r) => r.rendered);
  io.stdout(rendered.map(toYaml).join('---\n'));
  return exitOk;
}

function parseRateLimitService(text: string): RateLimitService {
  const m = /^([a-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--rate-limit-service must be HOST:PORT, e.g. ratelimit.rls.svc.cluster.local:8081, not "${text}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

const outputs = ['text', 'json', 'sarif', 'junit', 'github'] as const;

/**
 * `lint` runs every validator layer; `validate` adds the oracle: each EnvoyFilter (given
 * or generated) applied to the baseline and judged by a real Envoy binary.
 */
async function checkCommand(command: 'lint' | 'validate', args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'fail-on': { type: 'string', default: 'error' },
      output: { type: 'string', short: 'o', default: 'text' },
      'istio-version': { type: 'string', multiple: true },
      suppress: { type: 'string', multiple: true },
      'changed-since': { type: 'string' },
      ...(command === 'validate' ? { envoy: { type: 'string' as const, default: join(packageRoot, '.tools', 'bin', 'envoy') }, 'unsandboxed-oracle': { type: 'boolean' as const } } : {}),
    },
  });
  const failOn = values['fail-on'];
  if (failOn !== 'error' && failOn !== 'warning') throw new UsageError(`--fail-on must be error or warning, not "${failOn}"`);
  const output = values.output as (typeof outputs)[number];
  if (!outputs.includes(output)) throw new UsageError(`-o must be one of ${outputs.join(', ')}, not "${output}"`);
  const named = istioVersionsOf(values['istio-version'], io);
  const envoy = command === 'validate' ? String(values.envoy) : undefined;
  const istioVersions = envoy !== undefined ? [oracleIstioVersion(envoy, values['istio-version'])] : named;
  const suppressed = (values.suppress ?? []).map(parseSuppression);
  if (positionals.length === 0) throw new UsageError('no input: give files, directories or - for standard input');
  const since = values['changed-since'];
  if (since !== undefined && positionals.includes('-')) throw new UsageError('--changed-since takes its files from git: standard input (-) has no history');
  const changed = since !== undefined ? await changedFiles(since, positionals, io.cwd ?? process.cwd()) : undefined;
  const given = await readInputs(positionals, io.readStdin, io.cwd, { oversizedAsFindings: true });
  const inputs = changed ? await onlyChanged(given, changed, io.cwd ?? process.cwd()) : given;
  if (since !== undefined && inputs.objects.length + inputs.oversized.length + inputs.errors.length === 0) {
    io.stderr(`meshwarden: no manifest under ${positionals.join(' ')} changed since ${since}\n`);
  }
  // An input error costs only its document or file: it is reported (standard error, and as an
  // MW108 result in the machine formats), everything else is still checked, and the exit code is 2.
  if (inputs.errors.length > 0) printInputErrors(inputs.errors, io);
  const unreadable: LintedObject[] = inputs.errors.map((e) => ({ file: e.file, kind: 'Document', name: e.line > 0 ? `at line ${e.line}` : '(unreadable)', diagnostics: [inputErrorDiagnostic(e)] }));

  const { objects } = inputs;
  const results = evaluateAll(
    objects,
    { istioVersions },
    envoy !== undefined ? { envoy, istioVersion: istioVersions[0]!, unsandboxed: (values as { 'unsandboxed-oracle'?: boolean })['unsandboxed-oracle'] === true } : undefined,
    // Unchanged files still describe the cluster (Services, Pods, the other EnvoyFilters): cross-object checks stay right.
    given.objects,
  );
  const judged = [...inputs.oversized.map((o) => ({ object: o.object, diagnostics: [o.diagnostic] })), ...objects.map((object, i) => ({ object, diagnostics: results[i]!.diagnostics }))];
  const linted: LintedObject[] = judged.map(({ object: o, diagnostics: all }) => {
    const ref = refOf(isK8sObject(o.value) ? o.value : { kind: 'Unknown' });
    const diagnostics = all.filter((d) => !suppressed.some((s) => s(d)));
    return { file: o.file, kind: ref.kind, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), diagnostics };
  });
  const findings = linted.flatMap((o) => o.diagnostics);
  const diagnostics = [...unreadable.flatMap((o) => o.diagnostics), ...findings];
  const code = inputs.errors.length > 0 ? exitUsage : findings.some((d) => atLeast(d, failOn)) ? exitFindings : exitOk;
  switch (output) {
    case 'json':
      io.stdout(formatJson(diagnostics) + '\n');
      break;
    case 'sarif':
      io.stdout(formatSarif(diagnostics, allRules(), version, code) + '\n');
      break;
    case 'junit':
      io.stdout(formatJunit([...unreadable, ...linted], failOn) + '\n');
      break;
    case 'github':
      if (diagnostics.length > 0) io.stdout(formatGithub(diagnostics) + '\n');
      break;
    case 'text':
      // The input errors are on standard error already.
      if (findings.length > 0) io.stdout(formatText(findings) + '\n');
  }
  return code;
}

/**
 * The part of the inputs in changed files. An error without a file the user can change (a path
 * given that does not exist) stays: it is about the command, not about a file's content.
 */
async function onlyChanged(inputs: Inputs, changed: Set<string>, cwd: string): Promise<Inputs> {
  const files = new Set([...inputs.objects.map((o) => o.file), ...inputs.oversized.map((o) => o.object.file), ...inputs.errors.map((e) => e.file)]);
  const kept = new Set<string>();
  for (const f of files) if (changed.has(await canonical(f, cwd)) || (await missing(f, cwd))) kept.add(f);
  return {
    objects: inputs.objects.filter((o) => kept.has(o.file)),
    oversized: inputs.oversized.filter((o) => kept.has(o.object.file)),
    errors: inputs.errors.filter((e) => kept.has(e.file)),
  };
}

const missing = (file: string, cwd: string) =>
  access(resolve(cwd, file)).then(
    () => false,
    () => true,
  );

/** --istio-version through the version table: an unknown one is a usage error, an end-of-life one named a warning. */
function istioVersionsOf(given: string[] | undefined, io: Io): string[] {
  const selection = istioVersionFlag(undefined, given, io);
  if ('error' in selection) throw new UsageError(selection.error);
  return selection.versions;
}

/** The Istio minor the Envoy binary belongs to (the version table's pairs); a different --istio-version is refused. */
function oracleIstioVersion(envoy: string, given: string[] | undefined): string {
  let minor: string | undefined;
  try {
    minor = envoyMinor(envoy);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; give the binary with --envoy (${envoyBinaryHint()})`);
  }
  if (minor === undefined) throw new UsageError(`${envoy} does not print an Envoy version`);
  const istio = istioOfEnvoy(minor);
  if (istio === undefined) {
    throw new UsageError(`Envoy ${minor} is not the Envoy of an Istio minor meshwarden supports (${VERSION_TABLE.map((r) => `Istio ${r.istio}: Envoy ${r.envoy}`).join(', ')})`);
  }
  const mismatch = (given ?? []).find((v) => v.split('.').slice(0, 2).join('.') !== istio);
  if (mismatch) throw new UsageError(`--istio-version ${mismatch} does not match the Envoy binary (Envoy ${minor} is Istio ${istio})`);
  return given?.[0] ?? istio;
}

/** `MW203` suppresses a rule everywhere; `MW203=ns/name` for one object (`*` for any part). */
function parseSuppression(text: string): (d: Diagnostic) => boolean {
  const m = /^(MW\d{3})(?:=([^/\s]+)\/([^/\s]+))?$/.exec(text);
  if (!m) throw new UsageError(`--suppress takes CODE or CODE=namespace/name (e.g. MW203=shop/api), not "${text}"`);
  const [, rule, ns, name] = m;
  const matches = (want: string | undefined, have: string | undefined) => want === undefined || want === '*' || want === (have ?? 'default');
  return (d) => d.rule === rule && matches(ns, d.object.namespace) && matches(name, d.object.name);
}

function rulesCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o', default: 'text' } } });
  const rules = allRules();
  if (values.output === 'json') io.stdout(JSON.stringify(rules, null, 2) + '\n');
  else if (values.output === 'markdown') io.stdout(rulesMarkdown());
  else if (values.output === 'text') io.stdout(rules.map((r) => `${r.code}  ${r.severity.padEnd(7)}  ${r.title}`).join('\n') + '\n');
  else throw new UsageError(`-o must be text, json or markdown, not "${values.output}"`);
  return exitOk;
}
