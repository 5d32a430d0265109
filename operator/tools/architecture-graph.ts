/**
 * The generated section of docs/architecture.md: the import graph of the shipped code under
 * operator/src, drawn at the directory level (every directory of operator/src, and inside
 * validate/ every layer, is one node), as Mermaid and as a list.
 *
 * The imports are read with TypeScript's own pre-processor (`ts.preProcessFile`: static, type-only,
 * re-export and dynamic imports), not with dependency-cruiser: it takes well under a second where
 * a cruise of operator/src takes 5–20 s, and this runs in the generated-files test. The layer rules
 * themselves stay with dependency-cruiser (`npm run check:layers`, .dependency-cruiser.cjs).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Test-only code (the same patterns as .dependency-cruiser.cjs): not part of the picture. */
const TEST_CODE = /(\.test\.ts|\.testkit\.ts|\/fixtures\.ts|\/bench-[^/]+\.ts)$/;
const SRC = 'operator/src';
/** The pure core and the shells (ADR 0108); every other node is a shared helper. */
const CORE = ['api', 'render', 'validate', 'versions'];
const SHELLS = ['controller', 'webhook', 'serve', 'cli', 'xds'];
/** Leaf helpers nearly everything imports: listed, but left out of the picture to keep it readable. */
const HELPERS = new Set(['util', 'yaml', 'diagnostics.ts', 'k8s-object.ts', 'input-errors.ts', 'input-limits.ts', 'version.ts']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !TEST_CODE.test(p)) out.push(p);
  }
  return out;
}

/** The node a module belongs to: `render`, `validate/istio`, `validate/catalogue.ts`, `evaluate.ts`. */
function nodeOf(rel: string): string {
  const parts = rel.split('/');
  return parts[0] === 'validate' ? `validate/${parts[1]}` : parts[0]!;
}

/** Directory-level edges `from → to` of the shipped code (relative imports only: packages are not drawn). */
export function directoryEdges(root: string): Map<string, Set<string>> {
  const srcDir = join(root, SRC);
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(srcDir)) {
    const from = nodeOf(relative(srcDir, file));
    if (!edges.has(from)) edges.set(from, new Set());
    for (const imp of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(file), imp.fileName.replace(/\.js$/, '.ts')));
      if (target.startsWith('..') || TEST_CODE.test(`/${target}`)) continue;
      const to = nodeOf(target);
      if (to !== from) edges.get(from)!.add(to);
    }
  }
  return edges;
}

const id = (node: string) => node.replace(/[^A-Za-z0-9]/g, '_');
const top = (node: string) => node.split('/')[0]!;
/** What every validator layer reports through: drawn in neither picture, listed. */
const RULE_MODULES = new Set(['validate/catalogue.ts', 'validate/rule.ts']);

function mermaid(groups: Array<[string, string, string[]]>, edges: Array<[string, string]>): string[] {
  const lines = ['```mermaid', 'flowchart LR'];
  for (const [name, label, members] of groups) {
    if (members.length === 0) continue;
    lines.push(`  subgraph ${name}["${label}"]`);
    for (const n of members) lines.push(`    ${id(n)}["${n}"]`);
    lines.push('  end');
  }
  for (const [from, to] of edges) lines.push(`  ${id(from)} --> ${id(to)}`);
  lines.push('```');
  return lines;
}

/** Distinct, sorted `[from, to]` pairs of `edges` mapped through `node` (undefined: not drawn). */
function mapped(edges: Map<string, Set<string>>, node: (n: string) => string | undefined): Array<[string, string]> {
  const out = new Set<string>();
  for (const [from, tos] of edges) {
    for (const to of tos) {
      const f = node(from);
      const t = node(to);
      if (f !== undefined && t !== undefined && f !== t) out.add(`${f}\t${t}`);
    }
  }
  return [...out].sort().map((e) => e.split('\t') as [string, string]);
}

/** The Markdown of the generated section (between the markers of docs/architecture.md). */
export function architectureGraphMarkdown(root: string): string {
  const edges = directoryEdges(root);
  const nodes = [...edges.keys()].sort();
  // 1. The whole: validate/ as one node, the leaf helpers left out.
  const whole = mapped(edges, (n) => (HELPERS.has(n) ? undefined : top(n)));
  const tops = [...new Set(whole.flat())].sort();
  const wholeGroups: Array<[string, string, string[]]> = [
    ['shells', 'shells', tops.filter((n) => SHELLS.includes(n))],
    ['other', 'entry points and tools', tops.filter((n) => !SHELLS.includes(n) && !CORE.includes(n))],
    ['core', 'core (pure)', tops.filter((n) => CORE.includes(n))],
  ];
  // 2. Inside validate/: its layers, and what of the rest of the core they read.
  const inside = mapped(edges, (n) => (n.startsWith('validate/') ? (RULE_MODULES.has(n) ? undefined : n) : n === 'render' || n === 'api' ? n : undefined)).filter(([from]) =>
    from.startsWith('validate/'),
  );
  const layers = [...new Set(inside.flat())].sort();
  const insideGroups: Array<[string, string, string[]]> = [
    ['validate', 'validate/', layers.filter((n) => n.startsWith('validate/'))],
    ['rest', 'rest of the core', layers.filter((n) => !n.startsWith('validate/'))],
  ];
  const list = nodes.map(
    (n) =>
      `- \`${n}\` → ${
        [...edges.get(n)!]
          .sort()
          .map((t) => `\`${t}\``)
          .join(', ') || '(nothing)'
      }`,
  );
  const code = (xs: Iterable<string>) =>
    [...xs]
      .sort()
      .map((h) => `\`${h}\``)
      .join(', ');
  return [
    `Generated by \`npm run generate\` from the imports of the shipped code under \`${SRC}\``,
    '(`operator/tools/architecture-graph.ts`; test code left out). An arrow is "imports".',
    '',
    `The whole, one node per directory of \`${SRC}\` (and per top-level module); the leaf helpers`,
    `${code(HELPERS)} are left out:`,
    '',
    ...mermaid(wholeGroups, whole),
    '',
    `Inside \`validate/\`, one node per layer; ${code(RULE_MODULES)}, which every layer reports`,
    'through, are left out, and so is `versions` (read by most layers):',
    '',
    ...mermaid(insideGroups, inside),
    '',
    'Every import, by node:',
    '',
    ...list,
  ].join('\n');
}

export const BEGIN = '<!-- BEGIN GENERATED: dependency graph (npm run generate) -->';
export const END = '<!-- END GENERATED: dependency graph -->';

/** `doc` with the text between its markers replaced by the current graph. */
export function withArchitectureGraph(doc: string, root: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/architecture.md has lost its markers ${BEGIN} … ${END}`);
  return `${doc.slice(0, start + BEGIN.length)}\n${architectureGraphMarkdown(root)}\n${doc.slice(end)}`;
}
