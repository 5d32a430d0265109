/** MW301-MW312: `envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit` (filter and per-route). */
import type { Finding } from '../rule.js';
import { arr, durationSeconds, field, get, has, isObj, keyOf, path, runtimeFraction, str, truthy, type Seg } from './json.js';
import { checkRateLimitList, describeShape, generatedShapes, shapeMatches, type ConfiguredEntry } from './rate-limit-actions.js';
import { MW301, MW302, MW303, MW304, MW305, MW306, MW307, MW309, MW310, MW311, MW312, MW313, MW314 } from './rules.js';
import { retryAfterWithoutEffect } from './retry-after.js';
import type { SemanticOptions } from './types.js';
import { since, until } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

const MIN_FILL_SECONDS = 0.05;

function maxTokensZero(tb: unknown): boolean {
  const m = get(tb, 'max_tokens');
  return m !== undefined && Number(m) === 0;
}

export function checkLocalRateLimit(cfg: unknown, opts: SemanticOptions): Finding[] {
  if (!isObj(cfg)) return [];
  const out: Finding[] = [];
  const at = (...s: Seg[]) => path(s);
  const tb = field(cfg, 'token_bucket');

  // MW303: per-route config must carry its own bucket.
  if (opts.perRoute && !tb && !opts.partial) {
    out.push(
      MW303.finding(
        '',
        'local rate limit token bucket must be set for per filter configs',
        'A per-route LocalRateLimit replaces the filter-level config: give it token_bucket {max_tokens, tokens_per_fill, fill_interval}.',
      ),
    );
  }

  // MW301: bucket intervals.
  if (tb && isObj(tb.value)) {
    const fi = field(tb.value, 'fill_interval');
    const s = fi ? durationSeconds(fi.value) : undefined;
    // Since emptyTokenBucket Envoy accepts any interval for an always-empty bucket (max_tokens: 0) [tested].
    const skip = since(opts.envoyVersion, ENVOY_BOUNDARIES.emptyTokenBucket) && maxTokensZero(tb.value);
    if (fi && s !== undefined && s > 0 && s < MIN_FILL_SECONDS && !skip) {
      out.push(
        MW301.finding(at(tb.key, fi.key), 'local rate limit token bucket fill timer must be >= 50ms', 'Use fill_interval of at least 0.05s; scale max_tokens/tokens_per_fill to keep the rate.'),
      );
    }
  }
  const descriptors = field(cfg, 'descriptors');
  const descList = arr(descriptors?.value);
  const dKey = descriptors?.key ?? 'descriptors';
  const seen = new Map<string, number>();
  const wildcardAt: number[] = [];
  descList.forEach((d, i) => {
    const dtb = field(d, 'token_bucket');
    if (dtb && isObj(dtb.value)) {
      const fi = field(dtb.value, 'fill_interval');
      const s = fi ? durationSeconds(fi.value) : undefined;
      // Since emptyTokenBucket Envoy skips the check for an always-empty bucket (max_tokens: 0).
      const skip = since(opts.envoyVersion, ENVOY_BOUNDARIES.emptyTokenBucket) && maxTokensZero(dtb.value);
      if (fi && s !== undefined && s > 0 && s < MIN_FILL_SECONDS && !skip) {
        out.push(MW301.finding(at(dKey, i, dtb.key, fi.key), 'local rate limit descriptor token bucket fill timer must be >= 50ms', 'Use fill_interval of at least 0.05s.'));
      }
    }
    const entries = arr(get(d, 'entries'));
    const sig = entries.map((e) => `${str(get(e, 'key')) ?? ''}=${str(get(e, 'value')) ?? ''}`).join(', ');
    const first = seen.get(sig);
    if (first !== undefined) {
      out.push(MW302.finding(at(dKey, i), `duplicate descriptor in the local rate descriptor: ${sig}`, `Same entries as ${dKey}[${first}]; merge them into one descriptor.`));
    } else seen.set(sig, i);
    if (entries.some((e) => !str(get(e, 'value')))) wildcardAt.push(i);
  });

  // MW304: enabled/enforced.
  const en = field(cfg, 'filter_enabled');
  const enf = field(cfg, 'filter_enforced');
  const placeholder = !opts.perRoute && !tb && descList.length === 0;
  const enabledFrac = en ? runtimeFraction(en.value) : 0;
  const enforcedFrac = enf ? runtimeFraction(enf.value) : 0;
  if (opts.partial) {
    if (en && enabledFrac === 0) out.push(MW304.finding(at(en.key), 'filter_enabled is 0%: the limiter never runs', 'Set filter_enabled to 100%.'));
  } else if (placeholder) {
    if (en && enabledFrac !== undefined && enabledFrac > 0) {
      // Enabled without any bucket: nothing to limit with.
    } else {
      out.push(
        MW304.finding(
          en ? at(en.key) : '',
          'filter-level local_ratelimit with no token_bucket and filter_enabled unset: it does nothing unless per-route configs enable it',
          'Fine as a placeholder for per-route configs (each must set filter_enabled, filter_enforced and token_bucket).',
          'info',
        ),
      );
    }
  } else if (!en || enabledFrac === 0) {
    out.push(
      MW304.finding(
        en ? at(en.key) : '',
        en ? 'filter_enabled is 0%: the limiter never runs' : 'filter_enabled is unset: it defaults to 0%, so the limiter never runs (not even stats)',
        'Set filter_enabled: {default_value: {numerator: 100, denominator: HUNDRED}} (and filter_enforced likewise).',
      ),
    );
  } else if (!enf) {
    out.push(
      MW304.finding(
        '',
        'filter_enforced is unset: it defaults to 0%, so over-limit requests are only counted, never rejected (shadow mode)',
        'Set filter_enforced: {default_value: {numerator: 100, denominator: HUNDRED}}, or set it to 0 explicitly if shadow mode is intended.',
      ),
    );
  } else if (enforcedFrac === 0) {
    out.push(
      MW304.finding(
        at(enf.key),
        'filter_enforced is 0%: shadow mode, over-limit requests are counted in rate_limited but never rejected',
        'Intended for a dry run; raise filter_enforced to enforce.',
        'info',
      ),
    );
  }

  // MW305: local_cluster_rate_limit.
  const lcrl = field(cfg, 'local_cluster_rate_limit');
  if (lcrl) {
    const perConn = truthy(get(cfg, 'local_rate_limit_per_downstream_connection'));
    out.push(
      MW305.finding(
        at(lcrl.key),
        perConn
          ? 'local_cluster_rate_limit is set and local_rate_limit_per_downstream_connection is set to true'
          : "local_cluster_rate_limit is set but no local cluster name is present (Istio's sidecar bootstrap sets no cluster_manager.local_cluster_name)",
        'Remove local_cluster_rate_limit; divide the limit by the replica count instead.',
      ),
    );
  }

  // MW306/MW307/MW312: descriptors vs rate_limits.
  const rls = field(cfg, 'rate_limits');
  const rlList = arr(rls?.value);
  if (rls) out.push(...checkRateLimitList(rls.value, [rls.key], 'local-filter'));
  if (rlList.length > 0 && descList.length === 0 && !opts.partial) {
    out.push(
      MW306.finding(
        at(rls!.key),
        'rate_limits is set but descriptors is empty: Envoy only computes descriptors when descriptors exist, so only the default token bucket applies',
        'Add descriptors whose entries match what these actions generate, or remove rate_limits.',
      ),
    );
  }
  if (opts.partial) {
    // Lists merge by appending: what generates a descriptor may live in the existing config.
  } else if (rlList.length > 0 && descList.length > 0) {
    const shapes = rlList.map((rl) => generatedShapes(rl));
    if (shapes.every((s) => s !== undefined)) {
      const all = shapes.flat();
      descList.forEach((d, i) => {
        const entries: ConfiguredEntry[] = arr(get(d, 'entries')).map((e) => ({ key: str(get(e, 'key')) ?? '', value: str(get(e, 'value')) ?? '' }));
        const matching = all.filter((s) => shapeMatches(s, entries));
        const pathEntry = entries.findIndex((e, k) => e.value !== '' && !e.value.includes('?') && matching.length > 0 && matching.every((s) => s[k]?.header === ':path'));
        if (pathEntry >= 0) {
          out.push(
            MW313.finding(
              at(dKey, i, keyOf(d, 'entries'), pathEntry),
              `descriptor entry ${entries[pathEntry]!.key}=${entries[pathEntry]!.value} comes from the :path header, which includes the query string: requests to ${entries[pathEntry]!.value}?… never match it`,
              'Generate the entry with header_value_match on :path (string_match prefix/exact/safe_regex) and a fixed descriptor_value instead of request_headers.',
            ),
          );
        }
        if (matching.length === 0) {
          const want = `[${entries.map((e) => `${e.key}=${e.value || '*'}`).join(', ')}]`;
          out.push(
            MW307.finding(
              at(dKey, i, keyOf(d, 'entries')),
              `descriptor ${want} can never match: the rate_limits actions generate ${all.map(describeShape).join(' or ') || 'nothing'}`,
              'A descriptor matches only a generated descriptor with the same number of entries, the same keys in the same order, and equal fixed values.',
            ),
          );
        }
      });
    }
  } else if (descList.length > 0 && !opts.perRoute) {
    out.push(
      MW312.finding(
        at(dKey),
        "descriptors without the filter's own rate_limits: requests get descriptors only from route/vhost rate_limits (stage must match the filter stage)",
        'Set rate_limits in the filter config so the descriptors are generated where they are defined.',
      ),
    );
  }

  // MW309/MW310: wildcard descriptors.
  if (wildcardAt.length > 0) {
    const perConn = field(cfg, 'local_rate_limit_per_downstream_connection');
    if (perConn && truthy(perConn.value)) {
      for (const i of wildcardAt) {
        out.push(
          MW309.finding(
            at(dKey, i),
            'wildcard descriptor (entry without value) with local_rate_limit_per_downstream_connection: true; dynamic buckets only work for instance-level limiting',
            'Set local_rate_limit_per_downstream_connection: false, or give the entry a fixed value.',
          ),
        );
      }
    }
    if (!has(cfg, 'max_dynamic_descriptors') && !opts.partial) {
      out.push(
        MW310.finding(
          at(dKey, wildcardAt[0]!),
          'wildcard descriptor without max_dynamic_descriptors: Envoy tracks at most 20 values (LRU); with more distinct values, an evicted value gets a fresh full bucket and is effectively not limited',
          'Set max_dynamic_descriptors above the expected number of concurrently active values.',
        ),
      );
    }
  }

  // MW314: before localRateLimitShadowNoShortCircuit an exhausted shadow descriptor ends the
  // evaluation: nothing after it is consumed, so the enforced limits never limit [tested].
  // (Before localRateLimitShadowDescriptor the field is unknown: MW201, not this.)
  if (since(opts.envoyVersion, ENVOY_BOUNDARIES.localRateLimitShadowDescriptor, 'envoy') && until(opts.envoyVersion, ENVOY_BOUNDARIES.localRateLimitShadowNoShortCircuit, 'envoy')) {
    const shadowAt = descList.findIndex((d) => truthy(get(d, 'shadow_mode')));
    const enforcedDescriptors = descList.some((d) => !truthy(get(d, 'shadow_mode')));
    const always = get(cfg, 'always_consume_default_token_bucket');
    const defaultBucket = tb !== undefined && !(always === false || always === 'false');
    if (shadowAt >= 0 && (enforcedDescriptors || defaultBucket)) {
      out.push(
        MW314.finding(
          at(dKey, shadowAt, keyOf(descList[shadowAt], 'shadow_mode')),
          `shadow_mode descriptor next to ${enforcedDescriptors ? 'enforced descriptors' : 'the default token_bucket (always_consume_default_token_bucket defaults to true)'}: once this descriptor's bucket is empty, Envoy before ${ENVOY_BOUNDARIES.localRateLimitShadowNoShortCircuit} stops evaluating and allows the request, so the enforced limits are never consumed and never limit (fixed in Envoy ${ENVOY_BOUNDARIES.localRateLimitShadowNoShortCircuit}, where the same config starts limiting)`,
        ),
      );
    }
  }

  out.push(...retryAfterWithoutEffect(cfg, 'status'));

  // MW311: status code.
  const st = field(cfg, 'status');
  const code = st ? Number(get(st.value, 'code')) : NaN;
  if (st && Number.isFinite(code) && code > 0 && code < 400) {
    out.push(MW311.finding(at(st.key, keyOf(st.value, 'code')), `status ${code} is below 400: Envoy replies 429 instead`, 'Use a 4xx/5xx code (429 or 503).'));
  }
  return out;
}
