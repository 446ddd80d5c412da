import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coalescer } from './coalescer.ts';

function setup(intervalMs = 100) {
  const clock = { now: 0 };
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const calls: number[] = [];
  const resolvers: Array<() => void> = [];
  const c = new Coalescer<number>({
    intervalMs,
    same: (a, b) => a === b,
    clock: () => clock.now,
    timer: (fn, ms) => {
      const t = { at: clock.now + ms, fn, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    apply: (v) => {
      calls.push(v);
      return new Promise<void>((r) => resolvers.push(r));
    },
  });
  const advance = async (ms: number) => {
    clock.now += ms;
    for (const t of timers.splice(0)) {
      if (t.cancelled) continue;
      if (t.at <= clock.now) t.fn();
      else timers.push(t);
    }
    await new Promise((r) => setImmediate(r));
  };
  const finish = async () => {
    resolvers.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { c, calls, advance, finish };
}

test('a storm of values becomes one call in flight and the latest value after it', async () => {
  const { c, calls, advance, finish } = setup();
  for (let i = 1; i <= 50; i++) c.push(i);
  assert.deepEqual(calls, [1]);
  await finish();
  assert.deepEqual(calls, [1], 'waits out the interval');
  await advance(100);
  assert.deepEqual(calls, [1, 50]);
  await finish();
  assert.equal(c.applied, 2);
  assert.equal(c.coalesced, 48);
});

test('a value equal to the one applied is not sent again', async () => {
  const { c, calls, advance, finish } = setup();
  c.push(7);
  await finish();
  await advance(200);
  c.push(7);
  await advance(200);
  assert.deepEqual(calls, [7]);
  c.reset();
  c.push(7);
  assert.deepEqual(calls, [7, 7], 'after reset the same value is applied');
});

test('spaced values all go through; close drops what waits', async () => {
  const { c, calls, advance, finish } = setup(50);
  c.push(1);
  await finish();
  await advance(60);
  c.push(2);
  await finish();
  await advance(10);
  c.push(3);
  c.close();
  await advance(100);
  assert.deepEqual(calls, [1, 2]);
});
