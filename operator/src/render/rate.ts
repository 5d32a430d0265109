/**
 * Token bucket arithmetic. Envoy's bucket (envoy.type.v3.TokenBucket) starts full with
 * max_tokens and adds tokens_per_fill every fill_interval, so a window of `per` passes
 * `requests + burst` requests at most.
 */
import type { Limit } from '../api/types.gen.js';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a schema Duration (`500ms`, `1m`, `1d`). */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
}

/** The shortest schema Duration for `ms` (`90s`, `1m`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A protobuf JSON Duration (`60s`, `0.050s`). */
export function protoDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3)}s`;
}

export interface Bucket {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

export function tokenBucketJson(b: Bucket): Record<string, unknown> {
  return { max_tokens: b.maxTokens, tokens_per_fill: b.tokensPerFill, fill_interval: protoDuration(b.fillIntervalMs) };
}

/**
 * The bucket of one pod. For `average` the rate is split across `replicas` and rounded
 * down, so the pods together never exceed it; when the share is below one request per
 * window, each pod gets one request per a proportionally longer window instead.
 */
export function podBucket(limit: Limit, replicas: number): Bucket {
  const perMs = durationMs(limit.rate.per);
  const burst = limit.burst ?? 0;
  if (limit.strategy !== 'average') {
    return { maxTokens: limit.rate.requests + burst, tokensPerFill: limit.rate.requests, fillIntervalMs: perMs };
  }
  const n = Math.max(1, replicas);
  const share = Math.floor(limit.rate.requests / n);
  const burstShare = Math.floor(burst / n);
  if (share >= 1) return { maxTokens: share + burstShare, tokensPerFill: share, fillIntervalMs: perMs };
  return { maxTokens: 1 + burstShare, tokensPerFill: 1, fillIntervalMs: Math.ceil((perMs * n) / limit.rate.requests) };
}

/**
 * The default bucket of a selective limit: requests that match none of its descriptors
 * must pass, so it is never exhausted in practice (uint32 max tokens, refilled every second).
 */
export const unlimitedBucket: Bucket = { maxTokens: 4294967295, tokensPerFill: 4294967295, fillIntervalMs: 1000 };

/** envoyproxy/ratelimit's unit for a global limit's `per` (the schema allows only these). */
const rlsUnits: Record<string, 'second' | 'minute' | 'hour' | 'day'> = { '1s': 'second', '1m': 'minute', '1h': 'hour', '1d': 'day' };

export function rlsUnit(per: string): 'second' | 'minute' | 'hour' | 'day' {
  const unit = rlsUnits[per];
  if (unit === undefined) throw new Error(`a global limit's per must be 1s, 1m, 1h or 1d, not ${per}`);
  return unit;
}
