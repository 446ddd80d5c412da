/**
 * The class queue: who waits for a seat or a sandbox, in which order, and
 * roughly how long. Pure (an injected clock, no timers, no lab), so the
 * order and the estimate are table-tested (queue.test.ts); seats.ts owns one
 * and asks it on every session request.
 *
 * - One FIFO over every class, keyed by learner id: a reload or a second tab
 *   polls with the same key and keeps its place. A place not polled for
 *   QUEUE_POLL_TIMEOUT_MS (30 s; the page polls every 2-3 s) is given up,
 *   so a closed laptop does not hold the line.
 * - Two limits decide who may go: the learner's class must have a free seat
 *   for it (places of the same class ahead of it take the free seats first:
 *   FIFO per class), and the server must have a free session slot for it
 *   (earlier places that could go now, of any class, take the free slots
 *   first: FIFO over all). A place whose class is full never blocks another
 *   class's learner behind it.
 * - Position is the place among the class's waiting learners (1 = next),
 *   what the learner and the instructor see.
 *
 * Estimated wait (estimateWaitSeconds): a seat frees when a session ends,
 * so the estimate is the earlier of two readings plus one boot:
 *   scheduled  the position-th earliest known end (learner end times, the
 *              class's end) of the sessions holding the seats: an upper
 *              bound when nobody leaves early;
 *   observed   position × the mean gap between the class's recent session
 *              ends (at least two within the last 30 minutes), minus the
 *              time since the last one: how fast seats have been freeing;
 *   boot       the recent mean boot time (the warm pool is empty by then).
 * With neither reading, position × 5 minutes (a guess, said as such in
 * the page's "약 n분").
 */
import { QUEUE_POLL_TIMEOUT_MS } from '../protocol.ts';
import type { Clock } from '../sessions.ts';

interface Place {
  learnerId: string;
  classId: string;
  since: number;
  lastPoll: number;
}

/** Free seats per class (by id) and free session slots in all. */
export interface Room {
  seats(classId: string): number;
  global: number;
}

export class SeatQueue {
  private readonly places: Place[] = [];
  private readonly clock: Clock;
  private readonly pollTimeoutMs: number;

  constructor(clock: Clock = Date.now, pollTimeoutMs = QUEUE_POLL_TIMEOUT_MS) {
    this.clock = clock;
    this.pollTimeoutMs = pollTimeoutMs;
  }

  /** Learners waiting, all classes. */
  get size(): number {
    return this.places.length;
  }

  /** Learners of `classId` waiting. */
  length(classId: string): number {
    return this.places.filter((p) => p.classId === classId).length;
  }

  /** The learner asked again: joins at the end, or keeps its place and is known to be there. Returns true when it joined. */
  touch(learnerId: string, classId: string): boolean {
    const now = this.clock();
    const place = this.places.find((p) => p.learnerId === learnerId);
    if (place) {
      place.lastPoll = now;
      return false;
    }
    this.places.push({ learnerId, classId, since: now, lastPoll: now });
    return true;
  }

  /** Drops places not polled within the timeout; returns the learners dropped. */
  prune(): string[] {
    const cutoff = this.clock() - this.pollTimeoutMs;
    const dropped: string[] = [];
    for (let i = this.places.length - 1; i >= 0; i--) {
      if (this.places[i]!.lastPoll < cutoff) dropped.unshift(...this.places.splice(i, 1).map((p) => p.learnerId));
    }
    return dropped;
  }

  remove(learnerId: string): boolean {
    const i = this.places.findIndex((p) => p.learnerId === learnerId);
    if (i < 0) return false;
    this.places.splice(i, 1);
    return true;
  }

  /** Removes every place of the class (it ended); returns how many. */
  removeClass(classId: string): number {
    const before = this.places.length;
    for (let i = this.places.length - 1; i >= 0; i--) if (this.places[i]!.classId === classId) this.places.splice(i, 1);
    return before - this.places.length;
  }

  /** 1-based place among the class's waiting learners, or undefined when not waiting. */
  position(learnerId: string): number | undefined {
    const place = this.places.find((p) => p.learnerId === learnerId);
    if (!place) return undefined;
    let n = 0;
    for (const p of this.places) {
      if (p.classId === place.classId) n++;
      if (p === place) return n;
    }
    return undefined;
  }

  /** When the learner waited since (its first poll), or undefined. */
  since(learnerId: string): number | undefined {
    return this.places.find((p) => p.learnerId === learnerId)?.since;
  }

  /**
   * Whether the learner may take a seat now: its class has a free seat not
   * claimed by an earlier place of the class, and a free slot is left after
   * the earlier places (of any class) that may go now. A learner not in the
   * queue is judged as if it joined at the end.
   */
  mayGo(learnerId: string, classId: string, room: Room): boolean {
    const aheadInClass = new Map<string, number>();
    let slotsTaken = 0;
    for (const p of this.places) {
      if (p.learnerId === learnerId) break;
      const rank = aheadInClass.get(p.classId) ?? 0;
      aheadInClass.set(p.classId, rank + 1);
      if (rank < room.seats(p.classId)) slotsTaken++;
    }
    return (aheadInClass.get(classId) ?? 0) < room.seats(classId) && slotsTaken < room.global;
  }
}

export interface WaitEstimate {
  /** 1-based place in the class's queue. */
  position: number;
  now: number;
  /** When the sessions holding the class's seats will end at the latest (any order). */
  scheduledEnds: number[];
  /** When recent sessions of the class ended (any order). */
  recentEnds: number[];
  /** Recent mean boot time. */
  bootMs: number;
}

/** Recent ends older than this say nothing about the pace now. */
export const RECENT_ENDS_WINDOW_MS = 30 * 60_000;
/** The guess per place when nothing is known. */
export const UNKNOWN_TURN_MS = 5 * 60_000;

/** Estimated wait in whole seconds (the method is in this module's header). */
export function estimateWaitSeconds(e: WaitEstimate): number {
  const readings: number[] = [];
  const scheduled = e.scheduledEnds.filter((t) => t > e.now).sort((a, b) => a - b);
  if (scheduled.length >= e.position) readings.push(scheduled[e.position - 1]! - e.now);
  const recent = e.recentEnds.filter((t) => t <= e.now && t > e.now - RECENT_ENDS_WINDOW_MS).sort((a, b) => a - b);
  if (recent.length >= 2) {
    const gap = (recent.at(-1)! - recent[0]!) / (recent.length - 1);
    readings.push(Math.max(0, e.position * gap - (e.now - recent.at(-1)!)));
  }
  const wait = readings.length > 0 ? Math.min(...readings) : e.position * UNKNOWN_TURN_MS;
  return Math.ceil((wait + Math.max(0, e.bootMs)) / 1000);
}
