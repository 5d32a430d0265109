/** MW311, MW320-MW323, MW308: `envoy.extensions.filters.http.ratelimit.v3.RateLimit` / `RateLimitPerRoute`. */
import type { Finding } from '../rule.js';
import { field, get, isObj, keyOf, path, truthy } from './json.js';
import { checkRateLimitList } from './rate-limit-actions.js';
import { MW311, MW320, MW321, MW322 } from './rules.js';
import { retryAfterWithoutEffect } from './retry-after.js';
import type { SemanticOptions } from './types.js';

export function checkGlobalRateLimit(cfg: unknown, opts: SemanticOptions): Finding[] {
  if (!isObj(cfg)) return [];
  const out: Finding[] = [];
  const rls = field(cfg, 'rate_limit_service');
  if (rls && isObj(rls.value)) {
    const tv = field(rls.value, 'transport_api_version');
    const v = tv?.value;
    if (v === 'V2' || v === 1) {
      out.push(
        MW320.finding(path([rls.key, tv!.key]), 'transport_api_version V2: "V2 xDS transport protocol version is deprecated", Envoy rejects the config', 'Set transport_api_version: V3.', 'error'),
      );
    } else if ((v === undefined && !opts.partial) || v === 'AUTO' || v === 0) {
      out.push(
        MW320.finding(
          tv ? path([rls.key, tv.key]) : path([rls.key]),
          `rate_limit_service.transport_api_version is ${v === undefined ? 'unset (AUTO)' : 'AUTO'}: Envoy 1.36 and 1.39 accept it and speak v3, but older Envoy rejected AUTO ("V2 (and AUTO) xDS transport protocol versions are deprecated")`,
          'Set transport_api_version: V3.',
        ),
      );
    }
  }
  const fmd = field(cfg, 'failure_mode_deny');
  if (fmd && truthy(fmd.value)) {
    out.push(
      MW321.finding(
        path([fmd.key]),
        'failure_mode_deny: true: when the rate limit service is unreachable or slow, every request gets a 500 (status_on_error)',
        'Keep it only if failing closed is intended; make the RLS highly available and watch cluster.<rls>.ratelimit.error.',
      ),
    );
  }
  if (!field(cfg, 'timeout') && !opts.partial) {
    out.push(
      MW322.finding(
        '',
        'timeout is unset: each RLS call times out after 20ms, and a timed-out call fails open (or 500s with failure_mode_deny)',
        'Set timeout explicitly (e.g. 0.05s) to document the budget.',
      ),
    );
  }
  out.push(...retryAfterWithoutEffect(cfg, 'rate_limited_status'));
  const rs = field(cfg, 'rate_limited_status');
  const code = rs ? Number(get(rs.value, 'code')) : NaN;
  if (rs && Number.isFinite(code) && code > 0 && code < 400) {
    out.push(MW311.finding(path([rs.key, keyOf(rs.value, 'code')]), `rate_limited_status ${code} is below 400: Envoy replies 429 instead`, 'Use a 4xx/5xx code.'));
  }
  const list = field(cfg, 'rate_limits');
  if (list) out.push(...checkRateLimitList(list.value, [list.key], 'global-filter', opts.envoyVersion));
  return out;
}

export function checkGlobalRateLimitPerRoute(cfg: unknown, opts: SemanticOptions): Finding[] {
  const list = field(cfg, 'rate_limits');
  return list ? checkRateLimitList(list.value, [list.key], 'global-per-route', opts.envoyVersion) : [];
}

/** A single `envoy.config.route.v3.RateLimit` (as in VirtualHost/RouteAction `rate_limits`). */
export function checkRouteRateLimit(cfg: unknown, _opts: SemanticOptions): Finding[] {
  return checkRateLimitList([cfg], [], 'route').map((f) => ({ ...f, path: f.path.replace(/^\[0\]\.?/, '') }));
}
