/**
 * The validator for Istio objects — EnvoyFilter (networking.istio.io/v1alpha3) and
 * WasmPlugin (extensions.istio.io/v1alpha1), hand-written or generated — across every
 * target Istio version. Each layer is a module of its own; this file only decides what
 * each layer sees and merges their findings.
 */
import type { K8sObject } from '../k8s-object.js';
import { joinPath, type Finding } from './rule.js';
import { checkPatchValue, ISTIO_TO_ENVOY, SharedDecodes } from './proto/index.js';
import { checkEnvoyFilterPatches, proxyVersionGateFindings, targetRefsContextFindings } from './istio/index.js';
import type { EnvoyFilterObject } from './istio/index.js';
import { checkLua, checkLuaApi, checkProxyVersion, checkRegex, checkWasmPlugin, checkWasmOrdering } from './syntax/index.js';
import type { WasmPluginSpec } from './syntax/index.js';
import { regexes, typedConfigs } from './walk.js';
import { checkEnvoyFilterCross } from './cross/index.js';
import { checkEnvoyFilterSemantics, semanticVersionClass } from './semantic/index.js';
import { checkIstioObject, storedForm } from './istio-schema/index.js';
import { allRules, codesTagged } from './catalogue.js';
import { MW110 } from './istio-schema/rules.js';
import { MW426 } from './istio/rules.js';
import type { Pod } from '../render/context.js';
import { defaultIstioMinors, type IstioMinor } from '../versions/table.js';

/** Istio's default root namespace (mesh config rootNamespace). */
const rootNamespace = 'istio-system';

/** Istio minors meshwarden validates against by default: the version table's default set. */
export const supportedIstioVersions: readonly IstioMinor[] = defaultIstioMinors();

export interface ValidationContext {
  /** Target Istio versions (`1.28` or `1.28.2`). */
  istioVersions: readonly string[];
  /** The other EnvoyFilters of the input or cluster: istiod applies them together. */
  envoyFilters: readonly K8sObject[];
  /** The other WasmPlugins of the input or cluster, for ordering. */
  wasmPlugins: readonly K8sObject[];
  /** The pods of the input or cluster; selectors are judged only in namespaces with known pods. */
  pods: readonly Pod[];
}

