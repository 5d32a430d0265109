/**
 * EnvoyPlugin end to end: Lua → EnvoyFilter, Wasm → Istio WasmPlugins (real Istio CRDs),
 * pruning of plugins removed from the list, a Lua syntax error refused, deletion by the GC.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appYaml, eventually, skip, startEnv, startOperator, waitCondition, type Env, type Operator } from './helpers.js';

type Obj = { metadata: { uid: string; ownerReferences?: Array<{ kind: string; uid: string; controller?: boolean }> }; spec: Record<string, unknown> };

const plugin = (plugins: string) => `apiVersion: meshwarden.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: guard, namespace: p1}
spec:
  target: {service: app}
  ports: [9080]
  plugins:
${plugins}`;

const waf = `  - name: waf
    wasm:
      url: oci://registry.example.com/filters/waf:1.2.0
      sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      phase: AUTHZ
      failStrategy: FAIL_CLOSE
`;
const audit = `  - name: audit
    wasm:
      url: oci://registry.example.com/filters/audit:0.4.1
      phase: STATS
      failStrategy: FAIL_OPEN
      imagePullPolicy: IfNotPresent
`;
const lua = (header: string) => `  - name: tag
    lua:
      code: |
        function envoy_on_response(h) h:headers():add("${header}", "1") end
`;

describe('EnvoyPlugin', { skip, timeout: 600_000 }, () => {
  let env: Env;
  let op: Operator;

  before(async () => {
    env = await startEnv();
    op = await startOperator(env, ['--leader-elect=false']);
    await env.apply(appYaml('p1'));
  });

  after(async () => {
    if (op) console.error(`[operator] exited ${await op.stop()}; log ${op.logPath}`);
    await env?.stop();
  });

  test('create: WasmPlugins and a Lua EnvoyFilter, owned by the EnvoyPlugin', async () => {
    await env.apply(plugin(waf + audit + lua('x-guarded')));
    await waitCondition(env, 'envoyplugin', 'p1', 'guard', 'Ready', 'True', 'Applied');
    const ep = (await env.getJson<Obj>('envoyplugin', 'p1', 'guard'))!;
    for (const [kind, name] of [
      ['wasmplugin', 'guard-waf'],
      ['wasmplugin', 'guard-audit'],
      ['envoyfilter', 'guard-plugins'],
    ] as const) {
      const o = await env.getJson<Obj>(kind, 'p1', name);
      assert.ok(o, `${kind} ${name}`);
      assert.deepEqual(
        o.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
        [['EnvoyPlugin', ep.metadata.uid, true]],
      );
    }
    const table = await env.kubectl(['get', 'envoyplugins', '-n', 'p1']);
    assert.match(table, /\nguard\s+True\s+Applied\s/);
  });

  test('update: Lua code change reaches the EnvoyFilter; a removed Wasm plugin is pruned', async () => {
    await env.apply(plugin(waf + lua('x-checked')));
    await eventually('Lua updated', 15_000, async () => JSON.stringify((await env.getJson<Obj>('envoyfilter', 'p1', 'guard-plugins'))?.spec).includes('x-checked'));
    await eventually('audit WasmPlugin pruned', 15_000, async () => (await env.getJson('wasmplugin', 'p1', 'guard-audit')) === undefined);
    assert.ok(await env.getJson('wasmplugin', 'p1', 'guard-waf'));
  });

  test('a Lua syntax error is refused with its finding; the running objects stay', async () => {
    const before = (await env.getJson<{ metadata: { resourceVersion: string } }>('envoyfilter', 'p1', 'guard-plugins'))!;
    await env.apply(
      plugin(
        waf +
          `  - name: tag
    lua:
      code: |
        function envoy_on_request(h) h:headers():add("x", "1" end
`,
      ),
    );
    const c = await waitCondition(env, 'envoyplugin', 'p1', 'guard', 'Accepted', 'False', 'ValidationFailed');
    assert.match(c.message, /MW5\d\d spec\.plugins\[1\]/);
    const now = (await env.getJson<{ metadata: { resourceVersion: string } }>('envoyfilter', 'p1', 'guard-plugins'))!;
    assert.equal(now.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  test('delete: the garbage collector removes every generated object', async () => {
    await env.kubectl(['delete', 'envoyplugin', 'guard', '-n', 'p1']);
    await eventually('generated objects collected', 60_000, async () => {
      const ef = await env.getJson('envoyfilter', 'p1', 'guard-plugins');
      const wp = await env.getJson('wasmplugin', 'p1', 'guard-waf');
      return ef === undefined && wp === undefined;
    });
  });
});
