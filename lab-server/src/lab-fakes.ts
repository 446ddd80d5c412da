/**
 * The lab's fakes for unit tests (lab.test.ts, classroom/seats.test.ts): a
 * driver that boots at once (or fails, or reports a full disk, or a usage)
 * with in-memory shells, and a socket that records what it was sent.
 */
import { Duplex } from 'node:stream';
import type { SessionSocket } from './lab.ts';
import type { ServerMessage } from './protocol.ts';
import type {
  CheckOutcome,
  DiskUsage,
  OwnedObject,
  ProgressFn,
  SandboxDriver,
  SandboxHandle,
  SandboxStats,
  SandboxUsage,
  Shell,
} from './sandbox/driver.ts';
import type { TerminalClient } from './terminal.ts';

export class FakeDriver implements SandboxDriver, SandboxStats {
  readonly created: string[] = [];
  usage: SandboxUsage = { cpuPercent: 12.5, memoryBytes: 64 * 1024 ** 2 };
  readonly destroyed: string[] = [];
  failBoots = false;
  disk: DiskUsage = { data: 0, dataLimit: undefined, rootfs: 0 };
  async create(id: string, _session: string | undefined, progress: ProgressFn): Promise<SandboxHandle> {
    progress('engine', 0.5);
    if (this.failBoots) throw new Error('boot failed');
    this.created.push(id);
    return { id, containerId: `c-${id}`, createdAt: 0, bootMs: 1 };
  }
  /** Every shell opened, in order: push() into one is shell output; `typed` is what was written to it. */
  readonly shells: Array<{ stream: Duplex; typed: Buffer[] }> = [];
  async openShell(): Promise<Shell> {
    const typed: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _e, cb) => {
        typed.push(chunk);
        cb();
      },
    });
    this.shells.push({ stream, typed });
    return { stream, exited: new Promise(() => undefined), resize: async () => undefined, close: () => stream.destroy() };
  }
  async destroy(id: string) {
    this.destroyed.push(id);
  }
  async isRunning() {
    return true;
  }
  async diskUsage() {
    return this.disk;
  }
  async listOwned(): Promise<OwnedObject[]> {
    return [];
  }
  async removeOwned() {}
  async runCheck(): Promise<CheckOutcome> {
    throw new Error('no checks here');
  }
  async stats(): Promise<SandboxUsage> {
    return this.usage;
  }
}

export class FakeSocket implements SessionSocket, TerminalClient {
  closed: { code: number; error?: ServerMessage } | undefined;
  control: ServerMessage[] = [];
  output = '';
  bufferedAmount = 0;
  close(code: number, _reason: string, error?: ServerMessage) {
    this.closed ??= { code, error }; // the first close counts, as in gateway.ts
  }
  sendOutput(bytes: Buffer, written: () => void) {
    this.output += bytes.toString();
    written();
  }
  sendControl(m: ServerMessage) {
    this.control.push(m);
  }
}
