/**
 * Slime `microservice.slime.io/v1alpha1` PluginManager and EnvoyPlugin → meshwarden
 * EnvoyPlugins. Semantics follow slime-io/slime modules/plugin/controllers/conversion.go.
 *
 * A PluginManager inserts each enabled plugin before the router, in list order, into the
 * listeners of its `listenerType` (Outbound is proto3's default) and `port`: that is what a
 * meshwarden EnvoyPlugin does, so each (listenerType, port) group becomes one EnvoyPlugin.
 *
 * A Slime EnvoyPlugin only sets per-route config (typed_per_filter_config or a direct field
 * patch) for filters someone else inserted. meshwarden attaches per-route config to the
 * plugin that inserts the filter, so a Slime EnvoyPlugin becomes the patches Slime generates
 * (a gateway vhost matched by domain and port rather than by name, see routePatch), in the
 * validated `patches` escape hatch.
 */
import type { EnvoyPlugin, Plugin, RouteScope, Target } from '../api/types.gen.js';
import { perRouteType } from '../render/per-route-types.js';
import type { K8sObject } from '../k8s-object.js';
import type { Note } from './notes.js';
import { Message, isMap, type Json, type JsonMap } from './slime-json.js';
import { migratedMetadata, sanitizeName } from './common.js';

const listenerTypes = ['Outbound', 'Inbound', 'Gateway'] as const;
const protocols = ['HTTP', 'Dubbo', 'Generic'] as const;
type ListenerType = (typeof listenerTypes)[number];
const knownPlugin = ['enable', 'name', 'settings', 'listenerType', 'type_url', 'wasm', 'inline', 'rider', 'port', 'rawPatch', 'protocol', 'generic_app_protocol', 'disable_on_filter_level'];
const typePrefix = 'type.googleapis.com/';
const luaType = 'envoy.extensions.filters.http.lua.v3.Lua';
const typedStruct = 'type.googleapis.com/udpa.type.v1.TypedStruct';
/** conversion.go directPatchingPlugins: written as route fields, not typed_per_filter_config. */
const directPatching = new Set(['envoy.filters.http.ratelimit', 'envoy.filters.http.cors', 'envoy.ratelimit']);

interface Out {
  objects: K8sObject[];
  notes: Note[];
}

/** One Slime plugin, read; `undefined` when Slime builds nothing from it. */
interface ReadPlugin {
  msg: Message;
  name: string;
  listenerType: ListenerType;
  port: number | undefined;
}

/** Common checks of a Slime Plugin: enabled, HTTP, a known listener type. */
function readPlugin(p: Message, notes: Note[]): ReadPlugin | undefined {
  notes.push(...p.unknown(knownPlugin));
  const name = p.string('name');
  if (!p.bool('enable')) {
    notes.push({ kind: 'info', path: p.path, message: `plugin "${name}" is not enabled: Slime does not install it; not converted` });
    return undefined;
  }
  const protocol = p.enumOf('protocol', protocols);
  if (protocol !== 'HTTP') {
    notes.push({
      kind: 'dropped',
      path: p.at('protocol'),
      message: `protocol ${String(p.get('protocol'))}: meshwarden plugins are HTTP filters (Dubbo and generic proxy filters need Slime's Istio and Envoy builds)`,
      hint: 'keep this plugin on Slime or write an EnvoyFilter by hand',
    });
    return undefined;
  }
  const listenerType = p.enumOf('listenerType', listenerTypes);
  if (!listenerType) {
    notes.push({ kind: 'dropped', path: p.at('listenerType'), message: `unknown listenerType "${String(p.get('listenerType'))}"`, hint: 'use Outbound, Inbound or Gateway' });
    return undefined;
  }
  if (p.key('settings') !== undefined) notes.push({ kind: 'info', path: p.at('settings'), message: 'deprecated Plugin.settings: Slime ignores it (inline.settings is used); not converted' });
  return { msg: p, name, listenerType, port: p.int('port') || undefined };
}

function targetOf(labels: Record<string, string>, listenerType: ListenerType): Target {
  return listenerType === 'Gateway' ? { gateway: { selector: labels } } : { workloadSelector: { matchLabels: labels } };
}

/** `type.googleapis.com/a.b.C` → `a.b.C`. */
function messageType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

// ---- PluginManager ----

