import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { descriptorTree, formatRlsConfig, mergeRlsConfig } from './rls.js';

const mine = descriptorTree([
  { entries: [{ key: 'generic_key', value: 'shop/api/a' }], unit: 'minute', requestsPerUnit: 10, shadow: false },
  { entries: [{ key: 'generic_key', value: 'shop/api/b' }, { key: 'x-user' }], unit: 'second', requestsPerUnit: 1, shadow: true },
]);

test('descriptor paths become a tree; a key without value counts each value', () => {
  assert.deepEqual(mine[1], { key: 'generic_key', value: 'shop/api/b', descriptors: [{ key: 'x-user', rate_limit: { unit: 'second', requests_per_unit: 1 }, shadow_mode: true }] });
});

test('merging replaces only the owner’s descriptors and keeps everyone else’s', () => {
  const existing = formatRlsConfig({
    domain: 'meshwarden',
    descriptors: [
      { key: 'generic_key', value: 'shop/api/old', rate_limit: { unit: 'hour', requests_per_unit: 1 } },
      { key: 'generic_key', value: 'shop/api-v2/x', rate_limit: { unit: 'hour', requests_per_unit: 2 } },
      { key: 'remote_address', rate_limit: { unit: 'second', requests_per_unit: 3 } },
    ],
  });
  const merged = mergeRlsConfig(existing, 'meshwarden', 'shop/api/', mine);
  assert.deepEqual(
    merged.descriptors.map((d) => `${d.key}=${d.value ?? ''}`),
    ['generic_key=shop/api-v2/x', 'generic_key=shop/api/a', 'generic_key=shop/api/b', 'remote_address='],
  );
  const removed = mergeRlsConfig(formatRlsConfig(merged), 'meshwarden', 'shop/api/', []);
  assert.deepEqual(
    removed.descriptors.map((d) => d.value ?? ''),
    ['shop/api-v2/x', ''],
  );
  assert.equal((parse(formatRlsConfig(removed)) as { domain: string }).domain, 'meshwarden');
});

test('a configuration of another domain is never overwritten', () => {
  assert.throws(() => mergeRlsConfig('domain: other\ndescriptors: []\n', 'meshwarden', 'a/b/', mine), /declares domain "other"/);
});
