/** Prints diagnostics in the CLI's output formats. */
import type { Diagnostic } from '../diagnostics.js';

function where(d: Diagnostic): string {
  return d.source ? `${d.source.file}:${d.source.line}:${d.source.column}` : '<input>';
}

function objectName(d: Diagnostic): string {
  const o = d.object;
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** `file:line:col: error spec.limits[1].rate.requests: must be >= 1 [MW103 SmartLimiter default/reviews]` plus a hint line. */
export function formatText(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => {
      const head = `${where(d)}: ${d.severity} ${d.path ? `${d.path}: ` : ''}${d.message} [${d.rule} ${objectName(d)}]`;
      return d.hint ? `${head}\n  hint: ${d.hint}` : head;
    })
    .join('\n');
}

export function formatJson(diags: readonly Diagnostic[]): string {
  return JSON.stringify(diags, null, 2);
}
