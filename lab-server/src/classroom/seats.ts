/**
 * Class mode, the lab side (ClassroomLab): what the lab does for a class.
 * classroom/http.ts calls it for the instructor's buttons; http.ts's
 * session route calls `request` for a learner's 실행; main.ts wires it.
 *
 * - Seats instead of per-IP caps: a learner's session counts against its
 *   class's seats and the global session cap, never against
 *   LAB_MAX_SESSIONS_PER_CLIENT (a class of 30 behind one NAT: measured
 *   before, the 5th learner was refused). One session per learner; a second
 *   tab shares its cookie, a second browser gets a new token for the same
 *   session (SessionRegistry.rebind).
 * - The queue (queue.ts): no free seat or slot -> 202 {queued, position,
 *   etaSeconds}; the page asks again every 2-3 s and takes the seat on the
 *   first ask after it frees. Places not asked for in 30 s are dropped.
 * - Ready before they arrive: from PREWARM_LEAD_MS before a class starts
 *   (checked every CLASS_CHECK_MS from the store) or the instructor's start
 *   button, the warm pool's target is LAB_WARM_POOL plus the class's seats
 *   not yet taken, bounded by the free session slots; when the class ends it
 *   drops back and the surplus warm sandboxes are removed. The target is
 *   lowered *before* a learner's session takes a warm sandbox, so taking one
 *   does not start a replacement boot (pool.ts refills to the target).
 * - Time: a learner's session lives until the learner's end time (moved by
 *   `extended`); WARNING_BEFORE_MS before it, every attached terminal gets a
 *   `notice` (time-warning) and one terminal line, once per end time.
 * - Instructor actions end sessions with 'ended-by-instructor' (close 4015,
 *   the page says the instructor ended it) and wait (bounded) until Docker
 *   removed their sandboxes.
 * - Live state for the table: sync (never waits for Docker); CPU and memory
 *   come from a cache, refreshed in the background once older than
 *   STATS_MAX_AGE_MS, STATS_CONCURRENCY calls at once. One call takes
 *   1.6-2.1 s here (the engine samples twice, a second apart; measured with
 *   `docker stats --no-stream` under load 30), so in a class of 30 each
 *   figure is up to about 8 s old.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Lab, LabEvent } from '../lab.ts';
import type { Metrics } from '../metrics.ts';
import { NOTICE } from '../notices.ko.ts';
import type { NoticeMessage } from '../protocol.ts';
import type { SandboxStats, SandboxUsage } from '../sandbox/driver.ts';
import type { SandboxPool } from '../sandbox/pool.ts';
import { type Clock, type Session, hashToken } from '../sessions.ts';
import { SeatQueue, estimateWaitSeconds } from './queue.ts';
import type { ClassRecord, ClassroomLab, ClassroomStore, LearnerLive, LearnerRecord } from './types.ts';

/** The 10-minute warning of the issue. */
export const WARNING_BEFORE_MS = 10 * 60_000;
/** Warm sandboxes are booted this long before a class starts (30 boots, two at a time, take about a minute here). */
export const PREWARM_LEAD_MS = 5 * 60_000;
/** How often classes are read from the store (start and end times). */
export const CLASS_CHECK_MS = 10_000;
export const STATS_MAX_AGE_MS = 2000;
export const STATS_CONCURRENCY = 8;
/** Instructor actions wait at most this long for Docker to remove the sandboxes. */
const REMOVAL_WAIT_MS = 30_000;
/** Recent session ends kept per class for the wait estimate. */
const RECENT_ENDS = 10;

export type SeatAnswer =
  /** A session: `token` when the caller needs a (new) session cookie. */
  | { kind: 'session'; session: Session; token: string | undefined; result: 'created' | 'resumed' | 'rebound' }
  | { kind: 'queued'; position: number; etaSeconds: number }
  | { kind: 'class-ended'; detail: string }
  /** It was the learner's turn, but `allowCreate` said no (sessions churned: DELETE, POST, ...). */
  | { kind: 'rate-limited' };