/** Slime EnvoyPlugins in the input, and which of their plugins a PluginManager conversion absorbed. */
export interface PluginFacts {
  envoyPlugins: K8sObject[];
  /** `<namespace>/<name>#<plugin index>` of Slime EnvoyPlugin plugins merged into routes[]. */
  merged: Set<string>;
}

export function mergedKey(ep: K8sObject, index: number): string {
  return `${ep.metadata.namespace ?? 'default'}/${ep.metadata.name ?? ''}#${index}`;
}

export function migratePluginManager(obj: K8sObject, facts: PluginFacts): Out {
  const notes: Note[] = [];
  const spec = new Message(isMap(obj['spec']) ? obj['spec'] : {}, ['spec']);
  notes.push(...spec.unknown(['workload_labels', 'plugin', 'gateways', 'priority']));
  const labels = spec.stringMap('workload_labels');
  if (Object.keys(labels).length === 0) {
    notes.push({
      kind: 'dropped',
      path: spec.at('workload_labels'),
      message: 'no workload_labels: Slime applies the filters to every proxy of the namespace (all of the mesh in the root namespace); a meshwarden target selects pods by labels',
      hint: 'add the labels of the pods that need these filters and migrate again',
    });
    return { objects: [], notes };
  }
  if (spec.key('gateways') !== undefined) notes.push({ kind: 'info', path: spec.at('gateways'), message: "gateways is not used by Slime's translation; not converted" });

  // Group by where the filters go, keeping list order within a group.
  const groups = new Map<string, { listenerType: ListenerType; port: number | undefined; plugins: Plugin[]; patches: JsonMap[] }>();
  for (const p of spec.messages('plugin')) {
    const read = readPlugin(p, notes);
    if (!read) continue;
    // A filter disabled at listener level runs where a Slime EnvoyPlugin gives it per-route
    // config (any per-route config enables a disabled filter): meshwarden's plugin routes[].
    const enables = p.bool('disable_on_filter_level') ? routeEnables(obj, read, p, labels, facts, notes) : undefined;
    if (p.bool('disable_on_filter_level') && !enables) {
      notes.push({
        kind: 'dropped',
        path: p.at('disable_on_filter_level'),
        message: `plugin "${read.name}" is inserted disabled and enabled per route by Slime EnvoyPlugins, and none in the input enables it in a form meshwarden expresses`,
        hint: 'pass the Slime EnvoyPlugins with the input, or write a meshwarden plugin with routes[] by hand',
      });
      continue;
    }
    const port = enables?.port ?? read.port;
    const key = `${read.listenerType}/${port ?? '*'}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { listenerType: read.listenerType, port, plugins: [], patches: [] }));
    const raw = p.get('rawPatch');
    if (raw !== undefined) {
      const patch = rawPatched(filterInsertPatch(read, p, notes), raw, p.at('rawPatch'), notes);
      if (patch) g.patches.push(patch);
      continue;
    }
    const plugin = pluginOf(read, p, notes);
    if (!plugin) continue;
    if (enables) {
      if (plugin.wasm) {
        notes.push({ kind: 'dropped', path: p.path, message: 'a Wasm plugin enabled per route: Istio WasmPlugins have no route scope', hint: 'scope it in the module configuration' });
        continue;
      }
      plugin.routes = enables.scopes;
      for (const k of enables.consumed) facts.merged.add(k);
    }
    if (plugin.wasm && g.plugins.some((x) => !x.wasm)) {
      notes.push({
        kind: 'approximate',
        path: p.path,
        message: `Wasm plugin "${read.name}" comes after a Lua or native filter in Slime's list; Istio runs WasmPlugins before the filters meshwarden inserts, so it moves ahead of them`,
        hint: 'check that the order does not matter to these filters',
      });
    }
    g.plugins.push(plugin);
  }
  const multiple = groups.size > 1;
  const objects: K8sObject[] = [];
  for (const g of groups.values()) {
    const plugins = [...g.plugins.filter((p) => p.wasm), ...g.plugins.filter((p) => !p.wasm)];
    if (plugins.length === 0 && g.patches.length === 0) continue;
    const suffix = multiple ? `-${g.listenerType.toLowerCase()}${g.port !== undefined ? `-${g.port}` : ''}` : '';
    if (g.listenerType === 'Gateway' && g.port !== undefined) {
      notes.push({
        kind: 'approximate',
        path: spec.at('plugin'),
        message: `gateway port ${g.port}: Slime matched the gateway listener port (the container port, e.g. 8080); meshwarden's gateway ports are Gateway server ports (e.g. 80)`,
        hint: 'put the Gateway server port in spec.ports',
      });
    }
    const ep: EnvoyPlugin = {
      apiVersion: 'meshwarden.io/v1alpha1',
      kind: 'EnvoyPlugin',
      metadata: migratedMetadata(obj, `${obj.metadata.name ?? ''}${suffix}`, multiple ? ` (${g.listenerType} plugins${g.port !== undefined ? ` on port ${g.port}` : ''})` : ''),
      spec: {
        target: targetOf(labels, g.listenerType),
        ...(g.listenerType !== 'Gateway' ? { direction: g.listenerType === 'Inbound' ? 'inbound' : 'outbound' } : {}),
        ...(g.port !== undefined ? { ports: [g.port] } : {}),
        // Slime passes priority to the EnvoyFilter (default 0); keep its place among other EnvoyFilters.
        priority: spec.int('priority'),
        ...(plugins.length > 0 ? { plugins } : {}),
        ...(g.patches.length > 0 ? { patches: g.patches } : {}),
      },
    };
    objects.push(ep as unknown as K8sObject);
  }
  return { objects, notes };
}

