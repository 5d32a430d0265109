/**
 * Gathers the CLI's inputs: files, directories (recursively, .yaml/.yml/.json) and `-`
 * for standard input, each parsed as a multi-document YAML stream. Every object is held to
 * the input limits the admission webhook applies (input-limits.ts) before anything judges it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { loadYaml, type LoadedObject, type YamlError } from '../yaml/documents.js';
import { defaultLimits, findLimitBreach, limitFinding, type InputLimits } from '../input-limits.js';
import { parsePath, type Diagnostic } from '../diagnostics.js';
import { isK8sObject, refOf } from '../k8s-object.js';

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

export interface Inputs {
  /** The objects within the input limits. */
  objects: LoadedObject[];
  /**
   * Documents that are not valid YAML (or beyond the reader's bounds) and unreadable paths:
   * exit code 2. Each costs only itself: the other documents and files are in `objects`.
   */
  errors: YamlError[];
  /** Objects over an input limit (MW105, at the offending field), left out of `objects`. */
  oversized: Array<{ object: LoadedObject; diagnostic: Diagnostic }>;
}

export interface ReadOptions {
  limits?: InputLimits;
  /**
   * Report objects over a limit in `oversized` (findings, exit code 1). Otherwise they are
   * also `errors`, so a command that does not list them still refuses them.
   */
  oversizedAsFindings?: boolean;
}

export async function readInputs(paths: string[], readStdin: () => Promise<string>, cwd = process.cwd(), opts: ReadOptions = {}): Promise<Inputs> {
  const limits = opts.limits ?? defaultLimits;
  const objects: LoadedObject[] = [];
  const errors: YamlError[] = [];
  const oversized: Inputs['oversized'] = [];
  const add = (text: string, file: string) => {
    const r = loadYaml(text, file);
    errors.push(...r.errors);
    for (const o of r.objects) {
      const breach = findLimitBreach(o.value, limits);
      if (!breach) {
        objects.push(o);
        continue;
      }
      const diagnostic: Diagnostic = {
        ...limitFinding(breach),
        object: refOf(isK8sObject(o.value) ? o.value : { kind: 'Unknown' }),
        source: o.locate(parsePath(breach.path)),
      };
      oversized.push({ object: o, diagnostic });
      if (!opts.oversizedAsFindings) {
        const { file, line, column } = diagnostic.source!;
        errors.push({ file, line, column, message: `${diagnostic.path ? `${diagnostic.path}: ` : ''}${diagnostic.message} [${diagnostic.rule}]` });
      }
    }
  };
  for (const p of paths) {
    if (p === '-') {
      let text: string;
      try {
        text = await readStdin();
      } catch (e) {
        errors.push({ file: '<stdin>', line: 0, column: 0, message: `cannot read standard input: ${(e as Error).message}` });
        continue;
      }
      add(text, '<stdin>');
      continue;
    }
    let files: string[];
    try {
      files = (await stat(p)).isDirectory() ? await manifestsUnder(p) : [p];
    } catch (e) {
      errors.push({ file: p, line: 0, column: 0, message: readError(e) });
      continue;
    }
    // A file that cannot be read is an error of its own: the other files of a directory are still read.
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (e) {
        errors.push({ file: displayName(f, cwd), line: 0, column: 0, message: readError(e) });
        continue;
      }
      add(text, displayName(f, cwd));
    }
  }
  return { objects, errors, oversized };
}

function readError(e: unknown): string {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
}

async function manifestsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && manifestExtensions.has(extname(e.name)))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

export function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
