/**
 * Every row of the version table has its artefacts. Committed ones (the descriptor-set Go
 * module, the baselines with their capture or derivation record, istiod's wrapper module for
 * captured baselines) are always checked.
 * Ones setup builds into the git-ignored .tools/ (descriptor sets, CRD schemas, Envoy binaries)
 * are checked when present and skipped loudly otherwise; under CI=true a missing one fails,
 * since CI runs setup first.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { packageRoot } from '../util/package-root.js';
import { protosDir } from '../validate/proto/load.js';
import { checkTypedConfig } from '../validate/proto/index.js';
import { loadBaseline } from '../validate/istio/baseline.js';
import { istioCrdFile } from '../validate/istio-schema/crds.js';
import { since, VERSION_TABLE } from './table.js';

const inRepo = (...p: string[]) => join(packageRoot, ...p);
const ci = process.env['CI'] === 'true';

/** A file setup builds: undefined when it may be checked, after skipping (or failing under CI) when it is missing. */
function built(t: TestContext, file: string, how: string): string | undefined {
  if (existsSync(file)) return file;
  const message = `MISSING ${file.replace(packageRoot + '/', '')}: not built here (${how})`;
  if (ci) assert.fail(`${message}; CI=true runs setup first, so it should be there`);
  t.diagnostic(message);
  t.skip(message);
  return undefined;
}

interface BaselineFile {
  istioVersion?: string;
  proxyKind?: string;
  captured?: { from?: string };
  derived?: { from?: string; why?: string; differences?: { part?: string; change?: string; source?: string }[]; noneFound?: Record<string, string> };
}

/**
 * A derived baseline states its provenance (ADR 0110): the capture of an older, captured minor it
 * starts from (same proxy kind), why nothing could be captured, every difference with its source,
 * and, per part of the config, where it was looked up that nothing else changed; the baselines
 * README has a section on it.
 */
function assertDerivedProvenance(istio: string, proxyKind: string, file: string, b: BaselineFile): void {
  const d = b.derived;
  assert.ok(d, `${file} is derived: it needs a \`derived\` record`);
  const from = /baselines\/(\d+\.\d+)\/(\w+)\.json/.exec(d.from ?? '');
  assert.ok(from, `${file}: derived.from names the baseline file it starts from (${d.from})`);
  const base = VERSION_TABLE.find((r) => r.istio === from[1]);
  assert.ok(base && base.baseline === 'captured' && since(istio, base.istio, 'istio') && base.istio !== istio, `${file}: derived from ${from[1]}, which must be an older captured minor`);
  assert.equal(from[2], proxyKind, `${file}: derived from the same proxy kind`);
  assert.ok((d.why ?? '').length > 0, `${file}: derived.why says why no capture was possible`);
  assert.ok(Array.isArray(d.differences) && d.differences.length > 0, `${file}: derived.differences lists every difference (at least istioVersion)`);
  for (const diff of d.differences) assert.ok(diff.part && diff.change && diff.source, `${file}: each difference has part, change and source: ${JSON.stringify(diff)}`);
  for (const part of ['listeners', 'routes', 'clusters']) assert.ok((d.noneFound?.[part] ?? '').length > 0, `${file}: derived.noneFound.${part} says where it was checked that nothing else changed`);
  assert.match(
    readFileSync(inRepo('envoy-templates', 'baselines', 'README.md'), 'utf8'),
    new RegExp(`Istio ${istio.replace('.', '\\.')} \\(derived\\)`),
    'envoy-templates/baselines/README.md has a section on the derived baseline',
  );
}

