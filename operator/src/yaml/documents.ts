/**
 * Reads manifests as kubectl does — multi-document YAML streams and `kind: List` — and
 * turns any field path of an object into file:line:col.
 *
 * kubectl parses YAML 1.1, where unquoted y/n/yes/no/on/off are booleans; what we read
 * must be what the API server receives. Values come from js-yaml (YAML 1.2, an order of
 * magnitude faster) unless the text may hold such a scalar. The position-keeping parse of
 * `yaml` runs only for files where a position is asked for (a finding), for syntax errors
 * (its messages carry positions), for YAML 1.1 booleans and for streams with aliases (their
 * expansion is bounded there, js-yaml does not bound it). Nesting and alias expansion are
 * checked before the library's recursive parts run (bounds.ts). A document that cannot be read
 * (syntax, a bound, a duplicate key) is an error at its position; the other documents of the
 * stream are still read.
 */
import { loadAll } from 'js-yaml';
import { Composer, LineCounter, Parser, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { SourcePosition } from '../diagnostics.js';
import { composedDocumentProblem, tooDeep, type BoundBreach } from './bounds.js';

export interface LoadedObject {
  /** The object as plain JSON. */
  value: unknown;
  file: string;
  /** Index of the YAML document in the file (0-based). */
  documentIndex: number;
  /** Locates a field path (segments) of this object in the file. */
  locate(path: ReadonlyArray<string | number>, preferKey?: boolean): SourcePosition;
}

export interface YamlError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface LoadResult {
  objects: LoadedObject[];
  errors: YamlError[];
}

/**
 * The `yaml` library's view of a file, built on demand: one document at a time when the
 * text splits at its document markers into as many documents as js-yaml found, else the
 * whole file at once.
 */
class PositionIndex {
  #whole: { docs: Document[]; lines: LineCounter; breach?: BoundBreach } | undefined;
  #split: Array<{ text: string; firstLine: number }> | undefined;
  #parsed = new Map<number, { doc: Document | undefined; lines: LineCounter }>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  /** Every document, parsed whole: for syntax errors and alias-bearing streams; or why the stream is too deep to parse. */
  documents(): { docs: Document[]; breach?: BoundBreach } {
    return this.whole();
  }

  private whole(): { docs: Document[]; lines: LineCounter; breach?: BoundBreach } {
    this.#whole ??= compose(this.text, false);
    return this.#whole;
  }

  /** Splits at document markers when the split agrees with the `expected` document count. */
  expect(expected: number): void {
    const docs = splitDocuments(this.text);
    if (docs.length === expected) this.#split = docs;
  }

  /** Locates document `i` in `docs[i]` (a per-document read: the indices are those of this split). */
  useSplit(docs: Array<{ text: string; firstLine: number }>): void {
    this.#split = docs;
  }

  /** The position of `path` in document `index`. */
  locate(index: number, path: ReadonlyArray<string | number>, preferKey: boolean): SourcePosition {
    if (!this.#split) {
      const { docs, lines } = this.whole();
      const doc = docs[index];
      return this.at(lines, doc ? offsetOf(doc, path, preferKey) : 0, 0);
    }
    let entry = this.#parsed.get(index);
    if (!entry) {
      const { docs, lines } = compose(this.#split[index]!.text, true);
      entry = { doc: docs[0], lines };
      this.#parsed.set(index, entry);
    }
    return this.at(entry.lines, entry.doc ? offsetOf(entry.doc, path, preferKey) : 0, this.#split[index]!.firstLine);
  }

  errorAt(offset: number): SourcePosition {
    return this.at(this.whole().lines, offset, 0);
  }

  private at(lines: LineCounter, offset: number, firstLine: number): SourcePosition {
    const { line, col } = lines.linePos(offset);
    return { file: this.file, line: line + firstLine, column: col };
  }
}

/**
 * The `yaml` library's parse (as its parseAllDocuments or, with `single`, parseDocument),
 * composed only when the token tree is within the nesting bound: the composer recurses.
 */
function compose(text: string, single: boolean): { docs: Document[]; lines: LineCounter; breach?: BoundBreach } {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const breach = tooDeep(tokens);
  if (breach) return { docs: [], lines, breach };
  // Duplicate keys are found in linear time by composedDocumentProblem (bounds.ts), not by the composer.
  const composer = new Composer({ uniqueKeys: false, version: '1.1' });
  const docs = single ? [...composer.compose(tokens, true, text.length)].slice(0, 1) : [...composer.compose(tokens)];
  return { docs, lines };
}

/**
 * The documents of a stream, cut at `---` and `...` lines (markers at column 0 end any
 * block scalar, so a line-level cut is exact), each with the 0-based line it starts on.
 */
function splitDocuments(text: string): Array<{ text: string; firstLine: number }> {
  const lines = text.split('\n');
  const docs: Array<{ text: string; firstLine: number }> = [];
  let current: string[] = [];
  let first = 0;
  let explicit = false; // the current document was opened by ---
  const hasContent = () => current.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#') && !l.startsWith('%'));
  const close = () => {
    if (explicit || hasContent()) docs.push({ text: current.join('\n'), firstLine: first });
  };
  lines.forEach((line, i) => {
    if (/^---(?:[ \t]|$)/.test(line)) {
      close();
      current = [line.replace(/^---/, '   ')];
      first = i;
      explicit = true;
    } else if (/^\.\.\.[ \t]*$/.test(line)) {
      current.push('');
      close();
      current = [];
      first = i + 1;
      explicit = false;
    } else {
      current.push(line);
    }
  });
  close();
  return docs;
}

const alias = /(^|[\s[{,:-])\*[^\s,\]}]/m;
/** A plain scalar YAML 1.1 reads as a boolean and YAML 1.2 as a string. */
const yaml11Boolean = /(^|[\s[{,:-])(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)[ \t]*($|[,\]}#\r\n])/m;

export function loadYaml(text: string, file: string): LoadResult {
  const index = new PositionIndex(text, file);
  let values: unknown[] | undefined;
  if (!alias.test(text) && !yaml11Boolean.test(text)) {
    try {
      values = loadAll(text, undefined, { filename: file });
    } catch {
      values = undefined; // a syntax error: `yaml` reports it with its position below
    }
  }
  let errors: YamlError[] = [];
  if (values === undefined) {
    const { docs, breach } = index.documents();
    const error = (offset: number, message: string): YamlError => ({ ...index.errorAt(offset), message });
    const whole = breach ? [error(breach.offset, breach.message)] : [];
    const converted: unknown[] = [];
    for (const d of breach ? [] : docs) {
      const r = readDocument(d);
      if ('problem' in r) whole.push(error(r.problem.offset, r.problem.message));
      else converted.push(r.value);
    }
    if (whole.length === 0) values = converted;
    else {
      // One broken document costs only itself: the others are read one by one, so a linter
      // still judges them. Should every document read alone, the stream's own errors stand.
      const recovered = readEachDocument(text, file);
      if (recovered.errors.length === 0) return { objects: [], errors: whole };
      index.useSplit(recovered.split);
      values = recovered.values;
      errors = recovered.errors;
    }
  } else {
    index.expect(values.length);
  }

  const objects: LoadedObject[] = [];
  values.forEach((value, documentIndex) => {
    if (value === null || value === undefined) return; // empty or comment-only document
    const make = (v: unknown, prefix: Array<string | number>): LoadedObject => ({
      value: v,
      file,
      documentIndex,
      locate: (path, preferKey) => index.locate(documentIndex, [...prefix, ...path], preferKey ?? false),
    });
    if (isListKind(value)) value.items.forEach((item, i) => objects.push(make(item, ['items', i])));
    else objects.push(make(value, []));
  });
  return { objects, errors };
}

/** A composed document as plain values, or why it cannot be read: a syntax error, a reader bound, a duplicate key, a bad merge. */
function readDocument(d: Document): { value: unknown } | { problem: BoundBreach } {
  const syntax = d.errors[0];
  if (syntax) return { problem: { offset: syntax.pos[0], message: syntax.message.split('\n')[0] ?? syntax.message } };
  const problem = composedDocumentProblem(d);
  if (problem) return { problem };
  try {
    // Expansion was bounded by size just above; the library's own bound counts aliases and refuses ordinary documents.
    return { value: d.toJS({ maxAliasCount: -1 }) };
  } catch (e) {
    // What only conversion finds (a merge key whose source is not a map) is an input error of that document.
    return { problem: { offset: d.range?.[0] ?? 0, message: (e as Error).message } };
  }
}

/**
 * Every document of the stream read alone (cut at its markers, which no scalar or collection
 * can span): the broken ones as errors at their position, the others as values, by the index
 * of the cut. Each document is held to the same bounds as a whole stream.
 */
function readEachDocument(text: string, file: string): { values: unknown[]; errors: YamlError[]; split: Array<{ text: string; firstLine: number }> } {
  const split = splitDocuments(text);
  const values: unknown[] = [];
  const errors: YamlError[] = [];
  for (const part of split) {
    const { docs, lines, breach } = compose(part.text, true);
    const d = docs[0];
    const r: { value: unknown } | { problem: BoundBreach } = breach ? { problem: breach } : d ? readDocument(d) : { value: null };
    if ('value' in r) {
      values.push(r.value);
      continue;
    }
    values.push(undefined);
    const { line, col } = lines.linePos(r.problem.offset);
    errors.push({ file, line: line + part.firstLine, column: col, message: r.problem.message });
  }
  return { values, errors, split };
}

function isListKind(v: unknown): v is { items: unknown[] } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { kind?: unknown; items?: unknown };
  return typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items);
}

/**
 * The offset of the node at `path`, or of its deepest existing ancestor when the path
 * does not exist (a missing required field points at the object that lacks it).
 */
function offsetOf(doc: Document, path: ReadonlyArray<string | number>, preferKey: boolean): number {
  let node: Node | null | undefined = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as Node;
      if (last && preferKey) return key.range?.[0] ?? offset;
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? key.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}
