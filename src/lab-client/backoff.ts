/**
 * Reconnect delays: exponential backoff with "equal jitter" (half fixed, half
 * random). The fixed half keeps a flapping network from hammering the server;
 * the random half spreads out the many pages that reconnect together after a
 * lab-server restart.
 */
export interface BackoffOptions {
  /** Delay of the first retry's window, ms. */
  baseMs: number;
  /** Cap of the window, ms. */
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 30_000 };
/** Server full / rate limited: no point in coming back within seconds. */
export const slowBackoff: BackoffOptions = { baseMs: 5_000, maxMs: 60_000 };

/**
 * Delay before retry number `attempt` (0 = first retry).
 * `random` returns [0, 1); injected so tests are deterministic.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const half = exp / 2;
  return Math.round(half + random() * half);
}
