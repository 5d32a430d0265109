/**
 * No Istio/Envoy version literal outside the version table: a `'1.39'` in a rule goes stale
 * silently when a newer row arrives (issue 15). Scans operator/src with TypeScript's own
 * parser, so comments, prose inside messages and regexes are told apart from values. Tests,
 * testkits, fixtures and the table module (operator/src/versions/) may name versions.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { packageRoot } from '../util/package-root.js';

/** A whole string that is a version: `1.39`, `1.36.2`, `v1.36.0` (minors 16–59: Istio and Envoy alike). */
const versionString = /^v?1\.(1[6-9]|[2-5]\d)(\.\d+)?$/;
/** A number that is a version when compared: `1.40`. */
const versionNumber = /^1\.(1[6-9]|[2-5]\d)$/;
/** Template text ending in `1.` right before a `${…}`: a version computed from a number (`1.${n - 8}`). */
const computedVersion = /(^|[^\w.])1\.$/;

const comparisons = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);

export interface VersionLiteral {
  line: number;
  text: string;
}

/** The version literals of one TypeScript source. */
export function versionLiterals(source: string, fileName = 'x.ts'): VersionLiteral[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: VersionLiteral[] = [];
  const add = (node: ts.Node, text: string) => out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text });
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && versionString.test(node.text)) add(node, node.text);
    else if ((ts.isTemplateHead(node) || ts.isTemplateMiddle(node)) && computedVersion.test(node.text)) add(node, `${node.text}\${…}`);
    else if (ts.isNumericLiteral(node) && versionNumber.test(node.getText(sf))) {
      const p = node.parent;
      const compared = (ts.isBinaryExpression(p) && comparisons.has(p.operatorToken.kind)) || ts.isCaseClause(p);
      if (compared) add(node, node.getText(sf));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Literals that stay, each with why. A stale entry (the literal is gone) fails too, so the list
 * only ever shrinks with the code.
 */
const ALLOWED: ReadonlyArray<{ file: string; literals: readonly string[]; why: string }> = [
  {
    file: 'validate/istio/select.ts',
    literals: ['1.16', '1.17', '1.18', '1.19', '1.20', '1.21', '1.22', '1.23'],
    why: "istiod's own `wellKnownVersions` (proxyVersion regex → prefix), copied from istiod: values users write in EnvoyFilters, not minors meshwarden supports",
  },
  {
    file: 'validate/istio-schema/webhook.ts',
    literals: ['1.22', '1.26'],
    why: 'MW132 describes istiod releases older than the table (targetRefs ignored before 1.22, over-matched in 1.26); they can never be rows of it',
  },
];

const SRC = join(packageRoot, 'operator', 'src');
const exempt = (rel: string) => rel.startsWith('versions/') || /\.test\.ts$|\.testkit\.ts$|(^|\/)fixtures(\.ts$|\/)|\.d\.ts$/.test(rel);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('the literal scanner finds versions used as values and nothing else', () => {
  const flagged = versionLiterals(`
    if (v === '1.39') f();                       // 1
    const minors = ['1.28', "1.29"];             // 2
    const next = \`1.40\`;                       // 3
    if (x >= 1.40) g();                          // 4
    const istio = \`1.\${Number(m) - 8}\`;       // 5
    const wheel = '1.36.2', tag = 'v1.36.0';     // 6
    switch (n) { case 1.31: break; }             // 7
  `).map((l) => `${l.line - 1}:${l.text}`);
  assert.deepEqual(flagged, ['1:1.39', '2:1.28', '2:1.29', '3:1.40', '4:1.40', '5:1.${…}', '6:1.36.2', '6:v1.36.0', '7:1.31']);
  assert.deepEqual(
    versionLiterals(`
      const wait = retry * 1.2 + base * 1.25;    // factors, not versions
      // if (v === '1.39') — a comment
      /** \`1.36\` in a doc comment */
      const msg = 'Envoy 1.39 accepts it';      // prose in a message
      const re = /^1\\.39/;                       // a regex
      const ip = '10.96.0.10', semver = '1.2.3', lua = '5.1', go = 'go 1.25.0';
      const t = \`took \${ms}ms, x1.\`;
      const ratio = 1.5;
    `),
    [],
  );
});

test('no Istio/Envoy version literal in operator/src outside the version table (operator/src/versions/)', () => {
  const found: string[] = [];
  const used = new Set<string>();
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file).split('\\').join('/');
    if (exempt(rel)) continue;
    const allowed = ALLOWED.find((a) => a.file === rel);
    for (const l of versionLiterals(readFileSync(file, 'utf8'), file)) {
      if (allowed?.literals.includes(l.text)) used.add(`${rel} ${l.text}`);
      else found.push(`operator/src/${rel}:${l.line}: ${l.text}`);
    }
  }
  assert.deepEqual(found, [], 'use the version table (operator/src/versions/table.ts: envoyOf, since/until, a named boundary in boundaries.ts) instead');
  const stale = ALLOWED.flatMap((a) => a.literals.map((l) => `${a.file} ${l}`)).filter((k) => !used.has(k));
  assert.deepEqual(stale, [], 'allow-list entries whose literal is gone: remove them');
});
