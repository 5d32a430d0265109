/**
 * Generates the CustomResourceDefinitions from the JSON Schemas. Kubernetes needs a
 * structural schema: no $ref, no `additionalProperties: false` (unknown fields are pruned,
 * and rejected by strict field validation), no `uniqueItems` (list-type set instead),
 * no `propertyNames`.
 */
import { inlineRefs, loadSchemas, type JsonSchema, type SchemaFile } from './schema-files.js';

/** Keywords JSON Schema tools use that a structural CRD schema must not carry. */
const dropped = new Set(['$schema', '$id', 'title', 'definitions', 'propertyNames', 'uniqueItems', 'tsType']);

/** The `reason` values apiextensions accepts on a validation rule. */
const celReasons = new Set(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']);

function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node as JsonSchema)) {
    if (dropped.has(k)) continue;
    if (k === 'additionalProperties' && v === false) continue;
    if (k === 'x-kubernetes-validations') {
      for (const rule of v as Array<{ reason?: string; rule: string }>) {
        if (rule.reason !== undefined && !celReasons.has(rule.reason)) {
          throw new Error(`CEL rule "${rule.rule}": reason ${rule.reason} is not one the API server accepts (${[...celReasons].join(', ')})`);
        }
      }
      out[k] = v; // rules are data, not schema
      continue;
    }
    if (k === 'properties') {
      const props: JsonSchema = {};
      for (const [name, schema] of Object.entries(v as JsonSchema)) props[name] = structural(schema);
      out[k] = props;
      continue;
    }
    out[k] = structural(v);
  }
  return out;
}

interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  file: SchemaFile;
}

export const kinds: KindInfo[] = [
  { kind: 'SmartLimiter', plural: 'smartlimiters', singular: 'smartlimiter', shortNames: ['sl'], file: 'smartlimiter.schema.json' },
  { kind: 'EnvoyPlugin', plural: 'envoyplugins', singular: 'envoyplugin', shortNames: ['eplugin'], file: 'envoyplugin.schema.json' },
];

export const group = 'meshwarden.io';
export const version = 'v1alpha1';

const readyCondition = '.status.conditions[?(@.type=="Ready")]';

export function crdFor(info: KindInfo): JsonSchema {
  const full = inlineRefs(loadSchemas().get(info.file), info.file) as JsonSchema;
  const props = full.properties as JsonSchema;
  const openAPIV3Schema = {
    description: full.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this representation of an object.' },
      kind: { type: 'string', description: 'Kind of the object.' },
      metadata: { type: 'object' },
      spec: structural(props.spec),
      status: structural(props.status),
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${info.plural}.${group}`,
      labels: { 'app.kubernetes.io/part-of': 'meshwarden' },
    },
    spec: {
      group,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: info.shortNames,
        categories: ['meshwarden'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: `${readyCondition}.status` },
            { name: 'Reason', type: 'string', jsonPath: `${readyCondition}.reason` },
            { name: 'Message', type: 'string', priority: 1, jsonPath: `${readyCondition}.message` },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
