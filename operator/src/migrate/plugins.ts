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
 * plugin that inserts the filter, so a Slime EnvoyPlugin becomes the exact patches Slime
 * generates, in the validated `patches` escape hatch.
 */
import type { EnvoyPlugin, Plugin, Target } from '../api/types.gen.js';
import type { K8sObject } from '../k8s-object.js';
import type { Note } from './notes.js';
import { Message, isMap, type Json, type JsonMap } from './slime-json.js';
import { migratedMetadata, sanitizeName } from './common.js';

const listenerTypes = ['Outbound', 'Inbound', 'Gateway'] as const;
const protocols = ['HTTP', 'Dubbo', 'Generic'] as const;
type ListenerType = (typeof listenerTypes)[number];
const knownPlugin = [
  'enable', 'name', 'settings', 'listenerType', 'type_url', 'wasm', 'inline', 'rider', 'port', 'rawPatch',
  'protocol', 'generic_app_protocol', 'disable_on_filter_level',
];
const typePrefix = 'type.googleapis.com/';
const luaType = 'envoy.extensions.filters.http.lua.v3.Lua';
const typedStruct = 'type.googleapis.com/udpa.type.v1.TypedStruct';

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
    notes.push({ kind: 'dropped', path: p.at('protocol'), message: `protocol ${String(p.get('protocol'))}: meshwarden plugins are HTTP filters (Dubbo and generic proxy filters need Slime's Istio and Envoy builds)`, hint: 'keep this plugin on Slime or write an EnvoyFilter by hand' });
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

export function migratePluginManager(obj: K8sObject): Out {
  const notes: Note[] = [];
  const spec = new Message(isMap(obj['spec']) ? obj['spec'] : {}, ['spec']);
  notes.push(...spec.unknown(['workload_labels', 'plugin', 'gateways', 'priority']));
  const labels = spec.stringMap('workload_labels');
  if (Object.keys(labels).length === 0) {
    notes.push({ kind: 'dropped', path: spec.at('workload_labels'), message: 'no workload_labels: Slime applies the filters to every proxy of the namespace (all of the mesh in the root namespace); a meshwarden target selects pods by labels', hint: 'add the labels of the pods that need these filters and migrate again' });
    return { objects: [], notes };
  }
  if (spec.key('gateways') !== undefined) notes.push({ kind: 'info', path: spec.at('gateways'), message: "gateways is not used by Slime's translation; not converted" });

  // Group by where the filters go, keeping list order within a group.
  const groups = new Map<string, { listenerType: ListenerType; port: number | undefined; plugins: Plugin[]; patches: JsonMap[]; wasmMoved: boolean }>();
  for (const p of spec.messages('plugin')) {
    const read = readPlugin(p, notes);
    if (!read) continue;
    const key = `${read.listenerType}/${read.port ?? '*'}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { listenerType: read.listenerType, port: read.port, plugins: [], patches: [], wasmMoved: false }));
    if (p.bool('disable_on_filter_level')) {
      notes.push({ kind: 'dropped', path: p.at('disable_on_filter_level'), message: `plugin "${read.name}" is inserted disabled and enabled per route by Slime EnvoyPlugins`, hint: 'write a meshwarden plugin with routes[] (the routes that enable it) by hand' });
      continue;
    }
    const raw = p.get('rawPatch');
    if (raw !== undefined) {
      const patch = rawPatched(filterInsertPatch(read, p, notes), raw, p.at('rawPatch'), notes);
      if (patch) g.patches.push(patch);
      continue;
    }
    const plugin = pluginOf(read, p, notes);
    if (!plugin) continue;
    if (plugin.wasm && g.plugins.some((x) => !x.wasm)) {
      g.wasmMoved = true;
      notes.push({ kind: 'approximate', path: p.path, message: `Wasm plugin "${read.name}" comes after a Lua or native filter in Slime's list; Istio runs WasmPlugins before the filters meshwarden inserts, so it moves ahead of them`, hint: 'check that the order does not matter to these filters' });
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
    notes.push({ kind: 'info', path: p.at('listenerType'), message: `listenerType ${read.listenerType}${p.key('listenerType') === undefined ? ' (the default)' : ''}: the filter goes into ${read.listenerType === 'Gateway' ? 'gateway' : 'outbound sidecar'} listeners` });
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
    notes.push({ kind: 'dropped', path: w.at('image_pull_secret_content'), message: 'an inline pull secret: meshwarden references a Secret by name and keeps no credentials in resources', hint: 'create a docker-registry Secret and set wasm.imagePullSecret to its name' });
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
      notes.push({ kind: 'dropped', path: w.at('settings'), message: 'a raw string configuration (_string): a WasmPlugin pluginConfig is a JSON object', hint: 'give the configuration as an object the module parses, or keep the plugin on Slime' });
      return undefined;
    }
    pluginConfig = settings;
  }
  const sha = w.string('sha256');
  notes.push({ kind: 'info', path: w.path, message: "rendered as an Istio WasmPlugin: Istio's agent pulls the module (Slime served it over ECDS with its module's default_config fallback); failStrategy defaults to FAIL_CLOSE", hint: 'set wasm.failStrategy: FAIL_OPEN if requests should pass when the module cannot be loaded' });
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
    notes.push({ kind: 'approximate', path: p.at('rawPatch'), message: 'rawPatch over a Wasm or Rider plugin: Slime patched its ECDS filter; the raw patch here inserts the filter inline', hint: 'check the generated patch' });
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
  notes.push({ kind: 'approximate', path, message: 'rawPatch: converted to the patch Slime generates with it merged in, under spec.patches (applied after the plugins, and shown to the validator whole)', hint: 'if the patch only sets fields of the filter config, move them into the plugin by hand' });
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

