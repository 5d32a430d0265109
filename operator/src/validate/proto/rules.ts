/**
 * MW2xx: strict decode of Envoy typed config into the real Envoy API protos of one Envoy
 * version, and the protoc-gen-validate (PGV) rules carried in their options.
 */
import { defineRule } from '../rule.js';

const istioXds = 'https://github.com/istio/istio/blob/master/pkg/config/xds/xds.go';
const istioEf = 'https://github.com/istio/istio/blob/master/pkg/config/validation/envoyfilter/envoyfilter.go';

export const unknownField = defineRule({
  code: 'MW201',
  layer: 'proto',
  severity: 'error',
  title: 'Unknown field in Envoy config: istiod drops it silently, so a typo or removed field never takes effect',
  source: istioXds,
  failureModes: [10, 11],
});

export const unknownType = defineRule({
  code: 'MW202',
  layer: 'proto',
  severity: 'error',
  title: 'Missing, malformed, unknown or v2 `@type` type URL in a typed config',
  source: istioEf,
  failureModes: [10],
});

export const wrongCategory = defineRule({
  code: 'MW203',
  layer: 'proto',
  severity: 'error',
  title: 'Typed config of the wrong extension category for where it is used (e.g. a network filter as a listener filter)',
  source: 'https://github.com/envoyproxy/envoy/issues/34631',
  failureModes: [6],
});

export const badValue = defineRule({
  code: 'MW204',
  layer: 'proto',
  severity: 'error',
  title: 'Value has the wrong JSON type for its proto field (or an unknown enum value, or a malformed Duration)',
  source: 'https://protobuf.dev/programming-guides/json/',
  failureModes: [11],
});

export const oneofConflict = defineRule({
  code: 'MW205',
  layer: 'proto',
  severity: 'error',
  title: 'Two members of the same proto oneof are set',
  source: 'https://protobuf.dev/programming-guides/proto3/#oneof',
});

export const pgvViolation = defineRule({
  code: 'MW206',
  layer: 'proto',
  severity: 'error',
  title: 'protoc-gen-validate constraint of the Envoy API violated: Envoy NACKs with "Proto constraint validation failed"',
  source: 'https://github.com/bufbuild/protoc-gen-validate/blob/main/validate/validate.proto',
  failureModes: [5, 8, 13, 25],
});

export const typedStructHides = defineRule({
  code: 'MW207',
  layer: 'proto',
  severity: 'warning',
  title: 'TypedStruct wraps a typed config: istiod never checks its contents, errors surface only as Envoy NACKs',
  source: 'https://github.com/cncf/xds/blob/main/udpa/type/v1/typed_struct.proto',
  failureModes: [12],
});

export const deprecatedField = defineRule({
  code: 'MW208',
  layer: 'proto',
  severity: 'warning',
  title: 'Deprecated field or enum value of the Envoy API is set',
  source: 'https://www.envoyproxy.io/docs/envoy/latest/configuration/operations/runtime#deprecated',
  failureModes: [10],
});

export const protosetMissing = defineRule({
  code: 'MW209',
  layer: 'proto',
  severity: 'error',
  title: 'Envoy proto descriptor set for the target version is not built: run `npm run setup` (scripts/build-protosets.sh)',
  source: 'https://github.com/envoyproxy/go-control-plane/tree/main/envoy',
});

export const notChecked = defineRule({
  code: 'MW210',
  layer: 'proto',
  severity: 'info',
  title: 'Type outside the upstream Envoy API (istio-proxy or contrib extension): contents not checked',
  source: 'https://github.com/istio/proxy/blob/master/bazel/extension_config/extensions_build_config.bzl',
  failureModes: [7],
});

export const mergeTypeMismatch = defineRule({
  code: 'MW211',
  layer: 'proto',
  severity: 'error',
  title: 'MERGE into a filter with a typed_config of a different `@type` than the filter it patches',
  source: 'https://github.com/istio/istio/blob/1.24.0/pilot/pkg/networking/core/envoyfilter/listener_patch.go',
  failureModes: [32],
});
