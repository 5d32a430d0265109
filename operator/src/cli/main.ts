/**
 * The `meshwarden` command line. Exit codes everywhere: 0 ok, 1 findings or invalid
 * input, 2 usage, I/O or YAML parse errors.
 */
import { parseArgs } from 'node:util';
import { toYaml } from '../yaml/emit.js';
import { atLeast, type Diagnostic } from '../diagnostics.js';
import { evaluate } from '../evaluate.js';
import { allRules } from '../validate/rule.js';
import { contextFromInputs } from './facts.js';
import { readInputs } from './inputs.js';
import { formatJson, formatText } from './report.js';
import type { RateLimitService } from '../api/types.gen.js';
import type { LoadedObject } from '../yaml/documents.js';
import { parsePath } from '../diagnostics.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  cwd?: string;
}

export const exitOk = 0;
export const exitFindings = 1;
export const exitUsage = 2;

class UsageError extends Error {}

const usage = `Usage: meshwarden <command> [options]

Commands:
  render [--replicas N] [--rate-limit-service HOST:PORT] FILE...|-
        Print the EnvoyFilter, WasmPlugin and ConfigMap objects generated from the
        SmartLimiter and EnvoyPlugin resources in the input, as a YAML stream.
        Services and Pods in the input resolve targets and replica counts.
  lint [--fail-on error|warning] [-o text|json] PATH...|-
        Validate manifests (files, directories, or - for stdin) and report findings
        with file:line:col.
  rules [-o text|json]
        List the validator's rules.

Exit codes: 0 ok, 1 findings or invalid input, 2 usage, I/O or YAML errors.`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'render':
        return await renderCommand(rest, io);
      case 'lint':
        return await lintCommand(rest, io);
      case 'rules':
        return rulesCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(usage + '\n');
        return exitOk;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`meshwarden: ${(e as Error).message}\n\n${usage}\n`);
      return exitUsage;
    }
    throw e;
  }
}

/** Reads the inputs; YAML and I/O errors are printed and turn into exit code 2. */
async function inputsOf(positionals: string[], io: Io): Promise<LoadedObject[] | undefined> {
  if (positionals.length === 0) throw new UsageError('no input: give files, directories or - for standard input');
  const inputs = await readInputs(positionals, io.readStdin, io.cwd);
  if (inputs.errors.length > 0) {
    io.stderr(inputs.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n') + '\n');
    return undefined;
  }
  return inputs.objects;
}

/** Evaluates every object and attaches file:line:col to each diagnostic. */
function evaluateAll(objects: LoadedObject[], extra: Parameters<typeof contextFromInputs>[1]) {
  const ctx = contextFromInputs(objects, extra);
  return objects.map((o) => {
    const verdict = evaluate(o.value, ctx);
    const diagnostics: Diagnostic[] = verdict.diagnostics.map((d) => ({
      ...d,
      source: o.locate(parsePath(d.path), d.rule === 'MW101'),
    }));
    return { ...verdict, diagnostics };
  });
}

async function renderCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { replicas: { type: 'string' }, 'rate-limit-service': { type: 'string' } },
  });
  const objects = await inputsOf(positionals, io);
  if (!objects) return exitUsage;
  const extra: Parameters<typeof contextFromInputs>[1] = {};
  if (values.replicas !== undefined) {
    const n = Number(values.replicas);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--replicas must be a whole number >= 0, not "${values.replicas}"`);
    extra.replicas = n;
  }
  if (values['rate-limit-service'] !== undefined) extra.rateLimitService = parseRateLimitService(values['rate-limit-service']);

  const results = evaluateAll(objects, extra);
  const diagnostics = results.flatMap((r) => r.diagnostics);
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

async function lintCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'fail-on': { type: 'string', default: 'error' }, output: { type: 'string', short: 'o', default: 'text' } },
  });
  const failOn = values['fail-on'];
  if (failOn !== 'error' && failOn !== 'warning') throw new UsageError(`--fail-on must be error or warning, not "${failOn}"`);
  const output = values.output;
  if (output !== 'text' && output !== 'json') throw new UsageError(`-o must be text or json, not "${output}"`);
  const objects = await inputsOf(positionals, io);
  if (!objects) return exitUsage;

  const diagnostics = evaluateAll(objects, {}).flatMap((r) => r.diagnostics);
  if (output === 'json') io.stdout(formatJson(diagnostics) + '\n');
  else if (diagnostics.length > 0) io.stdout(formatText(diagnostics) + '\n');
  return diagnostics.some((d) => atLeast(d, failOn)) ? exitFindings : exitOk;
}

function rulesCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o', default: 'text' } } });
  const rules = allRules();
  if (values.output === 'json') io.stdout(JSON.stringify(rules, null, 2) + '\n');
  else io.stdout(rules.map((r) => `${r.code}  ${r.severity.padEnd(7)}  ${r.title}`).join('\n') + '\n');
  return exitOk;
}
