import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import { loadYaml } from './documents.js';

/** Reference: every scalar's path and position from one whole-file `yaml` parse. */
function referencePositions(text: string): Array<{ doc: number; path: Array<string | number>; line: number; column: number }> {
  const lines = new LineCounter();
  const out: Array<{ doc: number; path: Array<string | number>; line: number; column: number }> = [];
  const docs = parseAllDocuments(text, { lineCounter: lines });
  (Array.isArray(docs) ? docs : [docs]).forEach((d, doc) => {
    const visit = (n: Node | null | undefined, path: Array<string | number>) => {
      if (!n) return;
      if (isScalar(n)) {
        if (path.length === 0 && n.value === null) return; // an empty or comment-only document
        const { line, col } = lines.linePos(n.range![0]);
        out.push({ doc, path, line, column: col });
      } else if (isMap(n)) {
        for (const p of n.items) if (isPair(p) && isScalar(p.key)) visit(p.value as Node, [...path, String(p.key.value)]);
      } else if (isSeq(n)) n.items.forEach((item, i) => visit(item as Node, [...path, i]));
    };
    visit(d.contents, []);
  });
  return out;
}

const streams = [
  'a: 1\nb: [x, y]\n',
  '---\na: 1\n---\n# comment only\n---\nb:\n  c: |\n    --- not a marker\n    text\n  d: 2\n',
  '%YAML 1.2\n---\na: {x: 1}\n...\n---\nb: 2\n...\n',
  'a: 1\n---\n---\nkind: X\nlist:\n- p: 1\n- p: 2\n--- # trailing comment\nz: "---"\n',
  '\n\n# lead\n---   \nk: v\n',
];

for (const text of streams) {
  test(`document-by-document positions equal whole-file positions: ${JSON.stringify(text).slice(0, 40)}`, () => {
    const { objects, errors } = loadYaml(text, 'f.yaml');
    assert.deepEqual(errors, []);
    for (const ref of referencePositions(text)) {
      const obj = objects.find((o) => o.documentIndex === ref.doc);
      assert.ok(obj, `document ${ref.doc} loaded`);
      assert.deepEqual(obj.locate(ref.path), { file: 'f.yaml', line: ref.line, column: ref.column }, `${ref.doc} ${ref.path.join('.')}`);
    }
  });
}

test('syntax errors carry the position of the error', () => {
  const { objects, errors } = loadYaml('a: 1\n---\nb: [1, 2\n', 'f.yaml');
  assert.deepEqual(
    objects.map((o) => o.value),
    [{ a: 1 }],
    'the document before the error is read',
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.file, 'f.yaml');
  assert.ok(errors[0]!.line >= 3);
});

test('one broken document costs only itself: the others are read, at their positions in the file', () => {
  const deep = `d: ${'['.repeat(600)}${']'.repeat(600)}`;
  const text = ['kind: A\nx: {p: 1}', 'kind: B\nb: [1, 2', 'kind: C\nk: v\nk: w', deep, 'kind: E\nz: [1]'].join('\n---\n') + '\n';
  const { objects, errors } = loadYaml(text, 'f.yaml');
  assert.deepEqual(
    objects.map((o) => [o.documentIndex, o.value]),
    [
      [0, { kind: 'A', x: { p: 1 } }],
      [4, { kind: 'E', z: [1] }],
    ],
  );
  assert.deepEqual(
    errors.map((e) => [e.line, e.message.split(':')[0]]),
    [
      [5, 'Flow sequence in block collection must be sufficiently indented and end with a ]'],
      [9, 'Map keys must be unique'],
      [11, 'nested too deeply'],
    ],
  );
  assert.deepEqual(objects[0]!.locate(['x', 'p']), { file: 'f.yaml', line: 2, column: 8 });
  assert.deepEqual(objects[1]!.locate(['z', 0]), { file: 'f.yaml', line: 14, column: 5 });
});

/** a: &a [x × 10], b: &b [*a × 10], …: each level multiplies the expanded size by ten. */
function laughs(levels: number): string {
  const name = (i: number) => String.fromCharCode(97 + i);
  return [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from(
      { length: levels },
      (_, i) =>
        `${name(i + 1)}: &${name(i + 1)} [${Array(10)
          .fill(`*${name(i)}`)
          .join(', ')}]`,
    ),
  ].join('\n');
}

test('alias expansion is bounded by the bytes it adds: billion laughs is refused at the alias that crosses the bound', () => {
  const t = performance.now();
  const { objects, errors } = loadYaml(laughs(8), 'lol.yaml');
  assert.deepEqual(objects, []);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /aliases expand the document by more than 512 KiB/);
  // Level f (the 6th line) is where 10^5 x's pass 512 KiB; the error points into that line.
  assert.deepEqual([errors[0]!.file, errors[0]!.line], ['lol.yaml', 6]);
  assert.ok(errors[0]!.column > 1);
  assert.ok(performance.now() - t < 2000);
});

