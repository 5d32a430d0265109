/**
 * Type URLs (the "@type" of an Any, the "type_url" of a TypedStruct, ECDS type_urls): resolved in
 * this version's Root (MW202) and checked against the extension categories the field accepts
 * (MW203); istio-proxy's own extensions are named as not checked (MW210).
 */
import type protobuf from 'protobufjs';
import { categoryLabel, extensionCategory, isIstioProxyType, istioProxyCategory, type ExtensionCategory } from '../categories.js';
import { loadedSchemas } from '../load.js';
import { notChecked, unknownType, wrongCategory } from '../rules.js';
import { closest } from './closest.js';
import { describe } from './json.js';
import { lookupType, rootIndex, typeInfo } from './reflect.js';
import type { DecodeState } from './state.js';

export const TYPED_STRUCT_TYPES: readonly string[] = ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'];

const LOOKS_V2 = /^envoy\.api\.v2\.|^envoy\.config\.filter\.|^envoy\.config\.[a-z_.]+\.v2(alpha\d*)?\.|\.v2(alpha\d*)?\.[A-Z]/;

/**
 * v2-era Envoy types. go-control-plane still ships their generated packages (envoy/api/v2,
 * envoy/config/filter/..., envoy/type/...), so they are in the descriptor sets, but Envoy has not
 * accepted them since v2 was removed (1.18): `Didn't find a registered implementation`.
 */
export function isV2Type(name: string): boolean {
  if (!name.startsWith('envoy.')) return false;
  const pkg = name.slice(0, name.search(/\.[A-Z]/) < 0 ? name.length : name.search(/\.[A-Z]/));
  return /(^|\.)v2(alpha\d*|beta\d*)?(\.|$)/.test(pkg) || pkg.startsWith('envoy.config.filter.') || pkg === 'envoy.type' || pkg === 'envoy.type.matcher';
}

/** Resolves a type URL at key `key` of the current object, checking its category. */
export function resolveTypeUrl(d: DecodeState, url: unknown, key: string | undefined, cats: readonly ExtensionCategory[] | undefined): protobuf.Type | undefined {
  if (typeof url !== 'string') {
    d.report(unknownType, `${key ? `"${key}"` : 'value'} must be a type URL string, got ${describe(url)}`, undefined, key);
    return undefined;
  }
  const slash = url.lastIndexOf('/');
  if (slash < 0 || slash === url.length - 1) {
    const guess = slash < 0 && url.length > 0 ? `type.googleapis.com/${url}` : undefined;
    d.report(unknownType, `${key ? `"${key}" ` : ''}${JSON.stringify(url)} is not a type URL`, guess ? `write "${guess}"` : 'write "type.googleapis.com/<full proto message name>"', key);
    return undefined;
  }
  const name = url.slice(slash + 1);
  const type = d.lookup(name);
  if (!type) {
    if (isIstioProxyType(name)) {
      const cat = istioProxyCategory(name);
      if (cat && cats && cats.length > 0 && !cats.includes(cat)) categoryMismatch(d, name, cat, cats, key);
      d.report(notChecked, `${name} is an istio-proxy extension outside the Envoy API: its contents are not checked`, undefined, key);
      return undefined;
    }
    unknownTypeName(d, name, key);
    return undefined;
  }
  if (isV2Type(name)) {
    unknownTypeName(d, name, key);
    return undefined;
  }
  if (cats && cats.length > 0) {
    const name2 = typeInfo(type).fullName;
    if (!TYPED_STRUCT_TYPES.includes(name2)) {
      const cat = extensionCategory(name2);
      if (!cats.includes(cat)) categoryMismatch(d, name2, cat, cats, key);
    }
  }
  return type;
}

function categoryMismatch(d: DecodeState, name: string, cat: ExtensionCategory, cats: readonly ExtensionCategory[], key: string | undefined): void {
  const want = cats.map(categoryLabel).join(' or ');
  const where = d.opts.context && d.segs.length <= 1 ? ` (${d.opts.context})` : '';
  const applyTo: Partial<Record<ExtensionCategory, string>> = {
    'envoy.filters.http': 'HTTP_FILTER',
    'envoy.filters.network': 'NETWORK_FILTER',
    'envoy.filters.listener': 'LISTENER_FILTER',
  };
  const hint = applyTo[cat] ? `${name} is used with applyTo: ${applyTo[cat]}` : `use a type of ${want}`;
  d.report(wrongCategory, `${name} is ${categoryLabel(cat)}, but ${want} is expected here${where}: Envoy rejects it with "Didn't find a registered implementation"`, hint, key);
}

function unknownTypeName(d: DecodeState, name: string, key: string | undefined): void {
  d.rootWide(); // v2 names, other versions and the closest of every type
  const idx = rootIndex(d.root);
  const v3 = idx.v2.get(name);
  if (v3) {
    d.report(unknownType, `${name} is a v2 API type, which Envoy no longer accepts (istiod: "referenced type unknown")`, `use the v3 type "type.googleapis.com/${v3}"`, key);
    return;
  }
  const simple = name.slice(name.lastIndexOf('.') + 1);
  const sameSimple = idx.bySimple.get(simple) ?? [];
  if (LOOKS_V2.test(name) || isV2Type(name)) {
    const cand = sameSimple.filter((n) => (n.startsWith('envoy.extensions.') || n.startsWith('envoy.config.')) && !isV2Type(n));
    d.report(
      unknownType,
      `${name} looks like a v2 API type, which Envoy no longer accepts`,
      cand.length > 0 ? `use the v3 type "type.googleapis.com/${cand[0]}"` : 'use the v3 type (envoy.extensions.*.v3 or envoy.config.*.v3)',
      key,
    );
    return;
  }
  const others = loadedSchemas()
    .filter((s) => s.root !== d.root && lookupType(s.root, name))
    .map((s) => s.version)
    .sort();
  let hint: string;
  if (others.length > 0) hint = `${name} exists in the Envoy ${others.join(', ')} API: check the Envoy version your Istio targets`;
  else {
    const pkg = name.slice(0, name.lastIndexOf('.'));
    const guess =
      closest(
        name,
        idx.names.filter((n) => Math.abs(n.length - name.length) <= 3 && (n.startsWith(pkg.slice(0, 12)) || n.endsWith(simple))),
      ) ?? sameSimple[0];
    hint = guess ? `did you mean "type.googleapis.com/${guess}"?` : 'contrib extensions and custom filters are not part of the upstream Envoy API istio-proxy builds';
  }
  d.report(unknownType, `unknown type ${name} in ${d.versionText}`, hint, key);
}
