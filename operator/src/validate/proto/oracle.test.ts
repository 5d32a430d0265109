/**
 * Cross-checks the MW2xx fixtures against real Envoy 1.36.2 and 1.39.3: each patch value is
 * placed where its applyTo puts it in a minimal static bootstrap and run through
 * `envoy --mode validate`. Envoy accepts every good value, and rejects a bad one exactly when the
 * fixture says so (and our finding is an error). Skipped when .tools/bin/envoy-1.36.2 is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPatchValue } from './index.js';
import { fixtures, type Fixture } from './fixtures.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../.tools/bin');
const ENVOYS = { '1.36': join(BIN, 'envoy-1.36.2'), '1.39': join(BIN, 'envoy-1.39.3') } as const;
const skip = existsSync(ENVOYS['1.36']) && existsSync(ENVOYS['1.39']) ? false : 'no .tools/bin/envoy-1.36.2 / envoy-1.39.3';

const T = (n: string) => `type.googleapis.com/${n}`;
const endpoint = (port: number) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } });

/** A static bootstrap with `value` where an EnvoyFilter with `applyTo` would put it. */
function bootstrap(fx: Fixture, value: Record<string, unknown>): unknown {
  const route: Record<string, unknown> = { match: { prefix: '/' }, route: { cluster: 'backend' } };
  const vhosts: unknown[] = [{ name: 'b', domains: ['*'], routes: fx.applyTo === 'HTTP_ROUTE' ? [value, route] : [route] }];
  if (fx.applyTo === 'VIRTUAL_HOST') vhosts.unshift(value);
  const httpFilters: unknown[] = fx.applyTo === 'HTTP_FILTER' ? [value] : [];
  httpFilters.push({ name: 'envoy.filters.http.router', typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } });
  const hcm = {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
      stat_prefix: 'oracle',
      route_config: { name: 'local', virtual_hosts: vhosts },
      http_filters: httpFilters,
    },
  };
  const listener: Record<string, unknown> = {
    name: 'http',
    address: { socket_address: { address: '127.0.0.1', port_value: 10080 } },
    filter_chains: [{ filters: fx.applyTo === 'NETWORK_FILTER' ? [value] : [hcm] }],
  };
  if (fx.applyTo === 'LISTENER_FILTER') listener['listener_filters'] = [value];
  const clusters: unknown[] = [{ name: 'backend', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [endpoint(9)] }] } }];
  if (fx.applyTo === 'CLUSTER') clusters.push(value);
  return { node: { id: 'oracle', cluster: 'oracle' }, static_resources: { listeners: [listener], clusters } };
}

function envoyValidate(version: '1.36' | '1.39', config: unknown): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw2-oracle-'));
  try {
    const file = join(dir, 'envoy.json');
    writeFileSync(file, JSON.stringify(config));
    const r = spawnSync(ENVOYS[version], ['--mode', 'validate', '-c', file, '-l', 'critical', '--log-path', join(dir, 'log')], { encoding: 'utf8', timeout: 60_000 });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const version of ['1.36', '1.39'] as const) {
  test(`MW2xx verdicts agree with Envoy ${version} --mode validate`, { skip }, () => {
    for (const fx of fixtures.filter((f) => f.envoy !== undefined && (f.versions ?? [version]).includes(version))) {
      const good = envoyValidate(version, bootstrap(fx, fx.good));
      assert.ok(good.ok, `${fx.rule} good value rejected by Envoy ${version}: ${good.out.slice(-400)}`);
      const bad = envoyValidate(version, bootstrap(fx, fx.bad));
      assert.equal(!bad.ok, fx.envoy === 'reject', `${fx.rule} (${fx.path}): fixture says ${fx.envoy}, Envoy ${version} ${bad.ok ? 'accepted' : `rejected: ${bad.out.slice(-400)}`}`);
      const ours = checkPatchValue(fx.applyTo, fx.bad, version).filter((f) => f.rule === fx.rule);
      assert.equal(
        ours.some((f) => f.severity === 'error'),
        !bad.ok,
        `${fx.rule}: our severity vs Envoy ${bad.ok ? 'accept' : 'reject'}`,
      );
      if (!bad.ok && fx.envoyText) assert.ok(bad.out.includes(fx.envoyText), `${fx.rule}: Envoy said ${bad.out.slice(-400)}`);
    }
  });
}

test('version-only API differences agree with Envoy: max_tokens 0 and descriptor shadow_mode are accepted by 1.39', { skip }, () => {
  for (const fx of fixtures.filter((f) => f.versions?.length === 1 && f.versions[0] === '1.36')) {
    assert.ok(envoyValidate('1.39', bootstrap(fx, fx.bad)).ok, `${fx.rule} ${fx.path}`);
    assert.deepEqual(
      checkPatchValue(fx.applyTo, fx.bad, '1.39').filter((f) => f.rule === fx.rule),
      [],
    );
  }
});