/**
 * The routes where Slime EnvoyPlugins (same namespace and labels, a plugin of the same name
 * and listener type) give a disabled PluginManager filter per-route config, as route
 * scopes with that config; the port their virtual hosts name when the plugin has none.
 * Undefined when none does, or one does it in a way routes[] cannot say.
 */
function routeEnables(
  pm: K8sObject,
  read: ReadPlugin,
  p: Message,
  labels: Record<string, string>,
  facts: PluginFacts,
  notes: Note[],
): { scopes: RouteScope[]; port?: number; consumed: string[] } | undefined {
  const same = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const filterType = messageType(p.string('type_url'));
  const known = filterType === luaType ? 'envoy.extensions.filters.http.lua.v3.LuaPerRoute' : perRouteType(filterType);
  const scopes: RouteScope[] = [];
  const consumed: string[] = [];
  const ports = new Set<number>();
  const refuse = (why: string) => {
    notes.push({ kind: 'info', path: p.at('disable_on_filter_level'), message: `per-route config of "${read.name}" not merged into routes[]: ${why}` });
    return undefined;
  };
  for (const ep of facts.envoyPlugins) {
    if ((ep.metadata.namespace ?? 'default') !== (pm.metadata.namespace ?? 'default')) continue;
    const spec = new Message(isMap(ep['spec']) ? ep['spec'] : {}, ['spec']);
    if (!same(spec.message('workload_selector')?.stringMap('labels') ?? {}, labels)) continue;
    const plugins = spec.messages('plugins');
    for (const [j, q] of plugins.entries()) {
      if (q.string('name') !== read.name || !q.bool('enable') || q.enumOf('listenerType', listenerTypes) !== read.listenerType) continue;
      if (spec.messages('listener').length > 0) return refuse(`EnvoyPlugin ${ep.metadata.name} also targets listeners (route configurations)`);
      const inline = q.message('inline');
      if (q.key('rawPatch') !== undefined || q.key('wasm') !== undefined || q.key('rider') !== undefined || inline?.bool('directPatch') || directPatching.has(read.name)) {
        return refuse(`EnvoyPlugin ${ep.metadata.name} patches more than the filter's per-route config`);
      }
      const settings = inline?.get('settings');
      const type = messageType(q.string('type_url'));
      if (type === '') return refuse(`EnvoyPlugin ${ep.metadata.name} gives no type_url`);
      const config = isMap(settings) ? settings : {};
      const scopeConfig = type === known ? config : { '@type': `${typePrefix}${type}`, ...config };
      const where = [
        ...spec.strings('host').map((h) => ({ vhost: h, route: undefined as string | undefined })),
        ...spec.strings('route').map((r) => {
          const cut = r.indexOf('/');
          return cut >= 0 ? { vhost: r.slice(0, cut), route: r.slice(cut + 1) } : { vhost: '', route: r };
        }),
      ];
      for (const w of where) {
        const hp = /^(.+):(\d+)$/.exec(w.vhost);
        if (w.vhost.startsWith('inbound|') || (w.vhost !== '' && !hp)) return refuse(`virtual host "${w.vhost}" is not <host>:<port>`);
        if (hp) ports.add(Number(hp[2]));
        scopes.push({ ...(hp ? { host: hp[1]! } : {}), ...(w.route ? { route: w.route } : {}), ...(Object.keys(scopeConfig).length > 0 ? { config: scopeConfig } : {}) });
      }
      consumed.push(mergedKey(ep, j));
    }
  }
  if (consumed.length === 0) return undefined;
  if (ports.size > 1) return refuse(`its virtual hosts name several ports (${[...ports].join(', ')}); one EnvoyPlugin has one set of ports`);
  const port = [...ports][0];
  if (port !== undefined && read.port !== undefined && read.listenerType !== 'Gateway' && port !== read.port) return refuse(`its virtual hosts are on port ${port}, the filter on port ${read.port}`);
  notes.push({
    kind: 'info',
    path: p.at('disable_on_filter_level'),
    message: `disabled at listener level and enabled per route by ${consumed.length} Slime EnvoyPlugin plugin(s): converted to routes[] (any per-route config enables a disabled filter)`,
  });
  return { scopes, ...(port !== undefined ? { port } : {}), consumed };
}

