import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeAnyWithAny, normalizeKeys, PatchPanic, protoMerge } from './merge.js';
import type { JsonObject } from './types.js';

describe('protoMerge (pkg/proto/merge semantics on JSON)', () => {
  it('appends repeated fields, merges messages, overwrites scalars', () => {
    const dst: JsonObject = { domains: ['a'], route: { cluster: 'c', timeout: '0s' }, name: 'x' };
    protoMerge(dst, { domains: ['b'], route: { timeout: '5s' }, name: 'y' });
    assert.deepEqual(dst, { domains: ['a', 'b'], route: { cluster: 'c', timeout: '5s' }, name: 'y' });
  });
  it('replaces lists with replaceList (MERGE_AND_REPLACE_LIST), recursively', () => {
    const dst: JsonObject = { domains: ['a'], retry_policy: { retriable_status_codes: [503] } };
    protoMerge(dst, { domains: ['b'], retry_policy: { retriable_status_codes: [429] } }, { replaceList: true });
    assert.deepEqual(dst, { domains: ['b'], retry_policy: { retriable_status_codes: [429] } });
  });
  it('replaces map entries instead of merging into them', () => {
    const dst: JsonObject = { typed_per_filter_config: { f: { '@type': 't', a: 1, b: 2 }, g: { '@type': 'u' } } };
    protoMerge(dst, { typed_per_filter_config: { f: { '@type': 't', a: 3 } } });
    assert.deepEqual(dst, { typed_per_filter_config: { f: { '@type': 't', a: 3 }, g: { '@type': 'u' } } });
  });
  it('replaces a nested Any and clears the other oneof member', () => {
    const dst: JsonObject = { rds: { route_config_name: '80' }, transport_socket: { name: 'tls', typed_config: { '@type': 'A', x: 1 } } };
    protoMerge(dst, { route_config: { name: 'inline' }, transport_socket: { typed_config: { '@type': 'A', y: 2 } } });
    assert.deepEqual(dst, { route_config: { name: 'inline' }, transport_socket: { name: 'tls', typed_config: { '@type': 'A', y: 2 } } });
  });
  it('TypedStruct value is a Struct: keys replace', () => {
    const dst: JsonObject = { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: 'x', value: { a: { b: 1, c: 2 } } };
    protoMerge(dst, { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', value: { a: { b: 3 } } });
    assert.deepEqual(dst['value'], { a: { b: 3 } });
  });
  it('mergeAnyWithAny panics on a type mismatch and merges the same type', () => {
    assert.throws(() => mergeAnyWithAny({ '@type': 'A' }, { '@type': 'B' }), PatchPanic);
    assert.deepEqual(mergeAnyWithAny({ '@type': 'A', l: [1] }, { '@type': 'A', l: [2] }), { '@type': 'A', l: [1, 2] });
  });
  it('keeps user-chosen map keys (Lua source_codes, RBAC policies)', () => {
    assert.deepEqual(normalizeKeys({ sourceCodes: { myScript: { inlineString: 'x' } }, rules: { policies: { allowAdmins: {} } } }), {
      source_codes: { myScript: { inline_string: 'x' } },
      rules: { policies: { allowAdmins: {} } },
    });
  });
  it('normalizes lowerCamelCase field names, not map keys or Struct contents', () => {
    const v = normalizeKeys({
      typedPerFilterConfig: { 'envoy.filters.http.x': { '@type': 't', tokenBucket: { maxTokens: 1 } } },
      typedConfig: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', typeUrl: 'u', value: { statPrefix: 'keep' } },
    });
    assert.deepEqual(v, {
      typed_per_filter_config: { 'envoy.filters.http.x': { '@type': 't', token_bucket: { max_tokens: 1 } } },
      typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: 'u', value: { statPrefix: 'keep' } },
    });
  });
});
