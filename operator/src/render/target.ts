/**
 * Resolves a target (service, workloadSelector or gateway) into the pod selector and
 * the listener ports the EnvoyFilter patches must match. Inbound listeners are keyed by
 * the container port (the Service's targetPort), not the Service port.
 */
import type { Target } from '../api/types.gen.js';
import type { Finding } from '../validate/rule.js';
import { rules } from '../validate/catalogue.js';
import { isHttpPort, podsSelectedBy, type RenderContext, type Service, type ServicePort } from './context.js';
import { indexedPerArray } from '../util/array-index.js';

export const targetNotFound = rules.MW601;
export const portNotFound = rules.MW602;
export const namedTargetPort = rules.MW603;

export type ProxyKind = 'sidecar' | 'gateway';

export interface ResolvedTarget {
  kind: ProxyKind;
  /** workloadSelector labels of the generated objects (target selector plus subset). */
  selector: Record<string, string>;
  /** Maps a user-facing port to the listener port; `undefined` when the target has no Service. */
  service?: { name: string; ports: ServicePort[] };
}

/** Services by namespace and name, the first one of a key winning as `Array.find` would. */
const servicesByName = indexedPerArray((services: readonly Service[]) => {
  const byNamespace = new Map<string, Map<unknown, Service>>();
  for (const s of services) {
    const ns = s.metadata.namespace ?? 'default';
    let names = byNamespace.get(ns);
    if (!names) byNamespace.set(ns, (names = new Map<unknown, Service>()));
    if (!names.has(s.metadata.name)) names.set(s.metadata.name, s);
  }
  return byNamespace;
});

function findService(services: readonly Service[], namespace: string, name: string): Service | undefined {
  // A miss is an error finding, so rare: scan then, in case an element was replaced in place.
  return servicesByName(services).get(namespace)?.get(name) ?? services.find((s) => s.metadata.name === name && (s.metadata.namespace ?? 'default') === namespace);
}

/**
 * Stands in for a Service target that does not resolve (yet): rendering against it lets the
 * cluster-independent checks of the resource (regexes, Lua, rates, proto fields) run while the
 * Service is missing. What it renders is validated, never applied (evaluate.ts, ADR 0104).
 */
function placeholderTarget(subset: Record<string, string> | undefined): ResolvedTarget {
  return { kind: 'sidecar', selector: { 'meshwarden.io/placeholder': 'unresolved-service', ...subset } };
}

export function resolveTarget(
  target: Target,
  subset: Record<string, string> | undefined,
  namespace: string,
  ctx: RenderContext,
  path: string,
): { resolved?: ResolvedTarget; placeholder?: ResolvedTarget; findings: Finding[] } {
  if (target.workloadSelector) {
    return { resolved: { kind: 'sidecar', selector: { ...target.workloadSelector.matchLabels, ...subset } }, findings: [] };
  }
  if (target.gateway) {
    return { resolved: { kind: 'gateway', selector: { ...target.gateway.selector, ...subset } }, findings: [] };
  }
  const name = target.service!;
  const svc = findService(ctx.services, namespace, name);
  if (!svc) {
    return {
      placeholder: placeholderTarget(subset),
      findings: [
        targetNotFound.finding(
          `${path}.service`,
          `Service "${name}" not found in namespace "${namespace}"`,
          'create the Service, pass its manifest with the input, or target pods with workloadSelector',
        ),
      ],
    };
  }
  const selector = svc.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) {
    return {
      placeholder: placeholderTarget(subset),
      findings: [targetNotFound.finding(`${path}.service`, `Service "${name}" has no selector, so it selects no pods`, 'target the pods with workloadSelector')],
    };
  }
  return { resolved: { kind: 'sidecar', selector: { ...selector, ...subset }, service: { name, ports: svc.spec?.ports ?? [] } }, findings: [] };
}

/**
 * The inbound listener ports for a user-given port (or every HTTP port when omitted).
 * `[undefined]` means "every port" (no portNumber in the match).
 */
export function inboundPorts(resolved: ResolvedTarget, port: number | undefined, namespace: string, ctx: RenderContext, path: string): { ports: Array<number | undefined>; findings: Finding[] } {
  if (!resolved.service) return { ports: [port], findings: [] };
  const svcPorts = resolved.service.ports;
  const chosen = port === undefined ? svcPorts.filter(isHttpPort) : svcPorts.filter((p) => p.port === port);
  if (chosen.length === 0) {
    const known = svcPorts.map((p) => `${p.port}${p.name ? ` (${p.name})` : ''}`).join(', ') || 'none';
    return {
      ports: [],
      findings: [
        portNotFound.finding(
          port === undefined ? path : `${path}.port`,
          port === undefined ? `Service "${resolved.service.name}" has no HTTP port` : `port ${port} is not a port of Service "${resolved.service.name}"`,
          `use one of its ports: ${known}`,
        ),
      ],
    };
  }
  const ports: number[] = [];
  const findings: Finding[] = [];
  for (const p of chosen) {
    if (port !== undefined && !isHttpPort(p)) {
      findings.push(
        portNotFound.finding(`${path}.port`, `port ${p.port} (${p.name ?? p.appProtocol}) is not an HTTP port`, 'HTTP filters only run on HTTP ports; name the port http-* or set appProtocol: http'),
      );
      continue;
    }
    const tp = p.targetPort ?? p.port;
    if (typeof tp === 'number') {
      ports.push(tp);
      continue;
    }
    const containerPort = namedPort(ctx, namespace, resolved.selector, tp);
    if (containerPort === undefined) {
      findings.push(
        namedTargetPort.finding(
          port === undefined ? path : `${path}.port`,
          `targetPort "${tp}" of Service port ${p.port} names no container port of the selected pods`,
          'pass the Pods (or use a numeric targetPort) so the container port is known',
        ),
      );
      continue;
    }
    ports.push(containerPort);
  }
  return { ports: [...new Set(ports)].sort((a, b) => a - b), findings };
}

function namedPort(ctx: RenderContext, namespace: string, selector: Record<string, string>, name: string): number | undefined {
  for (const pod of podsSelectedBy(ctx, namespace, selector)) {
    for (const c of pod.spec?.containers ?? []) {
      const p = c.ports?.find((cp) => cp.name === name);
      if (p) return p.containerPort;
    }
  }
  return undefined;
}
