/**
 * The rule catalogue: every MW rule as data, one entry per code, read by everything that needs
 * to know the rules (docs/adr/0113-rule-catalogue.md). The layers take their rules from here by
 * code (`rules.MW301.finding(…)`: an unknown code does not compile); `meshwarden rules`, SARIF
 * and docs/rules.md (`npm run generate`) list it; the webhook, `migrate`, status and the CLI read
 * their sets of codes from `tags` (rule.ts says what each tag means).
 *
 * Adding a rule: add its entry here (the next free code of its layer's range; a code is never
 * reused), report it from the layer with `rules.MWnnn.finding(path, message, hint?)`, add its
 * fixtures under operator/test/rules/, and run `npm run generate` for docs/rules.md.
 * operator/src/validate/catalogue.test.ts fails on a code used in operator/src but missing
 * here, and on an entry nothing reports.
 */
import type { Severity } from '../diagnostics.js';
import type { Finding, Rule, RuleDoc, RuleEntry, RuleTag } from './rule.js';

const entries = {
  // ------------------------------------------------------------ MW1xx: schema (meshwarden CRDs, object identity, input; Istio CRDs and istiod webhook)

  MW100: {
    layer: 'schema',
    severity: 'error',
    title: 'The document is not a Kubernetes object (apiVersion, kind and an object metadata are required)',
    hint: 'Give the document apiVersion, kind and a metadata object with at least a name.',
    sources: ['https://kubernetes.io/docs/concepts/overview/working-with-objects/#required-fields'],
  },
  MW101: {
    layer: 'schema',
    severity: 'error',
    title: 'Unknown field: the API has no field of this name (a typo is dropped silently by Kubernetes pruning)',
    hint: 'Remove the field or correct its spelling (see docs/reference.md for the fields of each kind).',
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md'],
    tags: ['locateAtKey'],
  },
  MW102: {
    layer: 'schema',
    severity: 'error',
    title: 'A required field is missing',
    hint: 'Add the missing field.',
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md'],
  },
  MW103: {
    layer: 'schema',
    severity: 'error',
    title: 'A value has the wrong type, format or range',
    hint: 'Give the field a value of the documented type, format and range.',
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md'],
  },
  MW104: {
    layer: 'schema',
    severity: 'error',
    title: 'A cross-field rule of the CRD (x-kubernetes-validations) is violated',
    hint: "Change the fields so the CRD's rule holds (the message quotes it).",
    sources: ['https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules'],
  },
  MW105: {
    layer: 'schema',
    severity: 'error',
    title: 'The object exceeds an input limit of the validator (size, string length, list length, nesting, Lua scripts) and is not validated; the admission webhook refuses it too',
    hint: "Split the object or shorten the offending value so it fits the validator's input limits.",
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/adr/0104-clean-failures-and-bounded-input.md'],
  },
  MW106: {
    layer: 'schema',
    severity: 'error',
    title: 'Unknown apiVersion or kind of the meshwarden.io API group (or one of its kinds under another group): the API server serves no such resource',
    hint: 'Use an apiVersion and kind the meshwarden.io group serves (meshwarden.io/v1alpha1 SmartLimiter or EnvoyPlugin).',
    sources: ['https://kubernetes.io/docs/reference/using-api/#api-groups'],
  },
  MW107: {
    layer: 'schema',
    severity: 'error',
    title: 'Object metadata the API server rejects: name or generateName not a DNS subdomain, namespace not a DNS label, invalid label or annotation keys or values',
    hint: 'Use a lowercase DNS-subdomain name, a DNS-label namespace and valid label and annotation keys and values.',
    sources: ['https://kubernetes.io/docs/concepts/overview/working-with-objects/names/'],
  },
  MW108: {
    layer: 'schema',
    severity: 'error',
    title:
      "Input that cannot be read: a document that is not valid YAML or exceeds the reader's bounds (nesting, alias expansion), a duplicate key, or a file that cannot be opened. The rest of the input is still checked; the exit code is 2",
    hint: 'Fix the YAML at the reported position, or check the path and its permissions.',
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/adr/0109-lint-isolates-objects-and-documents.md'],
  },
  MW110: {
    layer: 'schema',
    severity: 'error',
    title: "Field unknown to the target Istio minor's CRD: the API server prunes it silently (a newer match field then widens the match)",
    hint: 'Remove the field, or pin the object to an Istio revision whose CRD has it.',
    sources: [
      'https://github.com/istio/istio/blob/master/manifests/charts/base/files/crd-all.gen.yaml',
      'https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning',
    ],
    failureModes: [11, 29],
  },
  MW111: {
    layer: 'schema',
    severity: 'error',
    title: 'Required field missing in the Istio CRD schema',
    hint: 'Add the field the Istio CRD requires.',
    sources: ['https://github.com/istio/istio/blob/master/manifests/charts/base/files/crd-all.gen.yaml'],
    tags: ['istiodRejects', 'istioShape'],
  },
  MW112: {
    layer: 'schema',
    severity: 'error',
    title: 'Value has the wrong type, enum value, format, pattern or size for the Istio CRD schema (or two of listener/routeConfiguration/cluster match)',
    hint: 'Give the field a value of the type, enum, format and size the Istio CRD allows.',
    sources: ['https://github.com/istio/istio/blob/master/manifests/charts/base/files/crd-all.gen.yaml'],
    tags: ['istiodRejects', 'istioShape'],
  },
  MW113: {
    layer: 'schema',
    severity: 'error',
    title: 'CEL rule of the Istio CRD (x-kubernetes-validations) violated: selector and targetRefs together, cross-namespace targetRef, wildcard label, url scheme',
    hint: "Change the object so the Istio CRD's rule holds (the message quotes it).",
    sources: ['https://github.com/istio/istio/blob/master/manifests/charts/base/files/crd-all.gen.yaml'],
    failureModes: [29],
    tags: ['istiodRejects'],
  },
  MW119: {
    layer: 'schema',
    severity: 'warning',
    title: 'Istio CRD schema of a target minor is not available locally (run scripts/fetch-istio-crds.sh)',
    hint: 'Run scripts/fetch-istio-crds.sh so the CRD schema of every target minor is checked.',
    sources: ['https://github.com/istio/api/blob/master/kubernetes/customresourcedefinitions.gen.yaml (fetched by scripts/fetch-istio-crds.sh)'],
  },
  MW120: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter config patch is null or has no applyTo: istiod rejects the object',
    hint: 'Give every config patch an applyTo.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    tags: ['istiodRejects'],
  },
  MW121: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter config patch has no patch or no patch.operation: istiod rejects the object',
    hint: 'Give every config patch a patch with an operation.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    tags: ['istiodRejects'],
  },
  MW122: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter patch without value for an operation other than REMOVE: istiod rejects the object',
    hint: 'Give the patch a value, or use operation REMOVE.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    tags: ['istiodRejects'],
  },
  MW123: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter applyTo and match kind disagree (e.g. HTTP_FILTER with a routeConfiguration match): istiod rejects the object',
    hint: 'Use the match kind that belongs to the applyTo (listener for LISTENER..HTTP_FILTER, routeConfiguration for ROUTE_CONFIGURATION..HTTP_ROUTE, cluster for CLUSTER).',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    tags: ['istiodRejects'],
  },
  MW124: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter filter or subFilter match without a name: istiod rejects the object',
    hint: 'Name the filter (and subFilter) the patch is anchored on.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    failureModes: [30],
    tags: ['istiodRejects'],
  },
  MW125: {
    layer: 'schema',
    severity: 'error',
    title: 'EnvoyFilter subFilter match with applyTo other than HTTP_FILTER, or under a filter other than the HTTP connection manager: istiod rejects the object',
    hint: 'Use subFilter only with applyTo HTTP_FILTER under envoy.filters.network.http_connection_manager.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    failureModes: [30],
    tags: ['istiodRejects'],
  },
  MW126: {
    layer: 'schema',
    severity: 'warning',
    title: 'EnvoyFilter filter match on applyTo LISTENER/FILTER_CHAIN has no effect (istiod webhook warning; same finding as MW423 of the patch layer)',
    hint: 'Remove the filter match, or patch at NETWORK_FILTER/HTTP_FILTER where it applies.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    failureModes: [30],
    duplicateOf: 'MW423',
  },
  MW127: {
    layer: 'schema',
    severity: 'warning',
    title:
      'EnvoyFilter operation istiod does not implement for this applyTo (REPLACE outside HTTP_FILTER/NETWORK_FILTER/VIRTUAL_HOST/LISTENER_FILTER, ADD/REMOVE/INSERT on ROUTE_CONFIGURATION): ignored. IST0152 wrongly flags LISTENER_FILTER',
    hint: 'Use an operation istiod implements for this applyTo (see the EnvoyFilter reference).',
    sources: [
      'https://github.com/istio/istio/blob/master/pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go',
      'https://github.com/istio/istio/blob/master/pilot/pkg/networking/core/envoyfilter/',
    ],
    failureModes: [4],
    duplicateOf: 'MW420',
  },
  MW128: {
    layer: 'schema',
    severity: 'warning',
    title: 'EnvoyFilter with relative operations (REMOVE, REPLACE, INSERT_BEFORE, INSERT_AFTER) and no priority: order among EnvoyFilters falls back to creation time (IST0151)',
    hint: 'Set spec.priority so the order among EnvoyFilters does not depend on creation time.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go', 'https://github.com/istio/istio/blob/master/pilot/pkg/model/push_context.go'],
    failureModes: [31],
  },
  MW129: {
    layer: 'schema',
    severity: 'warning',
    title: 'EnvoyFilter patch.filterClass is ignored by istiod: ADD still appends after the router (same finding as MW421 of the patch layer)',
    hint: 'Remove filterClass and place the filter with INSERT_BEFORE/INSERT_AFTER on a named subFilter.',
    sources: ['https://github.com/istio/api/blob/master/networking/v1alpha3/envoy_filter.proto', 'istio/api#2253'],
    failureModes: [1],
    duplicateOf: 'MW421',
  },
  MW130: {
    layer: 'schema',
    severity: 'warning',
    title: 'EnvoyFilter/WasmPlugin with an empty (or without a) workload selector outside the root namespace: applies to every workload of the namespace',
    hint: 'Set a workload selector with the labels of the target pods, unless the object is meant for the whole namespace.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go (ValidateAlphaWorkloadSelector: "will be applied to all services in namespace")'],
    failureModes: [28, 29],
  },
  MW131: {
    layer: 'schema',
    severity: 'warning',
    title: 'EnvoyFilter/WasmPlugin in the root namespace without selector or targetRefs: applies to every sidecar and gateway of the mesh',
    hint: 'Add a selector or targetRefs, or move the object to the namespace of the workloads it is meant for.',
    sources: ['https://github.com/istio/api/blob/master/networking/v1alpha3/envoy_filter.proto (NOTE 3)', 'istio/istio#23401'],
    failureModes: [28],
  },
  MW132: {
    layer: 'schema',
    severity: 'info',
    title: 'EnvoyFilter targetRefs read by an istiod that ignores it (< 1.22: namespace-wide) or over-matches (1.26: every gateway of the namespace)',
    hint: 'Pin the object to an Istio revision that honours targetRefs as intended, or use a workload selector.',
    sources: ['https://github.com/istio/api/blob/master/networking/v1alpha3/envoy_filter.proto (targetRefs NOTE)', 'istio/istio#56417'],
    failureModes: [29],
    versions: { istio: ['targetRefs'] },
  },
  MW133: {
    layer: 'schema',
    severity: 'error',
    title:
      'targetRef to a kind Istio does not attach to (only Gateway/GatewayClass of gateway.networking.k8s.io, Service, ServiceEntry): WasmPlugin rejected by the webhook, EnvoyFilter matches nothing',
    hint: 'Target a Gateway, GatewayClass, Service or ServiceEntry, or use a workload selector.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go (validatePolicyTargetReference)'],
    failureModes: [29],
    tags: ['istiodRejects'],
  },
  MW134: {
    layer: 'schema',
    severity: 'error',
    title: 'Integer out of range for the proto field istiod decodes it into (e.g. priority beyond int32): the API server stores it, istiod rejects or cannot read the object',
    hint: 'Use a value within the range of the proto field (int32 for priority).',
    sources: ['https://github.com/istio/api/blob/master/networking/v1alpha3/envoy_filter.proto', 'https://protobuf.dev/programming-guides/json/'],
    tags: ['istiodRejects'],
  },

  // ------------------------------------------------------------ MW2xx: strict Envoy proto decode and protoc-gen-validate

  MW201: {
    layer: 'proto',
    severity: 'error',
    title: 'Unknown field in Envoy config: istiod drops it silently, so a typo or removed field never takes effect',
    hint: 'Remove the field or correct its name for the target Envoy version.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/xds/xds.go'],
    failureModes: [10, 11],
  },
  MW202: {
    layer: 'proto',
    severity: 'error',
    title: 'Missing, malformed, unknown or v2 `@type` type URL in a typed config',
    hint: 'Set `@type` to the v3 type URL of the extension (type.googleapis.com/envoy.…v3.…).',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go'],
    failureModes: [10],
  },
  MW203: {
    layer: 'proto',
    severity: 'error',
    title: 'Typed config of the wrong extension category for where it is used (e.g. a network filter as a listener filter)',
    hint: 'Use an extension of the category this position takes (HTTP filter, network filter, listener filter …).',
    sources: ['https://github.com/envoyproxy/envoy/issues/34631'],
    failureModes: [6],
  },
  MW204: {
    layer: 'proto',
    severity: 'error',
    title: 'Value has the wrong JSON type for its proto field (or an unknown enum value, or a malformed Duration)',
    hint: 'Give the field a value of its proto JSON type (a known enum name, a Duration such as "1s").',
    sources: ['https://protobuf.dev/programming-guides/json/'],
    failureModes: [11],
  },
  MW205: {
    layer: 'proto',
    severity: 'error',
    title: 'Two members of the same proto oneof are set',
    hint: 'Set only one member of the oneof.',
    sources: ['https://protobuf.dev/programming-guides/proto3/#oneof'],
  },
  MW206: {
    layer: 'proto',
    severity: 'error',
    title: 'protoc-gen-validate constraint of the Envoy API violated: Envoy NACKs with "Proto constraint validation failed"',
    hint: 'Change the value so it meets the constraint the message names.',
    sources: ['https://github.com/bufbuild/protoc-gen-validate/blob/main/validate/validate.proto'],
    failureModes: [5, 8, 13, 25],
  },
  MW207: {
    layer: 'proto',
    severity: 'warning',
    title: 'TypedStruct wraps a typed config: istiod never checks its contents, errors surface only as Envoy NACKs',
    hint: 'Put the config under typed_config with its real `@type` instead of a TypedStruct, so it is checked.',
    sources: ['https://github.com/cncf/xds/blob/main/udpa/type/v1/typed_struct.proto'],
    failureModes: [12],
  },
  MW208: {
    layer: 'proto',
    severity: 'warning',
    title: 'Deprecated field or enum value of the Envoy API is set',
    hint: 'Use the replacement the Envoy API names for the deprecated field.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/configuration/operations/runtime#deprecated'],
    failureModes: [10],
  },
  MW209: {
    layer: 'proto',
    severity: 'error',
    title: 'Envoy proto descriptor set for the target version is not built: run `npm run setup` (scripts/build-protosets.sh)',
    hint: 'Build the descriptor sets with scripts/build-protosets.sh (npm run setup).',
    sources: ['https://github.com/envoyproxy/go-control-plane/tree/main/envoy'],
  },
  MW210: {
    layer: 'proto',
    severity: 'info',
    title: 'Type outside the upstream Envoy API (istio-proxy or contrib extension): contents not checked',
    hint: 'Check this config against the documentation of its extension: meshwarden cannot.',
    sources: ['https://github.com/istio/proxy/blob/master/bazel/extension_config/extensions_build_config.bzl'],
    failureModes: [7],
  },
  MW211: {
    layer: 'proto',
    severity: 'error',
    title: 'MERGE into a filter with a typed_config of a different `@type` than the filter it patches',
    hint: 'MERGE a typed_config of the same `@type` as the filter it patches, or REPLACE the filter.',
    sources: ['https://github.com/istio/istio/blob/1.24.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go'],
    failureModes: [32],
  },

  // ------------------------------------------------------------ MW3xx: Envoy semantics

  MW301: {
    layer: 'semantic',
    severity: 'error',
    title: 'local_ratelimit token bucket fill_interval below 50ms (filter or descriptor bucket): config-load error, LDS/RDS NACK [tested]',
    hint: 'Set fill_interval to 50ms or more.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc'],
    failureModes: [15],
    versions: { envoy: ['emptyTokenBucket'] },
  },
  MW302: {
    layer: 'semantic',
    severity: 'error',
    title: 'local_ratelimit descriptor listed twice (same entries in the same order): "duplicate descriptor", NACK [tested]',
    hint: 'Remove the duplicate descriptor or change its entries.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc'],
    failureModes: [15],
  },
  MW303: {
    layer: 'semantic',
    severity: 'error',
    title: 'Per-route LocalRateLimit without token_bucket: "token bucket must be set for per filter configs", NACK [tested]',
    hint: 'Give the per-route LocalRateLimit a token_bucket.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc'],
    failureModes: [16],
    duplicateOf: 'MW418',
  },
  MW304: {
    layer: 'semantic',
    severity: 'warning',
    title: 'local_ratelimit filter_enabled/filter_enforced unset or 0%: the limiter never runs or never enforces (both default to 0%)',
    hint: 'Set filter_enabled and filter_enforced (runtime_key and default_value 100%).',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto'],
    failureModes: [14],
  },
  MW305: {
    layer: 'semantic',
    severity: 'error',
    title: "local_cluster_rate_limit set: Istio's bootstrap has no local_cluster_name, so Envoy rejects the config [tested]",
    hint: 'Remove local_cluster_rate_limit: Istio proxies have no local cluster.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc'],
    failureModes: [17],
  },
  MW306: {
    layer: 'semantic',
    severity: 'warning',
    title: 'local_ratelimit rate_limits without descriptors: descriptors are only computed when descriptors is non-empty, so rate_limits never apply',
    hint: 'Add descriptors the rate_limits entries generate, or remove rate_limits.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc'],
    failureModes: [14],
  },
  MW307: {
    layer: 'semantic',
    severity: 'warning',
    title: 'local_ratelimit descriptor that no rate_limits entry can generate (keys, order or fixed values differ): its bucket never matches',
    hint: "Make the descriptor's entries match a rate_limits entry's actions (keys, order and fixed values).",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc (DynamicDescriptorMap::matchDescriptorEntries)'],
    failureModes: [14],
  },
  MW308: {
    layer: 'semantic',
    severity: 'error',
    title: 'Filter-level rate_limits entry uses stage, disable_key, the dynamic_metadata action, or limit (local filter; global filter before 1.39): not supported there, NACK [tested]',
    hint: 'Remove the unsupported field or action from the filter-level rate_limits, or move the entry to the route.',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/source/common/router/router_ratelimit.cc',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
    ],
    versions: { envoy: ['globalFilterRateLimitLimit'] },
  },
  MW309: {
    layer: 'semantic',
    severity: 'warning',
    title: 'Wildcard (empty value) descriptor with local_rate_limit_per_downstream_connection: wildcards only work for instance-level limiting (Envoy accepts it [tested])',
    hint: 'Drop local_rate_limit_per_downstream_connection, or give the descriptor a value.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto'],
    failureModes: [14],
  },
  MW310: {
    layer: 'semantic',
    severity: 'warning',
    title: 'Wildcard descriptor without max_dynamic_descriptors: Envoy keeps 20 values, an evicted value comes back with a fresh full bucket',
    hint: 'Set max_dynamic_descriptors to the number of distinct values to keep.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto'],
    failureModes: [14],
  },
  MW311: {
    layer: 'semantic',
    severity: 'warning',
    title: 'Rate-limit status code below 400: Envoy replies 429 instead',
    hint: 'Use a status code of 400 or more (429 is usual).',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
    ],
  },
  MW312: {
    layer: 'semantic',
    severity: 'info',
    title: "local_ratelimit descriptors without the filter's own rate_limits: descriptors come from route/vhost rate_limits (Envoy warns this will be ignored in the future)",
    hint: "Add the filter's own rate_limits, so the descriptors do not depend on route rate_limits.",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc'],
  },
  MW313: {
    layer: 'semantic',
    severity: 'warning',
    title: "local_ratelimit descriptor with a fixed value for a request_headers ':path' entry: the value includes the query string, so /a?x=1 does not match /a [tested]",
    hint: "Match ':path' with a prefix or regex instead of a fixed value, or strip the query string first.",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/config/route/v3/route_components.proto (RequestHeaders)', 'docs/envoy-semantics.md §7'],
    failureModes: [14],
  },
  // Envoy 1.40 (issue 15, helper B, ADR 0111)
  MW314: {
    layer: 'semantic',
    severity: 'warning',
    title:
      'local_ratelimit shadow_mode descriptor next to enforced descriptors or the default bucket on Envoy < 1.40: once the shadow descriptor is exhausted, evaluation stops and the enforced limits are never consumed, so they never limit [tested]',
    hint: 'Put the shadow limit in a filter of its own (filter_enforced 0%), or target Envoy 1.40, where an exhausted shadow descriptor no longer short-circuits.',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/changelogs/1.40.0.yaml (behavior_changes, local_ratelimit; runtime guard envoy.reloadable_features.local_ratelimit_shadow_mode_no_short_circuit)',
      'https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc',
    ],
    failureModes: [14],
    versions: { envoy: ['localRateLimitShadowDescriptor', 'localRateLimitShadowNoShortCircuit'] },
  },
  MW315: {
    layer: 'semantic',
    severity: 'warning',
    title:
      'enable_retry_after_header that does nothing: the rate-limited status is not 429 (Envoy adds Retry-After only to 429 replies), or response_headers_to_add sets a fixed retry-after (Envoy keeps it) [tested]',
    hint: 'Remove the non-429 status or the fixed retry-after header, or drop enable_retry_after_header.',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/changelogs/1.40.0.yaml (new_features, ratelimit)',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
    ],
  },
  MW320: {
    layer: 'semantic',
    severity: 'warning',
    title: 'rate_limit_service.transport_api_version is not V3: V2 is a NACK [tested]; unset (AUTO) is accepted by Envoy 1.36/1.39 [tested] but was a NACK in older Envoy',
    hint: 'Set transport_api_version: V3.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/common/config/utility.cc (checkTransportVersion)', 'envoyproxy/envoy#36384'],
    failureModes: [19],
  },
  MW321: {
    layer: 'semantic',
    severity: 'info',
    title: 'ratelimit failure_mode_deny: true: an RLS outage or timeout turns every request into a 500',
    hint: 'Keep failure_mode_deny false unless an RLS outage must stop all traffic.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto'],
    failureModes: [20],
  },
  MW322: {
    layer: 'semantic',
    severity: 'info',
    title: 'ratelimit timeout unset: RLS calls time out after 20ms and then fail open (or 500 with failure_mode_deny)',
    hint: 'Set timeout to what the rate limit service needs (e.g. 100ms).',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto'],
    failureModes: [20],
  },
  MW323: {
    layer: 'semantic',
    severity: 'warning',
    title: 'request_headers/query_parameters/metadata action without skip_if_absent: a request lacking it produces no descriptor and is never limited by this entry',
    hint: 'Set skip_if_absent: true, or make sure every request carries the value.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/config/route/v3/route_components.proto'],
    failureModes: [21],
  },
  MW324: {
    layer: 'semantic',
    severity: 'warning',
    title:
      'Rate limit HTTP filter added without its own rate_limits while the EnvoyFilter sets no route/vhost rate_limits: no descriptor is ever generated, the filter never limits (Istio routes carry none)',
    hint: 'Give the filter its own rate_limits, or add route/vhost rate_limits in the same EnvoyFilter.',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
      'https://github.com/envoyproxy/envoy/blob/main/api/envoy/config/route/v3/route_components.proto',
    ],
    failureModes: [14, 21],
  },
  MW330: {
    layer: 'semantic',
    severity: 'error',
    title: 'Lua filter sets both inline_code and default_source_code: "Only one of `inline_code` or `default_source_code` can be set", NACK [tested]',
    hint: 'Keep only one of inline_code and default_source_code.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/lua/lua_filter.cc'],
    failureModes: [25],
  },
  MW331: {
    layer: 'semantic',
    severity: 'error',
    title: "LuaPerRoute name not in the Lua filter's source_codes: Envoy accepts it [tested] but that route runs no script",
    hint: "Name a source in the Lua filter's source_codes.",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/lua/lua_filter.cc'],
    failureModes: [25],
  },
  MW340: {
    layer: 'semantic',
    severity: 'error',
    title: 'FilterConfig wrapper with neither config nor disabled: true: "Empty route/virtual host per filter configuration", NACK [tested]',
    hint: 'Give the FilterConfig a config, or set disabled: true.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/common/router/per_filter_config.cc'],
  },
  MW350: {
    layer: 'semantic',
    severity: 'error',
    title:
      'HTTP connection manager with codec_type HTTP3 on a listener without udp_listener_config.quic_options (e.g. MERGEd into a TCP listener\'s HCM): "HTTP/3 codec configured on non-QUIC listener.", LDS NACK [tested]',
    hint: 'Use codec_type AUTO or HTTP2 on a TCP listener; HTTP3 only on a QUIC listener.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/network/http_connection_manager/config.cc'],
  },
  MW351: {
    layer: 'semantic',
    severity: 'error',
    title: 'HTTP connection manager with a codec other than HTTP3 (AUTO, the default, included) on a QUIC listener: "Non-HTTP/3 codec configured on QUIC listener.", LDS NACK [tested]',
    hint: "Set codec_type HTTP3 on the QUIC listener's HTTP connection manager.",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/network/http_connection_manager/config.cc'],
  },

  // ------------------------------------------------------------ MW4xx: patches applied to the Istio baseline

  MW401: {
    layer: 'patch',
    severity: 'error',
    title: 'HTTP filter placed after the router: the terminal filter must be last (LDS NACK)',
    hint: 'Insert the filter before the router (INSERT_BEFORE with subFilter envoy.filters.http.router).',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchHTTPFilters: ADD/INSERT_AFTER append',
      'MERGE appends http_filters)',
      'envoyproxy/envoy#7779',
    ],
    failureModes: [1, 4],
  },
  MW402: {
    layer: 'patch',
    severity: 'error',
    title: 'Router removed or replaced: the HTTP filter chain no longer ends in a terminal filter (LDS NACK)',
    hint: 'Keep envoy.filters.http.router as the last HTTP filter.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/common/config/utility.h (validateTerminalFilters)'],
    failureModes: [2],
  },
  MW403: {
    layer: 'patch',
    severity: 'error',
    title: 'Terminal network filter (tcp_proxy, http_connection_manager, ...) is not the last filter of its chain (LDS NACK)',
    hint: 'Insert the network filter before the terminal filter (INSERT_BEFORE).',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchNetworkFilters)', 'istio/istio#50658'],
    failureModes: [3],
  },
  MW404: {
    layer: 'patch',
    severity: 'warning',
    title: 'The same HTTP filter name appears twice in one HTTP connection manager',
    hint: 'Give each filter instance its own name, or remove the duplicate.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (ADD/INSERT_* do not de-duplicate)',
      'https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/network/http_connection_manager/config.cc',
    ],
    failureModes: [1, 4],
  },
  MW405: {
    layer: 'patch',
    severity: 'error',
    title: 'HTTP connection manager without route_specifier (rds, route_config or scoped_routes) after patching',
    hint: "Keep the HTTP connection manager's rds, route_config or scoped_routes.",
    sources: ['https://github.com/istio/istio/issues/35456'],
    failureModes: [5],
  },
  MW406: {
    layer: 'patch',
    severity: 'error',
    title: 'Cluster without a name (CDS NACK: ClusterValidationError.Name)',
    hint: 'Give the cluster a name.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/cluster_patch.go (InsertedClusters)', 'istio/istio#37107'],
    failureModes: [8],
  },
  MW407: {
    layer: 'patch',
    severity: 'error',
    title: 'Duplicate cluster name: istiod silently drops one or Envoy rejects the CDS update',
    hint: 'Give each cluster a unique name.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/cluster_builder.go (normalizeClusters), https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/cluster.go',
    ],
    failureModes: [9],
  },
  MW408: {
    layer: 'patch',
    severity: 'error',
    title: 'Duplicate listener name or address (LDS NACK)',
    hint: 'Give each listener a unique name and address.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchListeners ADD)',
      'https://github.com/istio/istio/blob/1.28.0/pilot/test/xdstest/validate.go',
    ],
    failureModes: [9],
  },
  MW409: {
    layer: 'patch',
    severity: 'error',
    title: 'Two filter chains of one listener have the same filter_chain_match (LDS NACK: multiple filter chains with the same matching rules)',
    hint: 'Give each filter chain a distinct filter_chain_match.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchFilterChains ADD)', 'istio/istio#54614'],
    failureModes: [9],
  },
  MW410: {
    layer: 'patch',
    severity: 'error',
    title: 'Domain served by two virtual hosts of one route configuration, including a second "*" (RDS/LDS NACK)',
    hint: 'Serve each domain from one virtual host; patch the existing one instead of adding another.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go (patchVirtualHosts ADD)',
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/httproute.go (buildCatchAllVirtualHost)',
      'istio/istio#24455',
    ],
    failureModes: [22, 4],
  },
  MW411: {
    layer: 'patch',
    severity: 'warning',
    title: 'HTTP route placed after a catch-all route: it can never match',
    hint: 'Insert the route before the catch-all (INSERT_BEFORE, or INSERT_FIRST).',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go (patchHTTPRoutes: ADD appends)'],
    failureModes: [23],
  },
  MW412: {
    layer: 'patch',
    severity: 'warning',
    title: 'typed_per_filter_config names an HTTP filter that the HCM serving this route does not have (config never used)',
    hint: 'Name an HTTP filter the HCM of this route has, or add that filter.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/httproute.go', 'istio/community#1440', 'istio/istio#36112'],
    failureModes: [18],
  },
  MW413: {
    layer: 'patch',
    severity: 'warning',
    title: 'Patch matches nothing in the generated config: istiod silently skips it',
    hint: 'Correct the match (context, port, names) so it selects what istiod generates for the target versions.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go, https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go, https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/cluster_patch.go (unmatched patches only bump a metric)',
      'istio/istio.io#13169',
    ],
    failureModes: [30],
  },
  MW414: {
    layer: 'patch',
    severity: 'error',
    title: 'Match uses a deprecated filter name that istiod no longer matches (Istio >= 1.19)',
    hint: "Match the filter's current name (envoy.filters.http.router, envoy.filters.network.http_connection_manager …).",
    sources: ['https://github.com/istio/istio/blob/1.28.0/pkg/config/xds/deprecated.go', 'https://github.com/istio/istio/blob/1.19.0/releasenotes/notes/deprecated-envoy-filter.yaml'],
    failureModes: [30],
    versions: { istio: ['deprecatedNamesNoMatch'] },
  },
  MW415: {
    layer: 'patch',
    severity: 'warning',
    title: 'BOOTSTRAP patches are accepted but never applied (Istio >= 1.21)',
    hint: 'Configure the proxy through ProxyConfig or pod annotations instead of a BOOTSTRAP patch.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/ (no BOOTSTRAP patcher)'],
    versions: { istio: ['bootstrapIgnored'] },
  },
  MW416: {
    layer: 'patch',
    severity: 'error',
    title: 'EXTENSION_CONFIG supports only ADD; other operations are ignored',
    hint: 'Use operation ADD for EXTENSION_CONFIG.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go'],
    failureModes: [27],
  },
  MW417: {
    layer: 'patch',
    severity: 'warning',
    title: 'INSERT_* on an unordered type is turned into ADD by istiod (on CLUSTER this adds a new, usually nameless, cluster)',
    hint: 'Use ADD, and give an added cluster a name.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/model/envoyfilter.go (convertToEnvoyFilterWrapper)', 'istio/istio#37107'],
    failureModes: [8],
  },
  MW418: {
    layer: 'patch',
    severity: 'error',
    title: 'local_ratelimit per-route config without token_bucket (RDS NACK outbound, LDS NACK inbound)',
    hint: 'Give the per-route local_ratelimit a token_bucket.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/local_ratelimit/local_ratelimit.cc'],
    failureModes: [16],
  },
  MW419: {
    layer: 'patch',
    severity: 'error',
    title: 'MERGE with a different @type than the generated config: istiod panics while patching and drops the remaining patches',
    hint: 'MERGE a value of the same `@type` as the generated config, or REPLACE it.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (MergeAnyWithAny, HandleCrash)',
      'https://github.com/istio/istio/blob/1.28.0/pkg/proto/merge/merge.go ("descriptor mismatch")',
    ],
    failureModes: [32],
  },
  MW420: {
    layer: 'patch',
    severity: 'warning',
    title: 'Operation is not implemented by istiod for this applyTo (or this Istio version): the patch is ignored',
    hint: 'Use an operation istiod implements for this applyTo in every target Istio version.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go, https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go, https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/cluster_patch.go',
      'https://github.com/istio/istio/blob/release-1.31/releasenotes/notes/envoyfilter-merge-and-replace-list.yaml',
    ],
    failureModes: [4, 30],
    versions: { istio: ['mergeAndReplaceList', 'listenerFilterMerge'] },
  },
  MW421: {
    layer: 'patch',
    severity: 'warning',
    title: 'patch.filterClass is ignored by istiod: ADD still appends after the router',
    hint: 'Remove filterClass and place the filter with INSERT_BEFORE/INSERT_AFTER on a named subFilter.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (filterClass is never read)', 'istio/api#2253'],
    failureModes: [1],
  },
  MW422: {
    layer: 'patch',
    severity: 'warning',
    title: 'HTTP filter uses config_discovery for a config that no EXTENSION_CONFIG ADD provides',
    hint: 'Add an EXTENSION_CONFIG ADD with this name, or configure the filter inline.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go', 'istio/istio#38313'],
    failureModes: [27],
  },
  MW423: {
    layer: 'patch',
    severity: 'warning',
    title: 'Match field that istiod ignores for this applyTo/proxy: the patch applies more widely than written',
    hint: 'Remove the ignored match field, and narrow the match with fields istiod reads for this applyTo.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (listenerMatch, filterChainMatch), https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go (routeConfigurationMatch)',
      'https://github.com/istio/istio/blob/1.28.0/pkg/config/validation/envoyfilter/envoyfilter.go',
    ],
    failureModes: [28, 30],
  },
  MW424: {
    layer: 'patch',
    severity: 'warning',
    title: 'HTTP_FILTER INSERT_BEFORE without subFilter: inserted first, before istio.metadata_exchange',
    hint: 'Add a subFilter to insert before (usually envoy.filters.http.router), or use INSERT_FIRST deliberately.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchHTTPFilters: "insert before without a filter match is same as insert in the beginning")',
      'istio/istio#41066',
    ],
    failureModes: [30],
  },
  MW426: {
    layer: 'patch',
    severity: 'error',
    title:
      'EnvoyFilter match filterChain.transportSocket on Istio < 1.32: the API server refuses it (strict field validation) or prunes it, and istiod ignores it, so the patch applies to every filter chain',
    hint: 'Narrow the match with fields Istio < 1.32 reads (transportProtocol, applicationProtocols, name, destinationPort), or target only Istio 1.32+.',
    sources: [
      'https://github.com/istio/api/blob/1.32.0/networking/v1alpha3/envoy_filter.proto (FilterChainMatch.transport_socket, new in 1.32)',
      'https://github.com/istio/api/blob/1.32.0/releasenotes/notes/envoyfilter-transport-socket-match.yaml',
      'https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning',
    ],
    failureModes: [28, 30],
    versions: { istio: ['filterChainTransportSocket'] },
  },
  MW427: {
    layer: 'patch',
    severity: 'error',
    title:
      'Match anchored on a WasmPlugin filter name of the other release line: extensions.istio.io/wasmplugin/<ns>.<name> before Istio 1.30, extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin since; the patch never matches',
    hint: 'Anchor on the name the target Istio generates (a second patch restricted by match.proxy.proxyVersion for the other line).',
    sources: [
      'https://github.com/istio/istio/blob/release-1.30/pilot/pkg/config/kube/extensions/translate.go (syntheticMarker)',
      'https://github.com/istio/istio/blob/release-1.30/pilot/pkg/model/extensions.go (TrafficExtensionResourceNamePrefix)',
      'https://github.com/istio/istio/blob/release-1.29/pilot/pkg/model/extensions.go (WasmPluginResourceNamePrefix)',
    ],
    failureModes: [30],
    versions: { istio: ['trafficExtensionFilterNames'] },
  },
  // Real-world fidelity (issue 22, helper J, ADR 0120)
  MW428: {
    layer: 'patch',
    severity: 'warning',
    title: 'match.proxy.proxyVersion excludes every Istio version linted: istiod skips the patch for those proxies silently, so it does nothing on them',
    hint: 'Widen the proxyVersion regex to the ISTIO_VERSION of the proxies you run (or remove it), or lint with the --istio-version of the proxies the patch is kept for; delete it once they are gone.',
    sources: ['https://github.com/istio/istio/blob/1.28.0/pilot/pkg/model/envoyfilter.go (proxyMatch: a patch whose proxyVersion regex does not match ISTIO_VERSION is not applied)'],
    failureModes: [33],
  },
  MW429: {
    layer: 'patch',
    severity: 'warning',
    title:
      'SIDECAR_* context in an EnvoyFilter with targetRefs: targetRefs attach only to Gateway API gateways (GATEWAY patches) and waypoints (patched as SIDECAR_INBOUND, unsupported by Istio), so SIDECAR_OUTBOUND applies nowhere and SIDECAR_INBOUND at most to waypoints',
    hint: 'Select sidecars with spec.workloadSelector instead of targetRefs; use context: GATEWAY for a Gateway API gateway; extend a waypoint with a WasmPlugin/TrafficExtension.',
    sources: [
      'https://github.com/istio/istio/blob/release-1.31/pilot/pkg/networking/core/listener.go (waypoint listeners are inbound listeners: patchListeners applies SIDECAR_INBOUND and ANY)',
      'https://github.com/istio/istio/blob/release-1.31/pilot/pkg/networking/core/envoyfilter/listener_patch.go (patchContextMatch)',
      'https://github.com/istio/istio/blob/release-1.31/pilot/pkg/model/policyattachment.go (targetRefs attach to gateways and waypoints, not sidecars)',
      'https://istio.io/latest/docs/ambient/usage/l7-features/ (EnvoyFilter is not supported with waypoint proxies)',
    ],
    failureModes: [30],
  },
  MW425: {
    layer: 'patch',
    severity: 'warning',
    title:
      "Gateway VIRTUAL_HOST/HTTP_ROUTE matched by vhost.name: istiod merges the vhosts of a VirtualService's hosts into one named after the alphabetically first host, so the name depends on the other hosts (match domainName instead)",
    hint: 'Match routeConfiguration.vhost.domainName instead of vhost.name.',
    sources: [
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/gateway.go (collapseDuplicateRoutes, PILOT_ENABLE_ROUTE_COLLAPSE_OPTIMIZATION)',
      'https://github.com/istio/istio/blob/1.28.0/pilot/pkg/networking/core/envoyfilter/rc_patch.go (virtualHostMatch: domainName)',
    ],
    failureModes: [30],
  },

  // ------------------------------------------------------------ MW5xx: Lua, RE2 and Wasm

  MW501: {
    layer: 'syntax',
    severity: 'error',
    title: 'Lua script does not parse as LuaJIT (Lua 5.1 + LuaJIT extensions)',
    hint: 'Fix the Lua syntax at the reported line.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/lua/lua.cc'],
    failureModes: [24],
  },
  MW502: {
    layer: 'syntax',
    severity: 'error',
    title: "Lua script's top level raises an error when Envoy loads it (luaL_dostring → `script load error`, LDS NACK)",
    hint: "Fix the error the script's top level raises when loaded.",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/lua/lua.cc'],
    failureModes: [24],
  },
  MW503: {
    layer: 'syntax',
    severity: 'warning',
    title: 'Lua script defines neither envoy_on_request nor envoy_on_response: the filter is a silent no-op',
    hint: 'Define envoy_on_request or envoy_on_response (or both).',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/lua/lua_filter.cc'],
    failureModes: [25],
  },
  MW504: {
    layer: 'syntax',
    severity: 'warning',
    title: 'Lua script is empty',
    hint: 'Give the script a body, or remove the filter.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/api/envoy/extensions/filters/http/lua/v3/lua.proto'],
    failureModes: [25],
  },
  MW505: {
    layer: 'syntax',
    severity: 'warning',
    title: 'Lua top level could not be checked faithfully (Lua 5.3 emulator vs LuaJIT difference, or host access)',
    hint: 'Check the top level against LuaJIT by hand, or run `meshwarden validate --envoy`.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/lua/lua.cc'],
    failureModes: [24],
  },
  MW506: {
    layer: 'syntax',
    severity: 'error',
    title: "Lua top level exceeds the validator's load-time budget (instructions, wall clock or memory): it would block or exhaust Envoy's config load",
    hint: 'Move heavy work out of the top level into the handlers.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/common/lua/lua.cc'],
    failureModes: [24],
  },

  // Envoy 1.40 (issue 15, helper B, ADR 0111)
  MW507: {
    layer: 'syntax',
    severity: 'warning',
    title:
      'Lua script calls a stream-handle method added in Envoy 1.40 (base64Decode, requestHeaders) for an older Envoy: the call raises at request time and the rest of the handler is skipped [tested]',
    hint: 'Target Envoy 1.40 (Istio 1.32) only, or avoid the method (e.g. decode base64 in Lua, or save request headers in dynamic metadata for envoy_on_response).',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/changelogs/1.40.0.yaml (new_features, lua)',
      'https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/lua/lua_filter.cc',
    ],
    failureModes: [24],
    versions: { envoy: ['luaStreamHandleBase64DecodeRequestHeaders'] },
  },
  MW511: {
    layer: 'syntax',
    severity: 'error',
    title: 'Regex is not valid RE2 syntax (lookaround, backreferences, possessive/atomic groups, JS-only escapes)',
    hint: 'Rewrite the regex in RE2 syntax (no lookaround or backreferences).',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/common/common/regex.cc'],
  },
  MW512: {
    layer: 'syntax',
    severity: 'warning',
    title: 'Regex RE2 program size (estimated) exceeds re2.max_program_size.error_level',
    hint: 'Simplify the regex, or raise re2.max_program_size.error_level on purpose.',
    sources: ['https://github.com/envoyproxy/envoy/blob/main/source/common/common/regex.cc'],
  },
  MW513: {
    layer: 'syntax',
    severity: 'warning',
    title: 'proxyVersion regex matches more or fewer Istio versions than intended',
    hint: 'Anchor the proxyVersion regex (e.g. ^1\\.2[89].*) and check the versions it matches.',
    sources: ['https://github.com/istio/istio/blob/master/pilot/pkg/model/envoyfilter.go'],
    failureModes: [33],
  },

  // Envoy 1.40 (issue 15, helper B, ADR 0111)
  MW514: {
    layer: 'syntax',
    severity: 'warning',
    title:
      'safe_regex with non-ASCII characters or Unicode classes (\\p{..}) for an Envoy that compiles it in RE2 Latin-1 mode (every 1.40; the 1.38.4+/1.39.1+ security releases): it matches bytes, not characters [tested]',
    hint: 'Write the pattern in ASCII: a non-ASCII character as its UTF-8 bytes (\\xC3\\xA9 for é), an alternation instead of a class of non-ASCII characters, byte ranges instead of \\p{..}.',
    sources: [
      'https://github.com/envoyproxy/envoy/blob/main/changelogs/1.40.0.yaml (bug_fixes, safe_regex, CVE-2026-73552)',
      'https://github.com/envoyproxy/envoy/blob/main/source/common/common/regex.cc',
    ],
    versions: { envoy: ['re2Latin1Patches', 're2Latin1'] },
  },
  MW521: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin url is empty, malformed or uses a scheme other than oci, http, https, file',
    hint: 'Use an oci://, http(s):// or file:// url.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go'],
    failureModes: [34],
  },
  MW522: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin sha256 is not 64 lowercase hex characters (or contradicts the @sha256: digest in url)',
    hint: 'Give the sha256 as 64 lowercase hex characters matching the module.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go'],
    failureModes: [34],
  },
  MW523: {
    layer: 'syntax',
    severity: 'warning',
    title: 'WasmPlugin fetched over http(s) without sha256: module integrity is not verified',
    hint: "Set sha256 so the module's integrity is verified.",
    sources: ['https://github.com/istio/api/blob/master/extensions/v1alpha1/wasm.proto'],
    failureModes: [34],
  },
  MW524: {
    layer: 'syntax',
    severity: 'warning',
    title: 'WasmPlugin OCI image pulled on every change (`latest`/no tag → imagePullPolicy Always, or Always set)',
    hint: 'Pin the image by tag or digest and use imagePullPolicy IfNotPresent.',
    sources: ['https://github.com/istio/api/blob/master/extensions/v1alpha1/wasm.proto'],
    failureModes: [37],
  },
  MW525: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin imagePullPolicy, phase, failStrategy or type has a value Istio does not define',
    hint: 'Use a value Istio defines for the field.',
    sources: ['https://github.com/istio/api/blob/master/extensions/v1alpha1/wasm.proto'],
  },
  MW526: {
    layer: 'syntax',
    severity: 'info',
    title: 'WasmPlugin fails closed (FAIL_CLOSE, the default): every request fails while the module cannot load',
    hint: 'Set failStrategy FAIL_OPEN if requests may pass while the module cannot load.',
    sources: ['https://github.com/istio/api/blob/master/extensions/v1alpha1/wasm.proto'],
    failureModes: [34, 36],
  },
  MW527: {
    layer: 'syntax',
    severity: 'warning',
    title: 'Two WasmPlugins share a phase without distinct priorities: order falls back to name/namespace',
    hint: 'Give WasmPlugins of one phase distinct priorities.',
    sources: ['https://github.com/istio/api/blob/master/extensions/v1alpha1/wasm.proto'],
    failureModes: [37],
  },
  MW528: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin match[].ports out of range 1–65535 (inbound ports must be container ports)',
    hint: 'Use ports between 1 and 65535 (container ports for inbound).',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go'],
    failureModes: [37],
  },
  MW529: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin pluginName > 256 or imagePullSecret > 253 characters',
    hint: 'Shorten pluginName to 256 and imagePullSecret to 253 characters.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go'],
    failureModes: [36],
  },
  MW530: {
    layer: 'syntax',
    severity: 'error',
    title: 'WasmPlugin vmConfig.env entry has an empty, duplicate or over-long name, or a value with valueFrom HOST',
    hint: 'Give each env entry a unique, non-empty name and a value that is not from HOST.',
    sources: ['https://github.com/istio/istio/blob/master/pkg/config/validation/validation.go'],
  },

  // ------------------------------------------------------------ MW6xx: cross-object and cluster

  MW601: {
    layer: 'cross',
    severity: 'error',
    title: 'The target Service does not exist',
    hint: 'Create the Service, or correct spec.target.',
    sources: ['https://istio.io/latest/docs/reference/config/networking/envoy-filter/#WorkloadSelector'],
    failureModes: [29],
    tags: ['clusterObjects', 'offlineFacts', 'targetNotFound'],
  },
  MW602: {
    layer: 'cross',
    severity: 'error',
    title: 'The port is not a port of the target Service, or not an HTTP port',
    hint: 'Use a port of the target Service whose protocol is HTTP (name http-… or appProtocol http).',
    sources: ['https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/'],
    failureModes: [18, 30],
    tags: ['clusterObjects'],
  },
  MW603: {
    layer: 'cross',
    severity: 'error',
    title: "A Service's named targetPort cannot be resolved to a container port",
    hint: "Name the port in the pods' container ports, or use a numeric targetPort.",
    sources: ['https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports'],
    failureModes: [30],
    tags: ['clusterObjects', 'offlineFacts'],
  },
  MW604: {
    layer: 'cross',
    severity: 'error',
    title: 'A global limit has no rate limit service (neither spec.rateLimitService nor the operator default)',
    hint: "Set spec.rateLimitService, or configure the operator's default rate limit service.",
    sources: ['https://github.com/envoyproxy/ratelimit#overview'],
    failureModes: [20],
    tags: ['offlineFacts'],
  },
  MW605: {
    layer: 'cross',
    severity: 'warning',
    title: 'An average limit cannot know the number of ready replicas; it assumes 1',
    hint: "Give the operator access to the target's pods, or use a per-pod limit.",
    sources: ['https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md'],
    tags: ['offlineFacts'],
  },
  MW606: {
    layer: 'cross',
    severity: 'error',
    title: 'Limits on the same port ask for different response bodies (one body per HTTP connection manager)',
    hint: 'Use the same response body for every limit on the port.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply'],
  },
  MW607: {
    layer: 'cross',
    severity: 'error',
    title: 'Plugin order cannot be honoured: Wasm plugins run in their Istio phase, before Lua and native filters, and phases run AUTHN, AUTHZ, STATS, then unspecified',
    hint: 'List Wasm plugins first, in phase order (AUTHN, AUTHZ, STATS, unspecified).',
    sources: ['https://istio.io/latest/docs/reference/config/proxy_extensions/wasm-plugin/#PluginPhase'],
    failureModes: [37],
  },
  MW608: {
    layer: 'cross',
    severity: 'error',
    title: 'Per-route config of a native filter whose per-route message type meshwarden does not know, without an @type',
    hint: 'Give the per-route config an `@type`.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-typed-per-filter-config'],
    failureModes: [12],
  },
  MW609: {
    layer: 'cross',
    severity: 'warning',
    title: 'The workloadSelector matches no pod of its namespace: the filter silently applies nowhere',
    hint: 'Correct the workloadSelector labels, or deploy the workload.',
    sources: ['https://istio.io/latest/docs/reference/config/networking/envoy-filter/#EnvoyFilter'],
    failureModes: [29],
  },
  MW610: {
    layer: 'cross',
    severity: 'warning',
    title: 'A Lua filter on every outbound port: one Lua state per HTTP connection manager per worker multiplies memory',
    hint: 'Scope the Lua filter to the ports or hosts that need it.',
    sources: ['https://github.com/envoyproxy/envoy/issues/27759'],
    failureModes: [26],
  },
  MW611: {
    layer: 'cross',
    severity: 'warning',
    title: 'Anchored on a filter another EnvoyFilter of the same priority adds: the order, so whether the anchor exists, depends on creation time',
    hint: 'Give the EnvoyFilters distinct priorities, the one that adds the anchor first.',
    sources: ['https://istio.io/latest/docs/reference/config/networking/envoy-filter/#EnvoyFilter-priority'],
    failureModes: [31],
  },
  MW612: {
    layer: 'cross',
    severity: 'warning',
    title: 'A limit by client address on sidecar inbound: istiod sets use_remote_address false there, so Envoy takes the address from X-Forwarded-For and callers can choose it',
    hint: 'Limit by a header the mesh sets, or configure trusted proxies (numTrustedProxies) so the address cannot be chosen.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-for'],
  },
  // Envoy 1.40 (issue 15, helper B, ADR 0111)
  MW613: {
    layer: 'cross',
    severity: 'error',
    title: 'A limit asks for a Retry-After header (response.retryAfter) while a target Istio minor runs Envoy older than 1.40: istiod drops enable_retry_after_header there',
    hint: "Target only Istio 1.32 or newer (--istio-version / the webhook's istioVersions), or remove response.retryAfter (a fixed response.headers retry-after works everywhere).",
    sources: ['https://github.com/envoyproxy/envoy/blob/main/changelogs/1.40.0.yaml (new_features, ratelimit)', 'https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md'],
    versions: { envoy: ['retryAfterHeader'] },
  },

  // ------------------------------------------------------------ MW7xx: the real Envoy as oracle

  MW701: {
    layer: 'oracle',
    severity: 'error',
    title: 'Envoy rejects the configuration this patch produces: proxies would NACK the whole listener or route update',
    hint: "Fix what Envoy's message names, or remove the patch.",
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode'],
    failureModes: [1, 2, 3, 5, 13, 15, 16, 17, 22, 24],
  },
  MW702: {
    layer: 'oracle',
    severity: 'warning',
    title: 'Envoy rejects the configuration even without this EnvoyFilter, so the oracle cannot judge it',
    hint: 'Fix the other EnvoyFilters or the baseline Envoy rejects first.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode'],
  },
  MW703: {
    layer: 'oracle',
    severity: 'warning',
    title: 'Lua script with host access (os, io, require, loadfile, debug …) or that does not parse: not handed to Envoy, the oracle did not judge this EnvoyFilter',
    hint: 'Remove host access from the Lua script (os, io, require …) so the oracle can judge it.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/lua_filter#script-examples'],
  },
  MW704: {
    layer: 'oracle',
    severity: 'warning',
    title:
      "Config reads the proxy's files or environment (DataSource filename or environment_variable, file config sources, tap/key-log/cache files): not handed to Envoy, the oracle did not judge this EnvoyFilter",
    hint: "Inline the data instead of reading the proxy's files or environment, so the oracle can judge it.",
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/base.proto#config-core-v3-datasource'],
  },
  MW705: {
    layer: 'oracle',
    severity: 'info',
    title: 'File access log path other than /dev/stdout or /dev/stderr: Envoy judged the config with /dev/stdout instead (the oracle creates no files)',
    hint: 'Nothing to do unless the log path matters: the oracle judged the rest of the config.',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/access_loggers/file/v3/file.proto'],
  },
  MW706: {
    layer: 'oracle',
    severity: 'info',
    title: 'Judged without other EnvoyFilters of the input that the oracle does not hand to Envoy (MW703/MW704 on those)',
    hint: 'Let the oracle judge the other EnvoyFilters too (remove what MW703/MW704 name on them).',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode'],
  },
} satisfies Record<`MW${number}`, RuleEntry>;

