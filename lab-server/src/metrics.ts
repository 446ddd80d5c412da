/**
 * Prometheus metrics (GET /metrics). Gauges that mirror state (sessions,
 * sandboxes, attached terminals) are read at scrape time through `collect`,
 * so they can never drift from the truth; counters and the boot histogram
 * are updated where things happen.
 */
import client from 'prom-client';

export type RejectReason =
  | 'missing-origin'
  | 'foreign-origin'
  | 'bad-subprotocol'
  | 'over-capacity'
  | 'no-session'
  | 'shutting-down'
  | 'rate-limited'
  | 'too-large'
  | 'protocol-error'
  | 'sandbox-failed';

export interface GaugeSources {
  sessions: () => number;
  sandboxes: () => { ready: number; booting: number; assigned: number };
  terminalsAttached: () => number;
}

export class Metrics {
  readonly registry = new client.Registry();
  readonly bootSeconds: client.Histogram;
  readonly outputBytes: client.Counter;
  readonly inputBytes: client.Counter;
  readonly skippedBytes: client.Counter;
  readonly rejected: client.Counter<'reason'>;
  readonly sessionsEnded: client.Counter<'reason'>;
  readonly diskBytes: client.Gauge;

  constructor(sources: GaugeSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'lab_' });
    new client.Gauge({
      name: 'lab_sessions',
      help: 'Live sessions',
      registers,
      collect() {
        this.set(sources.sessions());
      },
    });
    new client.Gauge({
      name: 'lab_sandboxes',
      help: 'Sandboxes by state (ready = warm pool, booting, assigned to a session)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = sources.sandboxes();
        this.set({ state: 'ready' }, s.ready);
        this.set({ state: 'booting' }, s.booting);
        this.set({ state: 'assigned' }, s.assigned);
      },
    });
    new client.Gauge({
      name: 'lab_terminals_attached',
      help: 'Terminals with a WebSocket attached',
      registers,
      collect() {
        this.set(sources.terminalsAttached());
      },
    });
    this.bootSeconds = new client.Histogram({
      name: 'lab_sandbox_boot_seconds',
      help: 'Sandbox boot time, container create to inner Docker ready',
      buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 40, 60],
      registers,
    });
    this.outputBytes = new client.Counter({ name: 'lab_output_bytes_total', help: 'Shell output bytes read from sandboxes', registers });
    this.inputBytes = new client.Counter({ name: 'lab_input_bytes_total', help: 'Keyboard bytes written to shells', registers });
    this.skippedBytes = new client.Counter({
      name: 'lab_output_skipped_bytes_total',
      help: 'Shell output dropped unsent after an interrupt key while the page was behind',
      registers,
    });
    this.rejected = new client.Counter({
      name: 'lab_rejected_total',
      help: 'Refused requests and closed connections, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.sessionsEnded = new client.Counter({
      name: 'lab_sessions_ended_total',
      help: 'Ended sessions by reason',
      labelNames: ['reason'],
      registers,
    });
    this.diskBytes = new client.Gauge({
      name: 'lab_sandbox_disk_bytes_max',
      help: 'Largest disk usage of any sandbox at the last check',
      registers,
    });
  }

  reject(reason: RejectReason): void {
    this.rejected.inc({ reason });
  }
}
