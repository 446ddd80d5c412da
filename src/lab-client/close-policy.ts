/**
 * What the page does when its lab connection ends or a session request
 * fails: retry by itself (and how patiently), ask for a new session, or
 * stop until the reader acts. Pure, so the whole table is unit-tested
 * (close-policy.test.ts); connection.ts only carries the decision out.
 *
 * Why these answers:
 * - the reader must act when retrying cannot help or would fight them:
 *   another tab took the terminal (4009), idle (4010), expired (4011),
 *   sandbox failed (4013), forbidden origin (4003), cookies that never stick;
 * - a missing or unknown session (4001/4004, e.g. a server restart) is
 *   answered by asking for a new one at once, but three in a row right after
 *   fresh sessions means the browser does not keep our cookie;
 * - a full or rate-limited server is retried slowly (backoff.ts slowBackoff);
 *   everything else transient with the default backoff.
 */
import { CloseCode, closeCodeInfo, type ErrorCode } from '../../lab-server/src/protocol.ts';

/** Problems that stop the connection until the reader acts. */
export type StopReason =
  | 'sandbox-failed'
  | 'session-expired'
  | 'forbidden-origin'
  | 'replaced'
  | 'idle'
  | 'cookies-blocked'
  | 'protocol'
  /** Class mode: the instructor ended or reset this learner's session (CloseCode.EndedByInstructor). */
  | 'ended-by-instructor'
  /** Class mode: LAB_ANONYMOUS_LABS=off and this reader has not joined a class (403 `class-only`). */
  | 'class-only'
  /** Class mode: the learner's class is over (410 `class-ended`). */
  | 'class-ended';

/** Session refusals that stop until the reader acts (retrying cannot change them). */
export type SessionStop = 'forbidden-origin' | 'class-only' | 'class-ended';

/** Problems after which the connection retries by itself. */
export type RetryReason = 'unreachable' | 'network' | 'over-capacity' | 'rate-limited' | 'shutting-down' | 'internal';

export type CloseDecision =
  | { action: 'stop'; reason: StopReason; newSessionNext?: boolean }
  | { action: 'retry'; reason: RetryReason }
  /** Ask for a session again and reconnect right away (the old one is gone). */
  | { action: 'new-session' }
  /** The browser says it is offline: wait for its `online` event. */
  | { action: 'offline' };

export interface SocketClose {
  /** The WebSocket close code. */
  code: number;
  /** The socket had opened (so this is a drop, not a refusal). */
  opened: boolean;
  /** The `error` message the server sent before closing, if any. */
  serverError: ErrorCode | null;
  /** navigator.onLine (true when unknown). */
  online: boolean;
  /** 4001/4004 closes in a row, this one included. */
  authFailures: number;
}

/** Consecutive 4001/4004 closes after which cookies are taken to be blocked. */
export const MAX_AUTH_FAILURES = 2;

export function decideClose(close: SocketClose): CloseDecision {
  // The protocol's close-code table says what each code means for the page.
  const known = closeCodeInfo(close.code);
  switch (known?.page) {
    case 'new-session':
      return close.authFailures > MAX_AUTH_FAILURES ? { action: 'stop', reason: 'cookies-blocked', newSessionNext: true } : { action: 'new-session' };
    case 'wait':
      return known.code === CloseCode.Expired
        ? { action: 'stop', reason: known.reason, newSessionNext: true }
        : { action: 'stop', reason: known.reason };
    case 'retry':
      return { action: 'retry', reason: known.reason };
    case 'drop':
    case undefined:
      break;
    default:
      known satisfies never;
  }
  // Any other code (1006 from a proxy, 1011, …): the server's last error message explains it.
  switch (close.serverError) {
    case 'over-capacity':
      return { action: 'retry', reason: 'over-capacity' };
    case 'rate-limited':
      return { action: 'retry', reason: 'rate-limited' };
    case 'sandbox-failed':
      return { action: 'stop', reason: 'sandbox-failed' };
    case 'session-expired':
      return { action: 'stop', reason: 'session-expired' };
  }
  if (!close.online) return { action: 'offline' };
  // Never opened: the lab is not there (or refused the upgrade). Opened
  // and dropped: the network or the server went away mid-session.
  return { action: 'retry', reason: close.opened ? 'network' : 'unreachable' };
}

/** What a failed POST /lab/session means; `error` is the body's error code, read as a plain string. */
export function decideSessionFailure(status: number, error: string | null): SessionStop | RetryReason {
  if (error === 'class-only') return 'class-only';
  if (error === 'class-ended') return 'class-ended';
  if (status === 403) return 'forbidden-origin';
  if (error === 'shutting-down') return 'shutting-down';
  if (error === 'over-capacity' || status === 503) return 'over-capacity';
  if (error === 'rate-limited' || status === 429) return 'rate-limited';
  // No lab behind this address (a static host answers 404/405/501) or a proxy that cannot reach it.
  if ([404, 405, 501, 502, 504].includes(status)) return 'unreachable';
  return 'internal';
}

/** Retries after these wait longer (backoff.ts slowBackoff): hammering a full server only fills it more. */
export function retriesSlowly(reason: RetryReason): boolean {
  return reason === 'over-capacity' || reason === 'rate-limited';
}

/** A 실행 click while retrying for these reasons tells the snippet at once that the lab is unreachable. */
export function unreachableNow(reason: RetryReason): boolean {
  return reason === 'unreachable' || reason === 'network';
}
