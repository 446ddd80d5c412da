/**
 * Latest-value coalescing for calls that are expensive downstream: at most
 * one call in flight, at least `intervalMs` between starts, and only the
 * newest value waiting (the ones it replaced are counted, never sent).
 * A value equal to the last one applied is dropped too.
 *
 * Why: every terminal resize is an Engine API call (exec resize). 180 of
 * them a second (the clamped, rate-limited maximum from one client) cost
 * dockerd 14-16% CPU; a window being dragged only needs its final size.
 */
export type Clock = () => number;
export type Timer = (fn: () => void, ms: number) => { cancel(): void };

const realTimer: Timer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

export class Coalescer<T> {
  private readonly apply: (value: T) => Promise<unknown>;
  private readonly intervalMs: number;
  private readonly same: (a: T, b: T) => boolean;
  private readonly clock: Clock;
  private readonly timer: Timer;
  private pending: { value: T } | undefined;
  private last: { value: T } | undefined;
  private inFlight = false;
  private lastStart = -Infinity;
  private scheduled: { cancel(): void } | undefined;
  private closed = false;
  /** Values replaced before they were applied (or equal to what was applied). */
  coalesced = 0;
  applied = 0;
  /** Called with 'applied' or 'coalesced' for each value (metrics). */
  onOutcome: ((outcome: 'applied' | 'coalesced') => void) | undefined;

  constructor(opts: { apply: (value: T) => Promise<unknown>; intervalMs: number; same: (a: T, b: T) => boolean; clock?: Clock; timer?: Timer }) {
    this.apply = opts.apply;
    this.intervalMs = opts.intervalMs;
    this.same = opts.same;
    this.clock = opts.clock ?? Date.now;
    this.timer = opts.timer ?? realTimer;
  }

  /** The value the downstream last got (or is getting). */
  get current(): T | undefined {
    return this.last?.value;
  }

  push(value: T): void {
    if (this.closed) return;
    if (this.pending) this.outcome('coalesced');
    this.pending = { value };
    this.pump();
  }

  /** Forget what was applied (a new shell starts at a size of its own). */
  reset(value?: T): void {
    this.last = value === undefined ? undefined : { value };
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.scheduled?.cancel();
    this.scheduled = undefined;
  }

  private outcome(o: 'applied' | 'coalesced'): void {
    if (o === 'applied') this.applied++;
    else this.coalesced++;
    this.onOutcome?.(o);
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.scheduled || !this.pending) return;
    const wait = this.lastStart + this.intervalMs - this.clock();
    if (wait > 0) {
      this.scheduled = this.timer(() => {
        this.scheduled = undefined;
        this.pump();
      }, wait);
      return;
    }
    const { value } = this.pending;
    this.pending = undefined;
    if (this.last && this.same(this.last.value, value)) {
      this.outcome('coalesced');
      return;
    }
    this.last = { value };
    this.inFlight = true;
    this.lastStart = this.clock();
    this.outcome('applied');
    this.apply(value)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }
}
