/**
 * The CRD field reference (docs/reference.md), generated from the schemas: every field with
 * its type, whether it is required, its default, its description and constraints, then the
 * CRDs' CEL rules as the API server runs them.
 */
import { crdFor, kinds } from './crd.js';
import type { JsonSchema } from './schema-files.js';
import { defaultDomain, defaultLimiterPriority, defaultMaxValues } from '../render/smartlimiter.js';
import { defaultPluginPriority } from '../render/envoyplugin.js';

/**
 * What an omitted field means. The CRDs carry no `default` on purpose, so the API server stores
 * objects as written and the renderer fills these in; reference.test.ts checks each one (a
 * resource without the field renders exactly as one with the default set).
 */
export const renderDefaults: Record<string, Record<string, unknown>> = {
  SmartLimiter: {
    'spec.priority': defaultLimiterPriority,
    'spec.rateLimitService.domain': defaultDomain,
    'spec.rateLimitService.failureMode': 'allow',
    'spec.rateLimitService.timeout': '100ms',
    'spec.limits[].direction': 'inbound',
    'spec.limits[].distinctBy.maxValues': defaultMaxValues,
    'spec.limits[].burst': 0,
    'spec.limits[].strategy': 'perPod',
    'spec.limits[].mode': 'enforce',
  },
  EnvoyPlugin: {
    'spec.direction': 'inbound',
    'spec.priority': defaultPluginPriority,
  },
};

/** Defaults other than a fixed value, said in words. */
const describedDefaults: Record<string, Record<string, string>> = {
  SmartLimiter: {
    'spec.rateLimitService': "the operator's `--rate-limit-service`",
    'spec.rateLimitService.configMap': "`ratelimit-config` in the service's namespace",
    'spec.rateLimitService.configMap.namespace': "the service's namespace (from its host)",
    'spec.limits[].port': 'every HTTP port',
    'spec.limits[].match': 'every request',
    'spec.limits[].response.status': "`429` (Envoy's)",
  },
  EnvoyPlugin: {
    'spec.ports': 'every HTTP port',
    'spec.plugins[].routes': 'every route',
    'spec.plugins[].wasm.failStrategy': '`FAIL_CLOSE` (Istio)',
  },
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(s: JsonSchema): string {
  if (s['x-kubernetes-preserve-unknown-fields']) return 'object (free-form)';
  if (s.type === 'array') return `[]${typeOf((s.items as JsonSchema | undefined) ?? {})}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${typeOf(s.additionalProperties as JsonSchema)}`;
  return `${String(s.type ?? 'any')}${s.format ? ` (${String(s.format)})` : ''}`;
}

interface Rule {
  rule: string;
  message: string;
  fieldPath?: string;
}

function constraints(s: JsonSchema): string {
  const c: string[] = [];
  if (Array.isArray(s.enum)) c.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.minimum !== undefined) c.push(`≥ ${String(s.minimum)}`);
  if (s.maximum !== undefined) c.push(`≤ ${String(s.maximum)}`);
  if (s.minLength !== undefined) c.push(`length ≥ ${String(s.minLength)}`);
  if (s.maxLength !== undefined) c.push(`length ≤ ${String(s.maxLength)}`);
  if (s.minItems !== undefined) c.push(`≥ ${String(s.minItems)} items`);
  if (s.maxItems !== undefined) c.push(`≤ ${String(s.maxItems)} items`);
  if (s.minProperties !== undefined) c.push(`≥ ${String(s.minProperties)} entries`);
  if (s.pattern !== undefined) c.push(`pattern \`${String(s.pattern)}\``);
  if (s['x-kubernetes-list-type'] === 'set') c.push('no duplicates');
  if (s['x-kubernetes-list-type'] === 'map') c.push(`keyed by ${(s['x-kubernetes-list-map-keys'] as string[]).map((k) => `\`${k}\``).join(', ')}`);
  for (const v of (s['x-kubernetes-validations'] as Rule[] | undefined) ?? []) c.push(`${v.message} (CEL)`);
  return c.join('; ');
}

interface Walk {
  kind: string;
  rows: string[];
  rules: Array<Rule & { path: string }>;
  usedDefaults: Set<string>;
}

function defaultOf(w: Walk, path: string): string {
  const fixed = renderDefaults[w.kind] ?? {};
  if (path in fixed) {
    w.usedDefaults.add(path);
    return `\`${String(fixed[path])}\``;
  }
  const said = describedDefaults[w.kind]?.[path];
  if (said !== undefined) w.usedDefaults.add(path);
  return said ?? '';
}

