/**
 * An extension given by name only, nested in a patch value: a listener filter in `listener_filters`,
 * a network or HTTP filter inside a filter chain, a `transport_socket` of a cluster or filter chain.
 * Envoy stopped finding extensions by name (v3): it looks the factory up by the type URL of
 * `typed_config` and NACKs with "Didn't find a registered implementation for '<name>' with type
 * URL: ''" (Envoy 1.39.3, operator/test/rules/MW202/). The value of a filter patch itself is checked
 * in proto/index.ts; this covers everything below it (ADR 0120).
 */
import { unknownType } from '../rules.js';
import { isObject } from './json.js';
import type { TypeInfo } from './reflect.js';
import type { DecodeState } from './state.js';

/** Messages whose extension is chosen by `typed_config` (or `config_discovery`, where the message has it). */
const EXTENSION_HOLDERS: ReadonlySet<string> = new Set([
  'envoy.config.listener.v3.ListenerFilter',
  'envoy.config.listener.v3.Filter',
  'envoy.config.core.v3.TransportSocket',
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
]);

const present = (o: Record<string, unknown>, ...keys: string[]): boolean => keys.some((k) => o[k] !== undefined && o[k] !== null);

/**
 * Reports a missing `typed_config` of the extension `json` (a `ti` message) when the patch creates
 * it whole: always, except when a MERGE (`d.partial`) merges it into an existing object, i.e. it is
 * not inside a list (list entries are appended whole).
 */
export function nameOnlyExtension(d: DecodeState, ti: TypeInfo, json: unknown): void {
  if (!EXTENSION_HOLDERS.has(ti.fullName) || !isObject(json) || d.segs.length === 0) return;
  if (d.partial && !d.segs.some((s) => typeof s === 'number')) return;
  if (present(json, 'typed_config', 'typedConfig', 'config_discovery', 'configDiscovery')) return;
  // An optional HTTP filter Envoy cannot find is skipped, not refused.
  if (json['is_optional'] === true || json['isOptional'] === true) return;
  const name = typeof json['name'] === 'string' ? json['name'] : '';
  d.report(
    unknownType,
    `${JSON.stringify(name)} has no typed_config: Envoy no longer finds extensions by name and rejects the config ("Didn't find a registered implementation for '${name}' with type URL: ''")`,
    'add "typed_config" with the "@type" of the extension\'s config message (e.g. type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector, or envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext for a client TLS socket)',
    'typed_config',
  );
}
