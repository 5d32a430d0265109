/**
 * Loads the JSON Schemas in schemas/, the single source of truth of the API,
 * and resolves their `$ref`s for consumers that cannot follow them (CRDs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

export type JsonSchema = Record<string, unknown>;

export const schemaDir = join(packageRoot, 'schemas');

export const schemaFiles = ['common.schema.json', 'smartlimiter.schema.json', 'envoyplugin.schema.json'] as const;
export type SchemaFile = (typeof schemaFiles)[number];

let cache: Map<SchemaFile, JsonSchema> | undefined;

export function loadSchemas(): Map<SchemaFile, JsonSchema> {
  if (!cache) {
    cache = new Map(schemaFiles.map((f) => [f, JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as JsonSchema]));
  }
  return cache;
}

function lookup(file: SchemaFile, pointer: string): JsonSchema {
  let node: unknown = loadSchemas().get(file);
  for (const part of pointer.split('/').filter((p) => p !== '' && p !== '#')) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  if (typeof node !== 'object' || node === null) throw new Error(`unresolved $ref ${file}#${pointer}`);
  return node as JsonSchema;
}

/**
 * Returns a copy of `node` with every `$ref` replaced by its target. Keywords beside a
 * `$ref` (description, minProperties) override the target's, as the schemas intend.
 */
export function inlineRefs(node: unknown, file: SchemaFile): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, file));
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as JsonSchema;
  if (typeof obj.$ref === 'string') {
    const [refFile, pointer = ''] = obj.$ref.split('#');
    const targetFile = (refFile === '' || refFile === undefined ? file : refFile) as SchemaFile;
    const target = inlineRefs(lookup(targetFile, pointer), targetFile) as JsonSchema;
    const { $ref: _ignored, ...siblings } = obj;
    return { ...target, ...(inlineRefs(siblings, file) as JsonSchema) };
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(obj)) out[k] = inlineRefs(v, file);
  return out;
}
