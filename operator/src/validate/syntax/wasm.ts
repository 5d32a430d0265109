/**
 * Istio WasmPlugin (extensions.istio.io/v1alpha1) checks: the offline part of istiod's
 * `ValidateWasmPlugin` (pkg/config/validation/validation.go) plus what it does not check
 * (integrity, pull policy, fail strategy, ordering), from the API in
 * istio/api extensions/v1alpha1/wasm.proto. Paths are relative to `spec`.
 */
import type { Finding } from '../rule.js';
import { WASM_ENUM, WASM_FAIL_CLOSE, WASM_FIELD_LIMITS, WASM_MATCH_PORTS, WASM_NO_INTEGRITY, WASM_ORDER, WASM_PULL, WASM_SHA256, WASM_URL, WASM_VM_ENV } from './rules.js';

/** The fields of WasmPlugin.spec this module reads (everything optional: input is untrusted). */
export interface WasmPluginSpec {
  url?: unknown;
  sha256?: unknown;
  imagePullPolicy?: unknown;
  imagePullSecret?: unknown;
  pluginName?: unknown;
  phase?: unknown;
  priority?: unknown;
  failStrategy?: unknown;
  type?: unknown;
  selector?: unknown;
  targetRef?: unknown;
  targetRefs?: unknown;
  vmConfig?: unknown;
  match?: unknown;
  [k: string]: unknown;
}

const SCHEMES = new Set(['oci', 'http', 'https', 'file']);
const PULL_POLICIES = ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'];
const PHASES = ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'];
const FAIL_STRATEGIES = ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'];
const TYPES = ['UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK'];
const ENV_SOURCES = ['INLINE', 'HOST'];
const SHA256 = /^[a-f0-9]{64}$/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface ParsedWasmUrl {
  /** Effective scheme: `oci` when the url has none (Istio's default). */
  scheme: string;
  /** The url had no scheme. */
  implicit: boolean;
  /** For OCI: the tag (`latest` when neither tag nor digest is given) and digest. */
  tag?: string;
  digest?: string;
}

/**
 * Parses a WasmPlugin url like istiod's `strictParseURL` does (Go url.ParseRequestURI, then
 * retry with `http://`): a leading `name:` is taken as the scheme, so `registry:5000/img` has
 * the scheme `registry` and is rejected. Returns an error message or the parsed form.
 */
