/** Builders of the EnvoyFilter configPatches shared by both renderers. */
import type { ProxyKind } from './target.js';
import { fillTemplate } from './templates.js';

export type PatchContext = 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';

/** HTTP connection managers (a listener port) or route configurations (their port) of one context; port undefined: all. */
export interface PatchScope {
  context: PatchContext;
  port?: number;
}

/**
 * Where one limit or plugin is installed: the filter goes into the HCMs of `filter`;
 * when `route` is set, the filter is inert there and enabled by per-route config on the
 * route configurations of `route`.
 */
export interface Install {
  filter: PatchScope;
  route?: PatchScope;
}

export function proxyContext(kind: ProxyKind, direction: 'inbound' | 'outbound' | undefined): PatchContext {
  if (kind === 'gateway') return 'GATEWAY';
  return direction === 'outbound' ? 'SIDECAR_OUTBOUND' : 'SIDECAR_INBOUND';
}

/**
 * Gateways listen on the container port but Istio names their virtual hosts and matches
 * `routeConfiguration.portNumber` by Gateway server port (docs/envoy-semantics.md §10d),
 * so a gateway port always scopes through per-route config: the filter goes into every
 * gateway HCM, enabled only on the route configurations of that server port.
 */
export function gatewayInstall(port: number | undefined, scoped: boolean): Install {
  const filter: PatchScope = { context: 'GATEWAY' };
  return port === undefined && !scoped ? { filter } : { filter, route: { context: 'GATEWAY', port } };
}

export function insertBeforeRouter(scope: PatchScope, filter: unknown): object {
  return fillTemplate('insert-before-router', { context: scope.context, port: scope.port, filter }) as object;
}

/**
 * How a patch finds the virtual host of `host`. Outbound, istiod names it `<host>:<port>`, one
 * per Service port. On a gateway the name is not the host's: istiod merges the vhosts of the
 * hosts of one VirtualService (identical routes, PILOT_ENABLE_ROUTE_COLLAPSE_OPTIMIZATION, on by
 * default) into one named after the alphabetically first host, with every host as a domain
 * (gateway.go collapseDuplicateRoutes). So gateway vhosts are matched by `domainName`, which
 * istiod compares with the vhost's domains (rc_patch.go virtualHostMatch; Istio ≥ 1.26).
 * Inbound vhosts are one per port (`inbound|http|<port>`): no host to match.
 */
function virtualHostMatch(scope: PatchScope, host: string | undefined): Record<string, string> {
  if (host === undefined || scope.context === 'SIDECAR_INBOUND') return {};
  if (scope.context === 'GATEWAY') return { domainName: host };
  return { name: scope.port === undefined ? host : `${host}:${scope.port}` };
}

/** Per-filter config for `filterName` on a host and/or route of the scope (every vhost when both are omitted). */
export function perFilterConfigPatch(scope: PatchScope, where: { host?: string; route?: string }, filterName: string, config: unknown): object {
  const vhost: Record<string, unknown> = virtualHostMatch(scope, where.host);
  if (where.route !== undefined) vhost.route = { name: where.route };
  return fillTemplate('per-route-config', {
    applyTo: where.route !== undefined ? 'HTTP_ROUTE' : 'VIRTUAL_HOST',
    context: scope.context,
    port: scope.port,
    vhost: Object.keys(vhost).length > 0 ? vhost : undefined,
    typedPerFilterConfig: { [filterName]: config },
  }) as object;
}
