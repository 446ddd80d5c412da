import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUEUE_POLL_TIMEOUT_MS } from '../protocol.ts';
import { RECENT_ENDS_WINDOW_MS, SeatQueue, UNKNOWN_TURN_MS, estimateWaitSeconds, type Room } from './queue.ts';

const room = (seats: Record<string, number>, global: number): Room => ({ seats: (c) => seats[c] ?? 0, global });

function setup() {
  const clock = { now: 1_000_000 };
  return { clock, queue: new SeatQueue(() => clock.now) };
}

test('places are first come, first served within a class, and a poll keeps the place', () => {
  const { queue } = setup();
  assert.equal(queue.touch('a', 'A'), true);
  assert.equal(queue.touch('b', 'A'), true);
  assert.equal(queue.touch('x', 'X'), true);
  assert.equal(queue.touch('a', 'A'), false, 'a reload polls with the same key');
  assert.deepEqual(
    ['a', 'b', 'x'].map((l) => queue.position(l)),
    [1, 2, 1],
  );
  assert.equal(queue.length('A'), 2);
  assert.equal(queue.position('nobody'), undefined);
  // One seat of A frees: only the head of A may take it.
  assert.equal(queue.mayGo('b', 'A', room({ A: 1 }, 10)), false);
  assert.equal(queue.mayGo('a', 'A', room({ A: 1 }, 10)), true);
  queue.remove('a');
  assert.equal(queue.position('b'), 1);
});

test('a full class does not hold back another class behind it, but free server slots go in order', () => {
  const { queue } = setup();
  queue.touch('a', 'A');
  queue.touch('x', 'X');
  queue.touch('y', 'X');
  // A has no free seat: x may go past it.
  assert.equal(queue.mayGo('x', 'X', room({ A: 0, X: 2 }, 1)), true);
  // A has a seat and there is one slot in all: a first, x waits.
  assert.equal(queue.mayGo('x', 'X', room({ A: 1, X: 2 }, 1)), false);
  assert.equal(queue.mayGo('a', 'A', room({ A: 1, X: 2 }, 1)), true);
  // Two slots: a and x go, y still waits for the third.
  assert.equal(queue.mayGo('y', 'X', room({ A: 1, X: 2 }, 2)), false);
  assert.equal(queue.mayGo('y', 'X', room({ A: 1, X: 2 }, 3)), true);
  // Someone not queued yet is judged as last in line.
  assert.equal(queue.mayGo('new', 'X', room({ A: 1, X: 3 }, 3)), false);
  assert.equal(queue.mayGo('new', 'X', room({ A: 1, X: 3 }, 4)), true);
});

test('a place not polled within 30 s is given up; polling keeps it', () => {
  const { clock, queue } = setup();
  queue.touch('a', 'A');
  queue.touch('b', 'A');
  clock.now += QUEUE_POLL_TIMEOUT_MS - 1000;
  queue.touch('b', 'A');
  clock.now += 2000;
  assert.deepEqual(queue.prune(), ['a']);
  assert.equal(queue.position('b'), 1);
  assert.deepEqual(queue.prune(), []);
  assert.equal(queue.since('b'), 1_000_000, 'the place dates from its first poll');
});

test('ending a class empties its places only', () => {
  const { queue } = setup();
  queue.touch('a', 'A');
  queue.touch('x', 'X');
  queue.touch('b', 'A');
  assert.equal(queue.removeClass('A'), 2);
  assert.equal(queue.size, 1);
  assert.equal(queue.position('x'), 1);
});

test('the wait is the earlier of the scheduled ends and the observed pace, plus a boot', () => {
  const now = 10_000_000;
  const min = 60_000;
  const cases: Array<[string, Parameters<typeof estimateWaitSeconds>[0], number]> = [
    [
      'nothing known: 5 minutes a place, plus the boot',
      { position: 2, now, scheduledEnds: [], recentEnds: [], bootMs: 3000 },
      (2 * UNKNOWN_TURN_MS + 3000) / 1000,
    ],
    [
      'scheduled only: the 2nd earliest end',
      { position: 2, now, scheduledEnds: [now + 50 * min, now + 10 * min, now + 20 * min], recentEnds: [], bootMs: 0 },
      20 * 60,
    ],
    [
      'seats free every 2 minutes, the last one a minute ago: 2 places = 3 more minutes',
      { position: 2, now, scheduledEnds: [now + 50 * min, now + 60 * min], recentEnds: [now - 5 * min, now - 3 * min, now - min], bootMs: 1000 },
      3 * 60 + 1,
    ],
    [
      'ends older than the window and a single end tell nothing',
      { position: 1, now, scheduledEnds: [now + 7 * min], recentEnds: [now - RECENT_ENDS_WINDOW_MS - 1, now - min], bootMs: 0 },
      7 * 60,
    ],
    ['overdue by the pace: just the boot', { position: 1, now, scheduledEnds: [], recentEnds: [now - 20 * min, now - 19 * min], bootMs: 2500 }, 3],
    ['ends in the past are not scheduled', { position: 1, now, scheduledEnds: [now - min], recentEnds: [], bootMs: 0 }, UNKNOWN_TURN_MS / 1000],
  ];
  for (const [name, input, seconds] of cases) assert.equal(estimateWaitSeconds(input), seconds, name);
});