export function parseWasmUrl(url: string): ParsedWasmUrl | { error: string; hint?: string } {
  if (url === '') return { error: 'url field needs to be set' };
  // eslint-disable-next-line no-control-regex -- the bytes Go's url.Parse refuses: below 0x20 and 0x7f
  if (/[\u0000-\u001f\u007f\s]/.test(url)) return { error: `url ${JSON.stringify(url)} contains whitespace or control characters` };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(url);
  if (m && !(m[2] ?? '').startsWith('//') && m[1] !== 'file') {
    const scheme = m[1]!.toLowerCase();
    if (!SCHEMES.has(scheme)) {
      return {
        error: `url contains unsupported scheme: ${scheme} (Go's URL parser reads \`${m[1]}:\` as a scheme)`,
        hint: /^\d+\//.test(m[2] ?? '') ? `write oci://${url}` : 'use oci://, https://, http:// or file://',
      };
    }
  }
  const scheme = m ? m[1]!.toLowerCase() : 'oci';
  if (!SCHEMES.has(scheme)) return { error: `url contains unsupported scheme: ${scheme}`, hint: 'use oci://, https://, http:// or file://' };
  const implicit = !m;
  if (scheme === 'http' || scheme === 'https' || scheme === 'file') {
    try {
      const u = new URL(url);
      if (scheme !== 'file' && u.hostname === '') return { error: `url ${JSON.stringify(url)} has no host` };
      if (scheme === 'file' && u.pathname.length <= 1) return { error: `url ${JSON.stringify(url)} has no file path` };
    } catch {
      return { error: `url ${JSON.stringify(url)} is malformed` };
    }
    return { scheme, implicit };
  }
  // OCI reference: [oci://]host[:port]/repo[/…][:tag][@sha256:digest]
  const ref = implicit ? url : url.replace(/^oci:\/\//i, '');
  if (ref === '' || ref.startsWith('/')) return { error: `OCI reference ${JSON.stringify(url)} has no registry/repository` };
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) return { error: `OCI digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>` };
  }
  const lastSlash = rest.lastIndexOf('/');
  const lastPart = rest.slice(lastSlash + 1);
  const colon = lastPart.indexOf(':');
  let tag: string | undefined;
  if (colon >= 0) {
    tag = lastPart.slice(colon + 1);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return { error: `OCI tag ${JSON.stringify(tag)} is not a valid tag` };
  }
  if (!/^[a-z0-9]+([._-]+[a-z0-9]+)*$/.test(colon >= 0 ? lastPart.slice(0, colon) : lastPart)) {
    return { error: `OCI repository name in ${JSON.stringify(url)} is not valid (lowercase letters, digits, . _ -)` };
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { scheme: 'oci', implicit, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function checkEnum(out: Finding[], spec: WasmPluginSpec, field: string, allowed: string[]): string | undefined {
  const v = spec[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) {
    out.push(WASM_ENUM.finding(field, `${field} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`));
    return undefined;
  }
  return v;
}

/** Checks one WasmPlugin spec. Paths are relative to `spec`. */
export function checkWasmPlugin(spec: WasmPluginSpec): Finding[] {
  const out: Finding[] = [];
  if (!isObj(spec)) return out;

  const pullPolicy = checkEnum(out, spec, 'imagePullPolicy', PULL_POLICIES);
  const phase = checkEnum(out, spec, 'phase', PHASES) ?? 'UNSPECIFIED_PHASE';
  const failStrategy = checkEnum(out, spec, 'failStrategy', FAIL_STRATEGIES);
  checkEnum(out, spec, 'type', TYPES);

  // sha256
  const sha = str(spec.sha256);
  if (spec.sha256 !== undefined && spec.sha256 !== '' && (sha === undefined || !SHA256.test(sha))) {
    const why = sha === undefined ? 'is not a string' : sha.length !== 64 ? `is ${sha.length} characters long, not 64` : 'must match [a-f0-9]{64} (lowercase hex)';
    out.push(WASM_SHA256.finding('sha256', `sha256 ${why}`, sha && /^[A-Fa-f0-9]{64}$/.test(sha) ? `use ${sha.toLowerCase()}` : 'use the hex SHA-256 of the module or image'));
  }
  const hasSha = sha !== undefined && SHA256.test(sha);

  // url
  const url = spec.url;
  let parsed: ParsedWasmUrl | undefined;
  if (typeof url !== 'string') {
    out.push(WASM_URL.finding('url', url === undefined ? 'url field needs to be set' : 'url must be a string'));
  } else {
    const p = parseWasmUrl(url);
    if ('error' in p) out.push(WASM_URL.finding('url', p.error, p.hint));
    else parsed = p;
  }

  if (parsed) {
    if (parsed.digest && hasSha && parsed.digest !== `sha256:${sha}`) {
      out.push(WASM_SHA256.finding('sha256', `sha256 does not match the digest in url (${parsed.digest}): the module is rejected after every fetch`));
    }
    if ((parsed.scheme === 'http' || parsed.scheme === 'https') && !hasSha) {
      out.push(
        WASM_NO_INTEGRITY.finding(
          'sha256',
          `module fetched over ${parsed.scheme} without sha256: its integrity is not verified${parsed.scheme === 'http' ? ' and it travels unencrypted' : ''}`,
          'set sha256 to the module checksum (sha256sum plugin.wasm)',
        ),
      );
    }
    const pinned = hasSha || parsed.digest !== undefined;
    if (parsed.scheme === 'oci' && !pinned) {
      if (parsed.tag === 'latest' && (pullPolicy === undefined || pullPolicy === 'UNSPECIFIED_POLICY')) {
        out.push(
          WASM_PULL.finding(
            'url',
            `OCI image ${/:latest$/.test(String(url)) ? 'tagged :latest' : 'without tag or digest (= :latest)'}: imagePullPolicy defaults to Always, so every proxy pulls from the registry on every change (rate limits, registry outage = plugin outage)`,
            'pin a version tag or an @sha256: digest (and set sha256), or set imagePullPolicy: IfNotPresent',
          ),
        );
      } else if (pullPolicy === 'Always') {
        out.push(
          WASM_PULL.finding(
            'imagePullPolicy',
            'imagePullPolicy Always: every proxy pulls the image from the registry each time the WasmPlugin changes (rate limits, registry outage = plugin outage)',
            'pin a tag or digest and use IfNotPresent',
          ),
        );
      } else if (parsed.tag === 'latest') {
        out.push(
          WASM_PULL.finding(
            'url',
            'OCI image tagged :latest with IfNotPresent: proxies keep whatever version they pulled first, so pods can run different module versions',
            'pin a version tag or digest',
            'info',
          ),
        );
      }
    }
  }

  // fail strategy
  if (failStrategy === undefined || failStrategy === 'FAIL_CLOSE') {
    if (phase !== 'AUTHN' && phase !== 'AUTHZ') {
      out.push(
        WASM_FAIL_CLOSE.finding(
          'failStrategy',
          `failStrategy ${failStrategy === undefined ? 'unset (FAIL_CLOSE)' : 'FAIL_CLOSE'}: if the module cannot be fetched or loaded, every request through this plugin fails (Istio ≥ 1.25 substitutes a deny-all filter)`,
          'use FAIL_OPEN for plugins that are not security controls; FAIL_RELOAD only helps with runtime errors and falls back to FAIL_CLOSE otherwise',
        ),
      );
    }
  } else if (failStrategy === 'FAIL_OPEN' && (phase === 'AUTHN' || phase === 'AUTHZ')) {
    out.push(
      WASM_FAIL_CLOSE.finding(
        'failStrategy',
        `failStrategy FAIL_OPEN on a ${phase} plugin: when the module fails to load, requests bypass this ${phase === 'AUTHN' ? 'authentication' : 'authorization'} step`,
        'wasm.proto: FAIL_OPEN is not recommended for authentication or authorization plugins',
        'warning',
      ),
    );
  }

  // field limits
  const pluginName = str(spec.pluginName);
  if (pluginName !== undefined && pluginName.length > 256) {
    out.push(WASM_FIELD_LIMITS.finding('pluginName', `pluginName is ${pluginName.length} characters long (max 256)`));
  }
  const secret = str(spec.imagePullSecret);
  if (secret !== undefined && secret.length > 253) {
    out.push(WASM_FIELD_LIMITS.finding('imagePullSecret', `imagePullSecret is ${secret.length} characters long (max 253)`));
  }

  // vmConfig.env
  if (isObj(spec.vmConfig) && Array.isArray(spec.vmConfig.env)) {
    const seen = new Map<string, number>();
    spec.vmConfig.env.forEach((env: unknown, i: number) => {
      const p = `vmConfig.env[${i}]`;
      if (!isObj(env)) return;
      const name = str(env.name) ?? '';
      if (name === '') out.push(WASM_VM_ENV.finding(`${p}.name`, 'env name is empty'));
      else if (name.length > 256) out.push(WASM_VM_ENV.finding(`${p}.name`, `env name is ${name.length} characters long (max 256)`));
      else if (seen.has(name)) out.push(WASM_VM_ENV.finding(`${p}.name`, `duplicate env ${JSON.stringify(name)} (also vmConfig.env[${seen.get(name)}])`));
      else seen.set(name, i);
      const from = env.valueFrom ?? 'INLINE';
      if (typeof from !== 'string' || !ENV_SOURCES.includes(from)) {
        out.push(WASM_VM_ENV.finding(`${p}.valueFrom`, `valueFrom ${JSON.stringify(from)} is not one of ${ENV_SOURCES.join(', ')}`));
      } else if (from === 'HOST' && env.value !== undefined && env.value !== '') {
        out.push(WASM_VM_ENV.finding(`${p}.value`, 'value may only be set when valueFrom is INLINE (HOST copies the proxy environment variable of the same name)'));
      }
    });
  }

  // match[].ports
  if (Array.isArray(spec.match)) {
    spec.match.forEach((sel: unknown, i: number) => {
      if (!isObj(sel) || !Array.isArray(sel.ports)) return;
      const mode = str(sel.mode) ?? 'CLIENT_AND_SERVER';
      sel.ports.forEach((port: unknown, j: number) => {
        const n = isObj(port) ? port.number : undefined;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
          out.push(WASM_MATCH_PORTS.finding(`match[${i}].ports[${j}].number`, `port ${JSON.stringify(n)} is out of range 1–65535`));
        }
      });
      if (sel.ports.length > 0 && (mode === 'SERVER' || mode === 'CLIENT_AND_SERVER')) {
        out.push(
          WASM_MATCH_PORTS.finding(
            `match[${i}].ports`,
            'for inbound (SERVER) traffic these are the ports the server process binds in the pod (container targetPort), not Service ports; a Service port matches nothing',
            'use the container port, or mode: CLIENT for Service ports',
            'info',
          ),
        );
      }
    });
  }
  return out;
}

// ------------------------------------------------------------------ ordering (cross-object)

export interface WasmPluginRef {
  name: string;
  namespace: string;
  spec: WasmPluginSpec;
}

export interface CheckWasmOrderingOptions {
  /** Istio's root namespace: plugins there apply to every namespace. Default `istio-system`. */
  rootNamespace?: string;
}

function labelsOf(spec: WasmPluginSpec): Record<string, string> | undefined {
  if (!isObj(spec.selector) || !isObj(spec.selector.matchLabels)) return undefined;
  return spec.selector.matchLabels as Record<string, string>;
}

function refsOf(spec: WasmPluginSpec): string[] | undefined {
  const refs = Array.isArray(spec.targetRefs) ? spec.targetRefs : isObj(spec.targetRef) ? [spec.targetRef] : undefined;
  if (!refs) return undefined;
  return refs.filter(isObj).map((r) => `${String(r.group ?? '')}/${String(r.kind ?? '')}/${String(r.name ?? '')}`);
}

/** Could the two plugins select the same proxy? (Without cluster facts: labels compatible.) */
export function mayOverlap(a: WasmPluginRef, b: WasmPluginRef, root: string): boolean {
  if (a.namespace !== b.namespace && a.namespace !== root && b.namespace !== root) return false;
  const ra = refsOf(a.spec);
  const rb = refsOf(b.spec);
  if (ra || rb) {
    if (ra && rb) return ra.some((r) => rb.includes(r));
    return false; // targetRefs (gateways/waypoints) vs selector: cannot tell offline
  }
  const la = labelsOf(a.spec);
  const lb = labelsOf(b.spec);
  if (!la || !lb) return true; // namespace-wide
  return Object.entries(la).every(([k, v]) => !(k in lb) || lb[k] === v);
}

const priorityOf = (spec: WasmPluginSpec): number => (typeof spec.priority === 'number' ? spec.priority : 0);

/** Equal (===) label values give equal keys; unequal ones may too (objects), which `mayOverlap` then sorts out. */
const valuesKey = (labels: Record<string, unknown>, keys: string[]): string =>
  JSON.stringify(
    keys.map((k) => {
      const v = labels[k];
      return typeof v === 'object' && v !== null ? 'object' : `${typeof v}:${String(v)}`;
    }),
  );

/**
 * For each plugin, the ascending indexes of the plugins it clashes with: same phase, type and
 * priority, and `mayOverlap`. Comparing every pair costs k² per call, and the validator calls
 * this once per WasmPlugin with its namespace's plugins (k³ per namespace), so candidates come
 * from indexes instead: plugins bucketed by phase/type/priority and namespace; within a
 * namespace, targetRefs by ref and label selectors by their key set and the values on the keys
 * they share with the asking plugin. The indexes only over-approximate (own keys, JSON-equal
 * values); every candidate is confirmed with `mayOverlap`, so the result is the pairwise one.
 * Root-namespace plugins reach every namespace and are compared with their whole bucket.
 */
export function wasmClashes(plugins: ReadonlyArray<WasmPluginRef>, root: string): Map<number, number[]> {
  interface Space {
    refs: Map<string, number[]>;
    wide: number[];
    byKeys: Map<string, { keys: string[]; members: number[]; on: Map<string, Map<string, number[]>> }>;
  }
  const buckets = new Map<string, { all: number[]; roots: number[]; spaces: Map<string, Space> }>();
  const bucketKey: Array<string | undefined> = [];
  const push = <K>(m: Map<K, number[]>, k: K, i: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(i);
  plugins.forEach((p, i) => {
    const prio = priorityOf(p.spec);
    if (Number.isNaN(prio)) return; // NaN !== NaN: such a plugin never ties
    // String(), not JSON: JSON writes ±Infinity as null. String(-0) is "0", as -0 === 0.
    const key = JSON.stringify([str(p.spec.phase) ?? 'UNSPECIFIED_PHASE', str(p.spec.type) === 'NETWORK' ? 'NETWORK' : 'HTTP', String(prio)]);
    bucketKey[i] = key;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { all: [], roots: [], spaces: new Map() }));
    b.all.push(i);
    if (p.namespace === root) {
      b.roots.push(i);
      return;
    }
    let sp = b.spaces.get(p.namespace);
    if (!sp) b.spaces.set(p.namespace, (sp = { refs: new Map(), wide: [], byKeys: new Map() }));
    const refs = refsOf(p.spec);
    if (refs) {
      for (const r of new Set(refs)) push(sp.refs, r, i);
      return;
    }
    const labels = labelsOf(p.spec);
    if (!labels) {
      sp.wide.push(i);
      return;
    }
    const keys = Object.keys(labels).sort();
    const id = JSON.stringify(keys);
    let g = sp.byKeys.get(id);
    if (!g) sp.byKeys.set(id, (g = { keys, members: [], on: new Map() }));
    g.members.push(i);
  });

  /** Candidates for plugin i among the non-root plugins of its namespace (a superset of its partners there). */
  const candidatesInNamespace = (i: number, sp: Space): Iterable<number> => {
    const p = plugins[i]!;
    const refs = refsOf(p.spec);
    if (refs) return new Set(refs.flatMap((r) => sp.refs.get(r) ?? []));
    const labels = labelsOf(p.spec);
    const own = new Set(labels ? Object.keys(labels) : []);
    const out: number[] = [];
    for (const g of sp.byKeys.values()) {
      if (!labels) {
        out.push(...g.members);
        continue;
      }
      const shared = g.keys.filter((k) => own.has(k));
      const sharedId = JSON.stringify(shared);
      let byValues = g.on.get(sharedId);
      if (!byValues) {
        byValues = new Map();
        for (const m of g.members) push(byValues, valuesKey(labelsOf(plugins[m]!.spec)!, shared), m);
        g.on.set(sharedId, byValues);
      }
      out.push(...(byValues.get(valuesKey(labels, shared)) ?? []));
    }
    out.push(...sp.wide);
    return out;
  };

  const clash = new Map<number, number[]>();
  plugins.forEach((p, i) => {
    const key = bucketKey[i];
    if (key === undefined) return;
    const b = buckets.get(key)!;
    let candidates: Iterable<number>;
    if (p.namespace === root) candidates = b.all;
    else {
      const sp = b.spaces.get(p.namespace)!;
      candidates = [...candidatesInNamespace(i, sp), ...b.roots];
    }
    const partners: number[] = [];
    // Earlier plugin first, as the pairwise loop asked: with labels named like Object.prototype
    // members (`toString`), mayOverlap is not symmetric.
    for (const j of new Set(candidates)) if (j !== i && mayOverlap(plugins[Math.min(i, j)]!, plugins[Math.max(i, j)]!, root)) partners.push(j);
    if (partners.length > 0)
      clash.set(
        i,
        partners.sort((x, y) => x - y),
      );
  });
  return clash;
}

