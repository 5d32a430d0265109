/**
 * MW2xx entry points for the orchestrator: strict proto decode + PGV of an EnvoyFilter
 * `patch.value` or of one typed config, against the Envoy API of one Envoy version.
 * Findings' paths are relative to the value given.
 */
import type { Finding } from '../rule.js';
import { categoryForApplyTo, categoryLabel, extensionCategory, type ExtensionCategory } from './categories.js';
import { decodeRecorded, decodeStrict, hasType, isV2Type, readsAlike, TYPED_STRUCT_TYPES, type DecodeDeps } from './decode.js';
import { isEnvoyVersion, loadProtoSchema, ProtosetMissingError, type EnvoyVersion } from './load.js';
import { howToGet } from '../../util/validator-data.js';
import { mergeTypeMismatch, protosetMissing, unknownType, wrongCategory } from './rules.js';

export { APPLY_TO_VALUES, categoryForApplyTo, categoryLabel, extensionCategory, FIELD_CATEGORIES, isIstioProxyType, type ApplyToTarget, type ExtensionCategory } from './categories.js';
export { closest, decodeStrict, hasType, isV2Type, TYPED_STRUCT_TYPES, type DecodeOptions } from './decode.js';
export {
  clearProtoCache,
  ENVOY_VERSIONS,
  hasProtoset,
  isEnvoyVersion,
  ISTIO_TO_ENVOY,
  loadedSchemas,
  loadProtoSchema,
  loadRoot,
  protosDir,
  protosetFile,
  ProtosetMissingError,
  rootFromDescriptorSet,
  rootVersion,
  setProtosDir,
  type EnvoyVersion,
  type ProtoSchema,
  type ProtosetMeta,
} from './load.js';
export * as protoRules from './rules.js';

export interface PatchCheckOptions {
  /**
   * The EnvoyFilter patch operation. `MERGE` (and `MERGE_AND_REPLACE_LIST`) values are partial:
   * presence rules are not applied to fields they leave out. `REMOVE` has no value to check.
   */
  operation?: string;
  /**
   * Name of the filter a MERGE patches (`match.listener.filterChain.filter.subFilter.name` for
   * HTTP_FILTER, `...filter.name` for NETWORK_FILTER, `match.listener.listenerFilter` for
   * LISTENER_FILTER): a MERGE whose typed_config has a different `@type` is MW211.
   */
  targetFilterName?: string;
  /** Decodes already made of the same value for other Envoy versions, to reuse where the versions read it alike. */
  shared?: SharedDecodes;
}

/**
 * The results of checking values against one Envoy version, reused for another version
 * wherever every type the decode looked at is the same there (most values of most patches:
 * the Envoy API changes little between minors). Meant for one validation, whose values do not
 * change while it runs: entries are found by the identity of the value.
 */
export class SharedDecodes {
  readonly #byValue = new Map<unknown, Array<{ key: string; deps: NonNullable<DecodeDeps>; findings: Finding[] }>>();
  /** How many checks were answered from another version's decode. */
  reused = 0;

  get(value: unknown, key: string, root: Parameters<typeof readsAlike>[0]): Finding[] | undefined {
    for (const e of this.#byValue.get(value) ?? []) {
      if (e.key === key && readsAlike(root, e.deps)) {
        this.reused++;
        return [...e.findings];
      }
    }
    return undefined;
  }

  set(value: unknown, key: string, deps: DecodeDeps, findings: readonly Finding[]): void {
    if (deps === undefined) return;
    let list = this.#byValue.get(value);
    if (!list) this.#byValue.set(value, (list = []));
    list.push({ key, deps, findings: [...findings] });
  }
}

const FILTERS = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'LISTENER_FILTER']);

function missing(e: ProtosetMissingError): Finding[] {
  return [protosetMissing.finding('', e.message, howToGet({ kind: 'protos', version: e.version }))];
}

function withSchema(envoyVersion: string, f: (v: EnvoyVersion) => Finding[]): Finding[] {
  if (!isEnvoyVersion(envoyVersion)) {
    return [protosetMissing.finding('', `no Envoy API descriptor set for Envoy ${envoyVersion} (supported: 1.36–1.39)`)];
  }
  try {
    return f(envoyVersion);
  } catch (e) {
    if (e instanceof ProtosetMissingError) return missing(e);
    throw e;
  }
}

/**
 * Checks an EnvoyFilter `configPatches[].patch.value` for `applyTo` against Envoy `envoyVersion`:
 * decodes it as the message `applyTo` patches (HTTP_FILTER → HttpFilter, CLUSTER → Cluster, ...)
 * and requires its `typed_config` to be of the matching extension category.
 * Unknown `applyTo` values give no findings (the schema layer reports them).
 */
