/**
 * The versions at which behaviour meshwarden models changes, named, each with its source. Rules
 * test them with `since(version, BOUNDARY)` / `until(...)` (table.ts), which compare by the
 * version table's order: a boundary stays right when a newer row is added, where equality to
 * a literal ("=== the newest") would silently go wrong. A boundary must be a row of the table.
 */
import type { EnvoyMinor } from './table.js';

/** Envoy releases from which the semantic layer (MW3xx) judges a config differently. */
export const ENVOY_BOUNDARIES = {
  /**
   * A token bucket with `max_tokens: 0` (always empty) is accepted, and its `fill_interval` is
   * no longer held to the 50 ms minimum (tested: 1.36.2 rejects, 1.39.3 accepts; 1.37/1.38
   * untested, treated like 1.36).
   */
  emptyTokenBucket: '1.39',
  /** The global rate limit filter accepts `limit` in its own `rate_limits` (tested: 1.36.2 rejects, 1.39.3 accepts). */
  globalFilterRateLimitLimit: '1.39',
} as const satisfies Record<string, EnvoyMinor>;
