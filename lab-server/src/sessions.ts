/**
 * Sessions: who owns which sandbox, and for how long. Pure bookkeeping (no
 * Docker, no sockets, no timers) so caps and expiry are tested with an
 * injected clock; the Lab (lab.ts) calls sweep() on a timer and does the
 * tearing down.
 *
 * - A session is named by a random token (32 bytes from the CSPRNG, 256
 *   bits, base64url) that travels only in an HttpOnly cookie. The server
 *   keeps only its SHA-256: a lookup hashes the presented token, so string
 *   comparison timing leaks nothing, and logs and Docker labels use a short
 *   prefix of the hash (`id`), never the token.
 * - Lifetime: every session ends `maxLifetimeMs` after creation.
 * - Idle: while a WebSocket is attached the session is in use. When the last
 *   one closes, a grace period covers reloads and dropped networks, and
 *   after it the idle timeout runs; so a detached session ends
 *   `detachGraceMs + idleTimeoutMs` after its last socket closed.
 * - Unused: a session that has not attached a terminal ends ('unused', shown as idle) and
 *   frees its slot once it had no socket for `unusedTimeoutMs` (from its
 *   creation or its last socket; a socket waiting for the boot counts). Measured before: a
 *   POST alone held a slot for grace + idle (33 min), so 5 addresses could
 *   hold all 20 slots without ever opening a terminal.
 * - Caps: a global maximum and a per-client (IP) maximum of live sessions;
 *   the caller turns a refusal into HTTP 503 {error:'over-capacity'}.
 * - Class mode (issue 13): a learner's session names its `owner` (learner
 *   and class). It counts against the global cap but not the per-client one
 *   (a class of 30 behind one NAT), its seats are counted by
 *   classroom/seats.ts, there is at most one per learner (`forLearner`), and
 *   it lives until the learner's end time (`expiresAt` moves when the
 *   instructor extends it). A learner on a second browser gets another
 *   token for the same session (`rebind`).
 */
import { createHash, randomBytes } from 'node:crypto';

export type Clock = () => number;

export interface SessionLimits {
  maxSessions: number;
  maxPerClient: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  detachGraceMs: number;
  /** A session with no terminal attached by then ends; default: never. */
  unusedTimeoutMs?: number;
}

/** `unused`: created but never attached a terminal (LAB_UNUSED_TIMEOUT); the page sees it as idle. */
export type EndReason = 'idle' | 'unused' | 'expired' | 'ended' | 'sandbox-failed' | 'shutdown' | 'ended-by-instructor';

/** Class mode: whose seat a session holds. */
export interface SessionOwner {
  learnerId: string;
  classId: string;
}

export class Session {
  /** Short SHA-256 prefix of the token: safe for logs and Docker labels. */
  readonly id: string;
  readonly tokenHash: string;
  readonly client: string;
  readonly createdAt: number;
  /** Class mode: moves when the instructor extends the learner (SessionRegistry.extend). */
  expiresAt: number;
  readonly owner: SessionOwner | undefined;
  /** Every token hash that names this session (one, plus one per `rebind`). */
  readonly tokenHashes: string[];
  /** Number of WebSockets attached right now. */
  attached = 0;
  /** When `attached` last dropped to 0 (creation counts as a detach). */
  detachedAt: number;
  ended = false;
  /** A terminal was attached at least once. */
  used = false;

  constructor(tokenHash: string, client: string, now: number, lifetimeMs: number, owner?: SessionOwner) {
    this.tokenHash = tokenHash;
    this.tokenHashes = [tokenHash];
    this.id = tokenHash.slice(0, 16);
    this.client = client;
    this.createdAt = now;
    this.expiresAt = now + lifetimeMs;
    this.detachedAt = now;
    this.owner = owner;
  }
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** 256 bits from the CSPRNG; base64url so it is cookie-safe as is. */
export const newToken = (): string => randomBytes(32).toString('base64url');

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const TOMBSTONE_MS = 60 * 60_000;
const TOMBSTONES_MAX = 10_000;

export type CreateResult = { ok: true; token: string; session: Session } | { ok: false; reason: 'global-cap' | 'client-cap' };

export class SessionRegistry {
  private readonly byHash = new Map<string, Session>();
  private readonly byLearner = new Map<string, Session>();
  private readonly live = new Set<Session>();
  private readonly perClient = new Map<string, number>();
  /**
   * Why recent sessions ended, by token hash, so a page coming back with an
   * old cookie learns "idle" or "sandbox failed" (and shows it) instead of
   * "no such session" (which makes it silently start over; after a failed
   * boot that would loop). An hour, at most TOMBSTONES_MAX.
   */
  private readonly tombstones = new Map<string, { reason: EndReason; detail: string; at: number }>();
  private readonly limits: SessionLimits;
  private readonly clock: Clock;

  constructor(limits: SessionLimits, clock: Clock = Date.now) {
    this.limits = limits;
    this.clock = clock;
  }

  get size(): number {
    return this.live.size;
  }

  /** Every live session (class mode walks a class's sessions). */
  all(): IterableIterator<Session> {
    return this.live.values();
  }

  countFor(client: string): number {
    return this.perClient.get(client) ?? 0;
  }

