/**
 * Quick throughput check of the MW2xx layer: `npx tsx operator/src/validate/proto/bench-decode.ts [seconds]`.
 * Prints the one-time load cost of a descriptor set and decodes/s of typical patch values on one core.
 */
import { checkPatchValue, loadProtoSchema, type EnvoyVersion } from './index.js';
import { envoyMinors } from '../../versions/table.js';

const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const seconds = Number(process.argv[2] ?? 2);

const localRateLimit = {
  name: 'meshwarden.ratelimit.shop.reviews.per-user',
  typed_config: {
    '@type': LRL,
    stat_prefix: 'http_local_rate_limiter',
    token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '60s' },
    filter_enabled: { runtime_key: 'local_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } },
    filter_enforced: { runtime_key: 'local_rate_limit_enforced', default_value: { numerator: 100, denominator: 'HUNDRED' } },
    response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: 'x-local-rate-limit', value: 'true' } }],
    descriptors: [
      { entries: [{ key: 'user', value: 'alice' }], token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' } },
      { entries: [{ key: 'path', value: '/api' }], token_bucket: { max_tokens: 5, tokens_per_fill: 5, fill_interval: '1s' } },
    ],
  },
};

const badLocalRateLimit = {
  name: 'x',
  typed_config: { '@type': LRL, stat_prefix: '', token_bucket: { max_tokens: 0, fill_intervall: '60s' } },
};

const route = {
  match: { prefix: '/api', headers: [{ name: 'x-tier', string_match: { exact: 'free' } }] },
  route: { cluster: 'outbound|9080||reviews.shop.svc.cluster.local', timeout: '15s' },
  typed_per_filter_config: {
    'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'r', token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '1s' } },
  },
};

function bench(label: string, applyTo: string, value: unknown, v: EnvoyVersion): void {
  for (let i = 0; i < 2000; i++) checkPatchValue(applyTo, value, v); // warm up
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) checkPatchValue(applyTo, value, v);
    n += 200;
  }
  const dt = (performance.now() - t0) / 1000;
  console.log(
    `${label.padEnd(36)} ${Math.round(n / dt)
      .toLocaleString('en-US')
      .padStart(9)} decodes/s  (${((dt / n) * 1e6).toFixed(1)} µs each)`,
  );
}

// The oldest and the newest Envoy of the version table.
const oldest = envoyMinors()[0]!;
const newest = envoyMinors().at(-1)!;
for (const v of [oldest, newest]) {
  const t = performance.now();
  loadProtoSchema(v);
  console.log(`load Envoy ${v} descriptor set: ${Math.round(performance.now() - t)} ms (once per process)`);
}
bench('LocalRateLimit HTTP_FILTER (valid)', 'HTTP_FILTER', localRateLimit, newest);
bench('LocalRateLimit HTTP_FILTER (3 errors)', 'HTTP_FILTER', badLocalRateLimit, newest);
bench('HTTP_ROUTE with per-route config', 'HTTP_ROUTE', route, oldest);
