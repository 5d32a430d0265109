import { stringify } from 'yaml';

/**
 * YAML as Kubernetes users read and write it: no line folding, and no anchors or
 * aliases even where the same object appears twice. Written as YAML 1.1 because kubectl
 * (and the rate limit service's Go YAML) read 1.1: strings such as `yes`, `n` or `on` are
 * quoted, or they would come back as booleans.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