  /** Capacity check and creation in one step (single-threaded, so no race between them). */
  create(client: string): CreateResult {
    if (this.live.size >= this.limits.maxSessions) return { ok: false, reason: 'global-cap' };
    if (this.countFor(client) >= this.limits.maxPerClient) return { ok: false, reason: 'client-cap' };
    const token = newToken();
    const session = new Session(hashToken(token), client, this.clock(), this.limits.maxLifetimeMs);
    this.byHash.set(session.tokenHash, session);
    this.live.add(session);
    this.perClient.set(client, this.countFor(client) + 1);
    return { ok: true, token, session };
  }

  /**
   * A class learner's session: global cap only (seats are the caller's), one
   * per learner (a live one is refused: resume or rebind it instead), alive
   * until `endsAt`.
   */
  createForLearner(client: string, owner: SessionOwner, endsAt: number): CreateResult {
    if (this.live.size >= this.limits.maxSessions || this.forLearner(owner.learnerId)) return { ok: false, reason: 'global-cap' };
    const token = newToken();
    const now = this.clock();
    const session = new Session(hashToken(token), client, now, Math.max(0, endsAt - now), { ...owner });
    this.byHash.set(session.tokenHash, session);
    this.byLearner.set(owner.learnerId, session);
    this.live.add(session);
    return { ok: true, token, session };
  }

  /** The learner's live session, if any. */
  forLearner(learnerId: string): Session | undefined {
    const session = this.byLearner.get(learnerId);
    return session && !session.ended ? session : undefined;
  }

  /** A further token for a learner's session (a second browser); the session stays the same. */
  rebind(session: Session): string {
    const token = newToken();
    const hash = hashToken(token);
    session.tokenHashes.push(hash);
    this.byHash.set(hash, session);
    return token;
  }

  /** The instructor moved a learner's end time. */
  extend(session: Session, endsAt: number): void {
    session.expiresAt = endsAt;
  }

  /** The live session for a presented token, or undefined (unknown, malformed or past a deadline). */
  lookup(token: string | undefined): Session | undefined {
    if (!token || !TOKEN_SHAPE.test(token)) return undefined;
    const session = this.byHash.get(hashToken(token));
    if (!session || session.ended || this.endReason(session) !== undefined) return undefined;
    return session;
  }

  /** A terminal of the session was attached (it is in real use, not just created). */
  markUsed(session: Session): void {
    session.used = true;
  }

  attach(session: Session): void {
    session.attached++;
  }

  detach(session: Session): void {
    session.attached = Math.max(0, session.attached - 1);
    if (session.attached === 0) session.detachedAt = this.clock();
  }

  /** When the session will end for idleness, if nothing attaches before. Undefined while attached. */
  idleDeadline(session: Session): number | undefined {
    if (session.attached > 0) return undefined;
    return session.detachedAt + this.limits.detachGraceMs + this.limits.idleTimeoutMs;
  }

  /** Why the session should end now, or undefined if it may live on. */
  endReason(session: Session): EndReason | undefined {
    const now = this.clock();
    if (now >= session.expiresAt) return 'expired';
    // No socket waiting (a hello may wait for a slow boot) and none for unusedTimeoutMs: unused.
    if (
      !session.used &&
      session.attached === 0 &&
      this.limits.unusedTimeoutMs !== undefined &&
      now >= session.detachedAt + this.limits.unusedTimeoutMs
    )
      return 'unused';
    const idle = this.idleDeadline(session);
    if (idle !== undefined && now >= idle) return 'idle';
    return undefined;
  }

  /** Removes and returns every session past a deadline (and forgets tombstones past theirs). */
  sweep(): Array<{ session: Session; reason: EndReason }> {
    const old = this.clock() - TOMBSTONE_MS;
    for (const [key, t] of this.tombstones) if (t.at < old) this.tombstones.delete(key);
    const out: Array<{ session: Session; reason: EndReason }> = [];
    for (const session of this.live) {
      const reason = this.endReason(session);
      if (reason) out.push({ session, reason });
    }
    for (const { session, reason } of out) this.remove(session, reason);
    return out;
  }

  /** Why the session of this token ended, if it did recently (not by `ended` or `shutdown`). */
  whyEnded(token: string | undefined): { reason: EndReason; detail: string } | undefined {
    return token ? this.tombstones.get(hashToken(token)) : undefined;
  }

  remove(session: Session, reason?: EndReason, detail: string | undefined = reason): void {
    if (!this.live.delete(session)) return;
    for (const hash of session.tokenHashes) {
      this.byHash.delete(hash);
      if (reason && detail && reason !== 'ended' && reason !== 'shutdown') {
        this.tombstones.set(hash, { reason, detail, at: this.clock() });
        // Bounded: the oldest goes first (Map keeps insertion order).
        if (this.tombstones.size > TOMBSTONES_MAX) this.tombstones.delete(this.tombstones.keys().next().value!);
      }
    }
    session.ended = true;
    if (session.owner) {
      if (this.byLearner.get(session.owner.learnerId) === session) this.byLearner.delete(session.owner.learnerId);
      return;
    }
    const left = this.countFor(session.client) - 1;
    if (left > 0) this.perClient.set(session.client, left);
    else this.perClient.delete(session.client);
  }
}
