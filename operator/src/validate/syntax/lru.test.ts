import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from './lru.js';

test('Lru evicts the least recently used entry at the entry cap', () => {
  const c = new Lru<number>(2);
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1);
  c.set('c', 3);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.size, 2);
});

test('Lru is bounded by total key length; a key over the cap is not kept', () => {
  const c = new Lru<number>(1000, 10);
  c.set('aaaa', 1);
  c.set('bbbb', 2);
  c.set('cccc', 3); // 12 > 10: 'aaaa' goes
  assert.equal(c.get('aaaa'), undefined);
  assert.equal(c.keyLength, 8);
  c.set('x'.repeat(11), 4);
  assert.equal(c.get('x'.repeat(11)), undefined);
  assert.equal(c.keyLength, 8);
  c.set('bbbb', 5); // replacing does not double-count
  assert.equal(c.keyLength, 8);
  c.clear();
  assert.equal(c.keyLength, 0);
});