test('ordinary aliases are read whatever their number (kubectl accepts them)', () => {
  const keys = Array.from({ length: 150 }, (_, i) => `  k${i}: *v`).join('\n');
  const { objects, errors } = loadYaml(`v: &v {app: api, tier: web}\nrefs:\n${keys}\nm:\n  <<: *v\n  own: 1\n`, 'f.yaml');
  assert.deepEqual(errors, []);
  const value = objects[0]!.value as { refs: Record<string, unknown>; m: unknown };
  assert.equal(Object.keys(value.refs).length, 150);
  assert.deepEqual(value.refs.k149, { app: 'api', tier: 'web' });
  assert.deepEqual(value.m, { app: 'api', tier: 'web', own: 1 });
  // A bomb that stays under the bound expands (10^4 scalars).
  assert.deepEqual(loadYaml(laughs(3), 'g.yaml').errors, []);
});

/** Milliseconds loadYaml takes on `text`, the best of three (the machine may be busy). */
function loadMs(text: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    assert.deepEqual(loadYaml(text, 'f.yaml').errors, []);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

test('reading stays linear in the number of keys and aliases (the library compares each key, and looks each alias up, against all earlier ones)', () => {
  const merges = (n: number) => `v: &v {a: 1}\nm:\n${Array.from({ length: n }, (_, i) => `  k${i}: {<<: *v, b: ${i}}`).join('\n')}\n`;
  const aliases = (n: number) => `v: &v x\na: [${Array(n).fill('*v').join(',')}]\n`;
  for (const [name, make] of [
    ['merge keys', merges],
    ['aliases', aliases],
  ] as const) {
    loadMs(make(500)); // warm up
    const ratio = loadMs(make(16_000)) / loadMs(make(4_000));
    // Four times the input: about 4 when linear, 16 when quadratic.
    assert.ok(ratio < 8, `${name}: 4x the input took ${ratio.toFixed(1)}x the time`);
  }
});

test('duplicate keys (at the key) and merges of a non-map (at their document) are input errors', () => {
  const dup = loadYaml('a: 1\nb: &x 2\na: *x\n', 'f.yaml');
  assert.deepEqual(
    dup.errors.map((e) => [e.line, e.column, e.message]),
    [[3, 1, 'Map keys must be unique']],
  );
  const merge = loadYaml('a: 1\n---\na: &x 1\nm: {<<: *x}\n', 'f.yaml');
  // At the document's first line; the document before it is still read.
  assert.deepEqual(
    merge.errors.map((e) => [e.line, e.message]),
    [[3, 'Merge sources must be maps or map aliases']],
  );
  assert.deepEqual(
    merge.objects.map((o) => o.value),
    [{ a: 1 }],
  );
});

test('an alias inside the node it names is refused at the alias, not expanded', () => {
  const { errors } = loadYaml('a: &a\n  b: [1, *a]\n', 'f.yaml');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /alias \*a is inside the node it names/);
  assert.deepEqual([errors[0]!.line, errors[0]!.column], [2, 10]);
});

test('nesting is bounded before the recursive parser runs: a positioned error naming the limit', () => {
  const cases = {
    flow: `a: ${'['.repeat(1000)}${']'.repeat(1000)}\n`,
    block: Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:\n`).join('') + `${' '.repeat(1000)}x\n`,
    compact: `${'- '.repeat(5000)}x\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    const { objects, errors } = loadYaml(text, 'deep.yaml');
    assert.deepEqual(objects, [], name);
    assert.equal(errors.length, 1, name);
    assert.match(errors[0]!.message, /^nested too deeply: limit 512 levels/, name);
    assert.ok(errors[0]!.line >= 1 && errors[0]!.column > 1, `${name} is positioned`);
  }
  // Within the bound the document is read (object limits apply later: input-limits.ts).
  const within = loadYaml(`a: ${'['.repeat(500)}${']'.repeat(500)}\n`, 'ok.yaml');
  assert.deepEqual(within.errors, []);
  assert.equal(within.objects.length, 1);
});

test('values are read as kubectl reads them (YAML 1.1): unquoted y/n/yes/no/on/off are booleans', () => {
  const { objects } = loadYaml('a: n\nb: "n"\nc: yes\nd: On\ne: none\nf: [y, no]\n', 'f.yaml');
  assert.deepEqual(objects[0]!.value, { a: false, b: 'n', c: true, d: true, e: 'none', f: [true, false] });
  const plain = loadYaml('name: norway\nport: 8080\n', 'g.yaml');
  assert.deepEqual(plain.objects[0]!.value, { name: 'norway', port: 8080 });
});
