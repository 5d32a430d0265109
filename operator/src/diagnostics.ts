/**
 * The one result type every layer speaks: schema checks, renderers, the validator,
 * and through them the controller, the webhook and the CLI.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Identifies the Kubernetes object a finding belongs to. */
export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Where the offending node sits in an input file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic {
  /** Stable rule code, e.g. `MW101`. */
  rule: string;
  severity: Severity;
  /** What is wrong, in one sentence. */
  message: string;
  /**
   * Field path inside the object in Kubernetes style: `spec.limits[1].rate.requests`.
   * Empty string for the object as a whole.
   */
  path: string;
  /** How to fix it. */
  hint?: string;
  object: ObjectRef;
  source?: SourcePosition;
}

/** Formats a path from its segments: `['spec', 'limits', 1, 'rate']` → `spec.limits[1].rate`. */
export function formatPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Parses a path produced by {@link formatPath} back into segments. */
export function parsePath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

const severityRank: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

export function atLeast(d: Diagnostic, threshold: Severity): boolean {
  return severityRank[d.severity] >= severityRank[threshold];
}
