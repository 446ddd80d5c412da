import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, summary } from './stats.ts';

test('percentiles are nearest-rank over the sorted samples, whatever their order', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 10), 1);
  assert.deepEqual(xs, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'the samples are left as they were');
});

test('one slow sample in twenty is the p95; in a hundred it is only the p99', () => {
  const twenty = [...Array.from({ length: 19 }, () => 10), 500];
  assert.equal(percentile(twenty, 95), 10);
  assert.equal(percentile(twenty, 99), 500);
  const hundred = [...Array.from({ length: 99 }, () => 10), 500];
  assert.equal(percentile(hundred, 99), 10);
  assert.equal(percentile(hundred, 100), 500);
});

test('a summary has the count, the median, p95, p99 and the extremes', () => {
  assert.deepEqual(summary([3, 1, 2]), { n: 3, median: 2, p95: 3, p99: 3, min: 1, max: 3 });
  assert.ok(Number.isNaN(percentile([], 50)));
});
