/**
 * The indexed WasmPlugin clash search (`wasmClashes`) against the pairwise comparison it
 * replaced, on generated plugin sets full of overlaps and of the odd inputs the validator is
 * handed (unknown phases, non-numeric and infinite priorities, empty or non-object selectors,
 * targetRefs, prototype-named labels, non-string label values).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayOverlap, wasmClashes, type WasmPluginRef } from './wasm.js';
import { seededRandom as rng } from '../../../test/seeded-random.js';

/** The pairwise search, as checkWasmOrdering did it before the indexes. */
function naiveClashes(plugins: ReadonlyArray<WasmPluginRef>, root: string): Map<number, number[]> {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const prio = (p: WasmPluginRef) => (typeof p.spec.priority === 'number' ? p.spec.priority : 0);
  const clash = new Map<number, number[]>();
  for (let i = 0; i < plugins.length; i++) {
    for (let j = i + 1; j < plugins.length; j++) {
      const a = plugins[i]!;
      const b = plugins[j]!;
      if ((str(a.spec.phase) ?? 'UNSPECIFIED_PHASE') !== (str(b.spec.phase) ?? 'UNSPECIFIED_PHASE')) continue;
      if ((str(a.spec.type) === 'NETWORK') !== (str(b.spec.type) === 'NETWORK')) continue;
      if (prio(a) !== prio(b)) continue;
      if (!mayOverlap(a, b, root)) continue;
      (clash.get(i) ?? clash.set(i, []).get(i)!).push(j);
      (clash.get(j) ?? clash.set(j, []).get(j)!).push(i);
    }
  }
  return clash;
}

const NAMESPACES = ['team-a', 'team-b', 'istio-system', 'root'];
const PHASES = [undefined, 'AUTHN', 'STATS', 'BOGUS', 3];
const TYPES = [undefined, 'HTTP', 'NETWORK', 'OTHER'];
const PRIORITIES = [undefined, 0, -0, 5, '5', Infinity, -Infinity, NaN, null];
const KEYS = ['app', 'version', 'tier', 'toString', '__proto__'];
const VALUES: unknown[] = ['x', 'y', '1', 1, { a: 1 }, null];
const REFS = [
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw1' },
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw2' },
  { kind: 'Service', name: 'gw1' },
];

function generate(seed: number, n: number): WasmPluginRef[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const plugins: WasmPluginRef[] = [];
  for (let i = 0; i < n; i++) {
    const spec: Record<string, unknown> = {};
    const phase = pick(PHASES);
    if (phase !== undefined) spec.phase = phase;
    const type = pick(TYPES);
    if (type !== undefined) spec.type = type;
    const priority = pick(PRIORITIES);
    if (priority !== undefined) spec.priority = priority;
    const shape = r();
    if (shape < 0.1) spec.targetRefs = r() < 0.2 ? [] : [pick(REFS), ...(r() < 0.5 ? [pick(REFS)] : [])];
    else if (shape < 0.15) spec.targetRef = pick(REFS);
    else if (shape < 0.2) spec.selector = pick(['junk', null, { matchLabels: null }, { matchLabels: [] }]);
    else if (shape < 0.3) {
      // no selector: namespace-wide
    } else {
      const labels: Record<string, unknown> = {};
      const count = Math.floor(r() * 3);
      // defineProperty: `__proto__` as an own key, as JSON.parse makes it.
      for (let k = 0; k < count; k++) Object.defineProperty(labels, pick(KEYS), { value: pick(VALUES), enumerable: true, configurable: true, writable: true });
      spec.selector = { matchLabels: labels };
    }
    plugins.push({ name: `p${i}`, namespace: pick(NAMESPACES), spec });
  }
  return plugins;
}

test('wasmClashes finds exactly the pairs the pairwise comparison finds', () => {
  let clashing = 0;
  let apart = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const plugins = generate(seed, 1 + (seed % 60));
    for (const root of ['istio-system', 'root']) {
      const want = naiveClashes(plugins, root);
      const got = wasmClashes(plugins, root);
      assert.deepEqual(
        [...got].sort((a, b) => a[0] - b[0]),
        [...want].sort((a, b) => a[0] - b[0]),
        `seed ${seed}, root ${root}`,
      );
      clashing += want.size;
      apart += plugins.length - want.size;
    }
  }
  // The generated sets must exercise both outcomes, or this test could not fail.
  assert.ok(clashing > 1000, `only ${clashing} clashing plugins generated`);
  assert.ok(apart > 1000, `only ${apart} plugins without a clash generated`);
});

test('wasmClashes on a namespace of distinct app selectors and one namespace-wide plugin', () => {
  const plugins: WasmPluginRef[] = Array.from({ length: 200 }, (_, i) => ({
    name: `svc-${i}-wasm`,
    namespace: 'team-1',
    spec: { phase: 'STATS', selector: { matchLabels: { app: `svc-${i % 100}` } } },
  }));
  plugins.push({ name: 'everywhere', namespace: 'team-1', spec: { phase: 'STATS' } });
  const got = wasmClashes(plugins, 'istio-system');
  assert.deepEqual(got, naiveClashes(plugins, 'istio-system'));
  assert.deepEqual(got.get(0), [100, 200]);
  assert.equal(got.get(200)!.length, 200);
});
