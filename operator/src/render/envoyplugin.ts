/**
 * EnvoyPlugin → one EnvoyFilter for its Lua and native filters and raw patches, and one
 * Istio WasmPlugin per Wasm plugin.
 *
 * Lua and native filters are inserted before the router one after the other, so list
 * order is execution order. Istio places WasmPlugins by phase among its own filters,
 * which all come before anything inserted before the router: Wasm plugins therefore run
 * first, and the list must say so (a Wasm plugin after a Lua or native one is refused).
 */
import type { EnvoyPlugin, Plugin, RouteScope } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import type { Finding } from '../validate/rule.js';
import { rules } from '../validate/catalogue.js';
import type { RenderContext } from './context.js';
import { envoyFilter, generatedMetadata } from './objects.js';
import { insertBeforeRouter, perFilterConfigPatch, proxyContext, type PatchScope } from './patches.js';
import { againstPlaceholder, Origins, type RenderResult } from './result.js';
import { inboundPorts, resolveTarget, type ResolvedTarget } from './target.js';
import { fillTemplate } from './templates.js';
import { perRouteType } from './per-route-types.js';

export const wasmOrder = rules.MW607;
export const unknownPerRouteType = rules.MW608;

export const defaultPluginPriority = 20;
const phaseOrder = ['AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE'];

export function pluginFilterObjectName(name: string): string {
  return `${name}-plugins`;
}

export function wasmPluginObjectName(name: string, plugin: string): string {
  return `${name}-${plugin}`;
}

export function renderEnvoyPlugin(ep: EnvoyPlugin, ctx: RenderContext): RenderResult {
  const ns = ep.metadata.namespace ?? 'default';
  const name = ep.metadata.name ?? '';
  const findings: Finding[] = [];
  const { resolved: found, placeholder, findings: targetFindings } = resolveTarget(ep.spec.target, ep.spec.subset, ns, ctx, 'spec.target');
  findings.push(...targetFindings);
  const resolved = found ?? placeholder;
  if (!resolved) return { objects: [], findings, effective: [], origins: new Origins() };

  const { filterScopes, routeScopes } = pluginScopes(ep, resolved, ns, ctx, findings);
  const plugins = ep.spec.plugins ?? [];
  findings.push(...checkOrder(plugins));

  const origins = new Origins();
  const patches: object[] = [];
  const objects: K8sObject[] = [];
  const wasmCount = plugins.filter((p) => p.wasm).length;
  let wasmIndex = 0;
  plugins.forEach((plugin, i) => {
    const path = `spec.plugins[${i}]`;
    if (plugin.wasm) {
      objects.push(origins.note(wasmPlugin(ep, plugin, resolved, routeScopes ?? filterScopes, (wasmCount - wasmIndex++) * 10), `${path}.wasm`));
      return;
    }
    const filterName = `meshwarden.${ns}.${name}.${plugin.name}`;
    const typedConfig = plugin.lua ? fillTemplate('lua-filter', { code: plugin.lua.code }) : { '@type': `type.googleapis.com/${plugin.native!.type}`, ...(plugin.native!.config ?? {}) };
    // A filter limited to some routes (or to some gateway server ports) is listed disabled
    // and enabled by a FilterConfig on those routes, with the route's config or, without one,
    // with its listener-level config (see routeFilterEnable).
    const enabledBy: Array<{ scope: PatchScope; where: RouteScope; config: unknown; path: string }> = [];
    for (const scope of routeScopes ?? filterScopes) {
      plugin.routes?.forEach((route, r) => {
        enabledBy.push({ scope, where: route, config: routeConfig(plugin, route, `${path}.routes[${r}].config`, findings), path: `${path}.routes[${r}]` });
      });
      if (!plugin.routes && routeScopes) enabledBy.push({ scope, where: {}, config: undefined, path });
    }
    const filter: Record<string, unknown> = { name: filterName, typed_config: typedConfig };
    if (enabledBy.length > 0) filter.disabled = true;
    for (const scope of filterScopes) patches.push(origins.note(insertBeforeRouter(scope, filter), path));
    for (const { scope, where, config, path: wherePath } of enabledBy) {
      patches.push(origins.note(perFilterConfigPatch(scope, where, filterName, routeFilterEnable(config)), wherePath));
    }
  });
  (ep.spec.patches ?? []).forEach((p, j) => patches.push(origins.note(p, `spec.patches[${j}]`)));

  if (patches.length > 0) {
    objects.unshift(envoyFilter(generatedMetadata(ep, pluginFilterObjectName(name)), resolved.selector, ep.spec.priority ?? defaultPluginPriority, patches));
  }
  const result = { objects, findings, effective: [], origins };
  return found ? result : againstPlaceholder(result);
}

/**
 * The HCMs the filters go into and, for gateway server ports, the route configurations
 * that enable them (see gatewayInstall).
 */
