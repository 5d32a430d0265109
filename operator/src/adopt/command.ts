/**
 * The `adopt` CLI command. stdout: the proposed resources (YAML stream). stderr, per
 * EnvoyFilter: the pattern it matched and "equivalent" or the differences, or why it was not
 * adopted, at file:line:col. Exit: 0 every EnvoyFilter adopted equivalently; 1 one was not
 * adopted, or differs (a differing proposal is printed only with --allow-differences, which
 * also stops it failing); 2 usage, I/O or YAML errors.
 */
import { parseArgs } from 'node:util';
import type { Io } from '../cli/io.js';
import { readInputs } from '../cli/inputs.js';
import { formatText } from '../cli/report.js';
import { supportedIstioVersions } from '../validate/index.js';
import { istioVersionFlag } from '../cli/istio-version-flag.js';
import { toYaml } from '../yaml/emit.js';
import { formatNotes, objectLabel } from '../migrate/notes.js';
import { adopt } from './index.js';

export const adoptUsage = `adopt [--allow-differences] [--istio-version V]... FILE...|-
        For each EnvoyFilter in the input that matches a known pattern (HTTP local rate
        limit with token buckets, per host or route; Lua; native HTTP filters before the
        router), print the equivalent SmartLimiter or EnvoyPlugin as YAML. Each proposal
        is rendered and compared with the original on the Istio-generated config of each
        --istio-version (default: every supported one, ${supportedIstioVersions.join(', ')}): stderr says
        "equivalent" or lists the differences, and
        why an EnvoyFilter was not adopted. Differing proposals are printed only with
        --allow-differences.`;

export async function adoptCommand(args: string[], io: Io): Promise<number> {
  const usageError = (message: string) => {
    io.stderr(`meshwarden adopt: ${message}\n\nUsage: meshwarden ${adoptUsage}\n`);
    return 2;
  };
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'allow-differences': { type: 'boolean', default: false },
      'istio-version': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(`Usage: meshwarden ${adoptUsage}\n`);
    return 0;
  }
  if (positionals.length === 0) return usageError('no input: give files, directories or - for standard input');
  const selection = istioVersionFlag('adopt', values['istio-version'], io);
  if ('error' in selection) return usageError(selection.error);
  const { versions } = selection;

  const inputs = await readInputs(positionals, io.readStdin, io.cwd);
  if (inputs.errors.length > 0) {
    io.stderr(inputs.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n') + '\n');
    return 2;
  }
  const adoptions = adopt(
    inputs.objects,
    versions.map((v) => (/^\d+\.\d+$/.test(v) ? `${v}.0` : v)),
  );
  if (adoptions.length === 0) {
    io.stderr('meshwarden adopt: no EnvoyFilter (networking.istio.io) in the input\n');
    return 1;
  }
  const printed: string[] = [];
  const report: string[] = [];
  let failed = false;
  for (const a of adoptions) {
    const at = a.input.locate([], false);
    const head = `${at.file}:${at.line}:${at.column}: ${objectLabel(a.input.value)}`;
    if (!a.proposal) {
      failed = true;
      report.push(`${head}: not adopted`);
    } else {
      const target = `${a.proposal.kind} ${a.proposal.metadata.namespace ? `${a.proposal.metadata.namespace}/` : ''}${a.proposal.metadata.name}`;
      const equivalent = a.differences.length === 0;
      report.push(
        equivalent
          ? `${head}: matches "${a.pattern}"; proposed ${target}: equivalent`
          : `${head}: matches "${a.pattern}"; ${values['allow-differences'] ? 'proposed' : 'not proposed'} ${target}: differs from the original:\n${a.differences.map((d) => `  - ${d}`).join('\n')}`,
      );
      if (equivalent || values['allow-differences']) printed.push(toYaml(a.proposal));
      else failed = true;
    }
    if (a.notes.length > 0) report.push(formatNotes(a.notes));
    if (a.diagnostics.length > 0) report.push(formatText(a.diagnostics));
  }
  if (printed.length > 0) io.stdout(printed.join('---\n'));
  io.stderr(report.join('\n') + '\n');
  return failed ? 1 : 0;
}
