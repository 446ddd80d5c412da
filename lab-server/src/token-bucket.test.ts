import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.ts';

test('allows a burst, then refuses until tokens refill at the rate', () => {
  let now = 1000;
  const bucket = new TokenBucket(10, 5, () => now);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(), true, `burst message ${i}`);
  assert.equal(bucket.take(), false);
  now += 100; // 0.1 s * 10/s = 1 token
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
});

test('never holds more than the burst, however long it idles', () => {
  let now = 0;
  const bucket = new TokenBucket(100, 3, () => now);
  now += 60_000;
  let granted = 0;
  while (bucket.take()) granted++;
  assert.equal(granted, 3);
});

test('a steady stream at the rate is never refused', () => {
  let now = 0;
  const bucket = new TokenBucket(50, 1, () => now);
  for (let i = 0; i < 1000; i++) {
    now += 20;
    assert.equal(bucket.take(), true);
  }
});

test('a clock going backwards does not mint tokens', () => {
  let now = 10_000;
  const bucket = new TokenBucket(10, 2, () => now);
  bucket.take();
  bucket.take();
  now -= 5_000;
  assert.equal(bucket.take(), false);
});
