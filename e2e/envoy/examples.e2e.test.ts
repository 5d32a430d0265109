/**
 * Every example's rendered EnvoyFilter, applied to istiod's baseline, runs in a live Envoy
 * (1.36.2 and 1.39.3) and serves a request through the patched connection manager. The
 * behaviour of each feature is proven in local-limits, plugins and global; this catches an
 * example that validates but fails at runtime. WasmPlugin objects are not exercised (istiod
 * serves them through ECDS and the Wasm modules are not available offline; the Wasm example's
 * Lua EnvoyFilter is); the global example needs the rate limit service (global.e2e.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVOYS, REPO_ROOT, renderObjects, skipReason, startTraffic } from './harness.js';
import type { TrafficEntry } from '../../operator/src/oracle/bootstrap.js';
import type { EnvoyFilterObject } from '../../operator/src/validate/istio/index.js';
import { DEFAULT_PARAMS } from '../../operator/src/validate/istio/index.js';

const skip = skipReason();
const dir = join(REPO_ROOT, 'examples');

function load(example: string): string {
  return readdirSync(join(dir, example))
    .filter((f) => f.endsWith('.yaml') && f !== 'rendered.yaml')
    .sort()
    .map((f) => readFileSync(join(dir, example, f), 'utf8'))
    .join('\n---\n');
}

/** Where the EnvoyFilter's first HTTP_FILTER/NETWORK_FILTER patch lands, and a Host its routes serve. */
function entryOf(ef: EnvoyFilterObject): { entry: TrafficEntry; host?: string } {
  const patches = ef.spec?.configPatches ?? [];
  const p = patches.find((x) => x.applyTo === 'HTTP_FILTER' || x.applyTo === 'NETWORK_FILTER') ?? patches[0]!;
  const ctx = p.match?.context;
  const vhost = patches.map((x) => x.match?.routeConfiguration?.vhost?.name).find((n) => n && !n.startsWith('inbound|'));
  const host = vhost?.replace(/:\d+$/, '');
  // A gateway serves only its Gateway servers' hosts: without a vhost in the patches, ask for the baseline's.
  if (ctx === 'GATEWAY') return { entry: { side: 'gateway', port: p.match?.listener?.portNumber ?? 8080 }, host: host ?? DEFAULT_PARAMS.gatewayServers[0]!.host! };
  if (ctx === 'SIDECAR_OUTBOUND') return { entry: { side: 'outbound', port: p.match?.listener?.portNumber ?? 80 }, ...(host ? { host } : {}) };
  return { entry: { side: 'inbound', port: p.match?.listener?.portNumber ?? 8080 } };
}

const examples = readdirSync(dir)
  .filter((d) => d !== 'smartlimiter-global')
  .sort();

for (const build of ENVOYS) {
  describe(`examples serve traffic on Envoy ${build.envoy} (Istio ${build.istio})`, { skip, timeout: 120_000 }, () => {
    for (const example of examples) {
      const efs = () => renderObjects(load(example)).filter((o) => o.kind === 'EnvoyFilter') as unknown as EnvoyFilterObject[];
      test(example, async (t) => {
        const list = efs();
        if (list.length === 0) return t.skip('renders no EnvoyFilter');
        for (const ef of list) {
          const { entry, host } = entryOf(ef);
          const env = await startTraffic(build, ef, entry);
          try {
            const r = await env.send('/', host ? { headers: { host } } : {});
            assert.equal(r.status, 200, `${ef.metadata.name} on ${entry.side} ${entry.port}: ${r.status} ${r.body.slice(0, 200)}`);
          } finally {
            await env.stop();
          }
        }
      });
    }
  });
}
