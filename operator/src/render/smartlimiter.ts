/**
 * SmartLimiter → one EnvoyFilter (and, for global limits, the rate limit service's
 * ConfigMap). Every limit is its own filter instance, named after the resource and the
 * limit, so several limits on one route and several resources on one workload coexist
 * (one instance per limit is also how Envoy gets several local limits per route,
 * envoyproxy/envoy#14732).
 *
 * A limit for a whole port configures its filter directly. A limit scoped to a host or
 * route installs an inert filter and enables it through that host's or route's
 * typed_per_filter_config.
 */
import type { EffectiveLimit, Limit, SmartLimiter } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import type { Finding } from '../validate/rule.js';
import { rules } from '../validate/catalogue.js';
import type { RenderContext } from './context.js';
import { isPodReady, podsSelectedBy } from './context.js';
import { isSelective, planDescriptors, type Variant } from './descriptors.js';
import { envoyFilter, generatedMetadata } from './objects.js';
import { durationMs, formatDuration, podBucket, protoDuration, rlsUnit, tokenBucketJson, unlimitedBucket } from './rate.js';
import { descriptorTree, formatRlsConfig, rlsConfigKey, type RlsLeaf } from './rls.js';
import { inboundPorts, resolveTarget, type ResolvedTarget } from './target.js';
import { fillTemplate } from './templates.js';
import { againstPlaceholder, Origins, type RenderResult } from './result.js';
import { gatewayInstall, insertBeforeRouter, perFilterConfigPatch, proxyContext, type Install, type PatchScope } from './patches.js';
import { defaultIstioMinors, envoyOf, until } from '../versions/table.js';
import { ENVOY_BOUNDARIES } from '../versions/boundaries.js';

export const noRateLimitService = rules.MW604;
export const unknownReplicas = rules.MW605;
export const conflictingBodies = rules.MW606;

export const spoofableClientAddress = rules.MW612;

export const defaultLimiterPriority = 10;
export const defaultDomain = 'meshwarden';
/** Per-value buckets each pod keeps for distinctBy (Envoy's default of 20 would let an evicted value start over). */
export const defaultMaxValues = 10000;

export function limiterObjectName(name: string): string {
  return `${name}-ratelimit`;
}