/**
 * Finds WasmPlugins that can apply to the same proxy in the same phase (and type) with equal
 * priority (unset = 0): Istio then orders them by name/namespace, so renaming one reorders
 * the chain. Returns one finding per involved plugin, at `priority`.
 */
export function checkWasmOrdering(plugins: ReadonlyArray<WasmPluginRef>, opts: CheckWasmOrderingOptions = {}): Array<{ index: number; finding: Finding }> {
  const root = opts.rootNamespace ?? 'istio-system';
  const out: Array<{ index: number; finding: Finding }> = [];
  const clash = new Map([...wasmClashes(plugins, root)].map(([i, js]) => [i, js.map((j) => `${plugins[j]!.namespace}/${plugins[j]!.name}`)] as const));
  for (const [index, others] of [...clash.entries()].sort((x, y) => x[0] - y[0])) {
    const p = plugins[index]!;
    const phase = str(p.spec.phase) ?? 'UNSPECIFIED_PHASE';
    const prio = p.spec.priority === undefined ? 'no priority' : `priority ${priorityOf(p.spec)}`;
    out.push({
      index,
      finding: WASM_ORDER.finding(
        'priority',
        `WasmPlugin ${p.namespace}/${p.name} (phase ${phase}, ${prio}) may run on the same proxy as ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''} with the same priority: their order is decided by name and namespace`,
        'give each plugin in a phase a distinct priority (higher runs first)',
      ),
    });
  }
  return out;
}
