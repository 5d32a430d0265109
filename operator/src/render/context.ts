/**
 * The cluster facts a renderer needs, gathered by its caller (the controller from
 * informers, the CLI from the input files): Services, Pods, defaults. Renderers do no I/O.
 */
import type { K8sObject } from '../k8s-object.js';
import type { RateLimitService } from '../api/types.gen.js';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends K8sObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[] };
}

export interface Pod extends K8sObject {
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

export interface RenderContext {
  services: Service[];
  pods: Pod[];
  /** Overrides the ready replica count used by `average` (CLI --replicas). */
  replicas?: number;
  /** Operator-wide default rate limit service for `global` limits. */
  rateLimitService?: RateLimitService;
  /**
   * The Istio versions the rendered objects must work on (`1.32` or `1.32.1`); default the
   * version table's default set. Options that need a newer Envoy are judged against them.
   */
  istioVersions?: readonly string[];
}

export const emptyContext: RenderContext = { services: [], pods: [] };

export function matchesLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function isPodReady(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function podsSelectedBy(ctx: RenderContext, namespace: string, selector: Record<string, string>): Pod[] {
  return ctx.pods.filter((p) => (p.metadata.namespace ?? 'default') === namespace && matchesLabels(p.metadata.labels, selector));
}

/**
 * Istio's protocol selection by port name or appProtocol: ports explicitly declared as
 * another protocol get no HTTP connection manager, so HTTP filters cannot apply there.
 * Unnamed ports are sniffed and may carry HTTP.
 */
const nonHttpProtocols = ['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis', 'udp', 'thrift'];

export function isHttpPort(p: ServicePort): boolean {
  const declared = (p.appProtocol ?? p.name?.split('-')[0] ?? '').toLowerCase();
  if ((p.protocol ?? 'TCP').toUpperCase() !== 'TCP') return false;
  return !nonHttpProtocols.includes(declared);
}