/** A PluginManager plugin as a meshwarden plugin: Lua, native (inline TypedStruct) or Wasm. */
function pluginOf(read: ReadPlugin, p: Message, notes: Note[]): Plugin | undefined {
  const name = sanitizeName(read.name.replace(/^envoy\.filters\.http\./, ''));
  if (p.key('rider') !== undefined) {
    notes.push({ kind: 'dropped', path: p.at('rider'), message: "a Rider plugin runs on NetEase's Envoy build (proxy.filters.http.rider)", hint: 'port the plugin to Lua or Wasm by hand' });
    return undefined;
  }
  const wasm = p.message('wasm');
  if (wasm) return wasmPlugin(name, wasm, notes);
  const typeUrl = p.string('type_url');
  if (typeUrl === '') {
    notes.push({ kind: 'dropped', path: p.path, message: `plugin "${read.name}" has no type_url: Slime inserts the filter by name only, which Envoy rejects`, hint: 'add type_url and migrate again' });
    return undefined;
  }
  const inline = p.message('inline');
  if (inline) {
    for (const f of ['directPatch', 'fieldPatchTo']) {
      if (inline.key(f) !== undefined) notes.push({ kind: 'info', path: inline.at(f), message: `${f} applies to Slime EnvoyPlugins only; a PluginManager ignores it` });
    }
  }
  const settings = inline?.get('settings');
  const config: JsonMap = isMap(settings) ? settings : {};
  const type = messageType(typeUrl);
  if (type === luaType) {
    const code = luaCode(config);
    if (code !== undefined) return { name, lua: { code } };
    notes.push({ kind: 'info', path: inline ? inline.at('settings') : p.path, message: 'a Lua filter with more than one inline chunk (source_codes, stat_prefix…): converted as a native Lua filter' });
  }
  if (read.listenerType !== 'Inbound') {
    notes.push({
      kind: 'info',
      path: p.at('listenerType'),
      message: `listenerType ${read.listenerType}${p.key('listenerType') === undefined ? ' (the default)' : ''}: the filter goes into ${read.listenerType === 'Gateway' ? 'gateway' : 'outbound sidecar'} listeners`,
    });
  }
  return { name, native: { type, ...(Object.keys(config).length > 0 ? { config } : {}) } };
}

/** The Lua source when the settings hold only inline_code or default_source_code.inline_string. */
function luaCode(settings: JsonMap): string | undefined {
  const keys = Object.keys(settings);
  if (keys.length !== 1) return undefined;
  const v = settings[keys[0]!];
  if ((keys[0] === 'inline_code' || keys[0] === 'inlineCode') && typeof v === 'string') return v;
  if ((keys[0] === 'default_source_code' || keys[0] === 'defaultSourceCode') && isMap(v)) {
    const s = v['inline_string'] ?? v['inlineString'];
    if (typeof s === 'string' && Object.keys(v).length === 1) return s;
  }
  return undefined;
}