export function renderSmartLimiter(sl: SmartLimiter, ctx: RenderContext): RenderResult {
  const ns = sl.metadata.namespace ?? 'default';
  const name = sl.metadata.name ?? '';
  const findings: Finding[] = [];
  const { resolved: found, placeholder, findings: targetFindings } = resolveTarget(sl.spec.target, sl.spec.subset, ns, ctx, 'spec.target');
  findings.push(...targetFindings);
  const resolved = found ?? placeholder;
  if (!resolved) return { objects: [], findings, effective: [], origins: new Origins() };

  const replicas = replicaCount(sl, resolved, ns, ctx, findings);
  const origins = new Origins();
  const patches: object[] = [];
  const bodies = new Map<string, { body: string; status: number; path: string; scope: PatchScope }>();
  const rlsLeaves: RlsLeaf[] = [];
  const effective: EffectiveLimit[] = [];
  const rls = sl.spec.rateLimitService ?? ctx.rateLimitService;

  sl.spec.limits.forEach((limit, i) => {
    const path = `spec.limits[${i}]`;
    const installs = limitInstalls(limit, resolved, ns, ctx, path, findings);
    if (installs.some((x) => x.filter.context === 'SIDECAR_INBOUND')) {
      const byAddress = limit.match?.sourceCIDRs ? `${path}.match.sourceCIDRs` : limit.distinctBy?.sourceIP ? `${path}.distinctBy.sourceIP` : undefined;
      if (byAddress) {
        findings.push(
          spoofableClientAddress.finding(
            byAddress,
            'on sidecar inbound the client address comes from the X-Forwarded-For header, which any caller can set',
            'limit by client address at the ingress gateway, which sees the real peer, and forward identity (a header) to the workload',
          ),
        );
      }
    }
    if (installs.length === 0) return;
    const retryAfter = limit.response?.retryAfter === true && retryAfterAvailable(ctx, `${path}.response.retryAfter`, findings);
    const filterName = `meshwarden.ratelimit.${ns}.${name}.${limit.name}`;
    const statPrefix = `meshwarden.${ns}.${name}.${limit.name}`;
    const strategy = limit.strategy ?? 'perPod';

    if (strategy === 'global') {
      if (!rls) {
        findings.push(noRateLimitService.finding(`${path}.strategy`, 'a global limit needs a rate limit service', 'set spec.rateLimitService or start the operator with --rate-limit-service'));
        return;
      }
      const variants = planDescriptors(limit, `${ns}/${name}/${limit.name}`);
      const rateLimits = variants.map((v) => ({ actions: v.actions }));
      for (const install of installs) {
        const config = globalFilterConfig(limit, rls, install.route ? undefined : rateLimits, retryAfter);
        patches.push(origins.note(insertBeforeRouter(install.filter, { name: filterName, typed_config: config }), path));
        if (install.route) {
          patches.push(origins.note(perFilterConfigPatch(install.route, limit, filterName, fillTemplate('global-ratelimit-route', { rateLimits })), path));
        }
      }
      for (const v of variants) {
        rlsLeaves.push({ entries: v.entries, unit: rlsUnit(limit.rate.per), requestsPerUnit: limit.rate.requests, shadow: limit.mode === 'shadow' });
      }
      effective.push({ limit: limit.name, strategy, per: limit.rate.per });
    } else {
      const bucket = podBucket(limit, replicas);
      const config = localFilterConfig(limit, statPrefix, tokenBucketJson(bucket), retryAfter);
      for (const install of installs) {
        const typedConfig = install.route ? fillTemplate('local-ratelimit-passthrough', { statPrefix }) : config;
        patches.push(origins.note(insertBeforeRouter(install.filter, { name: filterName, typed_config: typedConfig }), path));
        if (install.route) patches.push(origins.note(perFilterConfigPatch(install.route, limit, filterName, config), path));
      }
      effective.push({
        limit: limit.name,
        strategy,
        ...(strategy === 'average' ? { replicas } : {}),
        perPodRequests: bucket.tokensPerFill,
        per: formatDuration(bucket.fillIntervalMs),
      });
    }

    if (limit.response?.body !== undefined) {
      const status = limit.response.status ?? 429;
      for (const { filter: scope } of installs) {
        const key = `${scope.context}/${scope.port ?? '*'}/${status}`;
        const prior = bodies.get(key);
        if (prior && prior.body !== limit.response.body) {
          findings.push(
            conflictingBodies.finding(
              `${path}.response.body`,
              `${prior.path} already sets a different body for status ${status} on the same port`,
              'use one body per port and status, or give the limits different response statuses',
            ),
          );
        } else if (!prior) {
          bodies.set(key, { body: limit.response.body, status, path: `${path}.response.body`, scope });
        }
      }
    }
  });

  for (const { body, status, scope, path } of bodies.values()) {
    patches.push(origins.note(fillTemplate('local-reply-body', { context: scope.context, port: scope.port, status, body }) as object, path));
  }

  const objects: K8sObject[] = [];
  if (patches.length > 0) {
    objects.push(envoyFilter(generatedMetadata(sl, limiterObjectName(name)), resolved.selector, sl.spec.priority ?? defaultLimiterPriority, patches));
  }
  if (rls && rlsLeaves.length > 0) objects.push(origins.note(rlsConfigMap(sl, rls, rlsLeaves), 'spec.rateLimitService'));
  const result = { objects, findings, effective, origins };
  return found ? result : againstPlaceholder(result);
}

function replicaCount(sl: SmartLimiter, resolved: ResolvedTarget, ns: string, ctx: RenderContext, findings: Finding[]): number {
  if (ctx.replicas !== undefined) return ctx.replicas;
  const selected = podsSelectedBy(ctx, ns, resolved.selector);
  const needsCount = sl.spec.limits.some((l) => l.strategy === 'average');
  if (needsCount && selected.length === 0 && ctx.pods.length === 0) {
    const i = sl.spec.limits.findIndex((l) => l.strategy === 'average');
    findings.push(
      unknownReplicas.finding(`spec.limits[${i}].strategy`, 'the number of ready replicas is unknown, so each pod is given the whole rate', 'pass --replicas N or the Pods with the input'),
    );
    return 1;
  }
  return selected.filter(isPodReady).length;
}

