/** Objects and AdmissionReviews shared by the webhook's unit tests, fuzz test, e2e tests and bench. */
const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const hcmRouter = { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } };

export function localRateLimitPatch(i: number, overrides: Record<string, unknown> = {}) {
  return {
    applyTo: 'HTTP_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: hcmRouter } },
    patch: {
      operation: 'INSERT_BEFORE',
      value: {
        name: `example.ratelimit.${i}`,
        typed_config: {
          '@type': LRL,
          stat_prefix: `rl_${i}`,
          token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '60s' },
          // Unset, both default to 0 %: the limiter would never run (MW304).
          filter_enabled: { runtime_key: `rl_${i}_enabled`, default_value: { numerator: 100, denominator: 'HUNDRED' } },
          filter_enforced: { runtime_key: `rl_${i}_enforced`, default_value: { numerator: 100, denominator: 'HUNDRED' } },
          ...overrides,
        },
      },
    },
  };
}

export function envoyFilter(name: string, namespace: string, patches: unknown[]) {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name, namespace },
    // priority: istiod orders relative patches by it (MW128 warns when it is unset).
    spec: { workloadSelector: { labels: { app: 'reviews' } }, priority: 10, configPatches: patches },
  };
}

/** A valid EnvoyFilter of `n` LocalRateLimit patches (the bench's 20-patch object). */
export const goodEnvoyFilter = (n = 1, name = 'ratelimit', namespace = 'shop') =>
  envoyFilter(
    name,
    namespace,
    Array.from({ length: n }, (_, i) => localRateLimitPatch(i)),
  );

/** A misspelled field and an empty stat_prefix: MW2xx errors. */
export const badEnvoyFilter = (name = 'broken', namespace = 'shop') =>
  envoyFilter(name, namespace, [localRateLimitPatch(0, { stat_prefix: '', token_bucket: { max_tokens: 10, fill_intervall: '60s' } })]);

/** Valid, with a warning: a Lua filter that defines no handler (MW503). */
export const warnEnvoyFilter = (name = 'lua-noop', namespace = 'shop') =>
  envoyFilter(name, namespace, [
    {
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 8080, filterChain: hcmRouter } },
      patch: {
        operation: 'INSERT_BEFORE',
        value: { name: 'example.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'local x = 1' } } },
      },
    },
  ]);

export const goodSmartLimiter = (name = 'reviews', namespace = 'shop') => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name, namespace },
  spec: {
    target: { workloadSelector: { matchLabels: { app: 'reviews' } } },
    limits: [{ name: 'per-pod', port: 9080, rate: { requests: 100, per: '1m' }, burst: 20 }],
  },
});

/** `rate.requests: 0` (MW103) and a misspelled field (MW101). */
export const badSmartLimiter = (name = 'broken', namespace = 'shop') => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name, namespace },
  spec: {
    target: { workloadSelector: { matchLabels: { app: 'reviews' } } },
    limits: [{ name: 'per-pod', port: 9080, rate: { requests: 0, per: '1m' }, stratgy: 'perPod' }],
  },
});

/** Targets a Service the webhook cannot see: MW601, a warning at admission. */
export const serviceSmartLimiter = (name = 'by-service', namespace = 'shop') => ({
  apiVersion: 'meshwarden.io/v1alpha1',
  kind: 'SmartLimiter',
  metadata: { name, namespace },
  spec: { target: { service: 'reviews' }, limits: [{ name: 'per-pod', port: 9080, rate: { requests: 100, per: '1m' } }] },
});

const groups: Record<string, [string, string]> = {
  SmartLimiter: ['meshwarden.io', 'v1alpha1'],
  EnvoyPlugin: ['meshwarden.io', 'v1alpha1'],
  EnvoyFilter: ['networking.istio.io', 'v1alpha3'],
  WasmPlugin: ['extensions.istio.io', 'v1alpha1'],
};

/** An AdmissionReview v1 request as the API server sends it. */
export function admissionReview(object: { kind: string; metadata: { name?: string; namespace?: string } }, opts: { uid?: string; operation?: string; dryRun?: boolean } = {}) {
  const kind = typeof object?.kind === 'string' ? object.kind : 'SmartLimiter';
  const [group, version] = groups[kind] ?? ['example.com', 'v1'];
  const meta = (typeof object?.metadata === 'object' && object.metadata !== null ? object.metadata : {}) as { name?: unknown; namespace?: unknown };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group, version, kind },
      resource: { group, version, resource: `${kind.toLowerCase()}s` },
      requestKind: { group, version, kind },
      name: meta.name,
      namespace: meta.namespace,
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'admin', groups: ['system:masters'] },
      object,
      oldObject: null,
      dryRun: opts.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
