/**
 * EXTENSION_CONFIG patches (ECDS): istiod serves only ADD, and only an extension config that a
 * filter's config_discovery names is ever sent.
 */
import { isObject } from '../merge.js';
import { MW413 } from '../rules.js';
import type { PatchWrapper, SimState } from '../sim-state.js';
import type { XdsConfig } from '../types.js';
import { cloneValue, list, objs, report, str } from './operations.js';

/** EXTENSION_CONFIG ADD: the patch value joins the extension configs. */
export function applyExtensionConfigPatches(s: SimState, config: XdsConfig): void {
  for (const w of list(s, 'EXTENSION_CONFIG')) {
    if (w.op !== 'ADD') continue;
    config.extension_configs!.push(cloneValue(s, w));
    w.applied = true;
  }
}

/** The names filters of the patched listeners ask for through config_discovery. */
export function extensionConfigsReferenced(config: XdsConfig): Set<string> {
  const referenced = new Set<string>();
  for (const lis of config.listeners) {
    for (const fc of [...objs(lis['filter_chains']), ...(isObject(lis['default_filter_chain']) ? [lis['default_filter_chain']] : [])]) {
      for (const f of objs(fc['filters'])) {
        if (isObject(f['config_discovery'])) referenced.add(str(f['name']));
        const tc = f['typed_config'];
        if (isObject(tc)) for (const hf of objs(tc['http_filters'])) if (isObject(hf['config_discovery'])) referenced.add(str(hf['name']));
      }
    }
  }
  return referenced;
}

/** An EXTENSION_CONFIG patch whose config no filter asks for: istiod never sends it. */
export function reportUnreferencedExtensionConfig(s: SimState, w: PatchWrapper, referenced: ReadonlySet<string>): void {
  const name = str(w.value['name']);
  if (!referenced.has(name)) {
    report(
      s,
      w,
      MW413.finding(
        `${w.path}.patch.value.name`,
        `EXTENSION_CONFIG ${JSON.stringify(name)} is referenced by no filter's config_discovery on this ${s.proxy.kind}: istiod never sends it`,
        'Reference it from an HTTP/network filter with config_discovery {config_source: {ads: {}}, type_urls: [...]} and the same name.',
      ),
    );
  }
}
