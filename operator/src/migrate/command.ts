/**
 * The `migrate` CLI command. stdout: the meshwarden resources (YAML stream). stderr: what
 * could not be converted or was converted approximately, each at its Slime field, then the
 * validator's findings on the output. Exit: 0 converted and valid; 1 something dropped
 * (unless --allow-dropped), an output the validator rejects, or no Slime object; 2 usage,
 * I/O or YAML errors.
 */
import { parseArgs } from 'node:util';
import type { Io } from '../cli/io.js';
import { readInputs } from '../cli/inputs.js';
import { formatText } from '../cli/report.js';
import { istioVersionFlag } from '../cli/istio-version-flag.js';
import { toYaml } from '../yaml/emit.js';
import { migrate } from './index.js';
import { formatNotes } from './notes.js';

export const migrateUsage = `migrate [--allow-dropped] [--rate-limit-service HOST:PORT] [--istio-version V]... FILE...|-
        Convert Slime (microservice.slime.io) SmartLimiter v1alpha2, EnvoyPlugin and
        PluginManager v1alpha1 objects into meshwarden SmartLimiters and EnvoyPlugins,
        printed as YAML. Every field not converted, or converted approximately, is
        reported on stderr at its file:line:col with what to do by hand; the output is
        then validated like lint does. Services, Pods and DestinationRules in the input
        resolve targets and subsets. Exits 1 when something was dropped, unless
        --allow-dropped. --rate-limit-service sets spec.rateLimitService of global limits.`;

export async function migrateCommand(args: string[], io: Io): Promise<number> {
  const usageError = (message: string) => {
    io.stderr(`meshwarden migrate: ${message}\n\nUsage: meshwarden ${migrateUsage}\n`);
    return 2;
  };
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'allow-dropped': { type: 'boolean', default: false },
      'rate-limit-service': { type: 'string' },
      'istio-version': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(`Usage: meshwarden ${migrateUsage}\n`);
    return 0;
  }
  if (positionals.length === 0) return usageError('no input: give files, directories or - for standard input');
  let rateLimitService;
  if (values['rate-limit-service'] !== undefined) {
    const m = /^([a-z0-9.-]+):(\d{1,5})$/.exec(values['rate-limit-service']);
    if (!m) return usageError(`--rate-limit-service must be HOST:PORT, e.g. ratelimit.rls.svc.cluster.local:8081, not "${values['rate-limit-service']}"`);
    rateLimitService = { host: m[1]!, port: Number(m[2]) };
  }
  const selection = istioVersionFlag('migrate', values['istio-version'], io);
  if ('error' in selection) return usageError(selection.error);
  // Unnamed, migrate's own default applies (the validator's default set).
  const istioVersions = values['istio-version'] ? selection.versions : undefined;

  const inputs = await readInputs(positionals, io.readStdin, io.cwd);
  if (inputs.errors.length > 0) {
    io.stderr(inputs.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n') + '\n');
    return 2;
  }
  const result = migrate(inputs.objects, { ...(rateLimitService ? { rateLimitService } : {}), ...(istioVersions ? { istioVersions } : {}) });
  if (result.sources === 0) {
    io.stderr('meshwarden migrate: no Slime object (apiVersion microservice.slime.io/*) in the input\n');
    return 1;
  }
  if (result.outputs.length > 0) io.stdout(result.outputs.map((o) => toYaml(o.object)).join('---\n'));
  const count = (k: string) => result.notes.filter((n) => n.kind === k).length;
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const report = [
    ...(result.notes.length > 0 ? [formatNotes(result.notes)] : []),
    ...(result.diagnostics.length > 0 ? [formatText(result.diagnostics)] : []),
    `migrate: ${result.sources} Slime object(s) → ${result.outputs.length} meshwarden resource(s); ${count('dropped')} dropped, ${count('approximate')} approximate; validation: ${errors} error(s), ${result.diagnostics.filter((d) => d.severity === 'warning').length} warning(s)`,
  ];
  io.stderr(report.join('\n') + '\n');
  if (errors > 0) return 1;
  return count('dropped') > 0 && !values['allow-dropped'] ? 1 : 0;
}
