/**
 * Clean failures (docs/adr/0104-clean-failures-and-bounded-input.md): hostile or oversized
 * input and failures of meshwarden itself end in one positioned line and a distinct exit code
 * (1 findings, 2 input/usage/internal), never in a stack trace; objects over the input limits
 * are findings before anything evaluates them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { at, InternalError, internalErrorText } from '../src/cli/internal-error.js';
import { packageRoot } from '../src/util/package-root.js';
import { runCli } from './cli-harness.js';

const stackLine = /^\s+at /m;

const limiter = (limits: string, meta = '{name: big, namespace: shop}') => `apiVersion: meshwarden.io/v1alpha1
kind: SmartLimiter
metadata: ${meta}
spec:
  target: {workloadSelector: {matchLabels: {app: api}}}
  limits:
${limits}`;
const limitEntry = (i: number) => `  - name: l${i}\n    rate: {requests: 5, per: 1s}\n`;

test('an object over an input limit is a finding at the field, naming the limit, before any evaluation', async () => {
  const text = limiter(Array.from({ length: 10_000 }, (_, i) => limitEntry(i)).join(''));
  const t = performance.now();
  const run = await runCli(['lint', '-o', 'json', '-'], text);
  const ms = performance.now() - t;
  assert.equal(run.code, 1, run.stderr);
  const diags = JSON.parse(run.stdout) as Array<{ rule: string; path: string; message: string; source: { line: number; column: number } }>;
  assert.deepEqual(
    diags.map((d) => [d.rule, d.path, d.source.line, d.source.column]),
    [['MW105', 'spec.limits', 7, 3]],
  );
  assert.match(diags[0]!.message, /has 10000 entries, more than 1024 \(input limit maxListItems = 1024\)/);
  // Evaluating it took 41 s before the limit applied in the CLI.
  assert.ok(ms < 10_000, `${Math.round(ms)} ms`);

  const rendered = await runCli(['render', '-'], text);
  assert.equal(rendered.code, 1);
  assert.equal(rendered.stdout, '');
  assert.match(rendered.stderr, /^<stdin>:7:3: error spec\.limits: .*\[MW105 SmartLimiter shop\/big\]/);
});

test('commands that do not list findings (adopt, migrate) refuse an oversized object as an input error', async () => {
  const patches = Array.from({ length: 65 }, () => '  - {applyTo: HTTP_FILTER, patch: {operation: INSERT_FIRST, value: {name: x}}}').join('\n');
  const ef = `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: many, namespace: shop}\nspec:\n  configPatches:\n${patches}\n`;
  for (const command of ['adopt', 'migrate']) {
    const run = await runCli([command, '-'], ef);
    assert.equal(run.code, 2, `${command}: ${run.stderr}`);
    assert.match(run.stderr, /^<stdin>:6:3: spec\.configPatches: has 65 entries, more than 64 \(input limit maxPatches = 64\): too large to validate \[MW105\]$/m, command);
  }
});

test('a failure of meshwarden itself is an internal error: one line, exit 2, no stack trace', async () => {
  let stderr = '';
  const code = await main(['lint', '-'], {
    stdout: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    },
    stderr: (t) => (stderr += t),
    readStdin: async () => limiter(limitEntry(0).replace('requests: 5', 'requests: 0')),
  });
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^meshwarden: internal error: TypeError: Cannot read properties of undefined \(reading 'x'\); this is a bug in meshwarden, please report it at https:\/\/github\.com\/meshwarden\/meshwarden\/issues\n$/,
  );
  assert.doesNotMatch(stderr, stackLine);
});

test('an internal error while judging an object names its position; standard input that cannot be read is an input error', async () => {
  const error = new InternalError(
    at({ file: 'a.yaml', line: 3, column: 1 }, { kind: 'SmartLimiter', namespace: 'shop', name: 'x' }),
    new RangeError('Maximum call stack size exceeded\n    at f (x.js:1:1)'),
  );
  assert.match(internalErrorText(error), /^meshwarden: internal error at a\.yaml:3:1 \(SmartLimiter shop\/x\): RangeError: Maximum call stack size exceeded at f \(x\.js:1:1\); this is a bug/);
  assert.doesNotMatch(internalErrorText(error), /\n/);
  let stderr = '';
  const unreadable = await main(['lint', '-'], { stdout: () => {}, stderr: (t) => (stderr += t), readStdin: () => Promise.reject(new Error('EIO: i/o error, read')) });
  assert.equal(unreadable, 2);
  assert.equal(stderr, '<stdin>: cannot read standard input: EIO: i/o error, read\n');
});

test('validate --envoy: an Envoy that cannot judge (crash, timeout, missing) is exit 2 with its reason, no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-fake-envoy-'));
  const envoy = join(dir, 'envoy');
  // Answers --version as Envoy 1.36 does, then fails every validation as a crash would.
  writeFileSync(envoy, '#!/bin/sh\n[ "$1" = "--version" ] && { echo "envoy  0123/1.36.2/Clean/RELEASE/BoringSSL"; exit 0; }\nexit 3\n');
  chmodSync(envoy, 0o755);
  const ef = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: f, namespace: shop}
spec:
  workloadSelector: {labels: {app: api}}
  priority: 10
  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
    patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.http.cors, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors}}}
`;
  const run = await runCli(['validate', '--envoy', envoy, '-'], ef);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /^meshwarden: Envoy could not judge the input: .+\n$/);
  assert.doesNotMatch(run.stderr, stackLine);
});

/** Runs the installed bin with `input` on stdin, reporting its peak RSS (KiB) from inside the process. */
function runBin(args: string[], input: string) {
  const reportRss = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nmaxrss='+process.resourceUsage().maxRSS+'\\n'))`;
  const t = performance.now();
  const run = spawnSync(process.execPath, ['--max-old-space-size=512', '--import', reportRss, join(packageRoot, 'bin', 'meshwarden.js'), ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const ms = performance.now() - t;
  const rssKiB = Number(/maxrss=(\d+)/.exec(run.stderr)?.[1] ?? NaN);
  return { status: run.status, signal: run.signal, stderr: run.stderr.replace(/\nmaxrss=\d+\n$/, ''), ms, rssKiB };
}

const billionLaughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghij'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`)].join(
  '\n',
);

for (const [name, input, message] of [
  ['an alias bomb', billionLaughs, /^<stdin>:\d+:\d+: aliases expand the document by more than 512 KiB/],
  ['a document nested 1,000 deep', `a: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, /^<stdin>:1:\d+: nested too deeply: limit 512 levels/],
  ['a block document nested 1,000 deep', Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:\n`).join(''), /^<stdin>:\d+:\d+: nested too deeply: limit 512 levels/],
] as const) {
  test(`the real bin on ${name} from stdin: exit 2, a positioned message, no stack trace, bounded time and memory`, () => {
    const run = runBin(['lint', '-'], input);
    assert.equal(run.status, 2, `${run.signal ?? ''} ${run.stderr.slice(0, 500)}`);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, stackLine);
    assert.ok(run.ms < 20_000, `${Math.round(run.ms)} ms`);
    assert.ok(run.rssKiB < 400 * 1024, `peak RSS ${Math.round(run.rssKiB / 1024)} MiB`);
  });
}
