/**
 * Sandbox supply: the warm pool, boot concurrency, and the one list of
 * sandbox ids this server owns.
 *
 * - Warm pool: LAB_WARM_POOL booted sandboxes wait for sessions, so the first
 *   실행 skips the ~1 s boot. Taking one starts a refill in the background.
 *   If the pool is empty but a refill boot is under way, the session takes
 *   over that boot (with its progress) instead of starting a second one.
 * - Boot concurrency (LAB_BOOT_CONCURRENCY): boots are CPU-heavy (dockerd
 *   start); more at once on 2 cores only makes each slower. Session boots
 *   wait ahead of refills; while waiting the page sees phase `queued`.
 * - Target: LAB_WARM_POOL, or more while a class is about to start or
 *   running (classroom/seats.ts calls setTarget: a class's free seats, bounded
 *   by the session cap) and back when it ends; lowering it with `trim`
 *   removes the surplus ready sandboxes at once.
 * - `owned`: every sandbox id from the moment its boot is requested until
 *   its destroy finished. The reconciler removes owned-labelled Docker
 *   objects whose id is not in here, so nothing in transit is ever removed.
 */
import type { Logger } from 'pino';
import type { SandboxPhase } from '../protocol.ts';
import type { ProgressFn, SandboxDriver, SandboxHandle } from './driver.ts';
import { newSandboxId } from './labels.ts';

export interface PoolOptions {
  target: number;
  concurrency: number;
  bootTimeoutMs: number;
  /**
   * After a session takes a ready sandbox, the refill starts this much later
   * (LAB_WARM_POOL_REFILL_DELAY; 0: at once). A boot keeps both cores of a
   * 2-core host busy for about a second: started at the take, it shares them
   * with that reader's first output and first snippet. A reader arriving
   * within the delay boots their own sandbox at once, as with an empty pool.
   */
  refillDelayMs?: number;
}

export interface PoolHooks {
  onBooted?: (sandbox: SandboxHandle) => void;
  onBootFailed?: (err: unknown) => void;
  onChange?: () => void;
  /** Where a session's sandbox came from: `warm` (booted and waiting), `takeover` (a refill boot in flight), `boot` (booted for it). */
  onAcquire?: (source: 'warm' | 'takeover' | 'boot') => void;
}

/** A boot in progress, whose progress can be watched by whoever will get it. */
class Boot {
  readonly id: string;
  phase: SandboxPhase = 'queued';
  progress = 0;
  readonly listeners = new Set<ProgressFn>();
  promise!: Promise<SandboxHandle>;

  constructor(id: string) {
    this.id = id;
  }

  report: ProgressFn = (phase, progress) => {
    // Monotonic for watchers who joined late or a phase that repeats.
    if (progress < this.progress) return;
    this.phase = phase;
    this.progress = progress;
    for (const fn of this.listeners) fn(phase, progress);
  };
}

export class SandboxPool {
  private readonly driver: SandboxDriver;
  private opts: PoolOptions;
  private readonly log: Logger;
  private readonly hooks: PoolHooks;
  private readonly ready: SandboxHandle[] = [];
  /** Unclaimed refill boots, oldest first. */
  private readonly refills: Boot[] = [];
  private readonly owned = new Set<string>();
  private running = 0;
  private readonly sessionQueue: Array<() => void> = [];
  private stopped = false;
  private refillFailures = 0;
  /** The refill waiting out refillDelayMs after a take, if any. */
  private delayedRefill: ReturnType<typeof setTimeout> | null = null;
  /** Aborts boots in flight at shutdown (their partial objects are removed by the driver). */
  private readonly abort = new AbortController();

  constructor(driver: SandboxDriver, opts: PoolOptions, log: Logger, hooks: PoolHooks = {}) {
    this.driver = driver;
    this.opts = opts;
    this.log = log;
    this.hooks = hooks;
  }

  /** Sandbox ids this server owns (booting, pooled, assigned, being destroyed). */
  ownedIds(): ReadonlySet<string> {
    return this.owned;
  }

  get counts(): { ready: number; booting: number; owned: number } {
    return { ready: this.ready.length, booting: this.running + this.sessionQueue.length, owned: this.owned.size };
  }

  /**
   * A booted sandbox for a session: from the pool, from a refill in flight,
   * or booted now. Progress goes to `onProgress`.
   */
  async acquire(sessionLabel: string, onProgress: ProgressFn): Promise<SandboxHandle> {
    if (this.stopped) throw new Error('pool stopped');
    while (this.ready.length > 0) {
      const sandbox = this.ready.shift()!;
      this.hooks.onChange?.();
      if (await this.driver.isRunning(sandbox).catch(() => false)) {
        this.log.info({ sandbox: sandbox.id, session: sessionLabel }, 'sandbox taken from the warm pool');
        this.hooks.onAcquire?.('warm');
        this.refillAfterTake();
        return sandbox;
      }
      this.log.warn({ sandbox: sandbox.id }, 'pooled sandbox died; discarding');
      void this.destroy(sandbox.id);
    }
    const inFlight = this.refills.shift();
    if (inFlight) {
      onProgress(inFlight.phase, inFlight.progress);
      inFlight.listeners.add(onProgress);
      this.log.info({ sandbox: inFlight.id, session: sessionLabel }, 'session takes over a warm-pool boot');
      this.hooks.onAcquire?.('takeover');
      this.refill();
      return inFlight.promise;
    }
    const boot = this.startBoot(sessionLabel);
    this.hooks.onAcquire?.('boot');
    boot.listeners.add(onProgress);
    onProgress('queued', 0);
    this.refill();
    return boot.promise;
  }

