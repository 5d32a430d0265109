/**
 * ROUTE_CONFIGURATION (MERGE), VIRTUAL_HOST and HTTP_ROUTE patches, with istiod's route-side
 * matchers (rc_patch.go): route configuration names by port or gateway server, vhosts by name or
 * domain, routes by name and action.
 */
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { JsonObject, PatchContext } from '../types.js';
import { cloneValue, ctxMatch, insertAt, isMerge, list, mergeValue, objs, str } from './operations.js';
import { parseSubsetKey } from './subset-key.js';

function listenerPortFromRouteName(name: string): number {
  if (name.startsWith('inbound')) return parseSubsetKey(name).port;
  return /^\d+$/.test(name) ? Number(name) : 0;
}

function parseGatewayRouteName(name: string): { port: number; portName: string; gateway: string } {
  const parts = name.split('.');
  if (name.startsWith('http.') && parts.length >= 2) return { port: Number(parts[1]) || 0, portName: '', gateway: '' };
  if (name.startsWith('https.') && parts.length === 5) {
    return { port: Number(parts[1]) || 0, portName: parts[2]!, gateway: `${parts[4]}/${parts[3]}` };
  }
  return { port: 0, portName: '', gateway: '' };
}

function routeConfigurationMatch(s: SimState, ctx: PatchContext, rc: JsonObject, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration;
  if (!m) return true;
  const name = str(rc['name']);
  if (m.name && m.name !== name) return false;
  if (ctx !== 'GATEWAY') {
    if (m.portNumber && m.portNumber !== listenerPortFromRouteName(name)) return false;
    return true;
  }
  const g = parseGatewayRouteName(name);
  if (m.portName && m.portName !== g.portName) return false;
  if (m.gateway && m.gateway !== g.gateway) return false;
  if (m.portNumber) {
    const servicePorts = s.portMap[String(g.port)];
    if (servicePorts) return servicePorts.includes(m.portNumber);
    return g.port === m.portNumber;
  }
  return true;
}

function virtualHostMatch(s: SimState, vh: JsonObject | undefined, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration?.vhost;
  if (!m) return true;
  if (!vh) return false;
  if (m.name && m.name !== vh['name']) return false;
  if (s.features.vhostDomainName && m.domainName) {
    const d = vh['domains'];
    if (!Array.isArray(d) || !d.includes(m.domainName)) return false;
  }
  return true;
}

const hasRouteMatch = (rp: PatchWrapper) => !!rp.match.routeConfiguration?.vhost?.route;

function routeMatch(r: JsonObject | null, rp: PatchWrapper): boolean {
  const m = rp.match.routeConfiguration?.vhost?.route;
  if (!m) return true;
  if (!r) return false;
  if (m.name && m.name !== r['name']) return false;
  if (m.action && m.action !== 'ANY') {
    if ('route' in r) return m.action === 'ROUTE';
    if ('redirect' in r) return m.action === 'REDIRECT';
    if ('direct_response' in r) return m.action === 'DIRECT_RESPONSE';
  }
  return true;
}