/** Where a limit is installed (see Install). Outbound limits always name a host, so they are always scoped. */
function limitInstalls(limit: Limit, resolved: ResolvedTarget, ns: string, ctx: RenderContext, path: string, findings: Finding[]): Install[] {
  const context = proxyContext(resolved.kind, limit.direction);
  const scoped = limit.host !== undefined || limit.route !== undefined;
  if (context === 'GATEWAY') return [gatewayInstall(limit.port, scoped)];
  if (context === 'SIDECAR_OUTBOUND') {
    const scope = { context, port: limit.port };
    return [{ filter: scope, route: scope }];
  }
  const { ports, findings: portFindings } = inboundPorts(resolved, limit.port, ns, ctx, path);
  findings.push(...portFindings);
  return ports.map((port) => (scoped ? { filter: { context, port }, route: { context, port } } : { filter: { context, port } }));
}

function responseHeaders(limit: Limit): unknown[] | undefined {
  const headers = Object.entries(limit.response?.headers ?? {});
  if (headers.length === 0) return undefined;
  return headers.map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }));
}

function localFilterConfig(limit: Limit, statPrefix: string, bucket: Record<string, unknown>, retryAfter: boolean): unknown {
  const selective = isSelective(limit);
  const variants: Variant[] = selective ? planDescriptors(limit, limit.name) : [];
  return fillTemplate('local-ratelimit', {
    statPrefix,
    runtimeKey: statPrefix.replace(/\./g, '_'),
    enforcedPercent: limit.mode === 'shadow' ? 0 : 100,
    tokenBucket: selective ? tokenBucketJson(unlimitedBucket) : bucket,
    status: limit.response?.status !== undefined ? { code: limit.response.status } : undefined,
    responseHeaders: responseHeaders(limit),
    retryAfter: retryAfter ? true : undefined,
    rateLimits: selective ? variants.map((v) => ({ actions: v.actions })) : undefined,
    descriptors: selective ? variants.map((v) => ({ entries: v.entries.map((e) => ({ key: e.key, value: e.value ?? '' })), token_bucket: bucket })) : undefined,
    alwaysConsumeDefault: selective ? false : undefined,
    maxDynamicDescriptors: limit.distinctBy ? (limit.distinctBy.maxValues ?? defaultMaxValues) : undefined,
  });
}

/**
 * Whether every targeted Istio version runs an Envoy with `enable_retry_after_header`
 * (ENVOY_BOUNDARIES.retryAfterHeader); otherwise MW613 names the field and the option is left
 * out: istiod of an older minor would drop the unknown field silently. ADR 0111.
 */
function retryAfterAvailable(ctx: RenderContext, path: string, findings: Finding[]): boolean {
  const targets = ctx.istioVersions ?? defaultIstioMinors();
  const older = targets.filter((v) => {
    const envoy = envoyOf(v);
    return envoy !== undefined && until(envoy, ENVOY_BOUNDARIES.retryAfterHeader, 'envoy');
  });
  if (older.length === 0) return true;
  findings.push(
    rules.MW613.finding(
      path,
      `response.retryAfter needs Envoy ${ENVOY_BOUNDARIES.retryAfterHeader} (enable_retry_after_header), but Istio ${older.join(', ')} ${older.length > 1 ? 'run' : 'runs'} Envoy ${older.map((v) => envoyOf(v)).join(', ')}: istiod there drops the field, so no Retry-After would be sent`,
    ),
  );
  return false;
}

function globalFilterConfig(limit: Limit, rls: NonNullable<SmartLimiter['spec']['rateLimitService']>, rateLimits: unknown[] | undefined, retryAfter: boolean): unknown {
  return fillTemplate('global-ratelimit', {
    rateLimits,
    domain: rls.domain ?? defaultDomain,
    failureModeDeny: rls.failureMode === 'deny',
    timeout: protoDuration(rls.timeout !== undefined ? durationMs(rls.timeout) : 100),
    status: limit.response?.status !== undefined ? { code: limit.response.status } : undefined,
    responseHeaders: responseHeaders(limit),
    retryAfter: retryAfter ? true : undefined,
    cluster: `outbound|${rls.port}||${rls.host}`,
  });
}

function rlsConfigMap(sl: SmartLimiter, rls: NonNullable<SmartLimiter['spec']['rateLimitService']>, leaves: RlsLeaf[]): K8sObject {
  const domain = rls.domain ?? defaultDomain;
  const cmNamespace = rls.configMap?.namespace ?? rls.host.split('.')[1] ?? sl.metadata.namespace ?? 'default';
  const meta = generatedMetadata(sl, rls.configMap?.name ?? 'ratelimit-config', cmNamespace);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta,
    data: { [rlsConfigKey(domain)]: formatRlsConfig({ domain, descriptors: descriptorTree(leaves) }) },
  };
}
