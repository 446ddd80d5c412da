/**
 * Prometheus metrics (GET /metrics). Gauges that mirror state (sessions,
 * sandboxes, attached terminals) are read at scrape time through `collect`,
 * so they can never drift from the truth; counters and the boot histogram
 * are updated where things happen.
 */
import client from 'prom-client';
import type { LabStats } from './lab.ts';

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
  | 'sandbox-failed'
  /** Host header not one of the server's names (DNS rebinding); see origin.ts. */
  | 'foreign-host'
  /** WebSockets over LAB_WS_PER_SESSION / LAB_WS_PER_CLIENT. */
  | 'ws-session-cap'
  | 'ws-client-cap'
  /** No hello within LAB_WS_HELLO_TIMEOUT. */
  | 'no-hello'
  /** /metrics without the LAB_METRICS_TOKEN. */
  | 'metrics-auth'
  /** A `lab_*` cookie sent twice (another page of the host added one with another Path): read as absent (http.ts readCookie). */
  | 'cookie-tossed';

/** Where the gauges read live state: the lab, and open TCP connections (HTTP and WebSocket). */
export interface GaugeSources {
  stats: () => Pick<LabStats, 'sessions' | 'sandboxes' | 'terminalsAttached' | 'inputQueued'>;
  connections?: () => number;
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
  readonly connectionsRefused: client.Counter<'reason'>;
  readonly connectionTimeouts: client.Counter<'kind'>;
  readonly resizes: client.Counter<'outcome'>;
  readonly inputPaused: client.Counter;
  readonly sessionsCapacity: client.Gauge;
  readonly checks: client.Counter<'result'>;
  /** Class mode, lab side (classroom/seats.ts, classroom/mirror.ts). */
  readonly classSessions: client.Counter<'result'>;
  readonly classQueue: client.Gauge;
  readonly classWarmTarget: client.Gauge;
  readonly classActions: client.Counter<'action'>;
  readonly classNotices: client.Counter<'kind'>;
  readonly classMirrors: client.Gauge;
  readonly classMirrorsClosed: client.Counter<'reason'>;
  readonly sandboxAcquired: client.Counter<'source'>;
  readonly previewOpens: client.Counter;
  readonly previewBytes: client.Counter<'direction'>;
  readonly previewErrors: client.Counter<'reason'>;
  readonly previewConnections: client.Counter;
  readonly classJoins: client.Counter<'result'>;
  readonly classLogins: client.Counter<'result'>;
  readonly classHelp: client.Counter;
  readonly classProgress: client.Counter<'stored'>;
  readonly classRefused: client.Counter<'reason'>;
  readonly classFeeds: client.Gauge;