  /** Removes a sandbox (session ended); the id stays owned until Docker is done. */
  async destroy(sandboxId: string): Promise<void> {
    try {
      await this.driver.destroy(sandboxId);
    } finally {
      this.owned.delete(sandboxId);
      this.hooks.onChange?.();
    }
  }

  get target(): number {
    return this.opts.target;
  }

  /**
   * A new warm-pool size (the caller bounds it). Raising it starts refills;
   * lowering it stops them, and with `trim` removes ready sandboxes beyond
   * it (a class ended: its warm sandboxes are not kept).
   */
  setTarget(target: number, trim = false): void {
    const next = Math.max(0, Math.floor(target));
    if (next === this.opts.target && !trim) return;
    this.opts = { ...this.opts, target: next };
    this.log.info({ target: next }, 'warm pool target');
    if (trim) {
      const surplus = this.ready.splice(next);
      for (const s of surplus) void this.destroy(s.id).catch((err) => this.log.warn({ err, sandbox: s.id }, 'destroy failed'));
      if (surplus.length > 0) this.hooks.onChange?.();
    }
    this.refill();
  }

  /** The refill after a ready sandbox was taken: once refillDelayMs has passed (one timer for takes in a row). */
  private refillAfterTake(): void {
    const delay = this.opts.refillDelayMs ?? 0;
    if (delay <= 0) return this.refill();
    if (this.delayedRefill !== null) return;
    this.delayedRefill = setTimeout(() => {
      this.delayedRefill = null;
      this.refill();
    }, delay);
    this.delayedRefill.unref?.();
  }

  /** Boots sandboxes in the background until the pool holds `target` (ready or booting). */
  refill(): void {
    if (this.stopped) return;
    while (this.ready.length + this.refills.length < this.opts.target && this.running < this.opts.concurrency && this.sessionQueue.length === 0) {
      // After repeated failures (image missing, engine down) back off instead of spinning.
      if (this.refillFailures >= 3) {
        const delay = Math.min(60_000, 1000 * 2 ** Math.min(6, this.refillFailures - 3));
        setTimeout(() => this.refill(), delay).unref();
        this.refillFailures = Math.max(this.refillFailures, 3);
        return;
      }
      const boot = this.startBoot(undefined);
      this.refills.push(boot);
      boot.promise.then(
        (sandbox) => {
          this.refillFailures = 0;
          const i = this.refills.indexOf(boot);
          if (i >= 0) {
            this.refills.splice(i, 1);
            // The target may have been lowered meanwhile (a class ended): surplus is not kept.
            if (this.stopped || this.ready.length >= this.opts.target) void this.destroy(sandbox.id);
            else this.ready.push(sandbox);
          }
          this.hooks.onChange?.();
          this.refill();
        },
        () => {
          this.refillFailures++;
          const i = this.refills.indexOf(boot);
          if (i >= 0) this.refills.splice(i, 1);
          this.refill();
        },
      );
    }
  }

  private startBoot(sessionLabel: string | undefined): Boot {
    const boot = new Boot(newSandboxId());
    this.owned.add(boot.id);
    this.hooks.onChange?.();
    boot.promise = (async () => {
      await this.slot();
      try {
        if (this.stopped) throw new Error('pool stopped');
        const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.bootTimeoutMs + 5000)]);
        const sandbox = await this.driver.create(boot.id, sessionLabel, boot.report, signal);
        this.log.info({ sandbox: sandbox.id, ms: sandbox.bootMs, session: sessionLabel ?? 'pool' }, 'sandbox booted');
        this.hooks.onBooted?.(sandbox);
        return sandbox;
      } catch (err) {
        this.owned.delete(boot.id);
        this.log.error({ sandbox: boot.id, err }, 'sandbox boot failed');
        this.hooks.onBootFailed?.(err);
        throw err;
      } finally {
        this.release();
      }
    })();
    // A refill nobody claimed must not become an unhandled rejection.
    boot.promise.catch(() => undefined);
    return boot;
  }

  private slot(): Promise<void> {
    if (this.running < this.opts.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const grant = () => {
        this.running++;
        resolve();
      };
      // Only session boots ever wait: refills start only when a slot is free.
      this.sessionQueue.push(grant);
    });
  }

  private release(): void {
    this.running--;
    const next = this.sessionQueue.shift();
    if (next) next();
    this.hooks.onChange?.();
    // refill() does nothing while session boots queue; the last one leaving must start it
    // (before, a burst of session boots left the warm pool empty until the next acquire).
    if (this.sessionQueue.length === 0) queueMicrotask(() => this.refill());
  }

  /**
   * Shutdown: stops refilling, aborts boots in flight, removes pooled
   * sandboxes, then waits (up to `deadline`) until every owned sandbox is
   * gone; the lab destroys the assigned ones meanwhile.
   */
  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    if (this.delayedRefill !== null) clearTimeout(this.delayedRefill);
    this.abort.abort(new Error('shutting down'));
    for (const waiter of this.sessionQueue.splice(0)) waiter();
    const pooled = this.ready.splice(0);
    await Promise.allSettled(pooled.map((s) => this.destroy(s.id)));
    while (this.owned.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}
