import { test } from 'node:test';
import assert from 'node:assert/strict';
import RE2 from 're2';
import { planDescriptors, quoteRe2 } from './descriptors.js';
import type { Limit } from '../api/types.gen.js';

/** Envoy's safe_regex matches the whole value. */
const fullMatch = (regex: string, value: string) => new RE2(`^(?:${regex})$`).test(value);

function pathRegex(limit: Limit): string {
  const action = planDescriptors(limit, 'id')[0]!.actions[1] as { header_value_match: { headers: Array<{ string_match: { safe_regex: { regex: string } } }> } };
  return action.header_value_match.headers[0]!.string_match.safe_regex.regex;
}

test('an exact path matches with or without a query string, and nothing longer', () => {
  const re = pathRegex({ name: 'l', rate: { requests: 1, per: '1s' }, match: { path: { exact: '/a.b' } } });
  assert.ok(fullMatch(re, '/a.b'));
  assert.ok(fullMatch(re, '/a.b?x=1'));
  assert.ok(!fullMatch(re, '/a.b/c'));
  assert.ok(!fullMatch(re, '/aXb'), 'the dot is literal');
});

test('a path regex matches the path without its query string', () => {
  const re = pathRegex({ name: 'l', rate: { requests: 1, per: '1s' }, match: { path: { regex: '/users/[0-9]+' } } });
  assert.ok(fullMatch(re, '/users/42?verbose=1'));
  assert.ok(!fullMatch(re, '/users/abc'));
});

test('quoteRe2 quotes every RE2 metacharacter', () => {
  const s = 'a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o';
  assert.ok(fullMatch(quoteRe2(s), s));
});

test('every variant opens with the generic key, conditions in order', () => {
  const [v] = planDescriptors({ name: 'l', rate: { requests: 1, per: '1s' }, match: { methods: ['GET'], headers: [{ name: 'x', exact: 'y' }] } }, 'ns/cr/l');
  assert.deepEqual(v!.entries, [
    { key: 'generic_key', value: 'ns/cr/l' },
    { key: 'header_match', value: 'method' },
    { key: 'header_match', value: 'header-0' },
  ]);
});

test('CIDRs and a distinct header multiply into variants; absent headers share a bucket', () => {
  const variants = planDescriptors({ name: 'l', rate: { requests: 1, per: '1s' }, match: { sourceCIDRs: ['10.0.0.0/8', '192.168.0.0/16'] }, distinctBy: { header: 'X-User' } }, 'id');
  assert.equal(variants.length, 4);
  assert.deepEqual(
    variants.map((v) => v.entries.map((e) => `${e.key}=${e.value ?? '*'}`).join(',')),
    [
      'generic_key=id,masked_remote_address=10.0.0.0/8,x-user=*',
      'generic_key=id,masked_remote_address=10.0.0.0/8,header_match=absent',
      'generic_key=id,masked_remote_address=192.168.0.0/16,x-user=*',
      'generic_key=id,masked_remote_address=192.168.0.0/16,header_match=absent',
    ],
  );
});

test('distinct by source IP uses the remote address, which every request has', () => {
  const variants = planDescriptors({ name: 'l', rate: { requests: 1, per: '1s' }, distinctBy: { sourceIP: true } }, 'id');
  assert.equal(variants.length, 1);
  assert.deepEqual(variants[0]!.actions[1], { remote_address: {} });
});