  constructor(sources: GaugeSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'lab_' });
    // Read at scrape time, so they can never drift from the truth.
    const live = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    live('lab_sessions', 'Live sessions', () => sources.stats().sessions);
    live('lab_terminals_attached', 'Terminals with a WebSocket attached', () => sources.stats().terminalsAttached);
    live('lab_connections', 'Open TCP connections (HTTP and WebSocket)', () => sources.connections?.() ?? 0);
    live(
      'lab_input_queued_bytes',
      'Keyboard bytes queued for shells, all terminals (bounded by LAB_INPUT_HIGH_WATER each, plus one frame)',
      () => sources.stats().inputQueued,
    );
    new client.Gauge({
      name: 'lab_sandboxes',
      help: 'Sandboxes by state (ready = warm pool, booting, assigned to a session)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = sources.stats().sandboxes;
        this.set({ state: 'ready' }, s.ready);
        this.set({ state: 'booting' }, s.booting);
        this.set({ state: 'assigned' }, s.assigned);
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
    this.connectionsRefused = new client.Counter({
      name: 'lab_connections_refused_total',
      help: 'TCP connections closed at accept: global-cap (LAB_MAX_CONNECTIONS) or client-cap (LAB_MAX_CONNECTIONS_PER_CLIENT)',
      labelNames: ['reason'],
      registers,
    });
    this.connectionTimeouts = new client.Counter({
      name: 'lab_connection_timeouts_total',
      help: 'Connections closed by a timeout: idle (nothing moved for LAB_SOCKET_IDLE_TIMEOUT); header and request timeouts answer 408 inside Node',
      labelNames: ['kind'],
      registers,
    });
    this.resizes = new client.Counter({
      name: 'lab_resizes_total',
      help: 'Terminal resizes: applied (an Engine API call) or coalesced (replaced by a newer size, or unchanged)',
      labelNames: ['outcome'],
      registers,
    });
    this.inputPaused = new client.Counter({
      name: 'lab_input_paused_total',
      help: 'Times a WebSocket stopped being read because its shell had LAB_INPUT_HIGH_WATER of input queued',
      registers,
    });
    this.sessionsCapacity = new client.Gauge({
      name: 'lab_sessions_max',
      help: 'Session cap in force (LAB_MAX_SESSIONS or derived from the host)',
      registers,
    });
    this.checks = new client.Counter({
      name: 'lab_checks_total',
      help: 'Challenge checks (POST /lab/check): passed, failed, timeout (killed at LAB_CHECK_TIMEOUT), refused (any 4xx/5xx answer)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['passed', 'failed', 'timeout', 'refused']) this.checks.inc({ result }, 0);
    // Class mode, lab side (issue 13): classroom/seats.ts, classroom/mirror.ts.
    this.classSessions = new client.Counter({
      name: 'lab_class_sessions_total',
      help: "Learners' session requests (POST /lab/session with a learner cookie): created, resumed, rebound (a second browser), queued (202), refused (class over), rate-limited (churning sessions)",
      labelNames: ['result'],
      registers,
    });
    this.classQueue = new client.Gauge({ name: 'lab_class_queue_length', help: 'Learners waiting for a seat or a sandbox, all classes', registers });
    this.classWarmTarget = new client.Gauge({
      name: 'lab_class_warm_target',
      help: 'Warm pool target: LAB_WARM_POOL plus the free seats of classes starting or running, bounded by the session cap',
      registers,
    });
    this.classActions = new client.Counter({
      name: 'lab_class_instructor_actions_total',
      help: 'Instructor actions carried out by the lab: prewarm, reset, end (a learner), end-class, message, extend',
      labelNames: ['action'],
      registers,
    });
    this.classNotices = new client.Counter({
      name: 'lab_class_notices_total',
      help: "Notices sent to learners' terminals (time-warning, instructor, ended), per session",
      labelNames: ['kind'],
      registers,
    });
    this.classMirrors = new client.Gauge({ name: 'lab_class_mirrors', help: "Instructors' read-only terminal mirrors open", registers });
    this.classMirrorsClosed = new client.Counter({
      name: 'lab_class_mirrors_closed_total',
      help: 'Mirrors closed or refused, by reason: ended (the learner session), left (the instructor closed it), logout, slow (fell behind), cap, no-session, auth, origin, bad-request, shutdown',
      labelNames: ['reason'],
      registers,
    });
    this.sandboxAcquired = new client.Counter({
      name: 'lab_sandbox_acquired_total',
      help: "Where sessions' sandboxes came from: warm (booted, waiting in the pool), takeover (a pool boot in flight), boot (booted for the session)",
      labelNames: ['source'],
      registers,
    });
    for (const source of ['warm', 'takeover', 'boot']) this.sandboxAcquired.inc({ source }, 0);
    // Port preview (issue 11): preview/proxy.ts.
    this.previewOpens = new client.Counter({
      name: 'lab_preview_opens_total',
      help: 'Port previews opened (a one-time ticket redeemed on the preview origin)',
      registers,
    });
    this.previewBytes = new client.Counter({
      name: 'lab_preview_bytes_total',
      help: 'Bytes through port previews: down = from the sandbox to the browser, up = request bodies and WebSocket input',
      labelNames: ['direction'],
      registers,
    });
    this.previewErrors = new client.Counter({
      name: 'lab_preview_errors_total',
      help: 'Port preview requests answered with an error, by reason (not-found, owner, refused, timeout, too-large, busy, booting, bad-request, upstream-error, shutting-down)',
      labelNames: ['reason'],
      registers,
    });
    this.previewConnections = new client.Counter({
      name: 'lab_preview_upstream_connections_total',
      help: 'Upstream connections into sandboxes for port previews (one docker exec of lab-port each; kept alive between requests)',
      registers,
    });
    // Class mode (issue 13): classroom/http.ts.
    this.classJoins = new client.Counter({
      name: 'lab_class_joins_total',
      help: 'Class joins (POST /join/api/join) by result: joined, or the error code that refused it',
      labelNames: ['result'],
      registers,
    });
    this.classLogins = new client.Counter({
      name: 'lab_class_logins_total',
      help: 'Instructor logins (POST /instructor/api/login) by result: ok, bad-token, rate-limited, bad-message',
      labelNames: ['result'],
      registers,
    });
    this.classHelp = new client.Counter({ name: 'lab_class_help_total', help: 'Help requests made by learners (POST /lab/help)', registers });
    this.classProgress = new client.Counter({
      name: 'lab_class_progress_total',
      help: 'Snippet results reported (POST /lab/progress): stored (a learner) or dropped (an anonymous reader)',
      labelNames: ['stored'],
      registers,
    });
    this.classRefused = new client.Counter({
      name: 'lab_class_refused_total',
      help: 'Refused class-mode requests (instructor, join, progress, help routes) by error code',
      labelNames: ['reason'],
      registers,
    });
    this.classFeeds = new client.Gauge({ name: 'lab_class_feeds', help: "Instructors' live feeds open (LAB_CLASS_FEEDS)", registers });
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
