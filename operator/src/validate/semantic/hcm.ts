/**
 * MW350/MW351: an HTTP connection manager's codec against the listener it runs on. Envoy builds
 * the HCM with its listener's info and refuses, in code (no proto rule says it), HTTP3 on a
 * listener that is not QUIC and any other codec (AUTO, the default, included) on one that is.
 * A listener is QUIC when `udp_listener_config.quic_options` is set, even to `{}`
 * (ListenerInfoImpl: `is_quic_(config.udp_listener_config().has_quic_options())`).
 *
 * The check needs the whole listener: an EnvoyFilter usually MERGEs `codec_type` into the HCM
 * istiod generated, so the patch layer runs it on the patched listener (istio/checks.ts), and
 * `checkEnvoySemantics` runs it on a Listener given whole.
 */
import type { Finding } from '../rule.js';
import { arr, field, get, isObj, path, str, typeNameOf, type Seg } from './json.js';
import { MW350, MW351 } from './rules.js';

export const LISTENER = 'envoy.config.listener.v3.Listener';
const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** HttpConnectionManager.CodecType by number, as proto JSON may spell an enum. */
const CODECS = ['AUTO', 'HTTP1', 'HTTP2', 'HTTP3'];

/** Envoy's `isQuic()`: `udp_listener_config.quic_options` present. */
export function isQuicListener(listener: unknown): boolean {
  return field(get(listener, 'udp_listener_config'), 'quic_options') !== undefined;
}

/** The codec an HCM config asks for (AUTO when unset); undefined for a value the proto layer refuses. */
export function hcmCodec(hcm: unknown): string | undefined {
  const v = get(hcm, 'codec_type');
  if (v === undefined) return 'AUTO';
  return typeof v === 'number' ? CODECS[v] : CODECS.includes(String(v)) ? String(v) : undefined;
}

/** The HCM a network filter carries: by type, or by name when the filter has no typed_config type. */
function hcmOf(filter: unknown): { key: string; value: unknown } | undefined {
  const tc = field(filter, 'typed_config');
  const t = str(get(tc?.value, '@type'));
  if (t !== undefined) return typeNameOf(t) === HCM_TYPE ? tc : undefined;
  return str(get(filter, 'name')) === HCM_NAME ? tc : undefined;
}

/**
 * Findings for every HCM of `listener` (filter chains and the default filter chain) whose codec
 * does not fit the listener; paths relative to the listener.
 */
export function checkListenerCodecs(listener: unknown): Finding[] {
  if (!isObj(listener)) return [];
  const quic = isQuicListener(listener);
  const out: Finding[] = [];
  const chains: Array<{ chain: unknown; at: Seg[] }> = arr(get(listener, 'filter_chains')).map((chain, i) => ({ chain, at: [field(listener, 'filter_chains')!.key, i] }));
  const dfc = field(listener, 'default_filter_chain');
  if (dfc) chains.push({ chain: dfc.value, at: [dfc.key] });
  for (const { chain, at } of chains) {
    const filters = field(chain, 'filters');
    arr(filters?.value).forEach((f, i) => {
      const tc = hcmOf(f);
      if (!tc) return;
      const codec = hcmCodec(tc.value);
      if (codec === undefined) return;
      if ((codec === 'HTTP3') === quic) return;
      const codecField = field(tc.value, 'codec_type');
      const where = path([...at, filters!.key, i, tc.key, ...(codecField ? [codecField.key] : [])]);
      if (codec === 'HTTP3') {
        out.push(
          MW350.finding(
            where,
            'codec_type HTTP3 on a listener that is not QUIC: Envoy rejects it with "HTTP/3 codec configured on non-QUIC listener." (LDS NACK; the proxy keeps its previous listeners)',
            'HTTP/3 needs a UDP listener with udp_listener_config.quic_options and a QUIC transport socket (Istio builds them for gateways with PILOT_ENABLE_QUIC_LISTENERS); leave codec_type AUTO on TCP listeners and advertise h3 with an alt-svc header instead.',
          ),
        );
      } else {
        out.push(
          MW351.finding(
            where,
            `codec_type ${codec}${codecField ? '' : ' (unset)'} on a QUIC listener: Envoy rejects it with "Non-HTTP/3 codec configured on QUIC listener." (LDS NACK)`,
            'Set codec_type: HTTP3 in every HTTP connection manager of a listener with udp_listener_config.quic_options.',
          ),
        );
      }
    });
  }
  return out;
}

/**
 * Where an EnvoyFilter patch value writes `codec_type` or `quic_options` (path relative to the
 * value; undefined when it writes neither): to blame the patch that made the mismatch.
 */
export function codecOrQuicPath(value: unknown, at: Seg[] = []): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = codecOrQuicPath(value[i], [...at, i]);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (!isObj(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'codec_type' || k === 'codecType' || k === 'quic_options' || k === 'quicOptions') return path([...at, k]);
    const p = codecOrQuicPath(v, [...at, k]);
    if (p !== undefined) return p;
  }
  return undefined;
}
