/** Builders of the EnvoyFilter configPatches shared by both renderers. */
import type { ProxyKind } from './target.js';
import { fillTemplate } from './templates.js';

export type PatchContext = 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';

/** One HTTP connection manager to install into: a context and a listener port (undefined: all). */
export interface PatchScope {
  context: PatchContext;
  port?: number;
}

export function proxyContext(kind: ProxyKind, direction: 'inbound' | 'outbound' | undefined): PatchContext {
  if (kind === 'gateway') return 'GATEWAY';
  return direction === 'outbound' ? 'SIDECAR_OUTBOUND' : 'SIDECAR_INBOUND';
}

export function insertBeforeRouter(scope: PatchScope, filter: unknown): unknown {
  return fillTemplate('insert-before-router', { context: scope.context, port: scope.port, filter });
}

/**
 * Istio names outbound and gateway virtual hosts `<host>:<port>`; inbound route
 * configurations have one virtual host, matched without a name.
 */
export function virtualHostName(scope: PatchScope, host: string | undefined): string | undefined {
  if (host === undefined || scope.context === 'SIDECAR_INBOUND') return undefined;
  return scope.port === undefined ? host : `${host}:${scope.port}`;
}

/** Per-filter config for `filterName` on a host and/or route of the scope (every vhost when both are omitted). */
export function perFilterConfigPatch(
  scope: PatchScope,
  where: { host?: string; route?: string },
  filterName: string,
  config: unknown,
): unknown {
  const name = virtualHostName(scope, where.host);
  const vhost: Record<string, unknown> = {};
  if (name !== undefined) vhost.name = name;
  if (where.route !== undefined) vhost.route = { name: where.route };
  return fillTemplate('per-route-config', {
    applyTo: where.route !== undefined ? 'HTTP_ROUTE' : 'VIRTUAL_HOST',
    context: scope.context,
    port: scope.port,
    vhost: Object.keys(vhost).length > 0 ? vhost : undefined,
    typedPerFilterConfig: { [filterName]: config },
  });
}
