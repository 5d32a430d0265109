/**
 * The configuration of envoyproxy/ratelimit for global limits: a tree of descriptors
 * per domain (a key without value counts each value separately). One ConfigMap is
 * shared by many resources, so each resource's descriptors are merged in by their
 * generic_key prefix `<namespace>/<name>/` and never clobber anyone else's.
 */
import { parse } from 'yaml';
import { toYaml } from '../yaml/emit.js';
import type { Entry } from './descriptors.js';

export interface RlsDescriptor {
  key: string;
  value?: string;
  rate_limit?: { unit: string; requests_per_unit: number };
  shadow_mode?: boolean;
  descriptors?: RlsDescriptor[];
}

export interface RlsLeaf {
  entries: Entry[];
  unit: string;
  requestsPerUnit: number;
  shadow: boolean;
}

/** Builds the descriptor tree of a set of descriptor paths, sharing common prefixes. */
export function descriptorTree(leaves: RlsLeaf[]): RlsDescriptor[] {
  const root: RlsDescriptor[] = [];
  for (const leaf of leaves) {
    let level = root;
    leaf.entries.forEach((e, i) => {
      let node = level.find((d) => d.key === e.key && d.value === e.value);
      if (!node) {
        node = e.value === undefined ? { key: e.key } : { key: e.key, value: e.value };
        level.push(node);
      }
      if (i === leaf.entries.length - 1) {
        node.rate_limit = { unit: leaf.unit, requests_per_unit: leaf.requestsPerUnit };
        if (leaf.shadow) node.shadow_mode = true;
      } else {
        level = node.descriptors ??= [];
      }
    });
  }
  return root;
}

export interface RlsConfig {
  domain: string;
  descriptors: RlsDescriptor[];
}

/** The ConfigMap data key of a domain: the service loads every file of the directory. */
export function rlsConfigKey(domain: string): string {
  return `${domain}.yaml`;
}

export function formatRlsConfig(config: RlsConfig): string {
  return toYaml(config);
}

/**
 * Replaces the descriptors owned by `ownerPrefix` (`<namespace>/<name>/`) in an existing
 * configuration of `domain` with `owned`; everything else is kept as it was. An empty
 * `owned` removes the owner's entries (the resource was deleted).
 */
export function mergeRlsConfig(existing: string | undefined, domain: string, ownerPrefix: string, owned: RlsDescriptor[]): RlsConfig {
  const current = existing ? (parse(existing) as Partial<RlsConfig> | null) : null;
  if (current?.domain !== undefined && current.domain !== domain) {
    throw new Error(`rate limit config declares domain "${current.domain}", expected "${domain}"`);
  }
  const kept = (current?.descriptors ?? []).filter((d) => !(d.key === 'generic_key' && d.value?.startsWith(ownerPrefix)));
  const descriptors = [...kept, ...owned].sort((a, b) => `${a.key}=${a.value ?? ''}`.localeCompare(`${b.key}=${b.value ?? ''}`));
  return { domain, descriptors };
}
