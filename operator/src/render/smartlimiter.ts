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
import { defineRule, type Finding } from '../validate/rule.js';
import type { RenderContext } from './context.js';
import { isPodReady, podsSelectedBy } from './context.js';
import { isSelective, planDescriptors, type Variant } from './descriptors.js';
import { envoyFilter, generatedMetadata } from './objects.js';
import { durationMs, formatDuration, podBucket, protoDuration, rlsUnit, tokenBucketJson, unlimitedBucket } from './rate.js';
import { descriptorTree, formatRlsConfig, rlsConfigKey, type RlsLeaf } from './rls.js';
import { inboundPorts, resolveTarget, type ResolvedTarget } from './target.js';
import { fillTemplate } from './templates.js';
import type { RenderResult } from './result.js';
import { insertBeforeRouter, perFilterConfigPatch, proxyContext, type PatchScope } from './patches.js';

export const noRateLimitService = defineRule({
  code: 'MW604',
  layer: 'cross',
  severity: 'error',
  title: 'A global limit has no rate limit service (neither spec.rateLimitService nor the operator default)',
  source: 'https://github.com/envoyproxy/ratelimit#overview',
  failureModes: [20],
});
export const unknownReplicas = defineRule({
  code: 'MW605',
  layer: 'cross',
  severity: 'warning',
  title: 'An average limit cannot know the number of ready replicas; it assumes 1',
  source: 'https://github.com/meshwarden/meshwarden/blob/main/docs/reference.md',
});
export const conflictingBodies = defineRule({
  code: 'MW606',
  layer: 'cross',
  severity: 'error',
  title: 'Limits on the same port ask for different response bodies (one body per HTTP connection manager)',
  source: 'https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply',
});

export const defaultLimiterPriority = 10;
export const defaultDomain = 'meshwarden';

export function limiterObjectName(name: string): string {
  return `${name}-ratelimit`;
}

