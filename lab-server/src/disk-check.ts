/**
 * The disk limit, checked for each assigned sandbox in turn (one at a time:
 * in watch mode a check is an exec of du in the sandbox; a loop volume is
 * read on the host, sandbox/volume-usage.ts). What is hard-limited (a loop data
 * volume) only earns a warning near full, since the reader then gets "no
 * space left on device" and can prune; what is not (a plain data volume, the
 * sandbox's writable layer) ends the session at the limit. README: disk limit.
 */
import type { Logger } from 'pino';
import { NOTICE } from './notices.ko.ts';
import type { SandboxDriver, SandboxHandle } from './sandbox/driver.ts';

/** A session's side of a check (lab.ts: its runtime). */
export interface DiskSubject {
  readonly sandbox: SandboxHandle | undefined;
  readonly session: { readonly ended: boolean };
  /** Warned near full, until usage drops below 70 %. */
  diskWarned: boolean;
}

export interface DiskCheckDeps<T> {
  driver: Pick<SandboxDriver, 'diskUsage'>;
  limitBytes: number;
  log: Logger;
  /** A line in the subject's terminals. */
  notice(subject: T, text: string): void;
  /** Over the limit: end the session. */
  full(subject: T, detail: string): void;
  /** Usage could not be read (the sandbox may be gone). */
  unreadable(subject: T): void;
  /** Largest usage of this round (metrics). */
  max(bytes: number): void;
}

export class DiskCheck<T extends DiskSubject> {
  private readonly deps: DiskCheckDeps<T>;
  private running = false;

  constructor(deps: DiskCheckDeps<T>) {
    this.deps = deps;
  }

  async run(subjects: Iterable<T>): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { driver, limitBytes: limit, log } = this.deps;
    let max = 0;
    try {
      for (const subject of [...subjects]) {
        if (!subject.sandbox || subject.session.ended) continue;
        const usage = await driver.diskUsage(subject.sandbox).catch((err: unknown) => {
          log.debug({ err, sandbox: subject.sandbox?.id }, 'disk check failed');
          this.deps.unreadable(subject);
        });
        if (!usage) continue;
        const used = usage.data + usage.rootfs;
        max = Math.max(max, used);
        const soft = usage.rootfs + (usage.dataLimit === undefined ? usage.data : 0);
        const fill = Math.max(soft / limit, usage.dataLimit ? usage.data / usage.dataLimit : 0);
        if (soft >= limit) {
          this.deps.notice(subject, NOTICE.diskFull(used, limit));
          this.deps.full(subject, `disk limit exceeded: ${used} bytes`);
        } else if (fill >= 0.8) {
          if (!subject.diskWarned) this.deps.notice(subject, NOTICE.diskWarn(used, usage.dataLimit ?? limit));
          subject.diskWarned = true;
        } else if (fill < 0.7) {
          subject.diskWarned = false;
        }
      }
      this.deps.max(max);
    } finally {
      this.running = false;
    }
  }
}
