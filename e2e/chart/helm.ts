/**
 * Helm for the chart tests: `.tools/bin/helm`, built from the helm.sh/helm/v3 Go module by
 * scripts/build-helm.sh (run here when missing, as the other e2e suites fetch what they need).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, TOOLS_BIN } from '../harness/controlplane.js';
import type { K8sObject } from '../../operator/src/k8s-object.js';

export const helmBinary = join(TOOLS_BIN, 'helm');
export const chartPath = join(REPO_ROOT, 'charts', 'meshwarden');
export const allFeaturesValues = join(chartPath, 'ci', 'all-features-values.yaml');

/** Builds helm when Go is there; a skip reason when it cannot be had (a failure under MESHWARDEN_E2E_REQUIRE=1). */
export function ensureHelm(): string | false {
  if (!existsSync(helmBinary) && spawnSync('go', ['version']).status === 0) {
    spawnSync('bash', [join(REPO_ROOT, 'scripts', 'build-helm.sh')], { stdio: 'inherit' });
  }
  if (existsSync(helmBinary) || process.env.MESHWARDEN_E2E_REQUIRE === '1') return false;
  return '.tools/bin/helm not built and no Go to build it: run scripts/build-helm.sh';
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): Run {
  const r = spawnSync(helmBinary, args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'mw-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'mw-helm-config') },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` with values (an object, written to a file) and/or value files; throws on failure. */
export function renderText(opts: { values?: unknown; files?: string[]; release?: string; namespace?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-helm-values-'));
  try {
    const args = ['template', opts.release ?? 'mw', chartPath, '--namespace', opts.namespace ?? 'meshwarden-system'];
    for (const f of opts.files ?? []) args.push('--values', f);
    if (opts.values !== undefined) {
      writeFileSync(join(dir, 'values.json'), JSON.stringify(opts.values));
      args.push('--values', join(dir, 'values.json'));
    }
    const r = helm(args);
    if (r.code !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export const render = (opts: Parameters<typeof renderText>[0] = {}): K8sObject[] => parseStream(renderText(opts));

export function find<T = Record<string, any>>(objs: K8sObject[], kind: string, name?: string): T {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered (have: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')})`);
  return o as T;
}
