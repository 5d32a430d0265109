/**
 * CLUSTER patches (MERGE, REMOVE, ADD) and istiod's assembly of CDS: service clusters first,
 * then the others with the inserted ones, the first of a name kept (MW407 for a duplicate).
 */
import { clone, isObject, mergeAnyWithAny, PatchPanic } from '../merge.js';
import { MW407 } from '../rules.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { JsonObject, PatchContext } from '../types.js';
import { cloneValue, ctxMatch, isMerge, list, mergeValue, objs, report, str, withPanic } from './operations.js';
import { parseSubsetKey } from './subset-key.js';

function clusterHosts(c: JsonObject): string[] {
  const md = c['metadata'];
  const fm = isObject(md) ? md['filter_metadata'] : undefined;
  const istio = isObject(fm) ? fm['istio'] : undefined;
  const svcs = isObject(istio) ? istio['services'] : undefined;
  return objs(svcs)
    .map((x) => str(x['host']))
    .filter((h) => h !== '');
}

function clusterMatch(c: JsonObject, cp: PatchWrapper, hosts: string[]): boolean {
  const m = cp.match.cluster;
  if (!m) return true;
  const name = str(c['name']);
  if (m.name) return m.name === name;
  const k = parseSubsetKey(name);
  const hostMatches = k.direction === 'inbound' && hosts.length > 0 ? hosts : [k.host];
  if (m.subset && m.subset !== k.subset) return false;
  if (m.service && !hostMatches.includes(m.service)) return false;
  if (m.portNumber && m.portNumber !== k.port) return false;
  return true;
}

function applyClusterMerge(s: SimState, ctx: PatchContext, c: JsonObject, hosts: string[]): JsonObject | null {
  for (const cp of list(s, 'CLUSTER')) {
    if (cp.op === 'REMOVE' && ctxMatch(ctx, cp) && clusterMatch(c, cp, hosts)) {
      cp.applied = true;
      return null;
    }
    if (!isMerge(s, cp.op)) continue;
    if (ctxMatch(ctx, cp) && clusterMatch(c, cp, hosts)) {
      try {
        if (!mergeClusterTransportSocket(s, cp, c)) mergeValue(s, cp, c);
      } catch (e) {
        if (!(e instanceof PatchPanic)) throw e;
        return c;
      }
      s.touched.set(c, cp);
      cp.applied = true;
    }
  }
  return c;
}

function mergeClusterTransportSocket(s: SimState, cp: PatchWrapper, c: JsonObject): boolean {
  const ts = cp.value['transport_socket'];
  if (!isObject(ts)) return false;
  const tsms = objs(c['transport_socket_matches']);
  let target: JsonObject | undefined;
  if (tsms.length > 0) {
    for (const m of tsms) {
      const t = m['transport_socket'];
      if (isObject(t) && t['name'] === ts['name']) {
        target = t;
        break;
      }
    }
    // No same-named socket: istiod drops the patch rather than produce transport_socket + matches.
    if (!target) return true;
  } else if (isObject(c['transport_socket']) && c['transport_socket']['name'] === ts['name']) {
    target = c['transport_socket'];
  }
  if (!target) {
    c['transport_socket'] = clone(ts);
    return true;
  }
  const dst = target['typed_config'];
  const src = ts['typed_config'];
  if (isObject(dst) && isObject(src)) {
    target['typed_config'] = withPanic(s, cp, `${cp.path}.patch.value.transport_socket.typed_config`, () => mergeAnyWithAny(dst, src));
  }
  return true;
}

function insertedClusters(s: SimState, ctx: PatchContext): JsonObject[] {
  const out: JsonObject[] = [];
  for (const cp of list(s, 'CLUSTER')) {
    if (cp.op !== 'ADD') continue;
    if (cp.context === 'ANY' && ctx !== 'SIDECAR_OUTBOUND' && ctx !== 'GATEWAY') continue;
    if (ctxMatch(ctx, cp)) {
      out.push(cloneValue(s, cp));
      cp.applied = true;
    }
  }
  return out;
}

export function buildClusters(s: SimState, baseline: JsonObject[]): JsonObject[] {
  const gateway = s.proxy.kind === 'gateway';
  const outCtx: PatchContext = gateway ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
  const isInbound = (c: JsonObject) => str(c['name']).startsWith('inbound|');
  const isInboundPassthrough = (c: JsonObject) => str(c['name']).startsWith('InboundPassthroughCluster');
  const isOutboundService = (c: JsonObject) => str(c['name']).startsWith('outbound|');
  const patched = (ctx: PatchContext, cs: JsonObject[]) => cs.map((c) => applyClusterMerge(s, ctx, c, clusterHosts(c))).filter((c): c is JsonObject => c !== null);

  // Service clusters go straight to the response ("resources"); istiod does not de-duplicate them.
  const resources = patched(outCtx, baseline.filter(isOutboundService));
  const rest: JsonObject[] = patched(
    outCtx,
    baseline.filter((c) => !isOutboundService(c) && !isInbound(c) && !isInboundPassthrough(c)),
  );
  rest.push(...insertedClusters(s, outCtx));
  if (!gateway) {
    rest.push(...patched('SIDECAR_INBOUND', baseline.filter(isInbound)));
    rest.push(...patched('SIDECAR_INBOUND', baseline.filter(isInboundPassthrough)));
    rest.push(...insertedClusters(s, 'SIDECAR_INBOUND'));
  }
  // normalizeClusters: the first cluster of a name wins, later ones are dropped with a push metric only.
  const seen = new Map<string, JsonObject>();
  const kept: JsonObject[] = [];
  for (const c of rest) {
    const name = str(c['name']);
    const first = seen.get(name);
    if (first) {
      const mine = s.provenance.get(c);
      const by = mine ?? s.provenance.get(first);
      if (by) {
        const what = mine ? 'the added cluster is dropped' : 'the added cluster replaces the one istiod generates (inserted outbound clusters come before inbound ones)';
        report(
          s,
          by,
          MW407.finding(
            by.path,
            `cluster ${JSON.stringify(name)} exists twice: istiod keeps the first and silently drops the other ("Duplicate cluster ... found while pushing CDS"); ${what}`,
            'Give the added cluster a unique name, or MERGE into the existing cluster instead of ADD.',
          ),
        );
      }
      continue;
    }
    seen.set(name, c);
    kept.push(c);
  }
  for (const c of kept) {
    const name = str(c['name']);
    if (name !== '' && resources.some((r) => r['name'] === name)) {
      const by = s.provenance.get(c);
      if (by) {
        report(
          s,
          by,
          MW407.finding(
            by.path,
            `cluster ${JSON.stringify(name)} duplicates a service cluster istiod generates: both are pushed and Envoy rejects the whole CDS update`,
            'Do not ADD clusters named like Istio service clusters (outbound|port|subset|host); MERGE into them instead.',
          ),
        );
      }
    }
  }
  return [...resources, ...kept];
}
