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
    visit(d.contents as Node, []);
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
  assert.deepEqual(objects, []);
  assert.equal(errors[0]!.file, 'f.yaml');
  assert.ok(errors[0]!.line >= 3);
});

test('aliases are expanded with a bound (billion laughs is refused, not run)', () => {
  const lol = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
  assert.throws(() => loadYaml(lol, 'lol.yaml'), /alias/i);
});

test('values are read as kubectl reads them (YAML 1.1): unquoted y/n/yes/no/on/off are booleans', () => {
  const { objects } = loadYaml('a: n\nb: "n"\nc: yes\nd: On\ne: none\nf: [y, no]\n', 'f.yaml');
  assert.deepEqual(objects[0]!.value, { a: false, b: 'n', c: true, d: true, e: 'none', f: [true, false] });
  const plain = loadYaml('name: norway\nport: 8080\n', 'g.yaml');
  assert.deepEqual(plain.objects[0]!.value, { name: 'norway', port: 8080 });
});