function wasmPlugin(name: string, w: Message, notes: Note[]): Plugin | undefined {
  notes.push(...w.unknown(['settings', 'plugin_name', 'url', 'sha256', 'image_pull_secret_name', 'image_pull_secret_content']));
  if (w.string('image_pull_secret_content') !== '') {
    notes.push({
      kind: 'dropped',
      path: w.at('image_pull_secret_content'),
      message: 'an inline pull secret: meshwarden references a Secret by name and keeps no credentials in resources',
      hint: 'create a docker-registry Secret and set wasm.imagePullSecret to its name',
    });
    return undefined;
  }
  let url = w.string('url');
  if (url === '') {
    notes.push({ kind: 'dropped', path: w.path, message: 'a Wasm plugin without url', hint: 'add the module url' });
    return undefined;
  }
  // conversion.go convertDataSource: no scheme means oci.
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(url)) url = `oci://${url}`;
  const settings = w.get('settings');
  let pluginConfig: JsonMap | undefined;
  if (isMap(settings)) {
    // Slime passes {"_string": "..."} alone as a raw string configuration; a WasmPlugin's pluginConfig is an object.
    if (Object.keys(settings).length === 1 && typeof settings['_string'] === 'string') {
      notes.push({
        kind: 'dropped',
        path: w.at('settings'),
        message: 'a raw string configuration (_string): a WasmPlugin pluginConfig is a JSON object',
        hint: 'give the configuration as an object the module parses, or keep the plugin on Slime',
      });
      return undefined;
    }
    pluginConfig = settings;
  }
  const sha = w.string('sha256');
  notes.push({
    kind: 'info',
    path: w.path,
    message: "rendered as an Istio WasmPlugin: Istio's agent pulls the module (Slime served it over ECDS with its module's default_config fallback); failStrategy defaults to FAIL_CLOSE",
    hint: 'set wasm.failStrategy: FAIL_OPEN if requests should pass when the module cannot be loaded',
  });
  return {
    name,
    wasm: {
      url,
      ...(sha !== '' ? { sha256: sha } : {}),
      ...(w.string('plugin_name') !== '' ? { pluginName: w.string('plugin_name') } : {}),
      ...(w.string('image_pull_secret_name') !== '' ? { imagePullSecret: w.string('image_pull_secret_name') } : {}),
      ...(pluginConfig ? { pluginConfig } : {}),
    },
  };
}

/** conversion.go convertPluginToPatch for an inline plugin: INSERT_BEFORE the router, typed by a TypedStruct. */
function filterInsertPatch(read: ReadPlugin, p: Message, notes: Note[]): JsonMap {
  const context = read.listenerType === 'Inbound' ? 'SIDECAR_INBOUND' : read.listenerType === 'Gateway' ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
  const listener: JsonMap = { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } };
  if (read.port !== undefined) listener['portNumber'] = read.port;
  const value: JsonMap = { name: read.name };
  const typeUrl = p.string('type_url');
  if (typeUrl !== '') {
    const settings = p.message('inline')?.get('settings');
    value['typed_config'] = directTyped(typeUrl, isMap(settings) ? settings : {});
  }
  if (p.key('wasm') !== undefined || p.key('rider') !== undefined) {
    notes.push({
      kind: 'approximate',
      path: p.at('rawPatch'),
      message: 'rawPatch over a Wasm or Rider plugin: Slime patched its ECDS filter; the raw patch here inserts the filter inline',
      hint: 'check the generated patch',
    });
  }
  return { applyTo: 'HTTP_FILTER', match: { context, listener }, patch: { operation: 'INSERT_BEFORE', value } };
}

/**
 * Slime writes filter configs as TypedStruct{type_url, value}; Envoy unpacks that into the
 * message, which is what `@type` with the fields inline says, and meshwarden's validator
 * checks the fields only in that form.
 */
function directTyped(typeUrl: string, settings: JsonMap): JsonMap {
  return { '@type': typeUrl.startsWith(typePrefix) ? typeUrl : `${typePrefix}${messageType(typeUrl)}`, ...settings };
}

