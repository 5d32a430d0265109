/**
 * MW11x: Istio's own API for EnvoyFilter (networking.istio.io/v1alpha3) and WasmPlugin
 * (extensions.istio.io/v1alpha1): the CRD schema of each target Istio minor (OpenAPI + CEL, as
 * the API server enforces it, with unknown fields reported because the API server prunes them),
 * then the checks of istiod's validating webhook and `istioctl analyze`.
 */
import { defineRule } from '../rule.js';

const API = 'https://github.com/istio/api/blob/master/';
const IST = 'https://github.com/istio/istio/blob/master/';
const CRDS = `${IST}manifests/charts/base/files/crd-all.gen.yaml`;
const EFV = `${IST}pkg/config/validation/envoyfilter/envoyfilter.go`;
const VAL = `${IST}pkg/config/validation/validation.go`;
const ANALYZER = `${IST}pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go`;

// ------------------------------------------------------------ CRD schema (MW110-MW119)

export const MW110 = defineRule({
  code: 'MW110', layer: 'schema', severity: 'error',
  title: "Field unknown to the target Istio minor's CRD: the API server prunes it silently (a newer match field then widens the match)",
  source: `${CRDS}; https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning`,
  failureModes: [11, 29],
});
export const MW111 = defineRule({
  code: 'MW111', layer: 'schema', severity: 'error',
  title: "Required field missing in the Istio CRD schema",
  source: CRDS,
});
export const MW112 = defineRule({
  code: 'MW112', layer: 'schema', severity: 'error',
  title: 'Value has the wrong type, enum value, format, pattern or size for the Istio CRD schema (or two of listener/routeConfiguration/cluster match)',
  source: CRDS,
});
export const MW113 = defineRule({
  code: 'MW113', layer: 'schema', severity: 'error',
  title: "CEL rule of the Istio CRD (x-kubernetes-validations) violated: selector and targetRefs together, cross-namespace targetRef, wildcard label, url scheme",
  source: CRDS,
  failureModes: [29],
});
export const MW119 = defineRule({
  code: 'MW119', layer: 'schema', severity: 'warning',
  title: "Istio CRD schema of a target minor is not available locally (run scripts/fetch-istio-crds.sh)",
  source: 'https://github.com/istio/api/blob/master/kubernetes/customresourcedefinitions.gen.yaml (fetched by scripts/fetch-istio-crds.sh)',
});

// ------------------------------------------------------------ istiod webhook / analyzer (MW120-MW139)

export const MW120 = defineRule({
  code: 'MW120', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter config patch is null or has no applyTo: istiod rejects the object',
  source: EFV,
});
export const MW121 = defineRule({
  code: 'MW121', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter config patch has no patch or no patch.operation: istiod rejects the object',
  source: EFV,
});
export const MW122 = defineRule({
  code: 'MW122', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter patch without value for an operation other than REMOVE: istiod rejects the object',
  source: EFV,
});
export const MW123 = defineRule({
  code: 'MW123', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter applyTo and match kind disagree (e.g. HTTP_FILTER with a routeConfiguration match): istiod rejects the object',
  source: EFV,
});
export const MW124 = defineRule({
  code: 'MW124', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter filter or subFilter match without a name: istiod rejects the object',
  source: EFV,
  failureModes: [30],
});
export const MW125 = defineRule({
  code: 'MW125', layer: 'schema', severity: 'error',
  title: 'EnvoyFilter subFilter match with applyTo other than HTTP_FILTER, or under a filter other than the HTTP connection manager: istiod rejects the object',
  source: EFV,
  failureModes: [30],
});
export const MW126 = defineRule({
  code: 'MW126', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter filter match on applyTo LISTENER/FILTER_CHAIN has no effect (istiod webhook warning; same finding as MW423 of the patch layer)',
  source: EFV,
  failureModes: [30],
});
export const MW127 = defineRule({
  code: 'MW127', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter operation istiod does not implement for this applyTo (REPLACE outside HTTP_FILTER/NETWORK_FILTER/VIRTUAL_HOST/LISTENER_FILTER, ADD/REMOVE/INSERT on ROUTE_CONFIGURATION): ignored. IST0152 wrongly flags LISTENER_FILTER',
  source: `${ANALYZER}; ${IST}pilot/pkg/networking/core/envoyfilter/`,
  failureModes: [4],
});
export const MW128 = defineRule({
  code: 'MW128', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter with relative operations (REMOVE, REPLACE, INSERT_BEFORE, INSERT_AFTER) and no priority: order among EnvoyFilters falls back to creation time (IST0151)',
  source: `${ANALYZER}; ${IST}pilot/pkg/model/push_context.go`,
  failureModes: [31],
});
export const MW129 = defineRule({
  code: 'MW129', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter patch.filterClass is ignored by istiod: ADD still appends after the router (same finding as MW421 of the patch layer)',
  source: `${API}networking/v1alpha3/envoy_filter.proto; istio/api#2253`,
  failureModes: [1],
});
export const MW130 = defineRule({
  code: 'MW130', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter/WasmPlugin with an empty (or without a) workload selector outside the root namespace: applies to every workload of the namespace',
  source: `${VAL} (ValidateAlphaWorkloadSelector: "will be applied to all services in namespace")`,
  failureModes: [28, 29],
});
export const MW131 = defineRule({
  code: 'MW131', layer: 'schema', severity: 'warning',
  title: 'EnvoyFilter/WasmPlugin in the root namespace without selector or targetRefs: applies to every sidecar and gateway of the mesh',
  source: `${API}networking/v1alpha3/envoy_filter.proto (NOTE 3); istio/istio#23401`,
  failureModes: [28],
});
export const MW132 = defineRule({
  code: 'MW132', layer: 'schema', severity: 'info',
  title: 'EnvoyFilter targetRefs read by an istiod that ignores it (< 1.22: namespace-wide) or over-matches (1.26: every gateway of the namespace)',
  source: `${API}networking/v1alpha3/envoy_filter.proto (targetRefs NOTE); istio/istio#56417`,
  failureModes: [29],
});
export const MW133 = defineRule({
  code: 'MW133', layer: 'schema', severity: 'error',
  title: 'targetRef to a kind Istio does not attach to (only Gateway/GatewayClass of gateway.networking.k8s.io, Service, ServiceEntry): WasmPlugin rejected by the webhook, EnvoyFilter matches nothing',
  source: `${VAL} (validatePolicyTargetReference)`,
  failureModes: [29],
});
export const MW134 = defineRule({
  code: 'MW134', layer: 'schema', severity: 'error',
  title: 'Integer out of range for the proto field istiod decodes it into (e.g. priority beyond int32): the API server stores it, istiod rejects or cannot read the object',
  source: `${API}networking/v1alpha3/envoy_filter.proto; https://protobuf.dev/programming-guides/json/`,
});
