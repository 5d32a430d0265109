/**
 * An unknown field (MW201), with the most useful hint: a field removed with the v2 API, a field of
 * another Envoy version, "@type" outside an Any, a typo, a field written one level too high.
 */
import { loadedSchemas, rootVersion } from '../load.js';
import { unknownField } from '../rules.js';
import { closest } from './closest.js';
import { lookupType, typeInfo, type FieldInfo, type TypeInfo } from './reflect.js';
import type { DecodeState } from './state.js';

/** Fields removed with the v2 API that still show up in EnvoyFilters: `<message>.<field>` → hint. */
const REMOVED_FIELDS: ReadonlyMap<string, string> = new Map([
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.listener.v3.Filter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.listener.v3.ListenerFilter.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.accesslog.v3.AccessLog.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.core.v3.TransportSocket.config', 'the v2 "config" field was removed: use "typed_config" with an "@type"'],
  ['envoy.config.cluster.v3.Cluster.hosts', 'the v2 "hosts" field was removed: without load_assignment the cluster has no endpoints (503s); use "load_assignment"'],
  ['envoy.config.cluster.v3.Cluster.tls_context', 'the v2 "tls_context" field was removed: use "transport_socket" with envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'],
  ['envoy.config.listener.v3.FilterChain.tls_context', 'the v2 "tls_context" field was removed: use "transport_socket" with envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'],
]);

/** Reports `key`, not a field of `ti`, with the most useful hint. */
export function unknownKey(d: DecodeState, ti: TypeInfo, key: string): void {
  d.rootWide(); // the hint looks into other versions and nested types
  const names = ti.fields.map((f) => f.name);
  let hint: string | undefined;
  const other = otherVersionsWith(d, ti.fullName, key);
  const guess = closest(key, [...names, ...ti.fields.map((f) => f.jsonName)]);
  const removed = REMOVED_FIELDS.get(`${ti.fullName}.${key}`);
  if (removed !== undefined) {
    hint = removed;
  } else if (other.length > 0) {
    hint = `"${key}" exists in the Envoy ${other.join(', ')} API but not in ${d.versionText}: check the Envoy version your Istio targets`;
  } else if (key === '@type') {
    hint = `"@type" belongs only in a google.protobuf.Any field such as typed_config; ${ti.fullName} is not an Any`;
  } else if (guess !== undefined) {
    const g = ti.byKey.get(guess);
    hint = `did you mean "${g && key.includes('_') ? g.name : guess}"?`;
  } else if (nestedOwner(ti, key) !== undefined) {
    const owner = nestedOwner(ti, key)!;
    hint = `"${key}" is a field of ${typeInfo(owner.messageType!).fullName}: put it inside "${owner.name}"`;
  } else if (names.length > 0) {
    hint = `known fields: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`;
  }
  d.report(unknownField, `unknown field "${key}" in ${ti.fullName}`, hint, key);
}

/** A message field of `ti` whose own type has a field `key` (a field written one level too high). */
function nestedOwner(ti: TypeInfo, key: string): FieldInfo | undefined {
  return ti.fields.find((f) => f.messageType && !f.map && typeInfo(f.messageType).byKey.has(key));
}

/** Other loaded Envoy versions whose `typeName` has a field called `key`. */
function otherVersionsWith(d: DecodeState, typeName: string, key: string): string[] {
  const mine = rootVersion(d.root);
  const out: string[] = [];
  for (const s of loadedSchemas()) {
    if (s.root === d.root || s.version === mine) continue;
    const t = lookupType(s.root, typeName);
    if (t && typeInfo(t).byKey.has(key)) out.push(s.version);
  }
  return out.sort();
}
