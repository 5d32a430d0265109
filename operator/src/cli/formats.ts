/**
 * Machine-readable reports of `meshwarden lint`: SARIF 2.1.0 for code scanning, JUnit XML
 * for CI test tabs, GitHub workflow commands for inline annotations. Input that cannot be read
 * is a result too (MW108), at its position; a file that cannot be opened has none (line 0).
 */
import type { Diagnostic, Severity } from '../diagnostics.js';
import { atLeast } from '../diagnostics.js';
import type { RuleDoc } from '../validate/rule.js';

export interface LintedObject {
  file: string;
  kind: string;
  namespace?: string;
  name: string;
  diagnostics: Diagnostic[];
}

const sarifLevel: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

function describe(d: Diagnostic): string {
  const where = d.path ? `${d.path}: ` : '';
  return `${where}${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`;
}

/** The first link among a rule's sources (the others are notes or issue references). */
function helpUri(r: RuleDoc): { helpUri?: string } {
  const url = r.sources.map((s) => /^https?:\/\/\S+/.exec(s)?.[0]).find((u) => u !== undefined);
  return url !== undefined ? { helpUri: url } : {};
}

export function formatSarif(diags: readonly Diagnostic[], rules: readonly RuleDoc[], version: string, exitCode: number): string {
  const used = new Set(diags.map((d) => d.rule));
  const driverRules = rules.filter((r) => used.has(r.code));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'meshwarden',
            version,
            informationUri: 'https://github.com/meshwarden/meshwarden',
            rules: driverRules.map((r) => ({
              id: r.code,
              shortDescription: { text: r.title },
              ...helpUri(r),
              help: { text: r.hint },
              defaultConfiguration: { level: sarifLevel[r.severity] },
            })),
          },
        },
        invocations: [{ executionSuccessful: true, exitCode }],
        results: diags.map((d) => ({
          ruleId: d.rule,
          ruleIndex: driverRules.findIndex((r) => r.code === d.rule),
          level: sarifLevel[d.severity],
          message: { text: `${d.object.kind} ${d.object.namespace ? `${d.object.namespace}/` : ''}${d.object.name}: ${describe(d)}` },
          locations: d.source
            ? [{ physicalLocation: { artifactLocation: { uri: d.source.file }, ...(d.source.line > 0 ? { region: { startLine: d.source.line, startColumn: d.source.column } } : {}) } }]
            : [],
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One test suite per file, one test case per object, failing on findings at or above `failOn`. */
export function formatJunit(objects: readonly LintedObject[], failOn: Severity): string {
  const files = new Map<string, LintedObject[]>();
  for (const o of objects) files.set(o.file, [...(files.get(o.file) ?? []), o]);
  const failing = (o: LintedObject) => o.diagnostics.filter((d) => atLeast(d, failOn));
  const suites = [...files].map(([file, objs]) => {
    const cases = objs.map((o) => {
      const name = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
      const fails = failing(o);
      const body = fails
        .map(
          (d) =>
            `      <failure type="${d.rule}" message="${xml(describe(d))}">${xml(`${d.source && d.source.line > 0 ? `${d.source.file}:${d.source.line}:${d.source.column}` : file} ${d.severity} ${d.rule} ${describe(d)}`)}</failure>`,
        )
        .join('\n');
      return body ? `    <testcase classname="${xml(file)}" name="${xml(name)}">\n${body}\n    </testcase>` : `    <testcase classname="${xml(file)}" name="${xml(name)}"/>`;
    });
    const failures = objs.filter((o) => failing(o).length > 0).length;
    return `  <testsuite name="${xml(file)}" tests="${objs.length}" failures="${failures}" errors="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const total = objects.length;
  const failures = objects.filter((o) => failing(o).length > 0).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="meshwarden lint" tests="${total}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>`;
}

const ghData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProperty = (s: string) => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
const ghCommand: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** GitHub Actions workflow commands: annotations on the pull request's files. */
export function formatGithub(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => {
      const props = [
        ...(d.source ? [`file=${ghProperty(d.source.file)}`, ...(d.source.line > 0 ? [`line=${d.source.line}`, `col=${d.source.column}`] : [])] : []),
        `title=${ghProperty(`${d.rule} ${d.object.kind} ${d.object.name}`)}`,
      ];
      return `::${ghCommand[d.severity]} ${props.join(',')}::${ghData(describe(d))}`;
    })
    .join('\n');
}
