/**
 * Input that cannot be read at all — a YAML document that is not valid YAML or exceeds the
 * reader's bounds, a file that cannot be opened — as a result of `lint` and `validate`
 * (MW108), so machine-readable reports carry it next to the findings of the rest of the input
 * (docs/adr/0109-lint-isolates-objects-and-documents.md).
 */
import type { Diagnostic } from './diagnostics.js';
import type { YamlError } from './yaml/documents.js';
import { rules } from './validate/catalogue.js';

export const unreadableInput = rules.MW108;

/** An input error as a diagnostic. A file that cannot be opened has no position (line 0). */
export function inputErrorDiagnostic(e: YamlError): Diagnostic {
  const hint = e.line > 0 ? 'fix the YAML at this position; the other documents of the file were checked' : 'check the path and its permissions';
  return {
    ...unreadableInput.finding('', e.message, hint),
    object: { kind: 'Unknown', name: '' },
    source: { file: e.file, line: e.line, column: e.column },
  };
}
