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
import { CST, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
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

/**
 * The first alias at which the bytes added by alias expansion in `doc` exceed `budget`, or an
 * alias inside the node it names (expanding it would never end). Sizes are computed once per
 * node, in document order, so the walk is linear in the document however it expands.
 */
export function excessiveAliasing(doc: Document, budget = maxAliasExpansionBytes): BoundBreach | undefined {
  const root = doc.contents as Node | null;
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
  const open = (node: Node): Frame => {
    if (node.anchor) anchors.set(node.anchor, node);
    const children: Node[] = [];
    if (isMap(node)) {
      for (const p of node.items) {
        if (!isPair(p)) continue;
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
  return undefined;
}