export function checkPatchValue(applyTo: string, value: unknown, envoyVersion: string, options: PatchCheckOptions = {}): Finding[] {
  const target = categoryForApplyTo(applyTo);
  if (!target || options.operation === 'REMOVE' || value === undefined) return [];
  const partial = options.operation === 'MERGE' || options.operation === 'MERGE_AND_REPLACE_LIST';
  return withSchema(envoyVersion, (v) => {
    const { root } = loadProtoSchema(v);
    const key = `${applyTo}\0${options.operation ?? ''}\0${options.targetFilterName ?? ''}`;
    const reused = options.shared?.get(value, key, root);
    if (reused) return reused;
    const { findings: out, deps } = decodeRecorded(root, target.messageType, value, {
      typedConfigCategories: target.typedConfigCategories,
      context: `applyTo: ${applyTo}`,
      partial,
    });
    if (!partial && FILTERS.has(applyTo) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      const has = (k: string, j: string) => (o[k] !== undefined && o[k] !== null) || (o[j] !== undefined && o[j] !== null);
      if (!has('typed_config', 'typedConfig') && !has('config_discovery', 'configDiscovery') && !('config' in o)) {
        out.push(
          unknownType.finding(
            'typed_config',
            `the ${applyTo === 'HTTP_FILTER' ? 'HTTP' : applyTo === 'NETWORK_FILTER' ? 'network' : 'listener'} filter ${JSON.stringify(o['name'] ?? '')} has no typed_config: Envoy no longer finds extensions by name`,
            'add "typed_config" with the "@type" of the filter\'s config message',
          ),
        );
      }
    }
    if (partial && options.targetFilterName && FILTERS.has(applyTo)) {
      const m = mergeMismatch(options.targetFilterName, value);
      if (m) out.push(m);
    }
    options.shared?.set(value, key, deps, out);
    return out;
  });
}

/**
 * Canonical Envoy extension names follow their proto package: `envoy.filters.http.lua` is
 * configured by a message of `envoy.extensions.filters.http.lua.v3`. A MERGE whose typed_config
 * names another type makes istiod swap the type URL and re-decode (failure mode 32).
 */
function mergeMismatch(filterName: string, value: unknown): Finding | undefined {
  const m = /^envoy\.filters\.(http|network|listener)\.([a-z0-9_]+)$/.exec(filterName);
  if (!m || typeof value !== 'object' || value === null) return undefined;
  const tc = (value as Record<string, unknown>)['typed_config'] ?? (value as Record<string, unknown>)['typedConfig'];
  if (typeof tc !== 'object' || tc === null) return undefined;
  const url = (tc as Record<string, unknown>)['@type'];
  if (typeof url !== 'string') return undefined;
  const name = url.slice(url.lastIndexOf('/') + 1);
  const pkg = `envoy.extensions.filters.${m[1]}.${m[2]}.`;
  if (name.startsWith(pkg)) return undefined;
  return mergeTypeMismatch.finding(
    'typed_config["@type"]',
    `MERGE into ${filterName} with a typed_config of type ${name}, but that filter is configured by a message of ${pkg}*: istiod swaps the type URL and re-decodes, so the merge is ignored or garbles fields`,
    TYPED_STRUCT_TYPES.includes(name)
      ? `write the config with "@type": "type.googleapis.com/${pkg}<Message>" instead of a TypedStruct`
      : `use the filter's own type (${pkg}<Message>), or REPLACE the filter`,
  );
}

export interface TypedConfigCheckOptions {
  /** Allowed extension categories of the type (e.g. `['envoy.filters.http']` for an HTTP filter config). */
  categories?: readonly ExtensionCategory[];
  /** The config is merged into an existing one: presence rules are skipped. */
  partial?: boolean;
  /** Whose JSON parser reads it first: `istiod` (default; EnvoyFilter values) or `envoy` (static bootstrap). */
  dialect?: 'istiod' | 'envoy';
}

/**
 * Checks one typed config body (`json`, the fields of the message; an `@type` key in it is allowed
 * and must agree) as type `typeUrlOrName` (`type.googleapis.com/envoy....LocalRateLimit` or the
 * full name). TypedStruct and Any type names are decoded as such.
 */
export function checkTypedConfig(typeUrlOrName: string, json: unknown, envoyVersion: string, options: TypedConfigCheckOptions = {}): Finding[] {
  return withSchema(envoyVersion, (v) => {
    const { root } = loadProtoSchema(v);
    const name = typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1);
    if (!hasType(root, name) || isV2Type(name)) {
      // Report the type as an Any would (v2 hint, other versions, istio-proxy types).
      return decodeStrict(root, 'google.protobuf.Any', { '@type': `type.googleapis.com/${name}` }, { pgv: false });
    }
    const partial = { ...(options.partial ? { partial: true } : {}), ...(options.dialect ? { dialect: options.dialect } : {}) };
    const cats = options.categories?.length ? { typedConfigCategories: options.categories } : {};
    const body = json as Record<string, unknown> | null;
    const isObj = typeof body === 'object' && body !== null && !Array.isArray(body);
    if (name === 'google.protobuf.Any' || TYPED_STRUCT_TYPES.includes(name)) {
      const any = name === 'google.protobuf.Any' || !isObj ? json : { ...body, '@type': `type.googleapis.com/${name}` };
      return decodeStrict(root, 'google.protobuf.Any', any, { ...cats, ...partial });
    }
    const out: Finding[] = [];
    if (options.categories?.length) {
      const cat = extensionCategory(name);
      if (!options.categories.includes(cat)) {
        out.push(wrongCategory.finding('', `${name} is ${categoryLabel(cat)}, but ${options.categories.map(categoryLabel).join(' or ')} is expected here`));
      }
    }
    let skipTypeKey = false;
    if (isObj && '@type' in body) {
      const t = body['@type'];
      const tn = typeof t === 'string' ? t.slice(t.lastIndexOf('/') + 1) : undefined;
      if (tn !== name) {
        out.push(unknownType.finding('["@type"]', `"@type" ${JSON.stringify(t)} does not match the expected type ${name}`));
      }
      skipTypeKey = true;
    }
    out.push(...decodeStrict(root, name, json, { skipTypeKey, ...partial }));
    return out;
  });
}
