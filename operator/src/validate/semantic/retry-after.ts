/**
 * MW315: `enable_retry_after_header` (LocalRateLimit and RateLimit field 19, Envoy 1.40) that
 * cannot take effect. Envoy adds `Retry-After` only to 429 replies and keeps a Retry-After the
 * reply already has, so a configured status other than 429, or a fixed `retry-after` in
 * `response_headers_to_add`, makes the option do nothing (tested with traffic on 1.40.0: status
 * 503 → no header; a fixed `retry-after: 60` → 60 instead of the computed value). ADR 0111.
 * On older Envoy the field itself is unknown: the proto layer reports it (MW201).
 */
import type { Finding } from '../rule.js';
import { arr, field, get, keyOf, path, str, truthy } from './json.js';
import { MW315 } from './rules.js';

/** `statusField`: `status` (local filter) or `rate_limited_status` (global filter). */
export function retryAfterWithoutEffect(cfg: unknown, statusField: 'status' | 'rate_limited_status'): Finding[] {
  const opt = field(cfg, 'enable_retry_after_header');
  if (!opt || !truthy(opt.value)) return [];
  const out: Finding[] = [];
  const st = field(cfg, statusField);
  const code = st ? Number(get(st.value, 'code')) : NaN;
  // Below 400 Envoy replies 429 anyway (MW311).
  if (st && Number.isFinite(code) && code >= 400 && code !== 429) {
    out.push(
      MW315.finding(
        path([opt.key]),
        `enable_retry_after_header is set but ${statusField} is ${code}: Envoy adds Retry-After only to 429 replies, so no reply gets it`,
        `Remove ${statusField} (429 is the default), or drop enable_retry_after_header.`,
      ),
    );
  }
  const added = field(cfg, 'response_headers_to_add');
  const fixed = arr(added?.value).findIndex((h) => str(get(get(h, 'header'), 'key'))?.toLowerCase() === 'retry-after');
  if (added && fixed >= 0) {
    const entry = arr(added.value)[fixed];
    out.push(
      MW315.finding(
        path([added.key, fixed, keyOf(entry, 'header')]),
        'response_headers_to_add sets a fixed retry-after and enable_retry_after_header is set: Envoy keeps the Retry-After a reply already has, so the computed value is never sent',
        'Drop the fixed retry-after header (or the option).',
      ),
    );
  }
  return out;
}
