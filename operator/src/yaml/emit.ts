import { stringify } from 'yaml';

/**
 * YAML as Kubernetes users read and write it: no line folding, and no anchors or
 * aliases even where the same object appears twice.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