function rows(s: JsonSchema, path: string, required: boolean, w: Walk): void {
  w.rows.push(`| \`${path}\` | ${cell(typeOf(s))} | ${required ? 'yes' : ''} | ${cell(defaultOf(w, path))} | ${cell(String(s.description ?? ''))} | ${cell(constraints(s))} |`);
  for (const r of (s['x-kubernetes-validations'] as Rule[] | undefined) ?? []) w.rules.push({ ...r, path });
  const item = s.type === 'array' ? ((s.items as JsonSchema | undefined) ?? {}) : s;
  if (item !== s) for (const r of (item['x-kubernetes-validations'] as Rule[] | undefined) ?? []) w.rules.push({ ...r, path: `${path}[]` });
  const props = item.properties as Record<string, JsonSchema> | undefined;
  if (!props) return;
  const req = new Set((item.required as string[] | undefined) ?? []);
  const prefix = s.type === 'array' ? `${path}[]` : path;
  for (const [name, child] of Object.entries(props)) rows(child, `${prefix}.${name}`, req.has(name), w);
}

export function referenceMarkdown(): string {
  const out = [
    '# API reference: meshwarden.io/v1alpha1',
    '',
    'Generated by `npm run generate` from `schemas/`. Do not edit.',
    '',
    '`default` is what an omitted field means. The CRDs declare no defaults, so the API server stores',
    'a resource as written and meshwarden fills them in when it renders. The constraints are enforced',
    'by the API server (OpenAPI schema and CEL rules) and, identically, by `meshwarden lint`;',
    'everything else the validator checks is in [rules.md](rules.md). What the status conditions',
    'and their reasons mean: [troubleshooting.md](troubleshooting.md).',
    '',
  ];
  for (const info of kinds) {
    const crd = crdFor(info) as { spec: { versions: Array<{ schema: { openAPIV3Schema: JsonSchema }; additionalPrinterColumns: Array<{ name: string; priority?: number }> }> } };
    const v = crd.spec.versions[0]!;
    const root = v.schema.openAPIV3Schema;
    const props = root.properties as Record<string, JsonSchema>;
    const columns = v.additionalPrinterColumns;
    const w: Walk = { kind: info.kind, rows: [], rules: [], usedDefaults: new Set() };
    rows(props.spec!, 'spec', true, w);
    rows(props.status!, 'status', false, w);
    const unused = [...Object.keys(renderDefaults[info.kind] ?? {}), ...Object.keys(describedDefaults[info.kind] ?? {})].filter((p) => !w.usedDefaults.has(p));
    if (unused.length > 0) throw new Error(`reference: defaults for fields the ${info.kind} schema does not have: ${unused.join(', ')}`);
    out.push(
      `## ${info.kind}`,
      '',
      cell(String(root.description ?? '')),
      '',
      `Short name \`${info.shortNames.join('`, `')}\`, category \`meshwarden\` (\`kubectl get meshwarden\` lists both kinds). ` +
        `\`kubectl get ${info.plural}\` shows ${columns
          .filter((c) => !c.priority)
          .map((c) => c.name.toUpperCase())
          .join(', ')}; ` +
        `\`-o wide\` adds ${columns
          .filter((c) => c.priority)
          .map((c) => c.name.toUpperCase())
          .join(', ')} (all of the \`Ready\` condition).`,
      '',
      '| field | type | required | default | description | constraints |',
      '|---|---|---|---|---|---|',
      ...w.rows,
      '',
      `### ${info.kind} validation rules (CEL)`,
      '',
      'Cross-field rules of the CRD (`x-kubernetes-validations`); the API server reports the message at the field.',
      '',
      '| on | rule | message |',
      '|---|---|---|',
      ...w.rules.map((r) => `| \`${r.path}${r.fieldPath ?? ''}\` | \`${cell(r.rule)}\` | ${cell(r.message)} |`),
      '',
    );
  }
  return out.join('\n');
}