export function applyRouteConfigurationPatches(s: SimState, ctx: PatchContext, rc: JsonObject): void {
  for (const rp of list(s, 'ROUTE_CONFIGURATION')) {
    if (!isMerge(s, rp.op)) continue;
    if (ctxMatch(ctx, rp) && routeConfigurationMatch(s, ctx, rc, rp)) {
      mergeValue(s, rp, rc);
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  patchVirtualHosts(s, ctx, rc);
}

function patchVirtualHosts(s: SimState, ctx: PatchContext, rc: JsonObject): void {
  const vhosts = objs(rc['virtual_hosts']);
  const removed = new Set<string>();
  for (let i = 0; i < vhosts.length; i++) {
    if (patchVirtualHost(s, ctx, rc, vhosts, i)) removed.add(str(vhosts[i]!['name']));
  }
  for (const rp of list(s, 'VIRTUAL_HOST')) {
    if (rp.op !== 'ADD') continue;
    if (ctxMatch(ctx, rp) && routeConfigurationMatch(s, ctx, rc, rp)) {
      vhosts.push(cloneValue(s, rp));
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  rc['virtual_hosts'] = removed.size > 0 ? vhosts.filter((v) => !removed.has(str(v['name']))) : vhosts;
}

function patchVirtualHost(s: SimState, ctx: PatchContext, rc: JsonObject, vhosts: JsonObject[], idx: number): boolean {
  for (const rp of list(s, 'VIRTUAL_HOST')) {
    if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp)) continue;
    rp.reachedParent = true;
    if (!virtualHostMatch(s, vhosts[idx], rp)) continue;
    if (rp.op === 'REMOVE') {
      rp.applied = true;
      s.touched.set(rc, rp);
      return true;
    }
    if (isMerge(s, rp.op)) {
      mergeValue(s, rp, vhosts[idx]!);
      s.touched.set(vhosts[idx]!, rp);
      s.touched.set(rc, rp);
      rp.applied = true;
    } else if (rp.op === 'REPLACE') {
      vhosts[idx] = cloneValue(s, rp);
      s.touched.set(rc, rp);
      rp.applied = true;
    }
  }
  patchHTTPRoutes(s, ctx, rc, vhosts[idx]!);
  return false;
}

function patchHTTPRoutes(s: SimState, ctx: PatchContext, rc: JsonObject, vh: JsonObject): void {
  const routes: Array<JsonObject | null> = objs(vh['routes']);
  let removed = false;
  for (let i = 0; i < routes.length; i++) {
    for (const rp of list(s, 'HTTP_ROUTE')) {
      if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp) || !virtualHostMatch(s, vh, rp)) continue;
      rp.reachedParent = true;
      if (!routeMatch(routes[i]!, rp)) continue;
      if (rp.op === 'REMOVE') {
        routes[i] = null;
        removed = true;
        rp.applied = true;
        s.touched.set(vh, rp);
        break;
      }
      if (isMerge(s, rp.op) && routes[i]) {
        mergeValue(s, rp, routes[i]!);
        s.touched.set(routes[i]!, rp);
        s.touched.set(vh, rp);
        rp.applied = true;
      }
    }
  }
  for (const rp of list(s, 'HTTP_ROUTE')) {
    if (!ctxMatch(ctx, rp) || !routeConfigurationMatch(s, ctx, rc, rp) || !virtualHostMatch(s, vh, rp)) continue;
    rp.reachedParent = true;
    const m = (r: JsonObject | null) => routeMatch(r, rp);
    let done = false;
    switch (rp.op) {
      case 'ADD':
        routes.push(cloneValue(s, rp));
        done = true;
        break;
      case 'INSERT_AFTER':
        if (!hasRouteMatch(rp)) {
          routes.push(cloneValue(s, rp));
          done = true;
        } else done = insertAt(routes, m, cloneValue(s, rp), true);
        break;
      case 'INSERT_BEFORE':
        if (!hasRouteMatch(rp)) {
          routes.unshift(cloneValue(s, rp));
          done = true;
        } else done = insertAt(routes, m, cloneValue(s, rp), false);
        break;
      case 'INSERT_FIRST':
        if (!hasRouteMatch(rp) || routes.some(m)) {
          routes.unshift(cloneValue(s, rp));
          done = true;
        }
        break;
      case 'MERGE':
      case 'MERGE_AND_REPLACE_LIST':
      case 'REMOVE':
        // Applied to the matched route by the loop above.
        break;
      case 'REPLACE':
        // istiod replaces only HTTP and network filters; on a route it does nothing.
        break;
    }
    if (done) {
      rp.applied = true;
      s.touched.set(vh, rp);
    }
  }
  if (removed || 'routes' in vh || routes.length > 0) vh['routes'] = routes.filter((r): r is JsonObject => r !== null);
}
