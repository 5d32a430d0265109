import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir, howToGet, inCheckout, missingDataFor, ValidatorDataMissingError, requireValidatorData } from './validator-data.js';
import { defaultIstioMinors, rowOf } from '../versions/table.js';

function fakeRoot(layout: { packaged?: boolean; tools?: boolean; scripts?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'mw-data-'));
  if (layout.packaged) mkdirSync(join(root, 'data', 'protos'), { recursive: true });
  if (layout.tools) mkdirSync(join(root, '.tools', 'protos'), { recursive: true });
  if (layout.scripts) {
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts', 'build-protosets.sh'), '');
  }
  return root;
}

test('the packaged data/ wins over a checkout .tools/, which is used when there is no data/', () => {
  const both = fakeRoot({ packaged: true, tools: true, scripts: true });
  const checkout = fakeRoot({ tools: true, scripts: true });
  const bare = fakeRoot({});
  try {
    assert.equal(dataDir('protos', both), join(both, 'data', 'protos'));
    assert.equal(dataDir('protos', checkout), join(checkout, '.tools', 'protos'));
    // An installed package without its data names the packaged directory, not a checkout's.
    assert.equal(dataDir('protos', bare), join(bare, 'data', 'protos'));
  } finally {
    for (const r of [both, checkout, bare]) rmSync(r, { recursive: true, force: true });
  }
});

test('the fix named for missing data fits where meshwarden runs: scripts in a checkout, never in a package', () => {
  const checkout = fakeRoot({ tools: true, scripts: true });
  const pkg = fakeRoot({ packaged: true });
  try {
    assert.equal(inCheckout(checkout), true);
    assert.equal(inCheckout(pkg), false);
    assert.match(howToGet({ kind: 'protos', version: '1.39' }, checkout), /scripts\/build-protosets\.sh 1\.39/);
    assert.match(howToGet({ kind: 'istio', version: '1.31' }, checkout), /scripts\/fetch-istio-crds\.sh 1\.31/);
    const inPackage = howToGet({ kind: 'protos', version: '1.39' }, pkg);
    assert.doesNotMatch(inPackage, /scripts\/|npm run setup /);
    assert.match(inPackage, /npm install -g meshwarden@latest/);
    assert.match(inPackage, /MESHWARDEN_PROTOS_DIR/);
  } finally {
    for (const r of [checkout, pkg]) rmSync(r, { recursive: true, force: true });
  }
});

test('missing data for the selected minors is one error naming every missing file; present data passes', () => {
  const empty = mkdtempSync(join(tmpdir(), 'mw-data-'));
  try {
    const minors = defaultIstioMinors();
    const missing = missingDataFor(minors, { protos: empty, istio: empty });
    assert.equal(missing.length, minors.length * 2);
    assert.ok(missing.some((m) => m.path === join(empty, `envoy-${rowOf(minors[0]!)!.envoy}.pb`)));
    assert.throws(
      () => requireValidatorData(minors, { protos: empty, istio: empty }),
      (e: unknown) => e instanceof ValidatorDataMissingError && !e.message.includes('\n'),
    );
    assert.deepEqual(missingDataFor(['9.99'], { protos: empty, istio: empty }), [], "unknown minors are the version flag's business");
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
