/** Helpers for the MW4xx tests: EnvoyFilter builders and common patch values. */
import { applyEnvoyFilters } from './apply.js';
import { loadBaseline, type BaselineParams } from './baseline.js';
import type { ApplyResult, ConfigPatch, EnvoyFilterObject, JsonObject, ProxyKind } from './types.js';

export const T = (s: string) => `type.googleapis.com/${s}`;
export const HCM = 'envoy.filters.network.http_connection_manager';
export const ROUTER = 'envoy.filters.http.router';

export function envoyFilter(
  name: string,
  configPatches: ConfigPatch[],
  opts: { namespace?: string; priority?: number; creationTimestamp?: string; labels?: Record<string, string> | null } = {},
): EnvoyFilterObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace: opts.namespace ?? 'default', ...(opts.creationTimestamp ? { creationTimestamp: opts.creationTimestamp } : {}) },
    spec: {
      ...(opts.labels === null ? {} : { workloadSelector: { labels: opts.labels ?? { app: 'productpage' } } }),
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      configPatches,
    },
  };
}

export const lua = (name = 'envoy.filters.http.lua'): JsonObject => ({
  name,
  typed_config: { '@type': T('envoy.extensions.filters.http.lua.v3.Lua'), default_source_code: { inline_string: 'function envoy_on_request(h) end' } },
});

export function httpFilterPatch(
  context: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY',
  operation: string,
  value: JsonObject | undefined,
  opts: { port?: number; subFilter?: string } = {},
): ConfigPatch {
  return {
    applyTo: 'HTTP_FILTER',
    match: {
      context,
      listener: {
        ...(opts.port !== undefined ? { portNumber: opts.port } : {}),
        filterChain: { filter: { name: HCM, ...(opts.subFilter ? { subFilter: { name: opts.subFilter } } : {}) } },
      },
    },
    patch: { operation, ...(value ? { value } : {}) },
  };
}

export const sidecarProxy = (istioVersion: string) => ({ kind: 'sidecar' as const, istioVersion, labels: { app: 'productpage' }, namespace: 'default' });
export const gatewayProxy = (istioVersion: string) => ({ kind: 'gateway' as const, istioVersion, labels: { istio: 'ingressgateway', app: 'productpage' }, namespace: 'default' });

export function run(istioVersion: string, efs: EnvoyFilterObject[], kind: ProxyKind = 'sidecar', params: BaselineParams = {}): ApplyResult {
  const b = loadBaseline(istioVersion, kind, params);
  return applyEnvoyFilters(b, efs, kind === 'sidecar' ? sidecarProxy(istioVersion) : gatewayProxy(istioVersion));
}

export function rulesOf(r: ApplyResult): string[] {
  return r.findings.map((f) => f.finding.rule);
}

/** The HTTP filter names of the first HCM found in a listener/chain. */
export function httpFilterNames(r: ApplyResult, listener: string, chain?: string): string[] {
  const lis = r.config.listeners.find((l) => l['name'] === listener);
  if (!lis) throw new Error(`no listener ${listener}`);
  const chains = [...((lis['filter_chains'] as JsonObject[]) ?? []), ...(lis['default_filter_chain'] ? [lis['default_filter_chain'] as JsonObject] : [])];
  for (const fc of chains) {
    if (chain !== undefined && fc['name'] !== chain) continue;
    for (const f of (fc['filters'] as JsonObject[]) ?? []) {
      if (f['name'] === HCM) return (((f['typed_config'] as JsonObject)['http_filters'] as JsonObject[]) ?? []).map((h) => String(h['name']));
    }
  }
  throw new Error(`no HCM in ${listener}/${chain ?? '*'}`);
}
