/**
 * MW1xx: the objects against the JSON Schemas of schemas/ — the same schemas the CRDs
 * are generated from — including their CEL rules (`x-kubernetes-validations`), which
 * run here through a CEL interpreter so the CLI refuses what the API server refuses.
 */
import { Ajv, type ErrorObject, type AnySchemaObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { formatPath, parsePath } from '../diagnostics.js';
import { loadSchemas } from '../api/schema-files.js';
import type { Finding, Rule } from './rule.js';
import { rules } from './catalogue.js';
import { editDistance } from '../util/edit-distance.js';

export const unknownField = rules.MW101;
export const missingField = rules.MW102;
export const invalidValue = rules.MW103;
export const celRule = rules.MW104;

interface CelRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

/** Compiles one CEL rule into a program over `{ self }` (default: cel-js's standard environment). */
export type CelCompiler = (rule: string) => (ctx: { self: unknown }) => unknown;

/** A CEL rule whose inputs had the wrong type: skipped, as the API server does. */
const skipped = Symbol('skipped');

/** CEL results by object and rule text, while {@link withSharedCel} runs. */
let sharedCel: WeakMap<object, Map<string, unknown>> | undefined;

function celResults(data: object): Map<string, unknown> | undefined {
  if (!sharedCel) return undefined;
  let m = sharedCel.get(data);
  if (!m) sharedCel.set(data, (m = new Map<string, unknown>()));
  return m;
}

/**
 * Runs `fn` — validations of one unchanging object against several versions of a CRD schema
 * (Istio minors) — evaluating each CEL rule once per sub-object: the same rule text on the same
 * data gives the same result, whichever schema version holds it.
 */
export function withSharedCel<T>(fn: () => T): T {
  const outer = sharedCel;
  sharedCel = new WeakMap();
  try {
    return fn();
  } finally {
    sharedCel = outer;
  }
}

/**
 * Registers the Kubernetes structural-schema keywords on `ajv`: `x-kubernetes-*` annotations as
 * no-ops and `x-kubernetes-validations` as CEL rules run by `compileCel`. Shared by MW1xx
 * (meshwarden's own CRDs) and MW11x (Istio's CRDs, which need the Kubernetes URL library).
 */
export function addKubernetesKeywords(ajv: Ajv, compileCel: CelCompiler = parseCel, opts: { listTypes?: boolean } = {}): void {
  const noops = ['x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-map-type'];
  if (!opts.listTypes) noops.push('x-kubernetes-list-type');
  for (const keyword of noops) {
    if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword });
  }
  if (opts.listTypes) {
    // The API server rejects duplicate items of a `set` and duplicate keys of a `map` list ("Duplicate value").
    ajv.addKeyword({
      keyword: 'x-kubernetes-list-type',
      schemaType: 'string',
      errors: true,
      compile(listType: string, parent: AnySchemaObject) {
        const keys = (parent['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
        const validate = (data: unknown): boolean => {
          if (!Array.isArray(data) || (listType !== 'set' && listType !== 'map')) return true;
          const seen = new Set<string>();
          const errors: Partial<ErrorObject>[] = [];
          data.forEach((item, i) => {
            const id = listType === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k] ?? null));
            if (seen.has(id)) {
              const shown = listType === 'set' ? id : JSON.stringify(Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown> | null)?.[k]])));
              errors.push({ keyword: 'x-kubernetes-list-type', message: `[${i}]: Duplicate value: ${shown}`, params: { index: i } });
            }
            seen.add(id);
          });
          (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
          return errors.length === 0;
        };
        return validate;
      },
    });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    errors: true,
    compile(rules: CelRule[]) {
      const programs = rules.map((r) => ({ ...r, program: compileCel(r.rule) }));
      const validate = (data: unknown): boolean => {
        const errors: Partial<ErrorObject>[] = [];
        const memo = typeof data === 'object' && data !== null ? celResults(data) : undefined;
        for (const r of programs) {
          let ok = memo?.get(r.rule);
          if (ok === undefined) {
            try {
              ok = r.program({ self: data });
            } catch {
              // The API server skips a rule whose inputs have the wrong type; the type error is reported elsewhere.
              ok = skipped;
            }
            memo?.set(r.rule, ok);
          }
          if (ok === skipped) continue;
          if (ok !== true) {
            errors.push({
              keyword: 'x-kubernetes-validations',
              message: r.message ?? `failed rule: ${r.rule}`,
              params: { rule: r.rule, fieldPath: r.fieldPath ?? '' },
            });
          }
        }
        (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
        return errors.length === 0;
      };
      return validate;
    },
  });
}

function buildAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  addKubernetesKeywords(ajv);
  for (const [file, schema] of loadSchemas()) ajv.addSchema(schema, file);
  return ajv;
}

let validators: Map<string, ValidateFunction> | undefined;

function validatorFor(kind: string): ValidateFunction | undefined {
  if (!validators) {
    const ajv = buildAjv();
    validators = new Map([
      ['SmartLimiter', ajv.getSchema('smartlimiter.schema.json')!],
      ['EnvoyPlugin', ajv.getSchema('envoyplugin.schema.json')!],
    ]);
  }
  return validators.get(kind);
}

