import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { adrIndexMarkdown, adrProblems } from './adr-index.js';

test('every ADR has the title line, a Status line of the one format and cites nothing outside the repository (operator/tools/adr-index.ts)', () => {
  assert.deepEqual(adrProblems(packageRoot), []);
});

test('the ADR check refuses a missing or free-form status, a wrong title, a status naming no ADR and a citation outside the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'adr-'));
  try {
    mkdirSync(join(root, 'docs/adr'), { recursive: true });
    const adr = (file: string, text: string) => writeFileSync(join(root, 'docs/adr', file), text);
    adr('0001-good.md', '# ADR 0001: Good\n\nStatus: Accepted · Code: `x.ts`\n');
    adr('0002-replaced.md', '# ADR 0002: Replaced\n\nStatus: Superseded by ADR 0001\n');
    adr('0003-section.md', '# ADR 0003: Status as a section\n\n## Status\n\nAccepted\n');
    adr('0004-lower.md', '# ADR 0004: Lower case\n\nStatus: accepted\n');
    adr('0005-title.md', '# 5. Old title\n\nStatus: Accepted\n');
    adr('0006-dangling.md', '# ADR 0006: Dangling\n\nStatus: Accepted; superseded in part by ADR 0042\n');
    adr('0007-number.md', '# ADR 0070: Wrong number\n\nStatus: Deprecated\n');
    adr('0008-outside.md', '# ADR 0008: Outside\n\nStatus: Accepted · Research: ../shared/docs/notes.md\n');
    const problems = adrProblems(root);
    assert.deepEqual(
      problems.map((p) => p.slice(0, p.indexOf(':'))),
      ['0003-section.md', '0004-lower.md', '0005-title.md', '0006-dangling.md', '0007-number.md', '0008-outside.md'],
    );
    assert.match(
      problems.find((p) => p.startsWith('0006'))!,
      /ADR 0042, which does not exist/,
    );
    assert.match(adrIndexMarkdown(root), /\| \[0002\]\(0002-replaced\.md\) \| Replaced \| Superseded by \[ADR 0001\]\(0001-good\.md\) \|/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
