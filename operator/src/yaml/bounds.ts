/**
 * The reader's bounds on hostile YAML, checked before the recursive parts of the `yaml`
 * library run (docs/adr/0104-clean-failures-and-bounded-input.md):
 * - nesting depth, on the token tree of the library's iterative parser: its composer and
 *   `toJS` recurse once per level and overflow the stack near 800 levels;
 * - alias expansion, by the bytes the aliases add (a billion-laughs document is small on
 *   disk and huge once expanded), not by how many aliases there are: go-yaml, which kubectl
 *   reads with, likewise accepts any number of aliases and refuses only "excessive aliasing"
 *   measured against the document's decoded size.
 */
import { Alias, CST, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { defaultLimits } from '../input-limits.js';

/** Deepest nesting the reader accepts; objects are limited further (input-limits.ts `maxDepth`). */
export const maxYamlDepth = 512;
/** Bytes that alias expansion may add to one document: the size limit of one object. */
export const maxAliasExpansionBytes = defaultLimits.maxObjectBytes;

export interface BoundBreach {
  /** Offset in the parsed text. */
  offset: number;
  message: string;
}

/** The first collection nested deeper than `limit` in the parser's tokens (an iterative walk). */
export function tooDeep(tokens: readonly CST.Token[], limit = maxYamlDepth): BoundBreach | undefined {
  const stack: Array<{ token: CST.Token; depth: number }> = [];
  for (const token of tokens) {
    if (token.type === 'document' && token.value) stack.push({ token: token.value, depth: 0 });
  }
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!CST.isCollection(token)) continue;
    if (depth + 1 > limit) {
      return { offset: token.offset, message: `nested too deeply: limit ${limit} levels (flatten the document; Kubernetes objects nest far less)` };
    }
    for (const item of token.items) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return undefined;
}

/** JSON-like size of a node without following aliases: what the text itself holds. */
function ownSize(node: Node): number {
  if (isScalar(node)) return node.range ? node.range[1] - node.range[0] + 2 : String(node.value).length + 2;
  return 2;
}

type Resolve = Alias['resolve'];
// eslint-disable-next-line @typescript-eslint/unbound-method -- pin() calls it with .call(this)
const libraryResolve: Resolve = Alias.prototype.resolve;

/**
 * Points `alias` straight at its anchor node for `toJS`. The library looks the anchor up by
 * scanning every earlier anchor and alias, once per alias: quadratic (20,000 aliases, 12 s).
 * The anchor precedes the alias in document order, so `toJS` has converted it by then; should
 * it not have, the library's own lookup runs.
 */
function pin(alias: Alias, target: Node): void {
  alias.resolve = function (this: Alias, doc, ctx) {
    const converted = (ctx as { anchors?: Map<unknown, unknown> } | undefined)?.anchors?.has(target) ?? true;
    return converted ? (target as ReturnType<Resolve>) : libraryResolve.call(this, doc, ctx);
  };
}

/**
 * What makes a composed document unfit to convert, checked in one linear walk:
 * - a duplicate key in a map (kubectl: "key already set in map"). The composer's own check
 *   (`uniqueKeys`) compares each key with every earlier one: quadratic, 77 s for a map of
 *   30,000 keys; here it is a set per map, and the composer runs with `uniqueKeys: false`;
 * - the first alias at which the bytes added by alias expansion exceed `budget`, or an alias
 *   inside the node it names (expanding it would never end). Sizes are computed once per node,
 *   in document order, so the walk is linear however the document expands. Each alias is
 *   pinned to its anchor node on the way (see pin), so `toJS` is linear too.
 */
export function composedDocumentProblem(doc: Document, budget = maxAliasExpansionBytes): BoundBreach | undefined {
  const root = doc.contents;
  if (!root) return undefined;
  const sizes = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  let added = 0;
  interface Frame {
    node: Node;
    children: Node[];
    next: number;
    size: number;
  }
  let duplicate: BoundBreach | undefined;
  const open = (node: Node): Frame => {
    if (node.anchor) anchors.set(node.anchor, node);
    const children: Node[] = [];
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const p of node.items) {
        if (!isPair(p)) continue;
        // The composer's equality: scalars with the same resolved value (each `<<` is its own symbol).
        if (isScalar(p.key)) {
          if (keys.has(p.key.value)) duplicate ??= { offset: p.key.range?.[0] ?? 0, message: 'Map keys must be unique' };
          keys.add(p.key.value);
        }
        if (p.key) children.push(p.key as Node);
        if (p.value) children.push(p.value as Node);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (item) children.push(item as Node);
    }
    return { node, children, next: 0, size: ownSize(node) };
  };
  const stack: Frame[] = [open(root)];
  while (stack.length > 0) {
    if (duplicate) return duplicate;
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      const child = top.children[top.next++]!;
      if (!isAlias(child)) {
        stack.push(open(child));
        continue;
      }
      const target = anchors.get(child.source);
      const offset = child.range?.[0] ?? 0;
      if (!target) continue; // the composer reports an alias without an anchor
      const size = sizes.get(target);
      if (size === undefined) return { offset, message: `alias *${child.source} is inside the node it names: expanding it never ends` };
      pin(child, target);
      added += size;
      if (added > budget) {
        return { offset, message: `aliases expand the document by more than ${Math.round(budget / 1024)} KiB (the limit of what aliases may add; write the repeated parts out or split the document)` };
      }
      top.size += size + 1;
      continue;
    }
    stack.pop();
    sizes.set(top.node, top.size);
    const parent = stack[stack.length - 1];
    if (parent) parent.size += top.size + 1;
  }
  return duplicate;
}
