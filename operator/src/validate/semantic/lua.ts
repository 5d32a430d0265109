/** MW330-MW331: `envoy.extensions.filters.http.lua.v3.Lua` / `LuaPerRoute`. */
import type { Finding } from '../rule.js';
import { field, isObj, path, str } from './json.js';
import { MW330, MW331 } from './rules.js';

export function checkLua(cfg: unknown): Finding[] {
  if (!isObj(cfg)) return [];
  const inline = field(cfg, 'inline_code');
  const dsc = field(cfg, 'default_source_code');
  if (inline && dsc) {
    return [
      MW330.finding(
        path([inline.key]),
        'Only one of `inline_code` or `default_source_code` can be set for the Lua filter.',
        'Keep default_source_code (inline_code is deprecated) and remove inline_code.',
      ),
    ];
  }
  return [];
}

/**
 * Cross-checks a LuaPerRoute against the Lua filter config of the HCM it applies to: a `name`
 * must be a key of the filter's `source_codes`. Paths are relative to `perRoute`.
 */
export function checkLuaPerRoute(perRoute: unknown, filterConfig: unknown): Finding[] {
  const name = field(perRoute, 'name');
  const n = str(name?.value);
  if (!name || n === undefined || n === '') return [];
  const sc = field(filterConfig, 'source_codes');
  const known = isObj(sc?.value) ? Object.keys(sc.value) : [];
  if (known.includes(n)) return [];
  return [
    MW331.finding(
      path([name.key]),
      known.length === 0
        ? `LuaPerRoute names source code ${JSON.stringify(n)} but the Lua filter has no source_codes: Envoy accepts it, and the route then runs no Lua at all`
        : `LuaPerRoute names source code ${JSON.stringify(n)}, which is not in the Lua filter's source_codes (${known.map((k) => JSON.stringify(k)).join(', ')}): the route runs no Lua at all`,
      'Add the script under source_codes of the Lua HTTP filter, or use source_code in the LuaPerRoute.',
    ),
  ];
}
