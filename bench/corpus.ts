/**
 * A deterministic corpus of manifests for the lint benchmarks: SmartLimiters of every
 * strategy, EnvoyPlugins, hand-written EnvoyFilters and WasmPlugins, and their Services,
 * spread over namespaces the way a real repository of many teams looks.
 */
import { toYaml } from '../operator/src/yaml/emit.js';

export function corpus(documents: number, opts: { istioOnly?: boolean } = {}): string[] {
  const docs: string[] = [];
  for (let i = 0; docs.length < documents; i++) {
    // istioOnly: only Istio's kinds (hand-written EnvoyFilters and WasmPlugins) beside the Services,
    // for comparing with tools that know nothing of meshwarden's kinds on equal terms.
    if (opts.istioOnly && i % 6 !== 3 && i % 6 !== 4) continue;
    const ns = `team-${i % 40}`;
    const app = `svc-${i}`;
    docs.push(toYaml({ apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: ns }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }));
    switch (i % 6) {
      case 0:
        docs.push(
          toYaml({
            apiVersion: 'meshwarden.io/v1alpha1',
            kind: 'SmartLimiter',
            metadata: { name: app, namespace: ns },
            spec: { target: { service: app }, limits: [{ name: 'per-pod', rate: { requests: 100, per: '1m' }, burst: 10 }] },
          }),
        );
        break;
      case 1:
        docs.push(
          toYaml({
            apiVersion: 'meshwarden.io/v1alpha1',
            kind: 'SmartLimiter',
            metadata: { name: app, namespace: ns },
            spec: {
              target: { service: app },
              limits: [
                { name: 'writes', match: { path: { prefix: '/api' }, methods: ['POST', 'PUT'], headers: [{ name: 'x-tier', exact: 'free' }] }, rate: { requests: 5, per: '1s' } },
                { name: 'per-user', distinctBy: { header: 'x-user' }, rate: { requests: 50, per: '1m' }, mode: 'shadow' },
              ],
            },
          }),
        );
        break;
      case 2:
        docs.push(
          toYaml({
            apiVersion: 'meshwarden.io/v1alpha1',
            kind: 'EnvoyPlugin',
            metadata: { name: app, namespace: ns },
            spec: {
              target: { service: app },
              plugins: [
                { name: 'stamp', lua: { code: 'function envoy_on_request(h)\n  h:headers():add("x-stamp", "1")\nend\n' } },
                { name: 'cors', native: { type: 'envoy.extensions.filters.http.cors.v3.Cors' } },
              ],
            },
          }),
        );
        break;
      case 3:
        docs.push(
          toYaml({
            apiVersion: 'networking.istio.io/v1alpha3',
            kind: 'EnvoyFilter',
            metadata: { name: `${app}-lrl`, namespace: ns },
            spec: {
              workloadSelector: { labels: { app } },
              priority: 10,
              configPatches: [
                {
                  applyTo: 'HTTP_FILTER',
                  match: {
                    context: 'SIDECAR_INBOUND',
                    listener: { portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
                  },
                  patch: {
                    operation: 'INSERT_BEFORE',
                    value: {
                      name: 'envoy.filters.http.local_ratelimit',
                      typed_config: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
                        stat_prefix: 'http_local_rate_limiter',
                        token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '1s' },
                        filter_enabled: { runtime_key: 'e', default_value: { numerator: 100, denominator: 'HUNDRED' } },
                        filter_enforced: { runtime_key: 'f', default_value: { numerator: 100, denominator: 'HUNDRED' } },
                      },
                    },
                  },
                },
              ],
            },
          }),
        );
        break;
      case 4:
        docs.push(
          toYaml({
            apiVersion: 'extensions.istio.io/v1alpha1',
            kind: 'WasmPlugin',
            metadata: { name: `${app}-wasm`, namespace: ns },
            spec: { selector: { matchLabels: { app } }, url: `oci://registry.example.com/plugins/${app}:1.0.${i}`, phase: 'STATS', failStrategy: 'FAIL_OPEN' },
          }),
        );
        break;
      default:
        docs.push(
          toYaml({
            apiVersion: 'meshwarden.io/v1alpha1',
            kind: 'SmartLimiter',
            metadata: { name: app, namespace: ns },
            spec: { target: { service: app }, limits: [{ name: 'avg', strategy: 'average', rate: { requests: 1000, per: '1m' } }] },
          }),
        );
    }
  }
  return docs.slice(0, documents);
}
