/**
 * Loads the YAML skeletons of envoy-templates/ and fills their `${name}` placeholders
 * (see envoy-templates/README.md for the rules).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { parse } from 'yaml';

const templateDir = join(packageRoot, 'envoy-templates');
const cache = new Map<string, unknown>();

export type TemplateVars = Record<string, unknown>;

const whole = /^\$\{(\w+)\}$/;
const inline = /\$\{(\w+)\}/g;

/** Returns a filled copy of `envoy-templates/<name>.yaml`. */
export function fillTemplate(name: string, vars: TemplateVars): unknown {
  let template = cache.get(name);
  if (template === undefined) {
    template = parse(readFileSync(join(templateDir, `${name}.yaml`), 'utf8')) as unknown;
    cache.set(name, template);
  }
  return fill(template, vars, name);
}

const REMOVE = Symbol('remove');

function fill(node: unknown, vars: TemplateVars, name: string): unknown {
  if (typeof node === 'string') {
    const m = whole.exec(node);
    if (m) return lookup(vars, m[1]!, name) ?? REMOVE;
    return node.replace(inline, (_, v: string) => String(lookup(vars, v, name)));
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, vars, name)).filter((n) => n !== REMOVE);
  if (typeof node === 'object' && node !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const filled = fill(v, vars, name);
      if (filled !== REMOVE) out[k] = filled;
    }
    return out;
  }
  return node;
}

function lookup(vars: TemplateVars, key: string, template: string): unknown {
  if (!(key in vars)) throw new Error(`template ${template}: no value for \${${key}}`);
  return vars[key];
}
