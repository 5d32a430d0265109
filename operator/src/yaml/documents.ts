/**
 * Reads manifests as the CLI sees them — multi-document YAML streams and `kind: List` —
 * keeping each object's YAML node so any field path can be turned into file:line:col.
 */
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

export function loadYaml(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const objects: LoadedObject[] = [];
  const errors: YamlError[] = [];
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, documentIndex) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push({ ...at(e.pos[0]), message: e.message.split('\n')[0] ?? e.message });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return; // empty or comment-only document
    const make = (v: unknown, prefix: Array<string | number>): LoadedObject => ({
      value: v,
      file,
      documentIndex,
      locate: (path, preferKey) => at(offsetOf(doc, [...prefix, ...path], preferKey ?? false)),
    });
    if (isListKind(value)) {
      value.items.forEach((item, i) => objects.push(make(item, ['items', i])));
    } else {
      objects.push(make(value, []));
    }
  });
  return { objects, errors };
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
