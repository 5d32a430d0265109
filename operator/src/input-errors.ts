/**
 * Input that cannot be read at all — a YAML document that is not valid YAML or exceeds the
 * reader's bounds, a file that cannot be opened — as a result of `lint` and `validate`
 * (MW108), so machine-readable reports carry it next to the findings of the rest of the input
 * (docs/adr/0109-lint-isolates-objects-and-documents.md).
 */
import type { Diagnostic } from './diagnostics.js';
import type { YamlError } from './yaml/documents.js';
import { defineRule } from './validate/rule.js';

export const unreadableInput = defineRule({
  code: 'MW108',
  layer: 'schema',
  severity: 'error',
  title:
    "Input that cannot be read: a document that is not valid YAML or exceeds the reader's bounds (nesting, alias expansion), a duplicate key, or a file that cannot be opened. The rest of the input is still checked; the exit code is 2",
  source: 'https://github.com/meshwarden/meshwarden/blob/main/docs/adr/0109-lint-isolates-objects-and-documents.md',
});

/** An input error as a diagnostic. A file that cannot be opened has no position (line 0). */
export function inputErrorDiagnostic(e: YamlError): Diagnostic {
  const hint = e.line > 0 ? 'fix the YAML at this position; the other documents of the file were checked' : 'check the path and its permissions';
  return {
    ...unreadableInput.finding('', e.message, hint),
    object: { kind: 'Unknown', name: '' },
    source: { file: e.file, line: e.line, column: e.column },
  };
}
