/**
 * What `migrate` and `adopt` say about the parts of an input object they could not carry
 * over exactly: each note names the field of the INPUT object (so it is located at
 * file:line:col), why, and what to do by hand.
 */
import { formatPath, type SourcePosition } from '../diagnostics.js';
import type { LoadedObject } from '../yaml/documents.js';

/**
 * `dropped`: not in the output at all (the output does less than the input).
 * `approximate`: in the output, with a difference the note explains.
 * `info`: carried over exactly, but worth knowing.
 */
export type NoteKind = 'dropped' | 'approximate' | 'info';

export interface Note {
  kind: NoteKind;
  /** Segments of the field path in the input object. */
  path: Array<string | number>;
  message: string;
  /** What to do by hand. */
  hint?: string;
}

export interface LocatedNote extends Note {
  source: SourcePosition;
  /** `Kind namespace/name` of the input object. */
  object: string;
}

export function objectLabel(value: unknown): string {
  const o = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  return `${typeof o.kind === 'string' ? o.kind : 'Unknown'} ${ns}${String(o.metadata?.name ?? '')}`;
}

/** Locates notes in their input; a note repeated for each use of a shared field is given once. */
export function locateNotes(input: LoadedObject, notes: Note[]): LocatedNote[] {
  const object = objectLabel(input.value);
  const seen = new Set<string>();
  return notes
    .filter((n) => {
      const key = JSON.stringify([n.kind, n.path, n.message]);
      return !seen.has(key) && seen.add(key);
    })
    .map((n) => ({ ...n, object, source: input.locate(n.path, true) }));
}

/** `file:line:col: dropped spec.sets._base...: message [SmartLimiter ns/name]` and an indented `by hand:` line. */
export function formatNotes(notes: readonly LocatedNote[]): string {
  return notes
    .map((n) => {
      const path = formatPath(n.path);
      const head = `${n.source.file}:${n.source.line}:${n.source.column}: ${n.kind} ${path ? `${path}: ` : ''}${n.message} [${n.object}]`;
      return n.hint ? `${head}\n  by hand: ${n.hint}` : head;
    })
    .join('\n');
}
