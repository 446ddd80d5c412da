import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, defaultBackoff, slowBackoff } from './backoff.ts';

test('window doubles per attempt and stops at the cap', () => {
  const top = (attempt: number) => backoffDelay(attempt, defaultBackoff, () => 0.999999);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(top), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(top(1000), 30000);
});

test('jitter stays within [half, full] of the window', () => {
  for (let attempt = 0; attempt < 10; attempt++) {
    const window = Math.min(defaultBackoff.maxMs, defaultBackoff.baseMs * 2 ** attempt);
    assert.equal(
      backoffDelay(attempt, defaultBackoff, () => 0),
      window / 2,
    );
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt);
      assert.ok(d >= window / 2 && d <= window, `${d} outside [${window / 2}, ${window}]`);
    }
  }
});

test('random delays for the same attempt differ (pages spread out)', () => {
  const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(5)));
  assert.ok(seen.size > 10);
});

test('slow schedule starts at seconds, not milliseconds', () => {
  assert.ok(backoffDelay(0, slowBackoff, () => 0) >= 2500);
  assert.equal(
    backoffDelay(20, slowBackoff, () => 0.999999),
    60000,
  );
});
