/**
 * Types of the istiod patch simulator. Envoy config is plain JSON (snake_case field names,
 * `@type` on Any values), the subset of an Envoy config dump that EnvoyFilters can patch.
 */
import type { Finding } from '../rule.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** The patchable xDS state of one proxy: LDS, RDS, CDS (and ECDS added by EXTENSION_CONFIG). */
export interface XdsConfig {
  listeners: JsonObject[];
  routes: JsonObject[];
  clusters: JsonObject[];
  extension_configs?: JsonObject[];
  /** Facts about how the baseline was generated; not part of an Envoy dump. */
  meta?: BaselineMeta;
}

export interface BaselineMeta {
  istioVersion: string;
  proxyKind: ProxyKind;
  /** Sidecar: the Service port → container targetPort pairs that got inbound chains. */
  inboundPorts?: Array<{ servicePort: number; targetPort: number; protocol?: 'http' | 'tcp' }>;
  /** Gateway: container port (listener/RDS port) → Gateway server ports (istiod's GatewayPortMap). */
  gatewayPortMap?: Record<string, number[]>;
}

export type ProxyKind = 'sidecar' | 'gateway';

export type ApplyTo =
  'LISTENER' | 'FILTER_CHAIN' | 'NETWORK_FILTER' | 'HTTP_FILTER' | 'ROUTE_CONFIGURATION' | 'VIRTUAL_HOST' | 'HTTP_ROUTE' | 'CLUSTER' | 'EXTENSION_CONFIG' | 'BOOTSTRAP' | 'LISTENER_FILTER';

export type Operation = 'MERGE' | 'ADD' | 'REMOVE' | 'INSERT_BEFORE' | 'INSERT_AFTER' | 'INSERT_FIRST' | 'REPLACE' | 'MERGE_AND_REPLACE_LIST';

export type PatchContext = 'ANY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';

export interface ListenerMatch {
  portNumber?: number;
  portName?: string;
  name?: string;
  listenerFilter?: string;
  filterChain?: {
    name?: string;
    sni?: string;
    transportProtocol?: string;
    applicationProtocols?: string;
    destinationPort?: number;
    /** Istio 1.32+: the name of the chain's transport socket (versioned-matches.ts). */
    transportSocket?: string;
    filter?: { name?: string; subFilter?: { name?: string } };
  };
}

export interface RouteConfigurationMatch {
  portNumber?: number;
  portName?: string;
  gateway?: string;
  name?: string;
  vhost?: {
    name?: string;
    domainName?: string;
    route?: { name?: string; action?: 'ANY' | 'ROUTE' | 'REDIRECT' | 'DIRECT_RESPONSE' };
  };
}

export interface ClusterMatch {
  portNumber?: number;
  service?: string;
  subset?: string;
  name?: string;
}

export interface ConfigPatchMatch {
  context?: PatchContext;
  proxy?: { proxyVersion?: string; metadata?: Record<string, string> };
  listener?: ListenerMatch;
  routeConfiguration?: RouteConfigurationMatch;
  cluster?: ClusterMatch;
}

export interface ConfigPatch {
  /** An {@link ApplyTo}, or whatever the user wrote (the schema layer reports an unknown one). */
  applyTo?: string;
  match?: ConfigPatchMatch;
  /** `operation`: an {@link Operation}, or whatever the user wrote. */
  patch?: { operation?: string; value?: JsonObject; filterClass?: string };
}

export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** `networking.istio.io/v1alpha3` (or v1) EnvoyFilter as read from the API server or a file. */
export interface EnvoyFilterObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; creationTimestamp?: string; [k: string]: unknown };
  spec?: {
    workloadSelector?: { labels?: Record<string, string> };
    targetRefs?: PolicyTargetReference[];
    priority?: number;
    configPatches?: ConfigPatch[];
  };
}

export interface ProxyInfo {
  kind: ProxyKind;
  /** Full `ISTIO_VERSION` of the proxy, e.g. `1.28.0`; drives proxyVersion matching and version semantics. */
  istioVersion: string;
  labels: Record<string, string>;
  namespace: string;
  /** Mesh config rootNamespace; `istio-system` by default. */
  rootNamespace?: string;
  /** Raw node metadata for `match.proxy.metadata`. */
  metadata?: Record<string, string>;
}

export interface PatchFinding {
  /** Index of the EnvoyFilter in the array given to applyEnvoyFilters. */
  filterIndex: number;
  finding: Finding;
}

export interface ApplyResult {
  config: XdsConfig;
  findings: PatchFinding[];
  /** Indexes of the EnvoyFilters that attach to this proxy, in istiod's application order. */
  applied: number[];
}
