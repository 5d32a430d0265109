/**
 * istiod's listener-side matchers (listener_patch.go): a patch's match.listener against a
 * listener, a filter chain, a network, HTTP or listener filter.
 */
import { VIRTUAL_INBOUND, VIRTUAL_OUTBOUND } from '../names.js';
import { isObject } from '../merge.js';
import type { PatchWrapper } from '../sim-state.js';
import type { JsonObject } from '../types.js';
import { transportSocketMatches } from '../versioned-matches.js';
import { num } from './operations.js';

function listenerPort(lis: JsonObject): number {
  const addr = lis['address'];
  const sa = isObject(addr) ? addr['socket_address'] : undefined;
  return isObject(sa) ? num(sa['port_value']) : 0;
}

export function listenerMatch(lis: JsonObject, lp: PatchWrapper): boolean {
  const m = lp.match.listener;
  if (!m) return true;
  if (m.name && m.name !== lis['name']) return false;
  const name = lis['name'];
  if (lp.applyTo !== 'LISTENER' && (name === VIRTUAL_INBOUND || name === VIRTUAL_OUTBOUND)) return true;
  if (m.portNumber && listenerPort(lis) !== m.portNumber) return false;
  return true;
}

function fcm(fc: JsonObject): JsonObject | undefined {
  const m = fc['filter_chain_match'];
  return isObject(m) ? m : undefined;
}

export function filterChainMatch(lis: JsonObject, fc: JsonObject, lp: PatchWrapper): boolean {
  const m = lp.match.listener;
  if (!m) return true;
  const isVirtual = lis['name'] === VIRTUAL_INBOUND || lis['name'] === VIRTUAL_OUTBOUND;
  if (isVirtual && m.portNumber && num(fcm(fc)?.['destination_port']) !== m.portNumber) return false;
  const c = m.filterChain;
  if (!c) return true;
  const match = fcm(fc);
  if (c.name && c.name !== fc['name']) return false;
  if (c.sni) {
    const names = match?.['server_names'];
    if (!Array.isArray(names) || !names.includes(c.sni)) return false;
  }
  if (c.transportProtocol && (!match || match['transport_protocol'] !== c.transportProtocol)) return false;
  if (c.applicationProtocols) {
    if (!match) return false;
    const have = Array.isArray(match['application_protocols']) ? match['application_protocols'] : [];
    for (const p of c.applicationProtocols.split(',')) if (!have.includes(p)) return false;
  }
  if (c.destinationPort && (!match || num(match['destination_port']) !== c.destinationPort)) return false;
  // Absent from the match before Istio 1.32 (matchAsRead).
  if (c.transportSocket && !transportSocketMatches(fc, c.transportSocket)) return false;
  return true;
}

export const hasListenerFilterMatch = (lp: PatchWrapper) => !!lp.match.listener?.listenerFilter;
export const hasNetworkFilterMatch = (lp: PatchWrapper) => !!lp.match.listener?.filterChain?.filter;
export const hasHTTPFilterMatch = (lp: PatchWrapper) => hasNetworkFilterMatch(lp) && !!lp.match.listener?.filterChain?.filter?.subFilter;

export function networkFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasNetworkFilterMatch(lp)) return true;
  return lp.match.listener?.filterChain?.filter?.name === f['name'];
}
export function httpFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasHTTPFilterMatch(lp)) return true;
  return lp.match.listener?.filterChain?.filter?.subFilter?.name === f['name'];
}
export function listenerFilterMatch(f: JsonObject, lp: PatchWrapper): boolean {
  if (!hasListenerFilterMatch(lp)) return true;
  return lp.match.listener?.listenerFilter === f['name'];
}
