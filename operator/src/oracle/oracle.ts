/**
 * MW7xx: the real Envoy as oracle. The patches are applied to the baseline istiod
 * generates (the MW4xx simulator), rendered into a static bootstrap and validated by the
 * Envoy binary; a rejection is blamed on the patch whose removal makes Envoy accept.
 * What would make Envoy touch the host while loading is screened out first (screen.ts,
 * MW703-MW706) and Envoy runs sandboxed (sandbox.ts): docs/adr/0103-sandboxed-envoy-oracle.md.
 */
import type { Finding } from '../validate/rule.js';
import { rules } from '../validate/catalogue.js';
import { patchedConfigs, type EnvoyFilterObject } from '../validate/istio/index.js';
import { staticBootstrap } from './bootstrap.js';
import { envoyValidate, type EnvoyVerdict } from './envoy.js';
import { refusal, screenConfig, sandboxAccessLogPath, type Hazard } from './screen.js';

export const envoyRejects = rules.MW701;
export const cannotJudge = rules.MW702;

export const luaHostAccess = rules.MW703;
export const proxyFileAccess = rules.MW704;
export const accessLogRewritten = rules.MW705;
export const judgedWithout = rules.MW706;

export interface OracleOptions {
  /** Path of the Envoy binary. */
  envoy: string;
  /** The Istio version whose baseline is patched (matching the binary's Envoy version). */
  istioVersion: string;
  otherEnvoyFilters?: readonly EnvoyFilterObject[];
  /** Run Envoy without the sandbox (`--unsandboxed-oracle`): only for trusted input. */
  unsandboxed?: boolean;
  /** Deadline of one Envoy run (default 30 s). */
  timeoutMs?: number;
}

/** At most this many single-patch removals are tried to find the culprit. */
const maxBlameRuns = 16;

const nodeId = (kind: string) => `${kind === 'gateway' ? 'router' : 'sidecar'}~127.0.0.1~meshwarden-oracle.default~default.svc.cluster.local`;

const notJudged = 'the oracle did not hand this EnvoyFilter to Envoy, so nothing of it was judged by Envoy';

function hazardFinding(h: Hazard): Finding {
  switch (h.kind) {
    case 'unparsedLua':
      return luaHostAccess.finding(
        h.path,
        `this Lua script ${h.detail}; without the sandbox (--unsandboxed-oracle) ${notJudged}`,
        'run the oracle sandboxed to have Envoy judge it; lint reports the syntax error (MW501)',
      );
    case 'lua':
      return luaHostAccess.finding(
        h.path,
        `this Lua script ${h.detail}: Envoy runs a script's top level while loading the config, with the file system and processes of the machine it runs on; ${notJudged}`,
        'keep files, processes and modules out of Lua filters (os.time, os.clock, os.date and os.difftime are fine); lint still checks the script (MW5xx)',
      );
    case 'accessLog':
      return accessLogRewritten.finding(
        h.path,
        `the file access log ${h.detail}: Envoy judged the config with ${sandboxAccessLogPath} instead, since the oracle creates no files; whether the proxy can write there is not judged`,
        'Istio sidecars log to /dev/stdout',
      );
    case 'file':
    case 'env':
    case 'depth':
      return proxyFileAccess.finding(
        h.path,
        `this field ${h.detail}, which exists on the proxy, not here: ${notJudged}`,
        h.kind === 'depth' ? 'flatten the configuration' : 'give the content inline (inline_string or inline_bytes) to have it judged, or rely on lint alone for this EnvoyFilter',
      );
  }
}

const screenedPatches = new WeakMap<object, Hazard[]>();
function patchHazards(ef: EnvoyFilterObject): Hazard[] {
  let hazards = screenedPatches.get(ef);
  if (!hazards) {
    hazards = screenConfig(ef.spec?.configPatches, 'spec.configPatches').hazards;
    screenedPatches.set(ef, hazards);
  }
  return hazards;
}

const refName = (ef: EnvoyFilterObject) => `${ef.metadata?.namespace ?? 'default'}/${ef.metadata?.name ?? '?'}`;

export function oracleFindings(ef: EnvoyFilterObject, opts: OracleOptions): Finding[] {
  const refusedHere = refusal(opts);
  // What Envoy will not see is reported: refusals, and the access logs it sees rewritten.
  const own = patchHazards(ef).filter((h) => refusedHere(h) || h.kind === 'accessLog');
  const findings: Finding[] = own.map(hazardFinding);
  if (own.some(refusedHere)) return findings;
  // Another EnvoyFilter's hostile content must not reach Envoy through this one's baseline.
  const others = opts.otherEnvoyFilters ?? [];
  const refused = others.filter((o) => patchHazards(o).some(refusedHere));
  if (refused.length > 0) {
    findings.push(
      judgedWithout.finding('spec', `judged without ${refused.map(refName).join(', ')}, which the oracle does not hand to Envoy (see the findings on ${refused.length === 1 ? 'it' : 'them'})`),
    );
  }
  const base = { istioVersions: [opts.istioVersion], istioVersion: opts.istioVersion, otherEnvoyFilters: others.filter((o) => !refused.includes(o)) };
  const run = { ...(opts.unsandboxed ? { unsandboxed: true } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
  /** Envoy's verdict, or the hazards the bootstrap still holds (a second screen: the baseline and every patch together). */
  const judge = (config: Parameters<typeof staticBootstrap>[0], kind: string): EnvoyVerdict | Hazard[] => {
    const screened = screenConfig(staticBootstrap(config, nodeId(kind)));
    const left = screened.hazards.filter(refusedHere);
    return left.length > 0 ? left : envoyValidate(opts.envoy, screened.value, run);
  };
  const accepts = (skip: Set<number>, kind: string) => {
    const config = patchedConfigs(ef, { ...base, skip }).find((c) => c.kind === kind)?.config;
    if (config === undefined) return true;
    const verdict = judge(config, kind);
    return !Array.isArray(verdict) && verdict.ok;
  };
  for (const { kind, config } of patchedConfigs(ef, base)) {
    const verdict = judge(config, kind);
    if (Array.isArray(verdict)) {
      for (const h of verdict) findings.push(hazardFinding({ ...h, path: 'spec', detail: `${h.detail} (at ${h.path} of the patched ${kind} configuration)` }));
      continue;
    }
    if (verdict.ok) continue;
    const envoyVersion = `Envoy for Istio ${opts.istioVersion}, ${kind}`;
    if (!accepts(new Set(patches(ef).map((_, i) => i)), kind)) {
      findings.push(cannotJudge.finding('spec', `${envoyVersion} rejects the configuration without this EnvoyFilter too: ${verdict.error}`, 'validate the other EnvoyFilters first'));
      continue;
    }
    const all = patches(ef);
    const culprits = all.length <= maxBlameRuns ? all.map((_, i) => i).filter((i) => accepts(new Set([i]), kind)) : [];
    const message = `${envoyVersion} rejects the patched configuration: ${verdict.error}`;
    if (culprits.length === 0) findings.push(envoyRejects.finding('spec.configPatches', message, 'the patches are rejected together; check how they combine'));
    for (const i of culprits) findings.push(envoyRejects.finding(`spec.configPatches[${i}]`, message, 'without this patch Envoy accepts the configuration'));
  }
  return findings;
}

const patches = (ef: EnvoyFilterObject): unknown[] => (Array.isArray(ef.spec?.configPatches) ? ef.spec.configPatches : []);
