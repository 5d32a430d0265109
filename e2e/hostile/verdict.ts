/**
 * Judges a CLI run or a webhook answer against a case's expectation; returns the problems found
 * (empty when it holds), so a failing case prints everything wrong with it at once.
 */
import type { CliBounds } from './bounds.js';
import type { CliExpect, WebhookExpect } from './catalogue.js';
import type { CliRun } from './cli-runner.js';

/** A line of a JavaScript stack trace (`    at foo (file.js:1:2)`): never shown to a user. */
export const stackLine = /^\s+at /m;
const internalError = /internal error/;

export interface Diagnostic {
  rule: string;
  severity: string;
  path: string;
  message: string;
}

/** The diagnostics of `lint -o json` (stdout), or undefined when stdout is not that. */
export function parseDiagnostics(stdout: string): Diagnostic[] | undefined {
  try {
    const v = JSON.parse(stdout) as unknown;
    return Array.isArray(v) ? (v as Diagnostic[]) : undefined;
  } catch {
    return undefined;
  }
}

const excerpt = (s: string, n = 600): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

export function cliProblems(expect: CliExpect, run: CliRun, bounds: CliBounds): string[] {
  const problems: string[] = [];
  const seen = `exit ${run.code}${run.signal ? ` signal ${run.signal}` : ''}; stderr: ${excerpt(run.stderr.trim()) || '(none)'}`;
  if (run.killed) problems.push(`killed after ${Math.round(run.wallMs)} ms: no verdict within ${bounds.wallMs} ms`);
  else if (run.wallMs > bounds.wallMs) problems.push(`took ${Math.round(run.wallMs)} ms, bound ${bounds.wallMs} ms`);
  if (run.peakRssMb === undefined) problems.push('peak RSS could not be read');
  else if (run.peakRssMb > bounds.rssMb) problems.push(`peak RSS ${Math.round(run.peakRssMb)} MiB, bound ${bounds.rssMb} MiB`);
  if (stackLine.test(run.stderr) || stackLine.test(run.stdout)) problems.push(`a stack trace was printed: ${seen}`);
  if (internalError.test(run.stderr)) problems.push(`an internal error instead of a verdict: ${seen}`);
  if (run.killed) return problems;
  const diagnostics = parseDiagnostics(run.stdout);
  const errors = (diagnostics ?? []).filter((d) => d.severity === 'error');
  switch (expect.verdict) {
    case 'passes':
      if (run.code !== 0) problems.push(`expected exit 0 (passes), got ${seen}; errors: ${errors.map((d) => `${d.rule} ${d.path}: ${d.message}`).join(' | ') || 'none'}`);
      break;
    case 'input-error':
      if (run.code !== 2) problems.push(`expected exit 2 (input refused by the reader), got ${seen}`);
      else if (!/^[^\s:][^:]*:\d+:\d+: /m.test(run.stderr)) problems.push(`expected a file:line:col message, got: ${excerpt(run.stderr)}`);
      if (!expect.message.test(run.stderr)) problems.push(`stderr does not match ${expect.message}: ${excerpt(run.stderr)}`);
      break;
    case 'findings': {
      const wanted = expect.warningSuffices ? (diagnostics ?? []) : errors;
      if (run.code !== 1 && !(expect.warningSuffices && run.code === 0)) problems.push(`expected exit 1 (findings), got ${seen}`);
      if (!diagnostics) {
        problems.push(`stdout is not lint's JSON: ${excerpt(run.stdout)}`);
        break;
      }
      const hit = wanted.find((d) => expect.rules.includes(d.rule) && (!expect.path || expect.path.test(d.path)) && (!expect.message || expect.message.test(`${d.path} ${d.message}`)));
      if (!hit) {
        const want = `${expect.warningSuffices ? 'a diagnostic' : 'an error'} ${expect.rules.join('|')}${expect.path ? ` at ${expect.path}` : ''}${expect.message ? ` matching ${expect.message}` : ''}`;
        problems.push(`expected ${want}; got ${diagnostics.map((d) => `${d.severity} ${d.rule} ${d.path}: ${excerpt(d.message, 160)}`).join(' | ') || 'no diagnostics'}`);
      }
      for (const rule of expect.alsoRules ?? []) {
        if (!diagnostics.some((d) => d.rule === rule)) problems.push(`expected ${rule} as well; got ${diagnostics.map((d) => d.rule).join(', ')}`);
      }
      break;
    }
  }
  return problems;
}

/** The AdmissionReview response fields a case looks at. */
export interface AdmissionAnswer {
  allowed: boolean;
  status?: { code?: number; message?: string };
}

export function webhookProblems(expect: WebhookExpect, status: number, answer: AdmissionAnswer | undefined): string[] {
  if (status !== 200 || !answer) return [`expected an AdmissionReview answer (HTTP 200), got HTTP ${status}`];
  const message = answer.status?.message ?? '';
  const problems: string[] = [];
  if (/Maximum call stack|RangeError|TypeError|\n\s+at /.test(message)) problems.push(`a JavaScript error leaked into the answer: ${excerpt(message)}`);
  if (expect.allowed === 'either') {
    if (!answer.allowed && answer.status?.code === 500) problems.push(`denied as an internal failure (500), not a verdict: ${excerpt(message)}`);
    return problems;
  }
  if (expect.allowed) {
    if (!answer.allowed) problems.push(`expected allowed, denied: ${excerpt(message)}`);
    return problems;
  }
  if (answer.allowed) problems.push('expected a denial, was admitted');
  // 500 is "the validator failed on this object": a crash, not a verdict.
  else if (answer.status?.code === 500) problems.push(`denied as an internal failure (500), not a verdict: ${excerpt(message)}`);
  else if (!expect.message.test(message)) problems.push(`denial message does not match ${expect.message}: ${excerpt(message)}`);
  return problems;
}