const directPatching = new Set(['envoy.filters.http.ratelimit', 'envoy.filters.http.cors', 'envoy.ratelimit']);

export function migrateEnvoyPlugin(obj: K8sObject): Out {
  const notes: Note[] = [];
  const spec = new Message(isMap(obj['spec']) ? obj['spec'] : {}, ['spec']);
  notes.push(...spec.unknown(['route', 'host', 'service', 'plugins', 'gateway', 'user', 'isGroupSetting', 'listener', 'workload_selector', 'priority']));
  for (const f of ['service', 'user', 'gateway', 'isGroupSetting']) {
    if (spec.key(f) !== undefined) notes.push({ kind: 'info', path: spec.at(f), message: `${f} is not implemented (or deprecated) in Slime; not converted` });
  }
  const labels = spec.message('workload_selector')?.stringMap('labels') ?? {};
  if (Object.keys(labels).length === 0) {
    notes.push({ kind: 'dropped', path: spec.at('workload_selector'), message: 'no workload_selector: Slime applies the route config to every proxy of the namespace; a meshwarden target selects pods by labels', hint: 'add workload_selector.labels and migrate again' });
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
  const plugins = spec.messages('plugins').flatMap((p) => {
    const read = readPlugin(p, notes);
    if (read && (p.key('wasm') !== undefined || p.key('rider') !== undefined)) {
      notes.push({ kind: 'dropped', path: p.path, message: 'per-route config of a Wasm or Rider plugin (an ECDS filter named <namespace>.<name>)', hint: 'set per-route behaviour in the module configuration (WasmPlugin has no per-route config)' });
      return [];
    }
    return read ? [read] : [];
  });
  for (const t of targets) {
    for (const p of plugins) {
      const ctx = routeContext(t.vhost ?? '', p.listenerType);
      if ((ctx === 'SIDECAR_OUTBOUND' || ctx === 'GATEWAY') && t.vhost !== undefined && t.vhost !== '' && !t.vhost.includes(':')) {
        notes.push({ kind: 'dropped', path: t.path, message: `virtual host "${t.vhost}" without port: Slime appends ":*", which only NetEase's Istio build matches (upstream Istio names virtual hosts <host>:<port>)`, hint: `write ${t.vhost}:<port> and migrate again` });
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
    message: 'per-route config of filters that another resource inserts: kept as the exact patches Slime generates, under spec.patches',
    hint: 'once the filters are migrated (from their PluginManager), move each config into that plugin\'s routes[] and delete these patches',
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
    const named = l.strings('hosts').filter((h) => h !== '').map((h) => `${h}:${port}`);
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
  if (t.vhost) rc['vhost'] = { name: t.vhost };
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
