/**
 * A failure of meshwarden itself (a bug, an exhausted stack), as distinct from findings in the
 * input: reported in one line without a stack trace, at the input position being judged when
 * there is one, with exit code 2 (docs/adr/0104-clean-failures-and-bounded-input.md).
 */
import type { SourcePosition } from '../diagnostics.js';

export const reportUrl = 'https://github.com/meshwarden/meshwarden/issues';

/** An internal error while judging the input at `where` (an object's file:line:col). */
export class InternalError extends Error {
  constructor(
    readonly where: string,
    cause: unknown,
  ) {
    super(describe(cause), { cause });
  }
}

export function at(source: SourcePosition, object?: { kind: string; namespace?: string; name: string }): string {
  const pos = `${source.file}:${source.line}:${source.column}`;
  return object ? `${pos} (${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name})` : pos;
}

function describe(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  // One line, bounded: a message may quote the hostile input that caused it.
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

/** `meshwarden: internal error at f.yaml:3:1 (SmartLimiter shop/a): RangeError: …; please report it at …`. */
export function internalErrorText(e: unknown): string {
  const where = e instanceof InternalError ? ` at ${e.where}` : '';
  const what = e instanceof InternalError ? e.message : describe(e);
  return `meshwarden: internal error${where}: ${what}; this is a bug in meshwarden, please report it at ${reportUrl}`;
}

/** Prints the internal error and ends the process with exit code 2 (bin.ts's last resort). */
export function exitInternalError(e: unknown, write: (text: string) => void): never {
  write(internalErrorText(e) + '\n');
  process.exit(2);
}
