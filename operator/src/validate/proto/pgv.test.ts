import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pgv from './pgv.js';
import { closest, isV2Type } from './decode.js';
import { editDistance } from '../../util/edit-distance.js';

const d = (s: number, n = 0) => ({ seconds: s, nanos: n });

test('numbers: const, ranges (inside, outside, one-sided), in, not_in', () => {
  assert.deepEqual(pgv.checkNumber({ gt: 0 }, 0), ['value must be greater than 0']);
  assert.deepEqual(pgv.checkNumber({ gte: 1 }, 0), ['value must be greater than or equal to 1']);
  assert.deepEqual(pgv.checkNumber({ lt: 10 }, 10), ['value must be less than 10']);
  assert.deepEqual(pgv.checkNumber({ lte: 100 }, 101), ['value must be less than or equal to 100']);
  assert.deepEqual(pgv.checkNumber({ gte: 0, lte: 100 }, 101), ['value must be inside range [0, 100]']);
  assert.deepEqual(pgv.checkNumber({ gt: 0, lt: 65536 }, 65536), ['value must be inside range (0, 65536)']);
  assert.deepEqual(pgv.checkNumber({ gt: 10, lt: 5 }, 7), ['value must be outside range [5, 10]']);
  assert.deepEqual(pgv.checkNumber({ gt: 10, lt: 5 }, 11), []);
  assert.deepEqual(pgv.checkNumber({ const: 3 }, 4), ['value must equal 3']);
  assert.deepEqual(pgv.checkNumber({ in: [1, 2] }, 3), ['value must be in list [1, 2]']);
  assert.deepEqual(pgv.checkNumber({ notIn: [0] }, 0), ['value must not be in list [0]']);
  assert.deepEqual(pgv.checkNumber({ gt: 5, ignoreEmpty: true }, 0), []);
  assert.deepEqual(pgv.checkBool({ const: true }, false), ['value must equal true']);
  assert.deepEqual(pgv.checkEnum({ definedOnly: true }, 9, false), ['value must be one of the defined enum values']);
});

test('strings: lengths in characters and bytes, pattern, affixes, lists, well-known', () => {
  assert.deepEqual(pgv.checkString({ minLen: 1 }, ''), ['value length must be at least 1 characters']);
  assert.deepEqual(pgv.checkString({ maxLen: 2 }, 'héé'), ['value length must be at most 2 characters']);
  assert.deepEqual(pgv.checkString({ maxBytes: 4 }, 'héé'), ['value length must be at most 4 bytes']);
  assert.deepEqual(pgv.checkString({ minLen: 1, ignoreEmpty: true }, ''), []);
  assert.deepEqual(pgv.checkString({ pattern: '^[a-z]+$' }, 'A'), ['value does not match regex pattern "^[a-z]+$"']);
  assert.deepEqual(pgv.checkString({ prefix: '/' }, 'a'), ['value does not have prefix "/"']);
  assert.deepEqual(pgv.checkString({ in: ['a', 'b'] }, 'c'), ['value must be in list ["a", "b"]']);
  assert.deepEqual(pgv.checkString({ wellKnownRegex: 'HTTP_HEADER_NAME' }, 'x-ok'), []);
  assert.equal(pgv.checkString({ wellKnownRegex: 'HTTP_HEADER_NAME' }, 'bad header').length, 1);
  assert.deepEqual(pgv.checkString({ wellKnownRegex: 'HTTP_HEADER_NAME', strict: false }, 'bad header'), []);
  assert.equal(pgv.checkString({ wellKnownRegex: 'HTTP_HEADER_VALUE', strict: false }, 'a\nb').length, 1);
  assert.deepEqual(pgv.checkString({ hostname: true }, 'a.example.com'), []);
  assert.deepEqual(pgv.checkString({ address: true }, '::1'), []);
  assert.deepEqual(pgv.checkString({ ipv4: true }, '10.0.0.256'), ['value must be a valid IPv4 address']);
  assert.equal(pgv.isIPv6('2001:db8::1'), true);
  assert.equal(pgv.isIPv6('2001:db8:::1'), false);
});

test('durations, timestamps, repeated, map, any', () => {
  assert.deepEqual(pgv.checkDuration({ gt: {} }, 0n), ['value must be greater than 0s']);
  assert.deepEqual(pgv.checkDuration({ gte: d(0, 50_000_000) }, 10_000_000n), ['value must be greater than or equal to 0.05s']);
  assert.deepEqual(pgv.checkDuration({ lt: d(1) }, 1_000_000_000n), ['value must be less than 1s']);
  assert.deepEqual(pgv.checkDuration({ const: d(2) }, 1n), ['value must equal 2s']);
  assert.deepEqual(pgv.checkTimestamp({ gtNow: true }, 0n, 10n), ['value must be greater than now']);
  assert.deepEqual(pgv.checkRepeatedCount({ minItems: 1 }, 0), ['value must contain at least 1 item(s)']);
  assert.deepEqual(pgv.checkRepeatedCount({ maxItems: 2 }, 3), ['value must contain no more than 2 item(s)']);
  assert.deepEqual(pgv.checkMapCount({ minPairs: 1 }, 0), ['value must contain at least 1 pair(s)']);
  assert.deepEqual(pgv.checkAny({ in: ['type.googleapis.com/a.B'] }, 'type.googleapis.com/c.D'), ['type URL must be in list [type.googleapis.com/a.B]']);
  assert.equal(pgv.formatDuration(-1_500_000_000n), '-1.5s');
});

test('suggestions and v2 detection', () => {
  assert.equal(editDistance('fill_intervall', 'fill_interval'), 1);
  assert.equal(closest('fill_intervall', ['max_tokens', 'tokens_per_fill', 'fill_interval']), 'fill_interval');
  assert.equal(closest('FillInterval', ['fill_interval']), 'fill_interval');
  assert.equal(closest('zzz', ['fill_interval']), undefined);
  assert.equal(isV2Type('envoy.config.filter.http.lua.v2.Lua'), true);
  assert.equal(isV2Type('envoy.api.v2.Cluster'), true);
  assert.equal(isV2Type('envoy.type.FractionalPercent'), true);
  assert.equal(isV2Type('envoy.config.cluster.v3.Cluster'), false);
  assert.equal(isV2Type('envoy.extensions.filters.http.golang.v3alpha.Config'), false);
  assert.equal(isV2Type('envoy.type.v3.FractionalPercent'), false);
});
