/**
 * MW7xx: the real Envoy as oracle. The patches are applied to the baseline istiod
 * generates (the MW4xx simulator), rendered into a static bootstrap and validated by the
 * Envoy binary; a rejection is blamed on the patch whose removal makes Envoy accept.
 */
import type { Finding } from '../validate/rule.js';
import { defineRule } from '../validate/rule.js';
import { patchedConfigs, type EnvoyFilterObject } from '../validate/istio/index.js';
import { staticBootstrap } from './bootstrap.js';
import { envoyValidate } from './envoy.js';

export const envoyRejects = defineRule({
  code: 'MW701',
  layer: 'oracle',
  severity: 'error',
  title: 'Envoy rejects the configuration this patch produces: proxies would NACK the whole listener or route update',
  source: 'https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode',
  failureModes: [1, 2, 3, 5, 13, 15, 16, 17, 22, 24],
});
export const cannotJudge = defineRule({
  code: 'MW702',
  layer: 'oracle',
  severity: 'warning',
  title: 'Envoy rejects the configuration even without this EnvoyFilter, so the oracle cannot judge it',
  source: 'https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode',
});

export interface OracleOptions {
  /** Path of the Envoy binary. */
  envoy: string;
  /** The Istio version whose baseline is patched (matching the binary's Envoy version). */
  istioVersion: string;
  otherEnvoyFilters?: readonly EnvoyFilterObject[];
}

/** At most this many single-patch removals are tried to find the culprit. */
const maxBlameRuns = 16;

const nodeId = (kind: string) => `${kind === 'gateway' ? 'router' : 'sidecar'}~127.0.0.1~meshwarden-oracle.default~default.svc.cluster.local`;

export function oracleFindings(ef: EnvoyFilterObject, opts: OracleOptions): Finding[] {
  const base = { istioVersions: [opts.istioVersion], istioVersion: opts.istioVersion, otherEnvoyFilters: opts.otherEnvoyFilters ?? [] };
  const patches = Array.isArray(ef.spec?.configPatches) ? ef.spec.configPatches : [];
  const findings: Finding[] = [];
  const accepts = (skip: Set<number>, kind: string) => {
    const config = patchedConfigs(ef, { ...base, skip }).find((c) => c.kind === kind)?.config;
    return config === undefined || envoyValidate(opts.envoy, staticBootstrap(config, nodeId(kind))).ok;
  };
  for (const { kind, config } of patchedConfigs(ef, base)) {
    const verdict = envoyValidate(opts.envoy, staticBootstrap(config, nodeId(kind)));
    if (verdict.ok) continue;
    const envoyVersion = `Envoy for Istio ${opts.istioVersion}, ${kind}`;
    if (!accepts(new Set(patches.map((_, i) => i)), kind)) {
      findings.push(cannotJudge.finding('spec', `${envoyVersion} rejects the configuration without this EnvoyFilter too: ${verdict.error}`, 'validate the other EnvoyFilters first'));
      continue;
    }
    const culprits = patches.length <= maxBlameRuns ? patches.map((_, i) => i).filter((i) => accepts(new Set([i]), kind)) : [];
    const message = `${envoyVersion} rejects the patched configuration: ${verdict.error}`;
    if (culprits.length === 0) findings.push(envoyRejects.finding('spec.configPatches', message, 'the patches are rejected together; check how they combine'));
    for (const i of culprits) findings.push(envoyRejects.finding(`spec.configPatches[${i}]`, message, 'without this patch Envoy accepts the configuration'));
  }
  return findings;
}
