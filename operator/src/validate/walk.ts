/** Finds the parts of an Envoy config that a layer checks: typed configs and RE2 matchers. */
import { formatPath } from '../diagnostics.js';

type Visit = (node: Record<string, unknown>, path: Array<string | number>, key: string | number | undefined) => void;

function walk(node: unknown, path: Array<string | number>, key: string | number | undefined, visit: Visit): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walk(n, [...path, i], i, visit));
  } else if (typeof node === 'object' && node !== null) {
    const obj = node as Record<string, unknown>;
    visit(obj, path, key);
    for (const [k, v] of Object.entries(obj)) walk(v, [...path, k], k, visit);
  }
}

/** Every object carrying an `@type` (typed configs, Any values), with its path relative to `root`. */
export function typedConfigs(root: unknown): Array<{ typeName: string; config: Record<string, unknown>; path: string }> {
  const out: Array<{ typeName: string; config: Record<string, unknown>; path: string }> = [];
  walk(root, [], undefined, (node, path) => {
    const t = node['@type'];
    if (typeof t === 'string') out.push({ typeName: t.slice(t.lastIndexOf('/') + 1), config: node, path: formatPath(path) });
  });
  return out;
}

/** Fields holding an envoy.type.matcher.v3.RegexMatcher (its `regex` is RE2). */
const regexMatcherFields = new Set(['safe_regex', 'safeRegex', 'safe_regex_match', 'safeRegexMatch', 'pattern', 'regex_match']);

/** Every RE2 pattern of the config, with the path of its `regex` field. */
export function regexes(root: unknown): Array<{ regex: string; path: string }> {
  const out: Array<{ regex: string; path: string }> = [];
  walk(root, [], undefined, (node, path, key) => {
    if (typeof node.regex !== 'string') return;
    if ((typeof key === 'string' && regexMatcherFields.has(key)) || 'google_re2' in node || 'googleRe2' in node) {
      out.push({ regex: node.regex, path: formatPath([...path, 'regex']) });
    }
  });
  return out;
}