/** conversion.go applyRawPatch: an RFC 7386 JSON merge patch over the generated configPatch. */
function rawPatched(patch: JsonMap, raw: Json, path: Array<string | number>, notes: Note[]): JsonMap | undefined {
  if (!isMap(raw)) {
    notes.push({ kind: 'dropped', path, message: 'rawPatch must be an object (a JSON merge patch); Slime dropped the plugin', hint: 'fix rawPatch and migrate again' });
    return undefined;
  }
  notes.push({
    kind: 'approximate',
    path,
    message: 'rawPatch: converted to the patch Slime generates with it merged in, under spec.patches (applied after the plugins, and shown to the validator whole)',
    hint: 'if the patch only sets fields of the filter config, move them into the plugin by hand',
  });
  return mergePatch(patch, raw) as JsonMap;
}

function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// ---- EnvoyPlugin ----

/** The ctx Slime uses for a route target: ANY for inbound vhosts, else the plugin's listener type. */
function routeContext(vhost: string, lt: ListenerType): string {
  if (vhost.startsWith('inbound|')) return 'ANY';
  return lt === 'Inbound' ? 'SIDECAR_INBOUND' : lt === 'Gateway' ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
}

interface RouteTarget {
  applyTo: 'ROUTE_CONFIGURATION' | 'VIRTUAL_HOST' | 'HTTP_ROUTE';
  routeConfiguration?: string;
  vhost?: string;
  route?: string;
  path: Array<string | number>;
}

export function migrateEnvoyPlugin(obj: K8sObject, facts: PluginFacts): Out {
  const notes: Note[] = [];
  const spec = new Message(isMap(obj['spec']) ? obj['spec'] : {}, ['spec']);
  notes.push(...spec.unknown(['route', 'host', 'service', 'plugins', 'gateway', 'user', 'isGroupSetting', 'listener', 'workload_selector', 'priority']));
  for (const f of ['service', 'user', 'gateway', 'isGroupSetting']) {
    if (spec.key(f) !== undefined) notes.push({ kind: 'info', path: spec.at(f), message: `${f} is not implemented (or deprecated) in Slime; not converted` });
  }
  const labels = spec.message('workload_selector')?.stringMap('labels') ?? {};
  if (Object.keys(labels).length === 0) {
    notes.push({
      kind: 'dropped',
      path: spec.at('workload_selector'),
      message: 'no workload_selector: Slime applies the route config to every proxy of the namespace; a meshwarden target selects pods by labels',
      hint: 'add workload_selector.labels and migrate again',
    });
    return { objects: [], notes };
  }

  const targets: RouteTarget[] = [];
  spec.messages('listener').forEach((l) => {
    for (const rc of routeConfigurationNames(l)) targets.push({ applyTo: 'ROUTE_CONFIGURATION', routeConfiguration: rc, path: l.path });
  });
  spec.strings('host').forEach((h, i) => targets.push({ applyTo: 'VIRTUAL_HOST', vhost: h, path: spec.at('host', i) }));
  spec.strings('route').forEach((r, i) => {
    const cut = r.indexOf('/');
    targets.push({ applyTo: 'HTTP_ROUTE', ...(cut >= 0 ? { vhost: r.slice(0, cut), route: r.slice(cut + 1) } : { route: r }), path: spec.at('route', i) });
  });
  if (targets.length === 0) {
    notes.push({ kind: 'dropped', path: spec.path, message: 'no route, host or listener: Slime generates no patch', hint: 'nothing to migrate' });
    return { objects: [], notes };
  }

  const patches: JsonMap[] = [];
  const types = new Set<ListenerType>();
  const plugins = spec.messages('plugins').flatMap((p, j) => {
    if (facts.merged.has(mergedKey(obj, j))) {
      notes.push({ kind: 'info', path: p.path, message: `merged into the routes[] of the plugin "${p.string('name')}" converted from its PluginManager` });
      return [];
    }
    const read = readPlugin(p, notes);
    if (read && (p.key('wasm') !== undefined || p.key('rider') !== undefined)) {
      notes.push({
        kind: 'dropped',
        path: p.path,
        message: 'per-route config of a Wasm or Rider plugin (an ECDS filter named <namespace>.<name>)',
        hint: 'set per-route behaviour in the module configuration (WasmPlugin has no per-route config)',
      });
      return [];
    }
    return read ? [read] : [];
  });
  for (const t of targets) {
    for (const p of plugins) {
      const ctx = routeContext(t.vhost ?? '', p.listenerType);
      if ((ctx === 'SIDECAR_OUTBOUND' || ctx === 'GATEWAY') && t.vhost !== undefined && t.vhost !== '' && !t.vhost.includes(':')) {
        notes.push({
          kind: 'dropped',
          path: t.path,
          message: `virtual host "${t.vhost}" without port: Slime appends ":*", which only NetEase's Istio build matches (upstream Istio names virtual hosts <host>:<port>)`,
          hint: `write ${t.vhost}:<port> and migrate again`,
        });
        continue;
      }
      types.add(p.listenerType);
      const patch = routePatch(t, ctx, p);
      const raw = p.msg.get('rawPatch');
      const merged = raw === undefined ? patch : rawPatched(patch, raw, p.msg.at('rawPatch'), notes);
      if (merged) patches.push(merged);
    }
  }
  if (patches.length === 0) return { objects: [], notes };
  notes.push({
    kind: 'approximate',
    path: spec.at('plugins'),
    message: 'per-route config of filters that another resource inserts: kept as the patches Slime generates (on a gateway the vhost matched by domain and port), under spec.patches',
    hint: "once the filters are migrated (from their PluginManager), move each config into that plugin's routes[] and delete these patches",
  });
  const gatewayOnly = types.size === 1 && types.has('Gateway');
  const ep: EnvoyPlugin = {
    apiVersion: 'meshwarden.io/v1alpha1',
    kind: 'EnvoyPlugin',
    metadata: migratedMetadata(obj, obj.metadata.name ?? ''),
    spec: { target: targetOf(labels, gatewayOnly ? 'Gateway' : 'Inbound'), priority: spec.int('priority'), patches },
  };
  return { objects: [ep as unknown as K8sObject], notes };
}

