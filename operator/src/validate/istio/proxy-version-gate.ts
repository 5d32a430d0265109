/**
 * A patch gated by `match.proxy.proxyVersion` that no linted proxy passes: istiod drops it for
 * every proxy of those versions without a word (`proxyMatch`), so the EnvoyFilter does nothing
 * there (MW428, ADR 0120). Judged against the versions as given: a minor (`1.31`) stands for all
 * of its patch releases, a full version (`1.31.4`) for itself only. Gating some of the linted
 * versions out is what proxyVersion is for (one patch per release line), so only a patch that
 * excludes all of them is reported.
 */
import type { Finding } from '../rule.js';
import { MW428 } from './rules.js';
import { proxyMatches } from './select.js';
import type { ConfigPatch, EnvoyFilterObject, ProxyInfo } from './types.js';
import { baselineMinorFor, featuresFor, parseIstioVersion, type IstioFeatures } from './versions.js';

/** Patch releases tried for a version given as a minor: more than any Istio minor has had. */
const PATCH_RELEASES = 40;

/** A few ISTIO_VERSIONs of other minors: a regex that matches none of them is MW513's ("matches no Istio version"). */
const OTHER_VERSIONS: readonly string[] = Array.from({ length: 60 }, (_, minor) => [0, 1, 10].map((patch) => [1, minor, patch].join('.'))).flat();

/** The ISTIO_VERSIONs a linted version stands for, with the features of its minor; none outside the table. */
function proxyVersionsOf(version: string): string[] {
  if (baselineMinorFor(version) === undefined) return [];
  const v = parseIstioVersion(version);
  if (/^\d+\.\d+\.\d+/.test(version)) return [version];
  return Array.from({ length: PATCH_RELEASES }, (_, patch) => `${v.major}.${v.minor}.${patch}`);
}

function passes(cp: ConfigPatch, istioVersion: string, features: IstioFeatures): boolean {
  const proxy: ProxyInfo = { kind: 'sidecar', istioVersion, labels: {}, namespace: 'default' };
  // Only the version gate: metadata matches are the user's facts about their proxies.
  const gate: ConfigPatch = { ...cp, match: { ...cp.match, proxy: { proxyVersion: cp.match?.proxy?.proxyVersion ?? '' } } };
  return proxyMatches(gate, proxy, features);
}

/** MW428 for each patch of `ef` whose proxyVersion excludes every linted version (`istioVersions` as the user gave them). */
export function proxyVersionGateFindings(ef: EnvoyFilterObject, istioVersions: readonly string[]): Finding[] {
  const patches: unknown = ef.spec?.configPatches;
  if (!Array.isArray(patches)) return [];
  const linted = istioVersions.filter((v) => proxyVersionsOf(v).length > 0);
  const gates = linted.map((v) => ({ features: featuresFor(parseIstioVersion(v)), proxies: proxyVersionsOf(v) }));
  const [anyGate] = gates;
  if (anyGate === undefined) return [];
  const out: Finding[] = [];
  (patches as unknown[]).forEach((p, i) => {
    if (typeof p !== 'object' || p === null) return;
    const cp = p as ConfigPatch;
    const pv: unknown = cp.match?.proxy?.proxyVersion;
    if (typeof pv !== 'string' || pv === '') return;
    if (gates.some((g) => g.proxies.some((pr) => passes(cp, pr, g.features)))) return;
    // A regex that admits no version at all (invalid, too long, nothing of the form X.Y.Z) is MW5xx's finding.
    if (!OTHER_VERSIONS.some((o) => passes(cp, o, anyGate.features))) return;
    const versions = linted.join(', ');
    const { major, minor } = parseIstioVersion(linted[linted.length - 1]!);
    const example = `^${major}\\.${minor}\\. for ${major}.${minor}.x`;
    out.push(
      MW428.finding(
        `spec.configPatches[${i}].match.proxy.proxyVersion`,
        `proxyVersion ${JSON.stringify(pv)} matches no proxy of Istio ${versions} (the versions linted): istiod skips this patch for them without a word, so on Istio ${versions} it does nothing`,
        `If the patch is meant for Istio ${versions}, widen the regex to match their ISTIO_VERSION (e.g. ${example}, or remove proxyVersion); if it is kept for other proxies only, lint with the --istio-version of those proxies, and delete the patch once they are gone.`,
      ),
    );
  });
  return out;
}
