/**
 * The versions at which behaviour meshwarden models changes, named, each with its source. Rules
 * test them with `since(version, BOUNDARY)` / `until(...)` (table.ts), which compare by the
 * version table's order: a boundary stays right when a newer row is added, where equality to
 * a literal ("=== the newest") would silently go wrong. A boundary must be a row of the table.
 */
import type { EnvoyMinor, IstioMinor } from './table.js';

/** Envoy releases from which the semantic layer (MW3xx) judges a config differently. */
export const ENVOY_BOUNDARIES = {
  /**
   * A token bucket with `max_tokens: 0` (always empty) is accepted, and its `fill_interval` is
   * no longer held to the 50 ms minimum (tested: 1.36.2 rejects, 1.39.3 accepts; 1.37/1.38
   * untested, treated like 1.36).
   */
  emptyTokenBucket: '1.39',
  /** The global rate limit filter accepts `limit` in its own `rate_limits` (tested: 1.36.2 rejects, 1.39.3 accepts). */
  globalFilterRateLimitLimit: '1.39',
  /**
   * `safe_regex` may be compiled in RE2's Latin-1 mode (bytes, not code points): the CVE-2026-73552
   * fix was backported to the 1.38.4 and 1.39.1 security releases, so from this minor the charset
   * depends on the patch (tested: 1.38.3 and 1.39.0 UTF-8, 1.39.1 and 1.39.3 Latin-1; changelogs/1.38.4.yaml).
   * ADR 0111.
   */
  re2Latin1Patches: '1.38',
  /**
   * Every patch compiles `safe_regex` in RE2's Latin-1 mode (runtime guard
   * `envoy.reloadable_features.re2_use_latin1_mode`, default true; tested 1.40.0, and 1.40.0 with
   * the guard false behaves like 1.39.0). Source: changelogs/1.40.0.yaml `safe_regex`. ADR 0111.
   */
  re2Latin1: '1.40',
  /**
   * `LocalRateLimitDescriptor.shadow_mode` exists (field 3; absent at go-control-plane envoy/v1.37.0,
   * present at v1.38.0: docs/envoy-semantics.md §1; tested: 1.36.2 refuses, 1.38.3 accepts). Before it
   * the proto layer reports the field (MW201).
   */
  localRateLimitShadowDescriptor: '1.38',
  /**
   * An exhausted `shadow_mode` local_ratelimit descriptor no longer short-circuits: the enforced
   * descriptors and the default bucket after it are still consumed (changelogs/1.40.0.yaml
   * behavior_changes `local_ratelimit`, guard `envoy.reloadable_features.local_ratelimit_shadow_mode_no_short_circuit`;
   * tested with traffic: 1.39.3 lets every request through, 1.40.0 limits). ADR 0111.
   */
  localRateLimitShadowNoShortCircuit: '1.40',
  /**
   * The Lua stream handle has `base64Decode()` and `requestHeaders()` (changelogs/1.40.0.yaml
   * new_features `lua`; tested with traffic: 1.39.3 raises "attempt to call method", 1.40.0 runs them). ADR 0111.
   */
  luaStreamHandleBase64DecodeRequestHeaders: '1.40',
  /**
   * `enable_retry_after_header` on the local and global rate limit filters (changelogs/1.40.0.yaml
   * new_features `ratelimit`; field 19 of both; tested: 1.39.3 rejects the field, 1.40.0 adds `Retry-After`). ADR 0111.
   */
  retryAfterHeader: '1.40',
} as const satisfies Record<string, EnvoyMinor>;

/**
 * Istio releases from which istiod reads an EnvoyFilter differently (the patch layer, MW4xx:
 * validate/istio/versions.ts `featuresFor`). Changes older than the table's oldest row hold for
 * every row and are not boundaries (versions.ts says which).
 */
export const ISTIO_BOUNDARIES = {
  /**
   * Every WasmPlugin is served as a synthetic TrafficExtension: its filter is named
   * `extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin` instead of
   * `extensions.istio.io/wasmplugin/<ns>.<name>` (release-1.30 pilot/pkg/config/kube/extensions/translate.go
   * `syntheticMarker`, pilot/pkg/model/extensions.go `TrafficExtensionResourceNamePrefix`;
   * release-1.29 `WasmPluginResourceNamePrefix`). ADR 0112.
   */
  trafficExtensionFilterNames: '1.30',
  /** The `MERGE_AND_REPLACE_LIST` operation (istio/istio#60498, release-1.31 `envoyfilter/util.go`). */
  mergeAndReplaceList: '1.31',
  /** A proxyVersion match longer than 1024 characters never matches (istio/istio#61301, release-1.31 `pilot/pkg/model/envoyfilter.go`). */
  proxyVersionMaxLen: '1.31',
  /**
   * The EnvoyFilter match `listener.filterChain.transportSocket` (istio.io/api v1.32.0
   * networking/v1alpha3/envoy_filter.proto field 7, releasenotes/notes/envoyfilter-transport-socket-match.yaml).
   * Older CRDs prune it and older istiods ignore it. ADR 0112.
   */
  filterChainTransportSocket: '1.32',
} as const satisfies Record<string, IstioMinor>;

/**
 * Istio changes also shipped in a patch release of an older minor (security backports): from that
 * patch on, the older minor behaves as the boundary says. A version named by its minor alone
 * (`1.30`, read as `1.30.0`) does not have them.
 */
export const ISTIO_BACKPORTS: { readonly [K in keyof typeof ISTIO_BOUNDARIES]?: readonly string[] } = {
  /**
   * Istio 1.30.4 (ISTIO-SECURITY-2026-006, "Other Istio security fixes": proxyVersion match expressions are
   * limited to 1024 characters; https://istio.io/latest/news/releases/1.30.x/announcing-1.30.4/).
   */
  proxyVersionMaxLen: ['1.30.4'],
};