export function renderSmartLimiter(sl: SmartLimiter, ctx: RenderContext): RenderResult {
  const ns = sl.metadata.namespace ?? 'default';
  const name = sl.metadata.name ?? '';
  const findings: Finding[] = [];
  const { resolved, findings: targetFindings } = resolveTarget(sl.spec.target, sl.spec.subset, ns, ctx, 'spec.target');
  findings.push(...targetFindings);
  if (!resolved) return { objects: [], findings, effective: [] };

  const replicas = replicaCount(sl, resolved, ns, ctx, findings);
  const patches: unknown[] = [];
  const bodies = new Map<string, { body: string; path: string; scope: PatchScope }>();
  const rlsLeaves: RlsLeaf[] = [];
  const effective: EffectiveLimit[] = [];
  const rls = sl.spec.rateLimitService ?? ctx.rateLimitService;

  sl.spec.limits.forEach((limit, i) => {
    const path = `spec.limits[${i}]`;
    const scopes = limitScopes(limit, resolved, ns, ctx, path, findings);
    if (scopes.length === 0) return;
    const filterName = `meshwarden.ratelimit.${ns}.${name}.${limit.name}`;
    const statPrefix = `meshwarden.${ns}.${name}.${limit.name}`;
    const strategy = limit.strategy ?? 'perPod';

    if (strategy === 'global') {
      if (!rls) {
        findings.push(noRateLimitService.finding(`${path}.strategy`, 'a global limit needs a rate limit service', 'set spec.rateLimitService or start the operator with --rate-limit-service'));
        return;
      }
      const variants = planDescriptors(limit, `${ns}/${name}/${limit.name}`);
      const filter = { name: filterName, typed_config: globalFilterConfig(limit, rls) };
      const perRoute = fillTemplate('global-ratelimit-route', { rateLimits: variants.map((v) => ({ actions: v.actions })) });
      for (const scope of scopes) {
        patches.push(insertBeforeRouter(scope, filter));
        patches.push(perFilterConfigPatch(scope, limit, filterName, perRoute));
      }
      for (const v of variants) {
        rlsLeaves.push({ entries: v.entries, unit: rlsUnit(limit.rate.per), requestsPerUnit: limit.rate.requests, shadow: limit.mode === 'shadow' });
      }
      effective.push({ limit: limit.name, strategy, per: limit.rate.per });
    } else {
      const bucket = podBucket(limit, replicas);
      const config = localFilterConfig(limit, statPrefix, tokenBucketJson(bucket));
      const scoped = limit.host !== undefined || limit.route !== undefined;
      const filter = {
        name: filterName,
        typed_config: scoped ? fillTemplate('local-ratelimit-passthrough', { statPrefix }) : config,
      };
      for (const scope of scopes) {
        patches.push(insertBeforeRouter(scope, filter));
        if (scoped) patches.push(perFilterConfigPatch(scope, limit, filterName, config));
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
      for (const scope of scopes) {
        const key = `${scope.context}/${scope.port ?? '*'}`;
        const prior = bodies.get(key);
        if (prior && prior.body !== limit.response.body) {
          findings.push(conflictingBodies.finding(`${path}.response.body`, `${prior.path} already sets a different body for the same port`, 'use one body per port, or put the limits on different ports'));
        } else if (!prior) {
          bodies.set(key, { body: limit.response.body, path: `${path}.response.body`, scope });
        }
      }
    }
  });

  for (const { body, scope } of bodies.values()) {
    patches.push(fillTemplate('local-reply-body', { context: scope.context, port: scope.port, body }));
  }

  const objects: K8sObject[] = [];
  if (patches.length > 0) {
    objects.push(
      envoyFilter(generatedMetadata(sl, limiterObjectName(name)), resolved.selector, sl.spec.priority ?? defaultLimiterPriority, patches),
    );
  }
  if (rls && rlsLeaves.length > 0) objects.push(rlsConfigMap(sl, rls, rlsLeaves));
  return { objects, findings, effective };
}

function replicaCount(sl: SmartLimiter, resolved: ResolvedTarget, ns: string, ctx: RenderContext, findings: Finding[]): number {
  if (ctx.replicas !== undefined) return ctx.replicas;
  const selected = podsSelectedBy(ctx, ns, resolved.selector);
  const needsCount = sl.spec.limits.some((l) => l.strategy === 'average');
  if (needsCount && selected.length === 0 && ctx.pods.length === 0) {
    const i = sl.spec.limits.findIndex((l) => l.strategy === 'average');
    findings.push(unknownReplicas.finding(`spec.limits[${i}].strategy`, 'the number of ready replicas is unknown, so each pod is given the whole rate', 'pass --replicas N or the Pods with the input'));
    return 1;
  }
  return selected.filter(isPodReady).length;
}

/** The listeners (context and port) a limit is installed on. */
function limitScopes(limit: Limit, resolved: ResolvedTarget, ns: string, ctx: RenderContext, path: string, findings: Finding[]): PatchScope[] {
  const context = proxyContext(resolved.kind, limit.direction);
  if (context !== 'SIDECAR_INBOUND') return [{ context, port: limit.port }];
  const { ports, findings: portFindings } = inboundPorts(resolved, limit.port, ns, ctx, path);
  findings.push(...portFindings);
  return ports.map((port) => ({ context, port }));
}

function responseHeaders(limit: Limit): unknown[] | undefined {
  const headers = Object.entries(limit.response?.headers ?? {});
  if (headers.length === 0) return undefined;
  return headers.map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }));
}

function localFilterConfig(limit: Limit, statPrefix: string, bucket: Record<string, unknown>): unknown {
  const selective = isSelective(limit);
  const variants: Variant[] = selective ? planDescriptors(limit, limit.name) : [];
  return fillTemplate('local-ratelimit', {
    statPrefix,
    runtimeKey: statPrefix.replace(/\./g, '_'),
    enforcedPercent: limit.mode === 'shadow' ? 0 : 100,
    tokenBucket: selective ? tokenBucketJson(unlimitedBucket) : bucket,
    status: limit.response?.status !== undefined ? { code: limit.response.status } : undefined,
    responseHeaders: responseHeaders(limit),
    rateLimits: selective ? variants.map((v) => ({ actions: v.actions })) : undefined,
    descriptors: selective
      ? variants.map((v) => ({ entries: v.entries.map((e) => ({ key: e.key, value: e.value ?? '' })), token_bucket: bucket }))
      : undefined,
    alwaysConsumeDefault: selective ? false : undefined,
  });
}

function globalFilterConfig(limit: Limit, rls: NonNullable<SmartLimiter['spec']['rateLimitService']>): unknown {
  return fillTemplate('global-ratelimit', {
    domain: rls.domain ?? defaultDomain,
    failureModeDeny: rls.failureMode === 'deny',
    timeout: protoDuration(rls.timeout !== undefined ? durationMs(rls.timeout) : 100),
    status: limit.response?.status !== undefined ? { code: limit.response.status } : undefined,
    responseHeaders: responseHeaders(limit),
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
