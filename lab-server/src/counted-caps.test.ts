import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountedCaps } from './counted-caps.ts';

test('per-key and global caps; released places can be taken again', () => {
  const caps = new CountedCaps(3, 2);
  assert.deepEqual(caps.take('a'), { ok: true });
  assert.deepEqual(caps.take('a'), { ok: true });
  assert.deepEqual(caps.take('a'), { ok: false, reason: 'key-cap' });
  assert.deepEqual(caps.take('b'), { ok: true });
  assert.deepEqual(caps.take('c'), { ok: false, reason: 'global-cap' });
  assert.equal(caps.size, 3);
  caps.release('a');
  assert.equal(caps.count('a'), 1);
  assert.deepEqual(caps.take('c'), { ok: true });
});

test('releasing more than was taken changes nothing', () => {
  const caps = new CountedCaps(10, 10);
  caps.release('x');
  assert.equal(caps.size, 0);
  caps.take('x');
  caps.release('x');
  caps.release('x');
  assert.equal(caps.size, 0);
  assert.equal(caps.count('x'), 0);
});

test('a key may be given its own cap (a trusted proxy: only the global cap)', () => {
  const caps = new CountedCaps(3, 1);
  assert.deepEqual(caps.take('proxy', Infinity), { ok: true });
  assert.deepEqual(caps.take('proxy', Infinity), { ok: true });
  assert.deepEqual(caps.take('a'), { ok: true });
  assert.deepEqual(caps.take('proxy', Infinity), { ok: false, reason: 'global-cap' });
});
