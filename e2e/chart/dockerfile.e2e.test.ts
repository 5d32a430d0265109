/**
 * The Dockerfile, checked without Docker (no daemon or registry here; e2e/chart/image-layout.sh
 * runs its build and runtime steps by hand): every COPY from the build context names a file that
 * exists and that .dockerignore lets through; every COPY --from names an earlier stage; the
 * runtime is laid out as the npm package (package.json's `files`, LICENSE, production
 * node_modules, the validator's data in data/); it runs as uid 65532 on Node 22.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/controlplane.js';

interface Stage {
  name: string;
  image: string;
  copies: Array<{ from?: string; sources: string[]; dest: string }>;
  lines: string[];
}

/** Instructions with their continuation lines joined and comment lines dropped (as Docker does). */
function instructions(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && cur === '')) continue;
    cur += (cur ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      if (cur) out.push(cur);
      cur = '';
    }
  }
  return out;
}

function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    const [op, ...rest] = ins.split(/\s+/);
    const upper = op!.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.join(' ').split('=');
      args.set(k!, v ?? '');
    } else if (upper === 'FROM') {
      const image = rest[0]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
      stages.push({ name: rest[2] ?? String(stages.length), image, copies: [], lines: [] });
    } else {
      const stage = stages.at(-1)!;
      stage.lines.push(ins);
      if (upper === 'COPY') {
        const from = rest.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = rest.filter((w) => !w.startsWith('--'));
        stage.copies.push({ ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! });
      }
    }
  }
  return { args, stages };
}

/** .dockerignore as moby/patternmatcher reads it: last matching pattern wins; a pattern also matches a path's parents. */
function dockerignored(patterns: string[], path: string): boolean {
  const toRegex = (p: string): RegExp =>
    new RegExp(
      '^' +
        p
          .replace(/\/$/, '')
          .split('/')
          .map((seg) =>
            seg === '**'
              ? '.*'
              : seg
                  .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                  .replace(/\*/g, '[^/]*')
                  .replace(/\?/g, '[^/]'),
          )
          .join('/')
          .replace(/\.\*\//g, '(.*/)?') +
        '$',
    );
  const parts = path.replace(/\/$/, '').split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const re = toRegex(neg ? raw.slice(1) : raw);
    if (candidates.some((c) => re.test(c))) excluded = !neg;
  }
  return excluded;
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const { args, stages } = parseDockerfile(dockerfile);

test('the .dockerignore reader follows Docker on the patterns used here', () => {
  const pats = ['**', '!operator/', '**/node_modules', '!x.json'];
  assert.equal(dockerignored(pats, 'README.md'), true);
  assert.equal(dockerignored(pats, 'operator/src/cli/bin.ts'), false);
  assert.equal(dockerignored(pats, 'operator/node_modules/a.js'), true);
  assert.equal(dockerignored(pats, 'x.json'), false);
});

test('every COPY from the build context exists and is not excluded by .dockerignore', () => {
  const sources = stages.flatMap((s) => s.copies.filter((c) => !c.from).flatMap((c) => c.sources));
  assert.ok(sources.length >= 10, `found ${sources.length} context COPY sources`);
  for (const src of sources) {
    assert.ok(existsSync(join(REPO_ROOT, src)), `COPY ${src}: no such file in the repository`);
    assert.equal(dockerignored(ignore, src), false, `COPY ${src}: excluded by .dockerignore`);
  }
  // Built or fetched things never enter the context.
  for (const p of ['node_modules/yaml/package.json', 'dist/operator/src/cli/bin.js', '.tools/protos/envoy-1.39.pb', 'README.md', 'operator/node_modules/x']) {
    assert.equal(dockerignored(ignore, p), true, `${p} would be sent to the build`);
  }
});

test('stages: Go for the validator data, Node 22 to build, distroless Node 22 as uid 65532 to run', () => {
  assert.equal(args.get('NODE_VERSION'), '22');
  assert.deepEqual(
    stages.map((s) => s.name),
    ['validator-data', 'build', '2'],
  );
  assert.match(stages[0]!.image, /^golang:1\.\d+-bookworm$/);
  assert.equal(stages[1]!.image, 'node:22-bookworm');
  assert.equal(stages[2]!.image, 'gcr.io/distroless/nodejs22-debian12:nonroot');
  const run = stages[2]!;
  assert.ok(run.lines.includes('USER 65532:65532'));
  assert.ok(!run.lines.some((l) => /^RUN /.test(l)), 'the runtime stage has no shell to RUN with');
  assert.ok(stages[1]!.lines.some((l) => l.includes('npm run build') && l.includes('npm prune --omit=dev')));
  for (const c of stages.flatMap((s) => s.copies.filter((x) => x.from))) {
    const i = stages.findIndex((s) => s.name === c.from);
    assert.ok(i >= 0 && i < stages.length - 1, `COPY --from=${c.from}: no earlier stage of that name`);
  }
});

test("the runtime is laid out as the npm package: package.json's files, LICENSE, production node_modules, the validator data in data/", () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('data'), 'the package ships data/');
  const fromBuild = stages[2]!.copies.filter((c) => c.from === 'build').flatMap((c) => c.sources.map((s) => s.replace(/^\/app\//, '').replace(/\/$/, '')));
  assert.deepEqual(fromBuild.sort(), [...pkg.files.filter((f) => f !== 'data'), 'package.json', 'LICENSE', 'node_modules'].sort());
  const data = stages[2]!.copies.filter((c) => c.from === 'validator-data').map((c) => c.dest);
  // Where the installed package keeps them (operator/src/util/validator-data.ts): no override needed.
  assert.deepEqual(data.sort(), ['data/istio/', 'data/protos/']);
  assert.ok(!/MESHWARDEN_(PROTOS|ISTIO_CRDS)_DIR/.test(dockerfile), 'the image finds its data as the package does');
});
