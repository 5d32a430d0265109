/**
 * Reads manifests as the CLI sees them — multi-document YAML streams and `kind: List` —
 * and turns any field path of an object into file:line:col.
 *
 * Values come from js-yaml, which is an order of magnitude faster; the position-keeping
 * parse of `yaml` runs only for files where a position is asked for (a finding), for
 * syntax errors (its messages carry positions) and for streams with aliases (it bounds
 * their expansion, js-yaml does not).
 */
import { loadAll } from 'js-yaml';
import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { SourcePosition } from '../diagnostics.js';

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

/** The `yaml` library's view of a file, built on first use. */
class PositionIndex {
  #docs: Document[] | undefined;
  #lines = new LineCounter();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  documents(): Document[] {
    if (!this.#docs) {
      const parsed = parseAllDocuments(this.text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
      this.#docs = Array.isArray(parsed) ? parsed : [parsed];
    }
    return this.#docs;
  }

  at(offset: number): SourcePosition {
    this.documents();
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

const alias = /(^|[\s[{,:-])\*[^\s,\]}]/m;

export function loadYaml(text: string, file: string): LoadResult {
  const index = new PositionIndex(text, file);
  let values: unknown[] | undefined;
  if (!alias.test(text)) {
    try {
      values = loadAll(text, undefined, { filename: file });
    } catch {
      values = undefined; // a syntax error: `yaml` reports it with its position below
    }
  }
  if (values === undefined) {
    const docs = index.documents();
    const errors = docs.flatMap((d) => d.errors.map((e) => ({ ...index.at(e.pos[0]), message: e.message.split('\n')[0] ?? e.message })));
    if (errors.length > 0) return { objects: [], errors };
    values = docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  }

  const objects: LoadedObject[] = [];
  values.forEach((value, documentIndex) => {
    if (value === null || value === undefined) return; // empty or comment-only document
    const make = (v: unknown, prefix: Array<string | number>): LoadedObject => ({
      value: v,
      file,
      documentIndex,
      locate: (path, preferKey) => {
        const doc = index.documents()[documentIndex];
        return index.at(doc ? offsetOf(doc, [...prefix, ...path], preferKey ?? false) : 0);
      },
    });
    if (isListKind(value)) value.items.forEach((item, i) => objects.push(make(item, ['items', i])));
    else objects.push(make(value, []));
  });
  return { objects, errors: [] };
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
  let node: Node | null | undefined = doc.contents as Node | null;
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