export const meshwardenGroup = 'meshwarden.io';
/** The versions the CRDs serve, newest first. */
export const meshwardenVersions: readonly string[] = ['v1alpha1'];
export const meshwardenKinds = ['SmartLimiter', 'EnvoyPlugin'] as const;

export function isMeshwardenKind(obj: { apiVersion?: unknown; kind?: unknown }): boolean {
  return meshwardenVersions.some((v) => obj.apiVersion === `${meshwardenGroup}/${v}`) && (meshwardenKinds as readonly unknown[]).includes(obj.kind);
}

/** Validates a SmartLimiter or EnvoyPlugin against its schema; other kinds give no findings. */
export function checkSchema(obj: { kind?: unknown }): Finding[] {
  const validate = typeof obj.kind === 'string' ? validatorFor(obj.kind) : undefined;
  if (!validate || validate(obj)) return [];
  return schemaErrorsToFindings(validate.errors ?? []);
}

/** The four rules an ajv error maps to (MW101-MW104 by default; MW11x for Istio's CRDs). */
export interface SchemaRuleSet {
  unknownField: Rule;
  missingField: Rule;
  invalidValue: Rule;
  celRule: Rule;
}

const meshwardenRules: SchemaRuleSet = { unknownField, missingField, invalidValue, celRule };

/** Turns ajv errors into findings (one per path and message), with fix hints. */
export function schemaErrorsToFindings(errors: readonly ErrorObject[], rules: SchemaRuleSet = meshwardenRules): Finding[] {
  return collapse(errors.map((e) => toFinding(e, rules)));
}

export function pointerToSegments(pointer: string): Array<string | number> {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function toFinding(e: ErrorObject, { unknownField, missingField, invalidValue, celRule }: SchemaRuleSet): Finding {
  const at = pointerToSegments(e.instancePath);
  const schema = e.parentSchema;
  const described = typeof schema?.description === 'string' ? schema.description : undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((schema?.properties as object | undefined) ?? {});
      const guess = closest(name, known);
      return unknownField.finding(formatPath([...at, name]), `unknown field "${name}"`, guess ? `did you mean "${guess}"?` : known.length ? `known fields: ${known.join(', ')}` : 'remove it');
    }
    case 'required': {
      const name = (e.params as { missingProperty: string }).missingProperty;
      return missingField.finding(formatPath([...at, name]), 'required field is missing', `add ${name}`);
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return invalidValue.finding(formatPath(at), `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, described);
    }
    case 'pattern':
      return invalidValue.finding(formatPath(at), `${JSON.stringify(e.data)} is not valid`, described ?? `must match ${(e.params as { pattern: string }).pattern}`);
    case 'x-kubernetes-validations': {
      const { fieldPath, rule } = e.params as { fieldPath: string; rule: string };
      const path = formatPath([...at, ...parsePath(fieldPath)]);
      return celRule.finding(path, e.message ?? 'rule failed', `rule: ${rule}`);
    }
    default:
      return invalidValue.finding(formatPath(at), e.message ?? 'invalid value', norwayHint(e) ?? hintFor(e) ?? described ?? 'see the field reference in docs/reference.md');
  }
}

/** A boolean where a string belongs is almost always YAML 1.1 reading an unquoted y/n/yes/no/on/off. */
function norwayHint(e: ErrorObject): string | undefined {
  if (e.keyword !== 'type' || (e.params as { type?: string }).type !== 'string' || typeof e.data !== 'boolean') return undefined;
  return 'kubectl reads YAML 1.1, where unquoted y, n, yes, no, on and off are booleans: quote the value';
}

/** How to fix a range, size, type or format error: a concrete fix says more than the field's description. */
function hintFor(e: ErrorObject): string | undefined {
  const p = e.params as { limit?: number; type?: string; format?: string };
  switch (e.keyword) {
    case 'minimum':
    case 'exclusiveMinimum':
      return `use a number of at least ${p.limit}`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `use a number of at most ${p.limit}`;
    case 'minLength':
      return p.limit === 1 ? 'give a non-empty string, or remove the field' : `use at least ${p.limit} characters`;
    case 'maxLength':
      return `shorten it to at most ${p.limit} characters`;
    case 'minItems':
      return `give at least ${p.limit} item(s), or remove the field`;
    case 'maxItems':
      return `give at most ${p.limit} items`;
    case 'minProperties':
      return `give at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}`;
    case 'maxProperties':
      return `give at most ${p.limit} entries`;
    case 'type':
      return `write a${p.type === 'integer' || p.type === 'object' || p.type === 'array' ? 'n' : ''} ${p.type}`;
    case 'format':
      return `write a valid ${p.format}`;
    default:
      return undefined;
  }
}

/** ajv reports one error per failing keyword; keep one finding per path and message. */
function collapse(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.path}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The known name closest to `name`, when it is close enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const threshold = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = threshold + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase(), threshold);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}
