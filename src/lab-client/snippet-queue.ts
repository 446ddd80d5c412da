/**
 * The order in which 실행 clicks run: one snippet at a time, the others
 * waiting in click order (shown as 대기 중…). Queueing rather than asking
 * keeps a reader who clicks down the page in flow; Ctrl+C in the terminal
 * always gets them out. A click on a snippet that is already running or
 * waiting is the same job, not a second one.
 *
 * Pure bookkeeping (no DOM, no timers), so its rules are unit-tested
 * (snippet-queue.test.ts); the page lab (index.ts) decides when the shell is
 * ready for the next one.
 */
export class SnippetQueue<J> {
  private running: J | null = null;
  private readonly waiting: J[] = [];
  private readonly same: (a: J, b: J) => boolean;

  /** `same` says when two clicks are the same snippet (same id, same element). */
  constructor(same: (a: J, b: J) => boolean) {
    this.same = same;
  }

  /** The snippet whose paste was sent and whose result is awaited. */
  get current(): J | null {
    return this.running;
  }

  /** How many wait behind the current one. */
  get length(): number {
    return this.waiting.length;
  }

  /** The next one to start, once the shell is ready. */
  get next(): J | undefined {
    return this.waiting[0];
  }

  /**
   * Adds a click. Returns the job that stands for it (the earlier one when
   * the snippet is already running or waiting) and whether it must wait
   * behind another.
   */
  add(job: J): { job: J; added: boolean; behind: boolean } {
    const existing = [this.running, ...this.waiting].find((j): j is J => j !== null && this.same(j, job));
    if (existing !== undefined)
      return { job: existing, added: false, behind: existing !== this.running && (this.running !== null || this.waiting[0] !== existing) };
    this.waiting.push(job);
    return { job, added: true, behind: this.running !== null || this.waiting.length > 1 };
  }

  /** Moves `job` from the head of the line to running; false when it is not the head or something runs. */
  begin(job: J): boolean {
    if (this.running !== null || this.waiting[0] !== job) return false;
    this.waiting.shift();
    this.running = job;
    return true;
  }

  /** Ends the running job if `matches` says it is the one that ended; returns it. */
  end(matches: (job: J) => boolean): J | null {
    const job = this.running;
    if (job === null || !matches(job)) return null;
    this.running = null;
    return job;
  }

  /** Empties the line (not the running job): e.g. the lab is unreachable for all of them. */
  takeWaiting(): J[] {
    return this.waiting.splice(0);
  }

  /** Empties everything, running job first (a new sandbox cancels them all). */
  takeAll(): J[] {
    const all: J[] = this.running === null ? [] : [this.running];
    this.running = null;
    return [...all, ...this.waiting.splice(0)];
  }
}
