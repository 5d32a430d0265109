import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseBindAddress, parseDurationMs, parseServeFlags } from './flags.js';

test('defaults follow client-go and kubebuilder', () => {
  const f = parseServeFlags([], {});
  assert.equal(f.leaderElect, true);
  assert.deepEqual([f.leaseDurationMs, f.renewDeadlineMs, f.retryPeriodMs], [15_000, 10_000, 2_000]);
  assert.equal(f.healthProbeBindAddress, ':8081');
  assert.equal(f.leaderElectionNamespace, 'default');
  assert.equal(f.concurrency, 4);
  assert.equal(f.syncPeriodMs, 36_000_000);
});

test('shortened durations, Go-style booleans, rate limit service', () => {
  const f = parseServeFlags(['--lease-duration', '3s', '--renew-deadline=2s', '--retry-period', '500ms', '--leader-elect=false', '--rate-limit-service', 'rl.rls.svc:8081'], { POD_NAMESPACE: 'mw' });
  assert.deepEqual([f.leaseDurationMs, f.renewDeadlineMs, f.retryPeriodMs, f.leaderElect], [3000, 2000, 500, false]);
  assert.equal(f.leaderElectionNamespace, 'mw');
  assert.deepEqual(f.rateLimitService, { host: 'rl.rls.svc', port: 8081 });
});

test('inconsistent durations and bad values are refused', () => {
  assert.throws(() => parseServeFlags(['--lease-duration', '5s', '--renew-deadline', '10s'], {}), FlagError);
  assert.throws(() => parseServeFlags(['--concurrency', '0'], {}), FlagError);
  assert.throws(() => parseDurationMs('soon', 'x'), FlagError);
});

test('bind addresses', () => {
  assert.deepEqual(parseBindAddress(':8081'), { port: 8081 });
  assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.equal(parseBindAddress('0'), undefined);
});

test("rate limit ConfigMap namespaces: the listed ones plus the rate limit service host's, each once; none without either", () => {
  assert.deepEqual(parseServeFlags([], {}).rateLimitConfigNamespaces, []);
  assert.deepEqual(parseServeFlags(['--rate-limit-service', 'ratelimit.rls.svc.cluster.local:8081'], {}).rateLimitConfigNamespaces, ['rls']);
  const f = parseServeFlags(['--rate-limit-config-namespace', 'shared', '--rate-limit-config-namespace=rls', '--rate-limit-service', 'ratelimit.rls:8081'], {});
  assert.deepEqual(f.rateLimitConfigNamespaces, ['shared', 'rls']);
  // A short host names no namespace (the renderer then uses the SmartLimiter's own): nothing derived.
  assert.deepEqual(parseServeFlags(['--rate-limit-service', 'ratelimit:8081'], {}).rateLimitConfigNamespaces, []);
  assert.throws(() => parseServeFlags(['--rate-limit-config-namespace', 'Not_A_Namespace'], {}), /--rate-limit-config-namespace must be a namespace name .*"Not_A_Namespace"/);
});

test("rate limit ConfigMap names: the renderer's default unless given, each once", () => {
  assert.deepEqual(parseServeFlags([], {}).rateLimitConfigNames, ['ratelimit-config']);
  assert.deepEqual(parseServeFlags(['--rate-limit-config-name=a', '--rate-limit-config-name', 'b.canary', '--rate-limit-config-name=a'], {}).rateLimitConfigNames, ['a', 'b.canary']);
  assert.throws(() => parseServeFlags(['--rate-limit-config-name', 'Bad/Name'], {}), /--rate-limit-config-name must be a ConfigMap name .*"Bad\/Name"/);
});