for (const row of VERSION_TABLE) {
  test(`Istio ${row.istio}: the descriptor-set module for Envoy ${row.envoy} is committed and pins go-control-plane/envoy ${row.goControlPlane}`, () => {
    const dir = inRepo('operator', 'tools', 'protoset', `envoy-${row.envoy}`);
    for (const f of ['go.mod', 'go.sum', 'imports.go', 'main.go']) assert.ok(existsSync(join(dir, f)), `${dir}/${f}`);
    assert.match(readFileSync(join(dir, 'go.mod'), 'utf8'), new RegExp(`^\\s*github\\.com/envoyproxy/go-control-plane/envoy ${row.goControlPlane.replace(/\./g, '\\.')}$`, 'm'));
  });

  test(`Istio ${row.istio}: sidecar and gateway baselines, ${row.baseline}`, () => {
    for (const proxyKind of ['sidecar', 'gateway']) {
      const file = inRepo('envoy-templates', 'baselines', row.istio, `${proxyKind}.json`);
      assert.ok(existsSync(file), file);
      const b = JSON.parse(readFileSync(file, 'utf8')) as BaselineFile;
      assert.equal(b.proxyKind, proxyKind);
      assert.ok(b.istioVersion === row.istio || b.istioVersion?.startsWith(`${row.istio}.`), `${file}: istioVersion ${b.istioVersion}`);
      if (row.baseline === 'captured') assert.match(b.captured?.from ?? '', new RegExp(`build-istiod\\.sh ${row.istio.replace('.', '\\.')}\\b`), `${file} says where it was captured`);
      else assert.equal(b.captured, undefined, `${file} is ${row.baseline}: no capture record`);
      if (row.baseline === 'derived') assertDerivedProvenance(row.istio, proxyKind, file, b);
      else assert.equal(b.derived, undefined, `${file} is ${row.baseline}: no derivation record`);
    }
    // A captured minor must stay re-capturable: scripts/build-istiod.sh builds it from its wrapper module.
    const wrapper = inRepo('e2e', 'istiod', 'gomod', row.istio, 'go.mod');
    assert.equal(existsSync(wrapper), row.baseline === 'captured', `${wrapper} exists exactly for captured minors`);
  });

  test(`Istio ${row.istio}: the Envoy ${row.envoy} descriptor set (built by scripts/build-protosets.sh)`, (t) => {
    const pb = built(t, join(protosDir(), `envoy-${row.envoy}.pb`), `bash scripts/build-protosets.sh ${row.envoy}`);
    if (!pb) return;
    assert.ok(statSync(pb).size > 0, pb);
    const meta = JSON.parse(readFileSync(join(protosDir(), `envoy-${row.envoy}.json`), 'utf8')) as { envoyVersion: string; goControlPlane: string };
    assert.deepEqual({ envoyVersion: meta.envoyVersion, goControlPlane: meta.goControlPlane }, { envoyVersion: row.envoy, goControlPlane: row.goControlPlane });
  });

  test(`Istio ${row.istio}: its ${row.baseline} baselines decode without errors against the Envoy ${row.envoy} descriptor set`, (t) => {
    if (!built(t, join(protosDir(), `envoy-${row.envoy}.pb`), `bash scripts/build-protosets.sh ${row.envoy}`)) return;
    for (const proxyKind of ['sidecar', 'gateway'] as const) {
      const x = loadBaseline(row.istio, proxyKind);
      const sets: Array<[string, readonly unknown[]]> = [
        ['envoy.config.listener.v3.Listener', x.listeners],
        ['envoy.config.route.v3.RouteConfiguration', x.routes],
        ['envoy.config.cluster.v3.Cluster', x.clusters],
      ];
      assert.ok(
        sets.every(([, list]) => list.length > 0),
        `${row.istio} ${proxyKind}: listeners, routes and clusters`,
      );
      for (const [type, list] of sets) {
        for (const o of list) {
          const errors = checkTypedConfig(type, o, row.envoy).filter((f) => f.severity === 'error');
          assert.deepEqual(errors, [], `${row.istio} ${proxyKind} ${type} ${(o as { name?: string }).name ?? ''}`);
        }
      }
    }
  });

  test(`Istio ${row.istio}: Istio's CRD schemas (fetched by scripts/fetch-istio-crds.sh) from one of the table's sources`, (t) => {
    const crds = built(t, istioCrdFile(row.istio), `bash scripts/fetch-istio-crds.sh ${row.istio}`);
    if (!crds) return;
    assert.match(readFileSync(crds, 'utf8').slice(0, 20_000), /kind: CustomResourceDefinition/);
    const source = readFileSync(join(crds, '..', 'source.txt'), 'utf8').trim();
    assert.ok((row.crdSources as readonly string[]).includes(source), `${row.istio}: ${source} is not among the table's CRD sources`);
  });

  if (row.wheelFetched) {
    test(`Istio ${row.istio}: the upstream Envoy ${row.envoyWheel} binary (scripts/fetch-envoy.sh)`, (t) => {
      const bin = built(t, inRepo('.tools', 'bin', `envoy-${row.envoyWheel}`), 'bash scripts/fetch-envoy.sh');
      if (bin) accessSync(bin, constants.X_OK);
    });
  }
}