export type RuleCode = keyof typeof entries;

function ruleFrom(code: string, entry: RuleEntry): Rule {
  const doc: RuleDoc = { code, ...entry };
  return {
    ...doc,
    finding: (path: string, message: string, hint?: string, severity?: Severity): Finding => ({
      rule: code,
      severity: severity ?? doc.severity,
      message,
      path,
      hint: hint ?? doc.hint,
    }),
  };
}

/** Every rule by code, ready to report findings: `rules.MW301.finding(path, message)`. */
export const rules = Object.fromEntries(Object.entries(entries).map(([code, entry]) => [code, ruleFrom(code, entry)])) as {
  readonly [C in RuleCode]: Rule;
};

const sorted: readonly Rule[] = Object.values<Rule>(rules).sort((a, b) => a.code.localeCompare(b.code));

/** Every rule, sorted by code. */
export function allRules(): readonly RuleDoc[] {
  return sorted;
}

/** The rule of a code found in a diagnostic, if the catalogue has it. */
export function ruleOf(code: string): RuleDoc | undefined {
  return Object.hasOwn(rules, code) ? rules[code as RuleCode] : undefined;
}

/** The codes of the rules with this tag. */
export function codesTagged(tag: RuleTag): ReadonlySet<string> {
  return new Set(sorted.filter((r) => r.tags?.includes(tag)).map((r) => r.code));
}
