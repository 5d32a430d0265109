/**
 * Gathers the CLI's inputs: files, directories (recursively, .yaml/.yml/.json) and `-`
 * for standard input, each parsed as a multi-document YAML stream.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { loadYaml, type LoadedObject, type YamlError } from '../yaml/documents.js';

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

export interface Inputs {
  objects: LoadedObject[];
  /** YAML syntax errors and unreadable paths: exit code 2. */
  errors: YamlError[];
}

export async function readInputs(paths: string[], readStdin: () => Promise<string>, cwd = process.cwd()): Promise<Inputs> {
  const objects: LoadedObject[] = [];
  const errors: YamlError[] = [];
  const add = (text: string, file: string) => {
    const r = loadYaml(text, file);
    objects.push(...r.objects);
    errors.push(...r.errors);
  };
  for (const p of paths) {
    if (p === '-') {
      add(await readStdin(), '<stdin>');
      continue;
    }
    try {
      const info = await stat(p);
      const files = info.isDirectory() ? await manifestsUnder(p) : [p];
      for (const f of files) add(await readFile(f, 'utf8'), displayName(f, cwd));
    } catch (e) {
      errors.push({ file: p, line: 0, column: 0, message: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message });
    }
  }
  return { objects, errors };
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