export interface SeatsDeps {
  config: Config;
  lab: Lab;
  pool: SandboxPool;
  store: ClassroomStore;
  stats: SandboxStats;
  metrics: Metrics;
  log: Logger;
  clock?: Clock;
}

export class ClassroomSeats implements ClassroomLab {
  private readonly deps: SeatsDeps;
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly queue: SeatQueue;
  /** Classes whose warm sandboxes are wanted now, by id (seats can change: the record is refreshed). */
  private readonly prewarmed = new Map<string, ClassRecord>();
  /** Seats per class id, as last read from the store (the queue needs other classes' seats without waiting). */
  private readonly seatsOf = new Map<string, number>();
  /** The end time each learner was warned for (a new end time warns again). */
  private readonly warned = new Map<string, number>();
  private readonly recentEnds = new Map<string, number[]>();
  private bootMs = 3000;
  private readonly usage = new Map<string, { at: number; value: SandboxUsage | undefined }>();
  private statsInFlight = 0;
  private readonly listeners = new Set<() => void>();
  private timers: NodeJS.Timeout[] = [];

  constructor(deps: SeatsDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
    this.log = deps.log;
    this.queue = new SeatQueue(this.clock);
    deps.lab.onEvent((e) => this.onLabEvent(e));
  }

  /** Warnings and queue timeouts every second, class start and end times every CLASS_CHECK_MS. */
  start(): void {
    this.timers.push(setInterval(() => this.tick(), 1000));
    this.timers.push(setInterval(() => void this.checkClasses(), CLASS_CHECK_MS));
    for (const t of this.timers) t.unref();
    void this.checkClasses();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Runs `fn` on every change the instructor's live table shows (connect, disconnect, session, queue); returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.deps.metrics.classQueue.set(this.queue.size);
    for (const fn of this.listeners) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'class change listener failed');
      }
    }
  }

  // ------------------------------------------------------------ the learner's 실행

  /** The learner a `lab_learner` cookie names, or undefined. */
  learnerFor(token: string | undefined): Promise<LearnerRecord | undefined> {
    if (!token || token.length > 200) return Promise.resolve(undefined);
    return this.deps.store.learnerByTokenHash(hashToken(token));
  }

  /**
   * A learner asks for a session (POST /lab/session). `current` is the
   * session the request's own session cookie names, if any; `allowCreate`
   * is asked right before a new session (and its boot) would be made.
   */
  async request(learner: LearnerRecord, client: string, current: Session | undefined, allowCreate: () => boolean = () => true): Promise<SeatAnswer> {
    const { lab, metrics } = this.deps;
    const cls = await this.deps.store.getClass(learner.classId);
    const now = this.clock();
    if (!cls || cls.endedAt !== null || now >= learner.endsAt) {
      this.queue.remove(learner.id);
      metrics.classSessions.inc({ result: 'refused' });
      return { kind: 'class-ended', detail: !cls || cls.endedAt !== null ? 'the class has ended' : "the learner's time is over" };
    }
    this.seatsOf.set(cls.id, cls.seats);
    const existing = this.resume(learner, current);
    if (existing) return existing;
    const joined = this.queue.touch(learner.id, cls.id);
    const dropped = this.queue.prune();
    if (this.queue.mayGo(learner.id, cls.id, this.room())) {
      if (!allowCreate()) {
        // It churned sessions: its place goes, so it holds back no one behind it.
        this.queue.remove(learner.id);
        if (!joined) this.changed();
        metrics.classSessions.inc({ result: 'rate-limited' });
        return { kind: 'rate-limited' };
      }
      this.queue.remove(learner.id);
      // Lower the warm target first: the sandbox this session takes is not replaced.
      this.retarget(cls.id);
      const created = lab.createSession(client, { owner: { learnerId: learner.id, classId: cls.id }, endsAt: learner.endsAt });
      if (created.ok) {
        metrics.classSessions.inc({ result: 'created' });
        this.log.info({ learner: learner.id, class: cls.id, session: created.session.id }, 'learner session created');
        this.changed();
        return { kind: 'session', session: created.session, token: created.token, result: 'created' };
      }
      // Another tab of this learner got there first (both awaited the store): share its session.
      const raced = this.resume(learner, current);
      if (raced) return raced;
      // Shutting down, or the last slot went to someone else meanwhile: wait like everyone else.
      this.queue.touch(learner.id, cls.id);
      this.retarget();
    }
    const position = this.queue.position(learner.id) ?? 1;
    const etaSeconds = this.estimate(cls, position);
    metrics.classSessions.inc({ result: 'queued' });
    if (joined) this.log.info({ learner: learner.id, class: cls.id, position, etaSeconds }, 'learner queued: no free seat or sandbox');
    if (joined || dropped.length > 0) this.changed();
    return { kind: 'queued', position, etaSeconds };
  }

  /** The learner's live session, for this cookie (resumed) or another browser's (a new token for it). */
  private resume(learner: LearnerRecord, current: Session | undefined): SeatAnswer | undefined {
    const existing = this.deps.lab.sessions.forLearner(learner.id);
    if (!existing) return undefined;
    if (this.queue.remove(learner.id)) this.changed();
    const same = current === existing;
    this.deps.metrics.classSessions.inc({ result: same ? 'resumed' : 'rebound' });
    return {
      kind: 'session',
      session: existing,
      token: same ? undefined : this.deps.lab.sessions.rebind(existing),
      result: same ? 'resumed' : 'rebound',
    };
  }

  /** Free seats per class and free session slots, for the queue. */
  private room() {
    const live = this.liveByClass();
    const cap = this.deps.config.sessions.maxSessions;
    return {
      seats: (classId: string) => Math.max(0, (this.seatsOf.get(classId) ?? 0) - (live.get(classId) ?? 0)),
      global: Math.max(0, cap - this.deps.lab.sessions.size),
    };
  }

  private liveByClass(): Map<string, number> {
    const live = new Map<string, number>();
    for (const s of this.deps.lab.sessions.all()) if (s.owner) live.set(s.owner.classId, (live.get(s.owner.classId) ?? 0) + 1);
    return live;
  }

  private sessionsOf(classId: string): Session[] {
    return [...this.deps.lab.sessions.all()].filter((s) => s.owner?.classId === classId);
  }

  private estimate(cls: ClassRecord, position: number): number {
    const now = this.clock();
    const scheduledEnds = this.sessionsOf(cls.id).map((s) => s.expiresAt);
    // The class's seats are held until the class ends at the latest.
    while (scheduledEnds.length < cls.seats) scheduledEnds.push(cls.endsAt);
    return estimateWaitSeconds({ position, now, scheduledEnds, recentEnds: this.recentEnds.get(cls.id) ?? [], bootMs: this.bootMs });
  }

  // ------------------------------------------------------------ warm pool

  prewarm(cls: ClassRecord): void {
    if (cls.endedAt !== null || this.clock() >= cls.endsAt) return;
    const fresh = !this.prewarmed.has(cls.id);
    this.prewarmed.set(cls.id, cls);
    this.seatsOf.set(cls.id, cls.seats);
    if (fresh) {
      this.deps.metrics.classActions.inc({ action: 'prewarm' });
      this.log.info({ class: cls.id, seats: cls.seats }, 'class prewarm: growing the warm pool');
    }
    this.retarget();
  }

  /**
   * The warm pool's target: LAB_WARM_POOL plus each prewarmed class's seats
   * not taken (one fewer for `taking`, a session about to take one), bounded
   * by the free session slots. `trim` removes the surplus at once.
   */
  private retarget(taking?: string, trim = false): void {
    const base = this.deps.config.sandbox.warmPool;
    const live = this.liveByClass();
    let wanted = base;
    for (const cls of this.prewarmed.values()) {
      wanted += Math.max(0, cls.seats - (live.get(cls.id) ?? 0) - (cls.id === taking ? 1 : 0));
    }
    const slots = this.deps.config.sessions.maxSessions - this.deps.lab.sessions.size - (taking ? 1 : 0);
    const target = Math.min(wanted, Math.max(base, slots));
    this.deps.metrics.classWarmTarget.set(target);
    this.deps.pool.setTarget(target, trim);
  }

  /** Starts and stops prewarming from the classes' times. */
  private async checkClasses(): Promise<void> {
    let classes: ClassRecord[];
    try {
      classes = await this.deps.store.listClasses();
    } catch (err) {
      this.log.warn({ err }, 'class check: store unreadable');
      return;
    }
    const now = this.clock();
    let stopped = false;
    for (const cls of classes) {
      this.seatsOf.set(cls.id, cls.seats);
      const over = cls.endedAt !== null || now >= cls.endsAt;
      if (!over && now >= cls.startsAt - PREWARM_LEAD_MS) this.prewarm(cls);
      else if (over && this.prewarmed.delete(cls.id)) {
        this.log.info({ class: cls.id }, 'class over: warm pool back to LAB_WARM_POOL');
        stopped = true;
      }
    }
    this.retarget(undefined, stopped);
  }

  // ------------------------------------------------------------ time

  private tick(): void {
    const now = this.clock();
    for (const session of this.deps.lab.sessions.all()) {
      if (!session.owner || now < session.expiresAt - WARNING_BEFORE_MS || now >= session.expiresAt) continue;
      if (this.warned.get(session.owner.learnerId) === session.expiresAt) continue;
      this.warned.set(session.owner.learnerId, session.expiresAt);
      const minutes = Math.max(1, Math.round((session.expiresAt - now) / 60_000));
      this.notify(
        session,
        { type: 'notice', kind: 'time-warning', text: NOTICE.classTimeWarning(minutes), at: now, endsAt: session.expiresAt },
        true,
      );
    }
    if (this.queue.prune().length > 0) this.changed();
  }

  extended(learnerId: string, endsAt: number): void {
    const session = this.deps.lab.sessions.forLearner(learnerId);
    this.warned.delete(learnerId);
    if (!session) return;
    this.deps.lab.sessions.extend(session, endsAt);
    this.deps.metrics.classActions.inc({ action: 'extend' });
    this.log.info({ learner: learnerId, session: session.id, endsAt }, 'learner extended');
  }

  // ------------------------------------------------------------ instructor actions

  private notify(session: Session, notice: NoticeMessage, line: boolean): void {
    this.deps.metrics.classNotices.inc({ kind: notice.kind });
    this.deps.lab.notify(session, notice, line ? NOTICE.classNotice(notice.kind, notice.text) : undefined);
  }

  broadcast(classId: string, text: string): void {
    const at = this.clock();
    const sessions = this.sessionsOf(classId);
    for (const session of sessions) this.notify(session, { type: 'notice', kind: 'instructor', text, at }, true);
    this.deps.metrics.classActions.inc({ action: 'message' });
    this.log.info({ class: classId, sessions: sessions.length, chars: text.length }, 'instructor message sent');
  }

  resetLearner(learnerId: string): Promise<void> {
    return this.endLearnerAs(learnerId, 'reset', 'reset by the instructor');
  }

  endLearner(learnerId: string): Promise<void> {
    return this.endLearnerAs(learnerId, 'end', 'ended by the instructor');
  }

  private async endLearnerAs(learnerId: string, action: 'reset' | 'end', detail: string): Promise<void> {
    this.deps.metrics.classActions.inc({ action });
    const queued = this.queue.remove(learnerId);
    const session = this.deps.lab.sessions.forLearner(learnerId);
    if (!session) {
      if (queued) this.changed();
      return;
    }
    this.log.info({ learner: learnerId, session: session.id, action }, `learner session ${action === 'reset' ? 'reset' : 'ended'} by the instructor`);
    await this.endAndWait([session], detail);
  }

  async endClass(classId: string): Promise<void> {
    this.deps.metrics.classActions.inc({ action: 'end-class' });
    const removed = this.queue.removeClass(classId);
    const sessions = this.sessionsOf(classId);
    const at = this.clock();
    for (const session of sessions) this.notify(session, { type: 'notice', kind: 'ended', text: NOTICE.classEndedText, at }, false);
    this.prewarmed.delete(classId);
    this.log.info({ class: classId, sessions: sessions.length, queued: removed }, 'class ended by the instructor');
    await this.endAndWait(sessions, 'the class was ended');
    this.retarget(undefined, true);
    this.changed();
  }

  /** Ends the sessions and waits (bounded) until their sandboxes are removed. */
  private async endAndWait(sessions: Session[], detail: string): Promise<void> {
    const { lab, pool } = this.deps;
    const sandboxes = sessions.map((s) => lab.sandboxOf(s)?.id).filter((id): id is string => id !== undefined);
    for (const session of sessions) lab.endSession(session, 'ended-by-instructor', detail);
    const deadline = Date.now() + REMOVAL_WAIT_MS;
    while (sandboxes.some((id) => pool.ownedIds().has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  // ------------------------------------------------------------ live state

  live(learnerId: string): LearnerLive {
    const { lab } = this.deps;
    const session = lab.sessions.forLearner(learnerId);
    const position = this.queue.position(learnerId) ?? null;
    const sandbox = session ? lab.sandboxOf(session) : undefined;
    const usage = sandbox ? this.usageOf(sandbox) : undefined;
    return {
      connected: session ? lab.isConnected(session) : false,
      state: session ? (lab.phaseOf(session) ?? 'none') : position !== null ? 'queued' : 'none',
      queuePosition: session ? null : position,
      cpuPercent: usage?.cpuPercent ?? null,
      memoryBytes: usage?.memoryBytes ?? null,
    };
  }

  /** The cached usage; starts a refresh when it is older than STATS_MAX_AGE_MS and a call slot is free. */
  private usageOf(sandbox: Parameters<SandboxStats['stats']>[0]): SandboxUsage | undefined {
    const now = this.clock();
    const cached = this.usage.get(sandbox.id);
    if ((!cached || now - cached.at >= STATS_MAX_AGE_MS) && this.statsInFlight < STATS_CONCURRENCY) {
      // Marked fresh now, so the calls in flight stay one per sandbox.
      this.usage.set(sandbox.id, { at: now, value: cached?.value });
      this.statsInFlight++;
      this.deps.stats
        .stats(sandbox)
        .then(
          (value) => this.usage.has(sandbox.id) && this.usage.set(sandbox.id, { at: this.clock(), value }),
          (err) => this.log.debug({ err: String(err), sandbox: sandbox.id }, 'sandbox stats failed'),
        )
        .finally(() => this.statsInFlight--);
    }
    return cached?.value;
  }

  // ------------------------------------------------------------ lab events

  private onLabEvent(e: LabEvent): void {
    const owner = e.session.owner;
    if (!owner) {
      // An anonymous session ending frees a slot a queued learner may take.
      if (e.type === 'ended' && this.queue.size > 0) this.changed();
      return;
    }
    switch (e.type) {
      case 'created':
        return;
      case 'ended': {
        const ends = this.recentEnds.get(owner.classId) ?? [];
        ends.push(this.clock());
        this.recentEnds.set(owner.classId, ends.slice(-RECENT_ENDS));
        this.warned.delete(owner.learnerId);
        const assigned = new Set([...this.deps.lab.sessions.all()].map((s) => this.deps.lab.sandboxOf(s)?.id));
        for (const id of this.usage.keys()) if (!assigned.has(id)) this.usage.delete(id);
        this.retarget();
        this.changed();
        return;
      }
      case 'connected': {
        const sandbox = this.deps.lab.sandboxOf(e.session);
        if (sandbox) this.bootMs = Math.round(0.7 * this.bootMs + 0.3 * sandbox.bootMs);
        this.changed();
        return;
      }
      case 'disconnected':
        this.changed();
        return;
      case 'terminal':
        return;
      default:
        e satisfies never;
    }
  }
}
