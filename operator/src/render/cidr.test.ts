import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, parseCidr } from './cidr.js';

test('CIDRs normalise to their network, as Envoy prints masked addresses', () => {
  const cases: Array<[string, string]> = [
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.7.9/20', '192.168.0.0/20'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8:abcd::1/32', '2001:db8::/32'],
    ['fe80::1:2:3:4/64', 'fe80::/64'],
    ['2001:0:0:1:0:0:0:1/128', '2001:0:0:1::1/128'],
    ['::1/128', '::1/128'],
  ];
  for (const [input, want] of cases) assert.equal(formatCidr(parseCidr(input)!), want, input);
});

test('malformed CIDRs are refused', () => {
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'fe80::/129', 'x/8']) assert.equal(parseCidr(bad), undefined, bad);
});
