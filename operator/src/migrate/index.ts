/**
 * `meshwarden migrate`: Slime SmartLimiters, EnvoyPlugins and PluginManagers → meshwarden
 * resources, each output validated by the same evaluate() as lint, the controller and the
 * webhook, so what migrate prints is known to be accepted.
 */
import type { RateLimitService } from '../api/types.gen.js';
import type { Diagnostic } from '../diagnostics.js';
import { evaluate } from '../evaluate.js';
import { isK8sObject, refOf, type K8sObject } from '../k8s-object.js';
import { contextFromInputs } from '../cli/facts.js';
import type { LoadedObject } from '../yaml/documents.js';
import type { MigrateOptions } from './common.js';
import { codesTagged } from '../validate/catalogue.js';
import { locateNotes, type LocatedNote, type Note } from './notes.js';
import { migrateEnvoyPlugin, migratePluginManager, type PluginFacts } from './plugins.js';
import { migrateSmartLimiter } from './smartlimiter.js';

export const slimeGroup = 'microservice.slime.io';

/** Rules that need cluster facts an input file may lack (the Service, its pods, the operator's defaults): tagged `offlineFacts`. */
const needsClusterFacts = codesTagged('offlineFacts');

export interface Migrated {
  object: K8sObject;
  /** The Slime object it came from. */
  from: LoadedObject;
}

export interface MigrationResult {
  /** How many Slime objects the input held. */
  sources: number;
  outputs: Migrated[];
  notes: LocatedNote[];
  /** The validator's findings on the outputs, located at their Slime object. */
  diagnostics: Diagnostic[];
}

function convert(obj: K8sObject, opts: MigrateOptions, plugins: PluginFacts): { objects: K8sObject[]; notes: Note[] } | undefined {
  if (obj.apiVersion === `${slimeGroup}/v1alpha2` && obj.kind === 'SmartLimiter') return migrateSmartLimiter(obj, opts);
  if (obj.apiVersion === `${slimeGroup}/v1alpha1` && obj.kind === 'PluginManager') return migratePluginManager(obj, plugins);
  if (obj.apiVersion === `${slimeGroup}/v1alpha1` && obj.kind === 'EnvoyPlugin') return migrateEnvoyPlugin(obj, plugins);
  return undefined;
}

export function migrate(inputs: LoadedObject[], options: { rateLimitService?: RateLimitService; istioVersions?: string[] } = {}): MigrationResult {
  const k8s = inputs.filter((i) => isK8sObject(i.value));
  const values = k8s.map((i) => i.value as K8sObject);
  const destinationRules = values.filter((o) => o.kind === 'DestinationRule' && o.apiVersion.startsWith('networking.istio.io/'));
  const opts: MigrateOptions = { facts: { destinationRules }, ...(options.rateLimitService ? { rateLimitService: options.rateLimitService } : {}) };
  const plugins: PluginFacts = { envoyPlugins: values.filter((o) => o.apiVersion === `${slimeGroup}/v1alpha1` && o.kind === 'EnvoyPlugin'), merged: new Set() };
  const result: MigrationResult = { sources: 0, outputs: [], notes: [], diagnostics: [] };
  // PluginManagers first: they absorb the Slime EnvoyPlugins that enable their disabled filters.
  const order = (i: LoadedObject) => ((i.value as K8sObject).kind === 'PluginManager' ? 0 : 1);
  const converted = new Map<LoadedObject, { objects: K8sObject[]; notes: Note[] }>();
  for (const input of [...k8s].sort((a, b) => order(a) - order(b))) {
    const obj = input.value as K8sObject;
    if (!obj.apiVersion.startsWith(`${slimeGroup}/`)) continue;
    const out = convert(obj, opts, plugins) ?? {
      objects: [],
      notes: [
        {
          kind: 'dropped' as const,
          path: ['kind'],
          message: `${obj.apiVersion} ${obj.kind} is not a Slime kind migrate knows (SmartLimiter v1alpha2, EnvoyPlugin and PluginManager v1alpha1)`,
          hint: 'convert it by hand',
        },
      ],
    };
    converted.set(input, out);
  }
  for (const input of k8s) {
    const out = converted.get(input);
    if (!out) continue;
    result.sources++;
    result.notes.push(...locateNotes(input, out.notes));
    for (const object of out.objects) result.outputs.push({ object, from: input });
  }

  // Validate the outputs as `lint` would, with the input's Services, Pods and Istio objects as facts.
  const ctx = contextFromInputs(inputs, {
    ...(options.rateLimitService ? { rateLimitService: options.rateLimitService } : {}),
    ...(options.istioVersions ? { istioVersions: options.istioVersions } : {}),
  });
  for (const { object, from } of result.outputs) {
    const where = from.locate([], false);
    for (const d of evaluate(object, ctx).diagnostics) {
      const offline = needsClusterFacts.has(d.rule) && d.severity !== 'info';
      result.diagnostics.push({
        ...d,
        severity: offline ? 'info' : d.severity,
        message: offline ? `not checked offline (the input lacks a cluster fact): ${d.message}` : `migrated ${refOf(object).kind}: ${d.message}`,
        source: where,
      });
    }
  }
  return result;
}
