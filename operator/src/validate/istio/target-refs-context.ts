/**
 * SIDECAR_* patches of an EnvoyFilter attached by `targetRefs` (MW429, ADR 0120). targetRefs attach
 * an EnvoyFilter to Gateway API gateways and waypoints only, never to sidecars (`attaches` in
 * select.ts). A gateway applies GATEWAY (and ANY) patches; a waypoint's listeners are built as
 * inbound listeners and patched through the sidecar path, so SIDECAR_INBOUND reaches them and
 * SIDECAR_OUTBOUND nothing (istio release-1.31 pilot/pkg/networking/core/listener.go,
 * envoyfilter/listener_patch.go `patchContextMatch`). That waypoint path is one Istio does not
 * support (istio.io, ambient L7 features: "EnvoyFilter is not currently supported … with waypoint
 * proxies"): it misses the routes built from VirtualServices and HTTPRoutes, and agentgateway
 * waypoints ignore EnvoyFilters entirely.
 */
import type { Finding } from '../rule.js';
import { MW429 } from './rules.js';
import type { EnvoyFilterObject } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The GatewayClass of Istio's Envoy waypoints. */
const WAYPOINT_CLASS = 'istio-waypoint';

type Attachment = 'gateway' | 'waypoint' | 'either';

/**
 * What one targetRef can attach to: Service and ServiceEntry refs bind waypoints only; a Gateway may be
 * either (its class is on the Gateway object); a ref of another kind attaches nothing (MW133).
 */
function attachmentOf(ref: Record<string, unknown>): Attachment | undefined {
  switch (ref['kind']) {
    case 'Service':
    case 'ServiceEntry':
      return 'waypoint';
    case 'GatewayClass':
      return ref['name'] === WAYPOINT_CLASS ? 'waypoint' : 'gateway';
    case 'Gateway':
      return 'either';
    default:
      return undefined;
  }
}

/** MW429 for each SIDECAR_INBOUND / SIDECAR_OUTBOUND patch of an EnvoyFilter with targetRefs. */
export function targetRefsContextFindings(ef: EnvoyFilterObject): Finding[] {
  const spec: unknown = ef.spec;
  if (!isObject(spec) || !Array.isArray(spec['targetRefs']) || !Array.isArray(spec['configPatches'])) return [];
  // With a workloadSelector as well the API server refuses the object (MW113).
  if (spec['workloadSelector'] !== undefined) return [];
  const attachments = new Set(spec['targetRefs'].filter(isObject).map(attachmentOf));
  attachments.delete(undefined);
  if (attachments.size === 0) return [];
  const gatewayOnly = !attachments.has('waypoint') && !attachments.has('either');
  const out: Finding[] = [];
  spec['configPatches'].forEach((cp: unknown, i) => {
    const context = isObject(cp) && isObject(cp['match']) ? cp['match']['context'] : undefined;
    if (context !== 'SIDECAR_INBOUND' && context !== 'SIDECAR_OUTBOUND') return;
    const path = `spec.configPatches[${i}].match.context`;
    if (context === 'SIDECAR_OUTBOUND' || gatewayOnly) {
      out.push(
        MW429.finding(
          path,
          `context ${context} in an EnvoyFilter with targetRefs applies nowhere: targetRefs attach it to Gateway API gateways and waypoints, never to sidecars; a gateway takes GATEWAY patches${context === 'SIDECAR_OUTBOUND' ? ', and a waypoint patches its listeners as SIDECAR_INBOUND' : ''}`,
          'To patch sidecars, select them with spec.workloadSelector instead of targetRefs; to patch a Gateway API gateway, use context: GATEWAY.',
        ),
      );
      return;
    }
    out.push(
      MW429.finding(
        path,
        'context SIDECAR_INBOUND in an EnvoyFilter with targetRefs: on a Gateway API gateway it matches nothing (gateways take GATEWAY patches); on an Envoy waypoint istiod applies it to the inbound listeners, a path Istio does not support: it misses the routes of VirtualServices and HTTPRoutes, and agentgateway waypoints ignore EnvoyFilters',
        'For a Gateway API gateway use context: GATEWAY. For a waypoint use the supported extension, a WasmPlugin/TrafficExtension with targetRefs; or keep a sidecar for this workload and select it with spec.workloadSelector.',
      ),
    );
  });
  return out;
}
