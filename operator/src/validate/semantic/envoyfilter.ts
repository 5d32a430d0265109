/**
 * MW3xx over a whole EnvoyFilter: every `configPatches[].patch.value` through
 * checkEnvoySemanticsIn (MERGE values as partial), and LuaPerRoute names in route patches
 * against the Lua HTTP filters the other patches of the same object add. Paths are relative to
 * the EnvoyFilter object (`spec.configPatches[2].patch.value.typed_config.token_bucket.fill_interval`).
 */
import { joinPath, type Finding } from '../rule.js';
import { formatPath } from '../../diagnostics.js';
import { atType, get, isObj, str } from './json.js';
import { checkEnvoySemanticsIn, LUA } from './index.js';
import type { EnvoyMinor } from './types.js';

export interface EnvoyFilterSemanticsOptions {
  envoyVersion: EnvoyMinor;
  /** Lua HTTP filter configs by filter name already present on the proxy (other EnvoyFilters). */
  luaFilters?: ReadonlyMap<string, unknown>;
}

export function checkEnvoyFilterSemantics(envoyFilter: unknown, opts: EnvoyFilterSemanticsOptions): Finding[] {
  const spec = get(envoyFilter, 'spec');
  const patches = Array.isArray(get(spec, 'configPatches')) ? (get(spec, 'configPatches') as unknown[]) : [];
  // Lua filters added by this object (HTTP_FILTER ADD/INSERT_*/REPLACE with a Lua typed_config).
  const lua = new Map<string, unknown>(opts.luaFilters ?? []);
  for (const cp of patches) {
    const value = get(get(cp, 'patch'), 'value');
    const name = str(get(value, 'name'));
    const tc = get(value, 'typed_config');
    if (get(cp, 'applyTo') === 'HTTP_FILTER' && name && atType(tc) === LUA) lua.set(name, tc);
  }
  const out: Finding[] = [];
  patches.forEach((cp, i) => {
    const patch = get(cp, 'patch');
    const op = str(get(patch, 'operation'));
    const value = get(patch, 'value');
    if (!isObj(value) || op === 'REMOVE') return;
    const at = formatPath(['spec', 'configPatches', i, 'patch', 'value']);
    const fs = checkEnvoySemanticsIn(value, { envoyVersion: opts.envoyVersion, partial: op === 'MERGE' || op === 'MERGE_AND_REPLACE_LIST', luaFilters: lua });
    out.push(...fs.map((f) => ({ ...f, path: joinPath(at, f.path) })));
  });
  return out;
}
