/**
 * Keeps Docker in step with what this server knows. Sessions live only in
 * memory, so after a crash (kill -9, OOM, power) their sandboxes are
 * orphans: on start and then periodically, every container, volume and
 * network labelled lab.owner=<LAB_INSTANCE> whose lab.sandbox id the pool
 * does not own is removed. The mirror (lab.kind=mirror) is shared
 * infrastructure and is left alone.
 *
 * The owned set is read after listing: ids enter it before their objects
 * are created and leave it after they are removed, so a sandbox in the
 * middle of booting or of being destroyed is never mistaken for an orphan.
 */
import type { Logger } from 'pino';
import type { SandboxDriver } from './driver.ts';

export class Reconciler {
  private readonly driver: SandboxDriver;
  private readonly owned: () => ReadonlySet<string>;
  private readonly log: Logger;
  private readonly afterRun: ((known: ReadonlySet<string>) => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(driver: SandboxDriver, owned: () => ReadonlySet<string>, log: Logger, afterRun?: (known: ReadonlySet<string>) => Promise<void>) {
    this.driver = driver;
    this.owned = owned;
    this.log = log;
    this.afterRun = afterRun;
  }

  /** One pass; resolves with the number of objects removed. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const objects = await this.driver.listOwned();
    const known = this.owned();
    const orphans = objects.filter((o) => o.kind !== 'mirror' && !(o.sandboxId && known.has(o.sandboxId)));
    let removed = 0;
    // Containers first (they hold the volumes and networks), then the rest.
    for (const type of ['container', 'network', 'volume'] as const) {
      const batch = orphans.filter((o) => o.type === type);
      const results = await Promise.allSettled(batch.map((o) => this.driver.removeOwned(o)));
      results.forEach((r, i) => {
        const o = batch[i]!;
        if (r.status === 'fulfilled') {
          removed++;
          this.log.info({ type: o.type, name: o.name, sandbox: o.sandboxId }, 'removed orphan');
        } else {
          this.log.warn({ type: o.type, name: o.name, err: String(r.reason) }, 'could not remove orphan');
        }
      });
    }
    await this.afterRun?.(this.owned());
    return removed;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err: String(err) }, 'reconcile failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