export function isIstioValidatedKind(obj: { apiVersion?: string; kind?: string }): boolean {
  return (obj.kind === 'EnvoyFilter' && /^networking\.istio\.io\//.test(obj.apiVersion ?? '')) || (obj.kind === 'WasmPlugin' && /^extensions\.istio\.io\//.test(obj.apiVersion ?? ''));
}

const minorOf = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * The other objects of a kind that can reach the same proxies as `obj`: those of its namespace
 * and of the root namespace, without a previous copy of `obj` (same namespace and name), which
 * it replaces. One pass: this runs for every object validated, over every object of the input.
 * Each takes part as istiod holds it (`heldForm`): a malformed, rejected or legacy neighbour is
 * judged on its own and never changes, let alone switches off, the checks of another (ADR 0109).
 */
function neighboursOf(all: readonly K8sObject[], obj: K8sObject, istioVersions: readonly string[]): K8sObject[] {
  const here = obj.metadata.namespace ?? 'default';
  const out: K8sObject[] = [];
  for (const o of all) {
    if (o === obj || !isPlainObject(o) || !isPlainObject(o.metadata)) continue;
    const ns = o.metadata.namespace ?? 'default';
    if (ns !== here && ns !== rootNamespace) continue;
    if (ns === here && o.metadata.name === obj.metadata.name) continue;
    const held = heldForm(all, o, istioVersions);
    if (held) out.push(held);
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The neighbours of `obj` among `all` as they take part in its checks, for callers outside the validator (the oracle's configs). */
export function istioNeighbours(all: readonly K8sObject[], obj: K8sObject, istioVersions: readonly string[]): K8sObject[] {
  return isPlainObject(obj.metadata) ? neighboursOf(all, obj, istioVersions) : [];
}

/**
 * Errors after which the object never reaches istiod: the API server or istiod's webhook
 * rejects it, or istiod cannot read it. (An unknown field is pruned, not rejected: MW110.)
 */
const rejectionRules = codesTagged('istiodRejects');

/**
 * Held forms by neighbour list (one per input or cluster snapshot, shared by every object
 * validated against it) and target versions: in n objects each is a neighbour n times.
 */
const heldForms = new WeakMap<readonly K8sObject[], Map<string, Map<K8sObject, K8sObject | null>>>();

/** `o` as istiod holds it: its stored form, or undefined when the API server or istiod rejects it. */
function heldForm(list: readonly K8sObject[], o: K8sObject, istioVersions: readonly string[]): K8sObject | undefined {
  let byVersions = heldForms.get(list);
  if (!byVersions) heldForms.set(list, (byVersions = new Map<string, Map<K8sObject, K8sObject | null>>()));
  const key = istioVersions.join(',');
  let forms = byVersions.get(key);
  if (!forms) byVersions.set(key, (forms = new Map<K8sObject, K8sObject | null>()));
  let held = forms.get(o);
  if (held === undefined) {
    if (!isIstioValidatedKind(o)) held = null;
    else {
      const rejected = checkIstioObject(o, { istioVersions, rootNamespace }).some((f) => f.severity === 'error' && rejectionRules.has(f.rule));
      held = rejected ? null : (storedForm(o) as K8sObject);
    }
    forms.set(o, held);
  }
  return held ?? undefined;
}

export function validateIstioObject(obj: K8sObject, ctx: ValidationContext): Finding[] {
  // Istio's own CRD schema and webhook checks first (MW11x): what istiod admits at all.
  const admitted = checkIstioObject(obj, { istioVersions: ctx.istioVersions, rootNamespace });
  // An object of the wrong shape never gets past the API server to istiod: judge it no further.
  if (admitted.some((f) => shapeRules.has(f.rule) && f.severity === 'error')) return admitted;
  // istiod reads the object as the API server stored it, null fields dropped.
  const stored = storedForm(obj) as K8sObject;
  const rest = stored.kind === 'EnvoyFilter' ? validateEnvoyFilter(stored as unknown as EnvoyFilterObject, ctx) : validateWasmPlugin(stored, ctx);
  return withoutExplainedPrunes(withoutStaticDuplicates(unique([...admitted, ...rest])));
}

/**
 * A field the API server prunes is MW110 everywhere; where the patch layer says what the pruning
 * does to the patch (MW426: `filterChain.transportSocket` before Istio 1.32 widens the match),
 * keep only that finding at that field. ADR 0112.
 */
function withoutExplainedPrunes(findings: Finding[]): Finding[] {
  const explained = new Set(findings.filter((f) => f.rule === MW426.code).map((f) => f.path));
  return explained.size === 0 ? findings : findings.filter((f) => !(f.rule === MW110.code && explained.has(f.path)));
}

/** Istio CRD schema rules about an object's shape: a required field missing, a wrong type or enum. */
const shapeRules = codesTagged('istioShape');

/**
 * Some static rules (MW11x, MW3xx) report what the patch layer (MW4xx) reports more
 * precisely, having applied the patch: keep the patch layer's finding only (the catalogue's `duplicateOf`).
 */
const duplicatedBy: ReadonlyMap<string, string> = new Map(allRules().flatMap((r) => (r.duplicateOf !== undefined ? [[r.code, r.duplicateOf] as const] : [])));
function withoutStaticDuplicates(findings: Finding[]): Finding[] {
  const reported = new Set(findings.map((f) => f.rule));
  return findings.filter((f) => {
    const preferred = duplicatedBy.get(f.rule);
    return preferred === undefined || !reported.has(preferred);
  });
}

interface Patch {
  applyTo?: string;
  match?: {
    proxy?: { proxyVersion?: string };
    listener?: { listenerFilter?: string; filterChain?: { filter?: { name?: string; subFilter?: { name?: string } } } };
  };
  patch?: { operation?: string; value?: unknown };
}

/** The name of the filter a filter patch targets, for the MERGE type check (MW211). */
function targetFilterName(p: Patch): string | undefined {
  const l = p.match?.listener;
  if (p.applyTo === 'HTTP_FILTER') return l?.filterChain?.filter?.subFilter?.name;
  if (p.applyTo === 'NETWORK_FILTER') return l?.filterChain?.filter?.name;
  if (p.applyTo === 'LISTENER_FILTER') return l?.listenerFilter;
  return undefined;
}

function validateEnvoyFilter(ef: EnvoyFilterObject, ctx: ValidationContext): Finding[] {
  const patches = (ef.spec?.configPatches ?? []) as Patch[];
  const findings: Finding[] = [];

  // Version-independent: Lua sources, proxyVersion. RE2 patterns and the Lua API a script calls
  // are collected here and judged per Envoy version below (ADR 0111).
  const patterns: Array<{ regex: string; path: string }> = [];
  const scripts: Array<{ code: string; path: string }> = [];
  patches.forEach((p, i) => {
    const base = `spec.configPatches[${i}]`;
    if (typeof p.match?.proxy?.proxyVersion === 'string') {
      findings.push(...checkProxyVersion(p.match.proxy.proxyVersion, { path: `${base}.match.proxy.proxyVersion` }));
    }
    const value = p.patch?.value;
    if (value === undefined) return;
    const valuePath = `${base}.patch.value`;
    for (const { typeName, config, path } of typedConfigs(value)) {
      for (const [field, code] of luaSources(typeName, config)) {
        const at = joinPath(joinPath(valuePath, path), field);
        findings.push(...checkLua(code, { path: at }));
        scripts.push({ code, path: at });
      }
    }
    for (const { regex, path } of regexes(value)) patterns.push({ regex, path: joinPath(valuePath, path) });
  });

  // Per Envoy version: the strict decode against that version's protos, and Envoy's
  // semantic rules (once per class of versions they judge alike).
  const perVersion = new Map<string, Finding[]>();
  const semantics = new Map<number, Finding[]>();
  const shared = new SharedDecodes();
  for (const minor of new Set(ctx.istioVersions.map(minorOf))) {
    const envoy = ISTIO_TO_ENVOY[minor];
    if (envoy === undefined) continue;
    const versionFindings: Finding[] = [];
    patches.forEach((p, i) => {
      if (typeof p.applyTo !== 'string') return;
      const valuePath = `spec.configPatches[${i}].patch.value`;
      const target = targetFilterName(p);
      const options = { shared, ...(p.patch?.operation !== undefined ? { operation: p.patch.operation } : {}), ...(target !== undefined ? { targetFilterName: target } : {}) };
      for (const f of checkPatchValue(p.applyTo, p.patch?.value, envoy, options)) versionFindings.push({ ...f, path: joinPath(valuePath, f.path) });
    });
    for (const { regex, path } of patterns) versionFindings.push(...checkRegex(regex, { path, envoyVersion: envoy }));
    for (const { code, path } of scripts) versionFindings.push(...checkLuaApi(code, { path, envoyVersion: envoy }));
    // Envoy's semantic rules (MW3xx); their paths already start at the EnvoyFilter.
    const semanticClass = semanticVersionClass(envoy);
    let semantic = semantics.get(semanticClass);
    if (semantic === undefined) semantics.set(semanticClass, (semantic = checkEnvoyFilterSemantics(ef, { envoyVersion: envoy })));
    versionFindings.push(...semantic);
    perVersion.set(minor, versionFindings);
  }
  findings.push(...mergeVersions(perVersion));

  // The patches applied to the baselines istiod generates, with the other EnvoyFilters.
  const neighbours = neighboursOf(ctx.envoyFilters, ef as unknown as K8sObject, ctx.istioVersions) as unknown as EnvoyFilterObject[];
  findings.push(
    ...checkEnvoyFilterPatches(ef, {
      istioVersions: ctx.istioVersions.map((v) => (v.split('.').length === 2 ? `${v}.0` : v)),
      otherEnvoyFilters: neighbours,
    }),
  );
  // Against the versions as given (a minor stands for its patch releases), not the simulated X.Y.0.
  findings.push(...proxyVersionGateFindings(ef, ctx.istioVersions));
  findings.push(...targetRefsContextFindings(ef));
  findings.push(...checkEnvoyFilterCross(ef as unknown as K8sObject, { pods: ctx.pods, neighbours: neighbours as unknown as K8sObject[], rootNamespace }));
  return findings;
}

/** The Lua sources of a Lua filter or per-route config, with their field paths. */
function luaSources(typeName: string, config: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const inline = (v: unknown) => v as { inline_string?: unknown; inlineString?: unknown } | undefined;
  const add = (path: string, v: unknown) => {
    if (typeof v === 'string') out.push([path, v]);
  };
  if (typeName === 'envoy.extensions.filters.http.lua.v3.Lua') {
    add('inline_code', config.inline_code ?? config.inlineCode);
    const dsc = inline(config.default_source_code ?? config.defaultSourceCode);
    add('default_source_code.inline_string', dsc?.inline_string ?? dsc?.inlineString);
    const sources = (config.source_codes ?? config.sourceCodes) as Record<string, unknown> | undefined;
    for (const [name, src] of Object.entries(sources ?? {})) add(`source_codes[${JSON.stringify(name)}].inline_string`, inline(src)?.inline_string ?? inline(src)?.inlineString);
  } else if (typeName === 'envoy.extensions.filters.http.lua.v3.LuaPerRoute') {
    const sc = inline(config.source_code ?? config.sourceCode);
    add('source_code.inline_string', sc?.inline_string ?? sc?.inlineString);
  }
  return out;
}

function validateWasmPlugin(wp: K8sObject, ctx: ValidationContext): Finding[] {
  const spec = (wp.spec ?? {}) as WasmPluginSpec;
  const findings = checkWasmPlugin(spec).map((f) => ({ ...f, path: joinPath('spec', f.path) }));
  const sharing = neighboursOf(ctx.wasmPlugins, wp, ctx.istioVersions);
  const all = [...sharing, wp];
  const self = all.length - 1;
  const refs = all.map((o) => ({ name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? 'default', spec: (o.spec ?? {}) as WasmPluginSpec }));
  for (const { index, finding } of checkWasmOrdering(refs)) if (index === self) findings.push(finding);
  return findings;
}

/**
 * Findings every version agrees on are reported once; the others say which versions
 * they concern.
 */
function mergeVersions(perVersion: Map<string, Finding[]>): Finding[] {
  const versions = [...perVersion.keys()];
  const byKey = new Map<string, { finding: Finding; versions: string[] }>();
  for (const [version, findings] of perVersion) {
    for (const f of findings) {
      const key = findingKey(f);
      const entry = byKey.get(key);
      if (entry) {
        if (!entry.versions.includes(version)) entry.versions.push(version);
      } else byKey.set(key, { finding: f, versions: [version] });
    }
  }
  return [...byKey.values()].map(({ finding, versions: vs }) => (vs.length === versions.length ? finding : { ...finding, message: `${finding.message} (Istio ${vs.join(', ')})` }));
}

/** Identity of a finding: the same rule, path and message is the same finding. */
const findingKey = (f: Finding) => `${f.rule}\u0000${f.path}\u0000${f.message}`;

function unique(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = findingKey(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
