/**
 * What every benchmark does around its measurements: its own lab server
 * (tests/support/lab-server.ts), stopped and its Docker objects removed at
 * the end, on a failure and on Ctrl-C, so a benchmark never leaves
 * sandboxes behind.
 */
import { removeOwned, startLabServer, type LabServer, type StartOptions } from '../tests/support/lab-server.ts';

/** Runs `cleanup` on Ctrl-C, then exits 130. */
export function onInterrupt(cleanup: () => Promise<unknown>): void {
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
}

/** One benchmark's lab server: `start` it, `stop` it (idempotent; also on Ctrl-C). */
export class BenchServer {
  private server: LabServer | undefined;
  constructor() {
    onInterrupt(() => this.stop());
  }
  get current(): LabServer {
    if (!this.server) throw new Error('the benchmark server is not running');
    return this.server;
  }
  async start(options: StartOptions): Promise<LabServer> {
    await this.stop();
    this.server = await startLabServer(options);
    return this.server;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await s.stop('SIGTERM', 60_000);
    removeOwned(s.instance);
  }
}
