/**
 * Patches that changed nothing: relative operations and MERGEs that match nothing are silent
 * no-ops in istiod (MW413), named with the anchor that missed and the most likely reason.
 */
import { MW413 } from '../rules.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { PatchContext, ProxyInfo, XdsConfig } from '../types.js';
import { transportSocketHint } from '../versioned-matches.js';
import { extensionConfigsReferenced, reportUnreferencedExtensionConfig } from './extension-config.js';
import { report } from './operations.js';

/** Reports each patch of this application that changed nothing, where istiod would have applied it. */
export function reportUnmatched(s: SimState, config: XdsConfig): void {
  const proxy = s.proxy;
  const referenced = extensionConfigsReferenced(config);
  for (const w of s.all) {
    if (w.applyTo === 'EXTENSION_CONFIG') {
      reportUnreferencedExtensionConfig(s, w, referenced);
      continue;
    }
    if (w.applied) continue;
    if (s.panicked && ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'].includes(w.applyTo)) continue;
    const compatible = w.context === 'ANY' || contextsFor(proxy.kind).includes(w.context);
    if (!compatible) continue;
    if (w.context === 'ANY' && proxy.kind === 'sidecar' && (w.applyTo === 'LISTENER' || w.applyTo === 'CLUSTER') && w.op === 'ADD') continue;
    const target =
      w.match.listener?.filterChain?.filter?.subFilter?.name ??
      w.match.listener?.filterChain?.filter?.name ??
      w.match.listener?.listenerFilter ??
      w.match.routeConfiguration?.vhost?.route?.name ??
      w.match.routeConfiguration?.vhost?.name ??
      w.match.cluster?.name ??
      w.match.cluster?.service;
    report(
      s,
      w,
      MW413.finding(
        anchorPath(w),
        `${w.op} ${w.applyTo}${target ? ` anchored on ${JSON.stringify(target)}` : ''} matches nothing in the generated ${proxy.kind} config${w.reachedParent ? ' (the parent matched, the anchor did not)' : ''}: istiod skips it silently`,
        noMatchHint(s, w),
      ),
    );
  }
}

function contextsFor(kind: ProxyInfo['kind']): PatchContext[] {
  return kind === 'gateway' ? ['GATEWAY'] : ['SIDECAR_INBOUND', 'SIDECAR_OUTBOUND'];
}

function noMatchHint(s: SimState, w: PatchWrapper): string {
  const socket = transportSocketHint(w.match);
  if (socket) return socket;
  const port = w.match.listener?.portNumber ?? w.match.routeConfiguration?.portNumber;
  if (port && w.context === 'SIDECAR_INBOUND') {
    const hit = s.inboundPorts.find((p) => p.servicePort === port && p.targetPort !== port);
    if (hit) return `Inbound listeners, chains and route configs use the container targetPort: use portNumber ${hit.targetPort} (Service port ${port}).`;
    const tcp = s.inboundPorts.find((p) => p.targetPort === port && p.protocol === 'tcp');
    if (tcp && (w.applyTo === 'HTTP_FILTER' || w.applyTo === 'HTTP_ROUTE' || w.applyTo === 'VIRTUAL_HOST' || w.applyTo === 'ROUTE_CONFIGURATION')) {
      return `Port ${port} is a TCP port (tcp_proxy, no HTTP connection manager): name the Service port http-* or set appProtocol: http, or patch NETWORK_FILTER instead.`;
    }
  }
  if (port && s.proxy.kind === 'gateway' && w.match.listener) {
    for (const [container, servicePorts] of Object.entries(s.portMap)) {
      if (servicePorts.includes(port) && Number(container) !== port) return `Gateway listeners bind the container port: use listener.portNumber ${container} (Gateway server port ${port}).`;
    }
  }
  const vh = w.match.routeConfiguration?.vhost?.name;
  if (vh && /^inbound\|http\|\d+$/.test(vh)) {
    return 'The inbound vhost is named inbound|http|<Service port>, its route config inbound|<targetPort>||; check both against the Service.';
  }
  if (w.reachedParent)
    return 'The listener/HCM or route config matched but the named anchor is absent there: check the name, and whether that filter exists only with some policy (rbac, jwt_authn, ext_authz, istio.stats).';
  return 'Check match.context, port numbers and names against the generated config (istioctl proxy-config all <pod> -o json).';
}

function anchorPath(w: PatchWrapper): string {
  const l = w.match.listener;
  if (w.applyTo === 'HTTP_FILTER' && l?.filterChain?.filter?.subFilter?.name) return `${w.path}.match.listener.filterChain.filter.subFilter.name`;
  if ((w.applyTo === 'NETWORK_FILTER' || w.applyTo === 'HTTP_FILTER') && l?.filterChain?.filter?.name) return `${w.path}.match.listener.filterChain.filter.name`;
  if (w.applyTo === 'LISTENER_FILTER' && l?.listenerFilter) return `${w.path}.match.listener.listenerFilter`;
  if (w.match.routeConfiguration?.vhost?.route?.name) return `${w.path}.match.routeConfiguration.vhost.route.name`;
  if (w.match.routeConfiguration?.vhost?.name) return `${w.path}.match.routeConfiguration.vhost.name`;
  if (w.match.cluster) return `${w.path}.match.cluster`;
  if (w.match.routeConfiguration) return `${w.path}.match.routeConfiguration`;
  if (l) return `${w.path}.match.listener`;
  return `${w.path}.match`;
}