function pluginScopes(ep: EnvoyPlugin, resolved: ResolvedTarget, ns: string, ctx: RenderContext, findings: Finding[]): { filterScopes: PatchScope[]; routeScopes?: PatchScope[] } {
  const context = proxyContext(resolved.kind, ep.spec.direction);
  const ports = ep.spec.ports;
  if (context === 'GATEWAY') {
    return { filterScopes: [{ context }], ...(ports ? { routeScopes: ports.map((port) => ({ context, port })) } : {}) };
  }
  if (context === 'SIDECAR_OUTBOUND') return { filterScopes: (ports ?? [undefined]).map((port) => ({ context, port })) };
  const filterScopes: PatchScope[] = [];
  (ports ?? [undefined]).forEach((port, i) => {
    const path = ports ? `spec.ports[${i}]` : 'spec';
    const { ports: listenerPorts, findings: portFindings } = inboundPorts(resolved, port, ns, ctx, path);
    // inboundPorts reports against `<path>.port`; here the port is the list item itself.
    findings.push(...portFindings.map((f) => ({ ...f, path: f.path.replace(/\.port$/, '') })));
    for (const p of listenerPorts) if (!filterScopes.some((s) => s.port === p)) filterScopes.push({ context, port: p });
  });
  return { filterScopes };
}

function checkOrder(plugins: Plugin[]): Finding[] {
  const findings: Finding[] = [];
  let firstNonWasm: number | undefined;
  let lastPhase = 0;
  plugins.forEach((p, i) => {
    if (!p.wasm) {
      firstNonWasm ??= i;
      return;
    }
    if (firstNonWasm !== undefined) {
      findings.push(wasmOrder.finding(`spec.plugins[${i}]`, `Wasm plugin "${p.name}" would run before "${plugins[firstNonWasm]!.name}", which precedes it in the list`, 'list Wasm plugins first'));
    }
    const phase = phaseOrder.indexOf(p.wasm.phase ?? 'UNSPECIFIED_PHASE');
    if (phase < lastPhase) {
      findings.push(
        wasmOrder.finding(`spec.plugins[${i}].wasm.phase`, `phase ${p.wasm.phase} runs before the phase of an earlier Wasm plugin`, `order Wasm plugins by phase: ${phaseOrder.join(', ')}`),
      );
    }
    lastPhase = Math.max(lastPhase, phase);
  });
  return findings;
}

const FILTER_CONFIG_URL = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/**
 * The FilterConfig enabling a disabled filter. Without per-route config it holds an optional
 * FilterConfig: istiod refuses the empty Any `config: {}` ("Any JSON doesn't have '@type'") and
 * drops the whole patch; Envoy finds no HTTP filter for the inner type and, as it is optional,
 * enables the filter with its listener-level config (docs/envoy-semantics.md §8). A real
 * per-route config is not optional, so a wrong type is a NACK rather than silently ignored.
 */
export function routeFilterEnable(config: unknown): unknown {
  return config === undefined
    ? fillTemplate('route-filter-enable', { config: { '@type': FILTER_CONFIG_URL }, isOptional: true })
    : fillTemplate('route-filter-enable', { config, isOptional: undefined });
}

function routeConfig(plugin: Plugin, route: RouteScope, path: string, findings: Finding[]): unknown {
  if (route.config === undefined) return undefined;
  if ('@type' in route.config) return route.config;
  const type = plugin.lua ? 'envoy.extensions.filters.http.lua.v3.LuaPerRoute' : perRouteType(plugin.native!.type);
  if (type === undefined) {
    findings.push(unknownPerRouteType.finding(path, `no known per-route config type for ${plugin.native!.type}`, 'add "@type": type.googleapis.com/<per-route message> to the config'));
    return undefined;
  }
  return { '@type': `type.googleapis.com/${type}`, ...route.config };
}

function wasmPlugin(ep: EnvoyPlugin, plugin: Plugin, resolved: ResolvedTarget, scopes: PatchScope[], priority: number): K8sObject {
  const w = plugin.wasm!;
  const ports = scopes.map((s) => s.port).filter((p): p is number => p !== undefined);
  const mode = resolved.kind === 'gateway' ? undefined : ep.spec.direction === 'outbound' ? 'CLIENT' : 'SERVER';
  const match = mode === undefined && ports.length === 0 ? undefined : [{ ...(mode ? { mode } : {}), ...(ports.length ? { ports: ports.map((number) => ({ number })) } : {}) }];
  return fillTemplate('wasmplugin', {
    metadata: generatedMetadata(ep, wasmPluginObjectName(ep.metadata.name ?? '', plugin.name)),
    selector: resolved.selector,
    url: w.url,
    sha256: w.sha256,
    imagePullPolicy: w.imagePullPolicy,
    imagePullSecret: w.imagePullSecret,
    pluginName: w.pluginName,
    phase: w.phase,
    priority,
    failStrategy: w.failStrategy,
    pluginConfig: w.pluginConfig,
    vmConfig: w.env ? { env: w.env } : undefined,
    match,
  }) as K8sObject;
}
