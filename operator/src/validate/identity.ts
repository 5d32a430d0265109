/**
 * What identifies an object, checked as the API server checks it before any schema or
 * webhook sees it: an apiVersion and kind it serves (MW106: an unknown version or kind of
 * `meshwarden.io` is "no matches for kind" in kubectl, not a clean lint) and object metadata
 * it accepts (MW107: apimachinery's ValidateObjectMeta with NameIsDNSSubdomain, as for
 * every custom resource — SmartLimiter, EnvoyPlugin, EnvoyFilter, WasmPlugin).
 */
import { closest, meshwardenGroup, meshwardenKinds, meshwardenVersions } from './schema.js';
import type { Finding } from './rule.js';
import { rules } from './catalogue.js';
import { editDistance } from '../util/edit-distance.js';
import { formatPath } from '../diagnostics.js';

export const unknownMeshwardenType = rules.MW106;
export const invalidMetadata = rules.MW107;

/**
 * MW106 for an object that is not one of our kinds: its group is meshwarden.io (or a near
 * miss of it), or its kind is one of ours (in any case) under another group.
 */
export function checkMeshwardenType(obj: { apiVersion: string; kind: string }): Finding[] {
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  const version = slash < 0 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
  const ourKind = meshwardenKinds.find((k) => k.toLowerCase() === obj.kind.toLowerCase());
  const expected = `${meshwardenGroup}/${meshwardenVersions[0]}`;
  if (group === meshwardenGroup) {
    const findings: Finding[] = [];
    if (!meshwardenVersions.includes(version)) {
      const guess = closest(version, meshwardenVersions);
      findings.push(
        unknownMeshwardenType.finding(
          'apiVersion',
          `${meshwardenGroup} has no version "${version}" (kubectl: no matches for kind)`,
          guess ? `did you mean "${meshwardenGroup}/${guess}"?` : `use ${expected}`,
        ),
      );
    }
    if (!(meshwardenKinds as readonly string[]).includes(obj.kind)) {
      const guess = closest(obj.kind, meshwardenKinds);
      findings.push(
        unknownMeshwardenType.finding(
          'kind',
          `${meshwardenGroup} has no kind "${obj.kind}" (kinds are case-sensitive)`,
          guess ? `did you mean "${guess}"?` : `the kinds of ${meshwardenGroup} are ${meshwardenKinds.join(', ')}`,
        ),
      );
    }
    return findings;
  }
  const nearGroup = editDistance((group || version).toLowerCase(), meshwardenGroup, 2) <= 2;
  if (nearGroup || ourKind) {
    return [
      unknownMeshwardenType.finding('apiVersion', ourKind ? `${ourKind} is served as ${expected}, not "${obj.apiVersion}"` : `unknown API group in "${obj.apiVersion}"`, `did you mean "${expected}"?`),
    ];
  }
  return [];
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** apimachinery's TotalAnnotationSizeLimitB. */
const maxAnnotationBytes = 256 * 1024;

const subdomainRule = "a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character, at most 253 characters";
const labelRule = "a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character, at most 63 characters";

function isSubdomain(s: string): boolean {
  return s.length <= 253 && dns1123Subdomain.test(s);
}

/** A valid name close to `s`: lower case, invalid characters as '-', trimmed to alphanumerics. */
function suggestName(s: string, max: number): string {
  const fixed = s
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, max)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return fixed === '' ? 'a lower-case name' : `"${fixed}"`;
}

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'has more than one "/"';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  if (prefix !== undefined && !isSubdomain(prefix)) return `prefix "${prefix}" must be ${subdomainRule}`;
  if (name.length === 0 || name.length > 63 || !qualifiedNamePart.test(name)) {
    return "name part must be at most 63 characters, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character";
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** MW107: the metadata checks the API server applies to every (namespaced) custom resource. */
export function checkObjectMeta(meta: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const at = (...segs: string[]) => formatPath(['metadata', ...segs]);
  const { name, generateName, namespace, labels, annotations } = meta;
  if (name !== undefined && typeof name !== 'string') findings.push(invalidMetadata.finding(at('name'), 'must be a string', 'quote the name'));
  else if (typeof name === 'string' && name !== '' && !isSubdomain(name)) {
    findings.push(invalidMetadata.finding(at('name'), `"${name}" is not valid: a name must be ${subdomainRule}`, `use ${suggestName(name, 253)}`));
  }
  if ((name === undefined || name === '') && (generateName === undefined || generateName === '')) {
    findings.push(invalidMetadata.finding(at(), 'name or generateName is required', 'give the object a metadata.name'));
  }
  if (generateName !== undefined && generateName !== '') {
    // A prefix may end in '-': the API server appends random characters (NameIsDNSSubdomain with prefix).
    if (typeof generateName !== 'string' || !isSubdomain(generateName.replace(/-$/, 'a'))) {
      findings.push(invalidMetadata.finding(at('generateName'), `is not valid: a name prefix must be ${subdomainRule}`, 'use a lower-case prefix such as "limiter-"'));
    }
  }
  if (namespace !== undefined && namespace !== '') {
    if (typeof namespace !== 'string' || namespace.length > 63 || !dns1123Label.test(namespace)) {
      findings.push(
        invalidMetadata.finding(at('namespace'), `${JSON.stringify(namespace)} is not valid: a namespace must be ${labelRule}`, `use ${suggestName(String(namespace), 63).replace(/\./g, '-')}`),
      );
    }
  }
  if (labels !== undefined && labels !== null) {
    if (!isObject(labels)) findings.push(invalidMetadata.finding(at('labels'), 'must be a map of strings', 'write labels as key: "value" pairs'));
    else {
      for (const [k, v] of Object.entries(labels)) {
        const keyProblem = qualifiedNameProblem(k);
        if (keyProblem) findings.push(invalidMetadata.finding(at('labels', k), `label key "${k}": ${keyProblem}`, 'use a key like app.kubernetes.io/name'));
        if (typeof v !== 'string') {
          findings.push(
            invalidMetadata.finding(
              at('labels', k),
              `label value must be a string, not ${v === null ? 'null' : typeof v}`,
              'quote the value (YAML reads an unquoted 1.0, true or 8080 as a number or a boolean)',
            ),
          );
        } else if (v !== '' && (v.length > 63 || !qualifiedNamePart.test(v))) {
          findings.push(
            invalidMetadata.finding(
              at('labels', k),
              `label value "${v}" is not valid: at most 63 characters, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`,
              'shorten it or replace the other characters',
            ),
          );
        }
      }
    }
  }
  if (annotations !== undefined && annotations !== null) {
    if (!isObject(annotations)) findings.push(invalidMetadata.finding(at('annotations'), 'must be a map of strings', 'write annotations as key: "value" pairs'));
    else {
      let bytes = 0;
      for (const [k, v] of Object.entries(annotations)) {
        const keyProblem = qualifiedNameProblem(k.toLowerCase());
        if (keyProblem) findings.push(invalidMetadata.finding(at('annotations', k), `annotation key "${k}": ${keyProblem}`, 'use a key like example.com/note'));
        if (typeof v !== 'string') {
          findings.push(invalidMetadata.finding(at('annotations', k), `annotation value must be a string, not ${v === null ? 'null' : typeof v}`, 'quote the value'));
        } else bytes += k.length + v.length;
      }
      if (bytes > maxAnnotationBytes) {
        findings.push(invalidMetadata.finding(at('annotations'), `annotations total ${Math.ceil(bytes / 1024)} KiB, more than 256 KiB`, 'move large data out of annotations (a ConfigMap)'));
      }
    }
  }
  return findings;
}