/** conversion.go buildRouteConfigurationName. */
function routeConfigurationNames(l: Message): string[] {
  const port = l.int('port');
  if (port === 0) return [l.string('bind')];
  if (l.bool('sidecar')) {
    const named = l
      .strings('hosts')
      .filter((h) => h !== '')
      .map((h) => `${h}:${port}`);
    return named.length > 0 ? named : [String(port)];
  }
  const portName = l.string('portName');
  const items: string[] = [];
  if (portName.startsWith('http')) items.push('http', String(port));
  else if (portName.startsWith('generic')) items.push('generic', portName.split('-')[1] ?? '', String(port));
  if (l.string('bind') !== '') items.push(l.string('bind'));
  return [items.join('.')];
}

/** conversion.go generateInlineCfp for HTTP: MERGE the plugin's per-route config (or a direct field patch). */
function routePatch(t: RouteTarget, context: string, p: ReadPlugin): JsonMap {
  const rc: JsonMap = {};
  if (t.routeConfiguration) rc['name'] = t.routeConfiguration;
  // On a gateway istiod names a VirtualService's merged vhost after its first host, so the vhost
  // is matched by its domain and the port by number, as meshwarden's renderer does (render/patches.ts).
  const gatewayHost = context === 'GATEWAY' && t.vhost ? /^(.+):(\d+)$/.exec(t.vhost) : null;
  if (gatewayHost) {
    rc['portNumber'] = Number(gatewayHost[2]);
    rc['vhost'] = { domainName: gatewayHost[1]! };
  } else if (t.vhost) rc['vhost'] = { name: t.vhost };
  if (t.route) rc['vhost'] = { ...(isMap(rc['vhost']) ? rc['vhost'] : {}), route: { name: t.route } };
  const inline = p.msg.message('inline');
  const s = inline?.get('settings');
  const settings: JsonMap = isMap(s) ? s : {};
  let value: JsonMap;
  if (directPatching.has(p.name)) {
    value = t.applyTo !== 'VIRTUAL_HOST' ? { route: settings } : settings;
  } else if (inline?.bool('directPatch')) {
    const to = inline.string('fieldPatchTo');
    value = to !== '' && to !== 'ROOT' ? { [to]: settings } : settings;
  } else {
    const typeUrl = p.msg.string('type_url');
    value = { typed_per_filter_config: { [p.name]: typeUrl !== '' ? directTyped(typeUrl, settings) : { '@type': typedStruct, value: settings } } };
  }
  return { applyTo: t.applyTo, match: { context, routeConfiguration: rc }, patch: { operation: 'MERGE', value } };
}
