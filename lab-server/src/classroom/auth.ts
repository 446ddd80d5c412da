/**
 * The instructor's login: one admin token for the server, exchanged at
 * POST CLASS_API.login for an HttpOnly cookie (ADMIN_COOKIE, Path=/instructor)
 * that names an admin session. The token never travels in a URL and is never
 * stored: only its sha256 is (the store's meta table).
 *
 * - Which token: LAB_ADMIN_TOKEN when set (its hash replaces the stored one);
 *   else the one stored; else a new one (32 bytes from the CSPRNG) is made on
 *   this first start and printed once to the log. Lost it? Set LAB_ADMIN_TOKEN.
 * - Compared in constant time (sha256 of the attempt against the stored hash
 *   with timingSafeEqual: equal lengths whatever was typed).
 * - Attempts are rate-limited per client by the route (classroom/http.ts,
 *   LAB_LOGIN_RATE per minute): a generated 256-bit token cannot be guessed
 *   anyway, but a weak LAB_ADMIN_TOKEN (16 characters is the floor) should
 *   not be tried at wire speed; each attempt is counted and logged there.
 * - Admin sessions live in memory (at most MAX_SESSIONS, SESSION_TTL_MS each):
 *   a restart means logging in again. Logging out ends the session and tells
 *   `onEnd` listeners (the live feeds of that login close).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClassroomStore } from './types.ts';

export const SESSION_TTL_MS = 12 * 3_600_000;
export const MAX_SESSIONS = 64;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** Tokens this module makes: 32 random bytes, base64url (43 characters). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export type LoginResult = { ok: true; cookie: string; expiresAt: number } | { ok: false; reason: 'bad-token' };

export class AdminAuth {
  private readonly tokenHash: Buffer;
  /** sha256 of a session cookie -> its end. Insertion order = age (the oldest is dropped first). */
  private readonly sessions = new Map<string, number>();
  private readonly listeners = new Set<(sessionId: string) => void>();
  private readonly clock: () => number;

  private constructor(tokenHash: string, clock: () => number) {
    this.tokenHash = Buffer.from(tokenHash, 'hex');
    this.clock = clock;
  }

  /**
   * The auth of this server: LAB_ADMIN_TOKEN (`configured`), else the stored
   * hash, else a new token, logged once (the only place it ever appears).
   */
  static async open(
    store: ClassroomStore,
    configured: string | undefined,
    log: Logger,
    clock: () => number = Date.now,
    stderr: { write(text: string): unknown } = process.stderr,
  ): Promise<AdminAuth> {
    if (configured) {
      const hash = sha256(configured);
      if ((await store.adminTokenHash()) !== hash) await store.setAdminTokenHash(hash);
      log.info('instructor login: LAB_ADMIN_TOKEN');
      return new AdminAuth(hash, clock);
    }
    const stored = await store.adminTokenHash();
    if (stored) {
      log.info('instructor login: the token printed at the first start (only its hash is kept); set LAB_ADMIN_TOKEN to replace it');
      return new AdminAuth(stored, clock);
    }
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const kept = await store.claimAdminTokenHash(hash);
    if (kept !== hash) {
      log.info('instructor login: the token another server printed at its first start (same LAB_DB_PATH)');
      return new AdminAuth(kept, clock);
    }
    const line = `instructor login token (shown this once, keep it; only its hash is stored): ${token}  — log in at /instructor/; set LAB_ADMIN_TOKEN to choose your own`;
    // A LOG_LEVEL above warn would hide the only copy: then it goes to stderr as plain text.
    if (log.isLevelEnabled('warn')) log.warn(line);
    else stderr.write(`lab server: ${line}\n`);
    return new AdminAuth(hash, clock);
  }

  /** Checks `token` in constant time; on success a new admin session (its cookie value). */
  login(token: string): LoginResult {
    const attempt = createHash('sha256').update(token, 'utf8').digest();
    if (attempt.length !== this.tokenHash.length || !timingSafeEqual(attempt, this.tokenHash)) return { ok: false, reason: 'bad-token' };
    this.prune();
    while (this.sessions.size >= MAX_SESSIONS) this.end(this.sessions.keys().next().value!);
    const cookie = randomBytes(32).toString('base64url');
    const expiresAt = this.clock() + SESSION_TTL_MS;
    this.sessions.set(sha256(cookie), expiresAt);
    return { ok: true, cookie, expiresAt };
  }

  /** The session id (a hash, safe to log) of a live admin cookie, or undefined. */
  session(cookie: string | undefined): string | undefined {
    if (!cookie || !TOKEN_SHAPE.test(cookie)) return undefined;
    const id = sha256(cookie);
    return this.valid(id) ? id : undefined;
  }

  /** Whether the session `id` is still live (a feed checks before each send). */
  valid(id: string): boolean {
    const end = this.sessions.get(id);
    if (end === undefined) return false;
    if (end > this.clock()) return true;
    this.end(id);
    return false;
  }

  logout(cookie: string | undefined): void {
    const id = cookie && TOKEN_SHAPE.test(cookie) ? sha256(cookie) : undefined;
    if (id && this.sessions.has(id)) this.end(id);
  }

  /** `listener(sessionId)` runs when a session ends (logout, expiry, dropped for a newer one). */
  onEnd(listener: (sessionId: string) => void): void {
    this.listeners.add(listener);
  }

  get sessionCount(): number {
    this.prune();
    return this.sessions.size;
  }

  private end(id: string): void {
    this.sessions.delete(id);
    for (const listener of this.listeners) listener(id);
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, end] of this.sessions) if (end <= now) this.end(id);
  }
}
