/**
 * Token bucket for per-socket message rate limiting: `burst` messages at
 * once (a paste split into frames, fast typing), then `rate` per second on
 * average. The clock is injected so tests need no sleeping.
 */
export type Clock = () => number;

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly clock: Clock;

  constructor(rate: number, burst: number, clock: Clock = Date.now) {
    this.rate = rate;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock();
  }

  /** Takes `cost` tokens if there are enough; false means "over the limit". */
  take(cost = 1): boolean {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
