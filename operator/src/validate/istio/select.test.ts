import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedProxyVersionRegexes, proxyMatches } from './select.js';
import { featuresFor, parseIstioVersion } from './versions.js';
import type { ConfigPatch, ProxyInfo } from './types.js';

const proxy: ProxyInfo = { kind: 'sidecar', istioVersion: '1.28.0', labels: {}, namespace: 'shop' };
const features = featuresFor(parseIstioVersion('1.28.0'));
const withVersion = (proxyVersion: string) => ({ applyTo: 'HTTP_FILTER', match: { proxy: { proxyVersion } } }) as unknown as ConfigPatch;

test('the proxyVersion regex cache stays bounded under a stream of unique values', () => {
  for (let i = 0; i < 14_000; i++) proxyMatches(withVersion(`^1\\.28\\.${i}$|^x${i}`), proxy, features);
  assert.ok(cachedProxyVersionRegexes() <= 128, `${cachedProxyVersionRegexes()} regexes cached`);
  // Long sources are compiled for their use only, and still decide the match.
  assert.equal(proxyMatches(withVersion(`^1\\.28(${'x?'.repeat(100)})`), proxy, features), true);
  assert.equal(proxyMatches(withVersion(`^1\\.29(${'x?'.repeat(100)})`), proxy, features), false);
  assert.ok(cachedProxyVersionRegexes() <= 128);
});

test('a cached regex gives the same verdict as a fresh one, valid or not', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(proxyMatches(withVersion('^1\\.28.*'), proxy, features), true);
    assert.equal(proxyMatches(withVersion('^1\\.27.*'), proxy, features), false);
    // An invalid regex: istiod has a nil regex and matches everything.
    assert.equal(proxyMatches(withVersion('^1\\.(28'), proxy, features), true);
  }
});
