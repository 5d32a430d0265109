/**
 * The one place a user-given Istio version (`--istio-version` of lint, validate, serve, migrate,
 * adopt) is judged: a minor of the version table, optionally with a patch number. Anything else
 * gets one error that lists the supported minors and the nearest one; an end-of-life minor
 * named explicitly is accepted with a warning. The default set never warns.
 */
import { defaultIstioMinors, istioMinors, istioOfEnvoy, minorOf, rowOf, SUPPORT_POLICY_URL, supportStatus } from './table.js';

/** An `--istio-version` value that is not a minor of the version table. */
export class UnknownIstioVersionError extends Error {
  readonly given: string;
  constructor(given: string) {
    super(unknownVersionMessage(given));
    this.name = 'UnknownIstioVersionError';
    this.given = given;
  }
}

const versionSyntax = /^\d+\.\d+(\.\d+)?$/;

function unknownVersionMessage(given: string): string {
  const supported = istioMinors();
  const near = nearestIstioMinor(given);
  // An Envoy minor given for an Istio one (`1.40`) is a likely mix-up: name the Istio that ships it.
  const istio = versionSyntax.test(given) ? istioOfEnvoy(given) : undefined;
  const hint = istio !== undefined ? `${minorOf(given)} is an Envoy version; Istio ${istio} ships it` : near === undefined ? `the newest is ${supported.at(-1)}` : `nearest: ${near}`;
  return `--istio-version "${given}" is not an Istio version meshwarden supports; give one of ${supported.join(', ')} (optionally with a patch number, e.g. ${supported.at(-1)}.0); ${hint}`;
}

/** Levenshtein distance; the inputs are short flag values (bounded by the caller). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The table's minor closest to `given`: the smallest edit distance, ties broken by the closest
 * minor number (`1.33` → the newest, `1.3` → `1.30`). Undefined when nothing is close (`latest`).
 */
export function nearestIstioMinor(given: string): string | undefined {
  const text = given.slice(0, 32);
  const wanted = Number(/^\d+\.(\d+)/.exec(text)?.[1] ?? NaN);
  let best: { minor: string; distance: number; gap: number } | undefined;
  for (const minor of istioMinors()) {
    const distance = editDistance(minorOf(text), minor);
    const gap = Number.isNaN(wanted) ? 0 : Math.abs(Number(minor.split('.')[1]) - wanted);
    if (!best || distance < best.distance || (distance === best.distance && gap < best.gap)) best = { minor, distance, gap };
  }
  return best && best.distance <= 2 ? best.minor : undefined;
}

/** `given` if it names a minor of the table (`1.31`, `1.31.2`); throws {@link UnknownIstioVersionError} otherwise. */
export function checkIstioVersion(given: string): string {
  if (!versionSyntax.test(given) || rowOf(given) === undefined) throw new UnknownIstioVersionError(given);
  return given;
}

/** The warning for an explicitly named end-of-life minor, or undefined. */
export function endOfLifeWarning(version: string, today: Date = new Date()): string | undefined {
  const row = rowOf(version);
  if (!row || supportStatus(row, today) !== 'end-of-life' || !('date' in row.endOfLife)) return undefined;
  return `Istio ${row.istio} reached end of life on ${row.endOfLife.date} (${SUPPORT_POLICY_URL}); meshwarden still checks it when named`;
}

export interface IstioVersionSelection {
  /** The versions to check: the given ones, else the default set. */
  versions: string[];
  /** One line per explicitly named end-of-life minor, for stderr. */
  warnings: string[];
}

/**
 * The versions of a command's repeated `--istio-version` flag: each checked (the first unknown
 * one throws), the default set when none is given. Warnings only for minors named explicitly.
 */
export function selectIstioVersions(given: readonly string[] | undefined, today: Date = new Date()): IstioVersionSelection {
  if (given === undefined || given.length === 0) return { versions: [...defaultIstioMinors()], warnings: [] };
  const versions = given.map(checkIstioVersion);
  const warnings = [...new Set(versions.map(minorOf))].map((v) => endOfLifeWarning(v, today)).filter((w): w is string => w !== undefined);
  return { versions, warnings };
}
