/**
 * The lab: sessions, their sandboxes and their terminals, and the rules that
 * end them. It knows nothing about HTTP or WebSocket framing (gateway.ts and
 * http.ts translate) nor about Docker (SandboxDriver / SandboxPool do).
 *
 * A session's sandbox is requested the moment the session is created (the
 * page asks for a session on the first 실행, and opens its WebSocket right
 * after), so the boot overlaps the page's own work. Anyone waiting for it
 * gets the boot phases as they happen.
 *
 * Class mode (classroom/seats.ts) uses four more things here: sessions that
 * belong to a learner (createSession's `owner`), `notify` (a notice to the
 * dock and a line in the terminal), the terminals of a session (the
 * instructor's mirror watches them) and `onEvent` (created, ended,
 * connected, disconnected, a new terminal) so seats, queue and the live
 * table follow at once.
 */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Metrics } from './metrics.ts';
import { CloseCode, type HelloMessage, type NoticeMessage, type SandboxPhase, type ServerMessage } from './protocol.ts';
import { DiskCheck } from './disk-check.ts';
import type { ProgressFn, SandboxDriver, SandboxHandle } from './sandbox/driver.ts';
import type { SandboxPool } from './sandbox/pool.ts';
import { type CreateResult, type EndReason, type Session, type SessionOwner, SessionRegistry } from './sessions.ts';
import { Terminal, type TerminalClient } from './terminal.ts';

export const CLOSE_FOR: Record<EndReason, number> = {
  idle: CloseCode.Idle,
  unused: CloseCode.Idle,
  expired: CloseCode.Expired,
  ended: CloseCode.Normal,
  'sandbox-failed': CloseCode.SandboxFailed,
  shutdown: CloseCode.ShuttingDown,
  'ended-by-instructor': CloseCode.EndedByInstructor,
};

/** What happened to a session (class mode follows it: seats, queue, live table, mirrors). */
export type LabEvent =
  | { type: 'created' | 'connected' | 'disconnected'; session: Session }
  | { type: 'ended'; session: Session; reason: EndReason }
  | { type: 'terminal'; session: Session; terminal: Terminal };

/** Anything that must be closed when its session ends (a socket waiting for boot, or attached). */
export interface SessionSocket {
  /** Closes with `code`, sending `error` first when given. */
  close(code: number, reason: string, error?: ServerMessage): void;
}

export class LabError extends Error {
  readonly code: 'sandbox-failed' | 'over-capacity' | 'session-expired';
  readonly closeCode: number;
  constructor(code: LabError['code'], closeCode: number, message: string) {
    super(message);
    this.code = code;
    this.closeCode = closeCode;
  }
}

class SessionRuntime {
  readonly session: Session;
  sandbox: SandboxHandle | undefined;
  sandboxPromise: Promise<SandboxHandle>;
  phase: SandboxPhase = 'queued';
  progress = 0;
  readonly watchers = new Set<ProgressFn>();
  readonly terminals = new Map<string, Terminal>();
  readonly sockets = new Set<SessionSocket>();
  diskWarned = false;

  constructor(session: Session, acquire: (report: ProgressFn) => Promise<SandboxHandle>) {
    this.session = session;
    this.sandboxPromise = acquire((phase, progress) => {
      this.phase = phase;
      this.progress = progress;
      for (const fn of this.watchers) fn(phase, progress);
    });
    this.sandboxPromise.then(
      (s) => (this.sandbox = s),
      () => undefined,
    );
  }
}

export interface LabStats {
  shuttingDown: boolean;
  sessions: number;
  sandboxes: { ready: number; booting: number; assigned: number };
  terminalsAttached: number;
  /** Keyboard bytes queued for shells, all sessions. */
  inputQueued: number;
}

export interface LabDeps {
  config: Config;
  pool: SandboxPool;
  driver: SandboxDriver;
  metrics: Metrics;
  log: Logger;
}

export class Lab {
  readonly sessions: SessionRegistry;
  private readonly runtimes = new Map<Session, SessionRuntime>();
  private readonly deps: LabDeps;
  private readonly log: Logger;
  private shuttingDown = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly disk: DiskCheck<SessionRuntime>;
  private readonly listeners = new Set<(event: LabEvent) => void>();

  constructor(deps: LabDeps) {
    this.deps = deps;
    this.log = deps.log;
    this.sessions = new SessionRegistry(deps.config.sessions);
    this.disk = new DiskCheck<SessionRuntime>({
      driver: deps.driver,
      limitBytes: deps.config.sandbox.diskBytes,
      log: this.log,
      notice: (runtime, text) => runtime.terminals.forEach((t) => t.notice(text)),
      full: (runtime, detail) => this.endSession(runtime.session, 'sandbox-failed', detail),
      unreadable: (runtime) => void this.checkSandbox(runtime.session),
      max: (bytes) => deps.metrics.diskBytes.set(bytes),
    });
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Starts the expiry sweep and the disk checks. */
  start(): void {
    // Once a second: a sweep is a pass over the in-memory sessions, nothing more.
    this.timers.push(setInterval(() => this.sweep(), 1000));
    this.timers.push(setInterval(() => void this.disk.run(this.runtimes.values()), this.deps.config.sandbox.diskCheckIntervalMs));
    for (const t of this.timers) t.unref();
  }

  /** Follows every session event; returns the unsubscribe function. */
  onEvent(fn: (event: LabEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(event: LabEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (err) {
        this.log.error({ err, event: event.type }, 'session event listener failed');
      }
    }
  }

  // ------------------------------------------------------------ sessions

  /** A new session; `learner`: a class learner's (seats are checked by the caller, see SessionRegistry.createForLearner). */
  createSession(client: string, learner?: { owner: SessionOwner; endsAt: number }): CreateResult {
    if (this.shuttingDown) return { ok: false, reason: 'global-cap' };
    const result = learner ? this.sessions.createForLearner(client, learner.owner, learner.endsAt) : this.sessions.create(client);
    if (!result.ok) return result;
    const session = result.session;
    const runtime = new SessionRuntime(session, (report) => this.deps.pool.acquire(session.id, report));
    this.runtimes.set(session, runtime);
    this.log.info({ session: session.id, client, learner: session.owner?.learnerId }, 'session created');
    runtime.sandboxPromise.then(
      (sandbox) => {
        if (session.ended) void this.deps.pool.destroy(sandbox.id).catch(() => undefined);
        else this.log.info({ session: session.id, sandbox: sandbox.id }, 'sandbox assigned');
      },
      (err) => {
        if (!session.ended) this.endSession(session, 'sandbox-failed', `boot failed: ${String(err)}`);
      },
    );
    this.emit({ type: 'created', session });
    return result;
  }

  /** 'booting' until the session's sandbox is there, then 'ready'; undefined when the session is gone. */
  phaseOf(session: Session): 'booting' | 'ready' | undefined {
    const runtime = session.ended ? undefined : this.runtimes.get(session);
    return runtime ? (runtime.sandbox ? 'ready' : 'booting') : undefined;
  }

  /** The session's terminals (the instructor's mirror watches them). */
  terminalsOf(session: Session): Terminal[] {
    return [...(this.runtimes.get(session)?.terminals.values() ?? [])];
  }

  /** A page has a terminal of this session attached right now. */
  isConnected(session: Session): boolean {
    return this.terminalsOf(session).some((t) => t.attachedClient !== undefined);
  }

  /**
   * A notice for the session's dock (every attached terminal's page) and,
   * when `line` is given, one line in each of its terminals (replayed like
   * output, so a page attaching later still sees it).
   */
  notify(session: Session, notice: NoticeMessage, line?: string): void {
    for (const terminal of this.terminalsOf(session)) {
      terminal.attachedClient?.sendControl(notice);
      if (line !== undefined) terminal.notice(line);
    }
  }

  lookup(token: string | undefined): Session | undefined {
    return this.sessions.lookup(token);
  }

  /** The session's sandbox once it has booted (undefined while it boots, or when the session is gone). */
  sandboxOf(session: Session): SandboxHandle | undefined {
    return session.ended ? undefined : this.runtimes.get(session)?.sandbox;
  }

  /** Ends a session: closes its sockets with the matching code and removes its sandbox. */
  endSession(session: Session, reason: EndReason, detail: string = reason): void {
    const runtime = this.runtimes.get(session);
    this.sessions.remove(session, reason, detail);
    if (!runtime) return;
    this.runtimes.delete(session);
    this.deps.metrics.sessionsEnded.inc({ reason });
    this.log.info({ session: session.id, reason, detail, sandbox: runtime.sandbox?.id }, 'session ended');
    const code = CLOSE_FOR[reason];
    // Sockets first, with the reason spelled out for the page; then the shells.
    const error: ServerMessage | undefined =
      reason === 'sandbox-failed'
        ? { type: 'error', code: 'sandbox-failed', detail: detail.slice(0, 500) }
        : reason === 'idle' || reason === 'unused' || reason === 'expired'
          ? { type: 'error', code: 'session-expired', detail: reason }
          : undefined;
    for (const socket of [...runtime.sockets]) socket.close(code, reason, error);
    runtime.sockets.clear();
    for (const terminal of runtime.terminals.values()) terminal.close(code, reason);
    if (runtime.sandbox) {
      void this.deps.pool.destroy(runtime.sandbox.id).catch((err) => this.log.warn({ err, sandbox: runtime.sandbox?.id }, 'destroy failed'));
    }
    // A sandbox still booting is destroyed when it arrives (createSession).
    this.emit({ type: 'ended', session, reason });
  }

  private sweep(): void {
    for (const { session, reason } of this.sessions.sweep()) {
      // sweep() already removed it from the registry; endSession does the rest.
      this.endSession(session, reason);
    }
  }

  // ------------------------------------------------------------ sockets

  /** A socket joins the session: it keeps the session from idling until it leaves. */
  join(session: Session, socket: SessionSocket): boolean {
    const runtime = this.runtimes.get(session);
    if (!runtime || session.ended) return false;
    runtime.sockets.add(socket);
    this.sessions.attach(session);
    return true;
  }

  leave(session: Session, socket: SessionSocket, client?: TerminalClient): void {
    const runtime = this.runtimes.get(session);
    if (runtime?.sockets.delete(socket)) this.sessions.detach(session);
    if (!runtime || !client) return;
    const wasConnected = this.isConnected(session);
    for (const t of runtime.terminals.values()) t.detach(client);
    if (wasConnected && !this.isConnected(session)) this.emit({ type: 'disconnected', session });
  }

  /**
   * Handles a hello: waits for the sandbox (reporting boot phases through
   * `status`), finds or creates the named terminal, and attaches `client`.
   * Detaches the client from any other terminal of the session first.
   */
  async attach(session: Session, client: TerminalClient, hello: HelloMessage, status: (m: ServerMessage) => void): Promise<Terminal> {
    const runtime = this.runtimes.get(session);
    if (!runtime || session.ended) throw new LabError('session-expired', CloseCode.NoSuchSession, 'session ended');
    for (const t of runtime.terminals.values()) if (t.name !== hello.terminal) t.detach(client);

    if (!runtime.sandbox) {
      const watcher: ProgressFn = (phase, progress) => status({ type: 'status', phase, progress });
      watcher(runtime.phase, runtime.progress);
      runtime.watchers.add(watcher);
      try {
        await runtime.sandboxPromise;
      } catch (err) {
        throw new LabError('sandbox-failed', CloseCode.SandboxFailed, `sandbox boot failed: ${String(err)}`);
      } finally {
        runtime.watchers.delete(watcher);
      }
    }
    if (session.ended) throw new LabError('session-expired', CloseCode.NoSuchSession, 'session ended');
    const sandbox = runtime.sandbox!;

    let terminal = runtime.terminals.get(hello.terminal);
    if (!terminal) {
      if (runtime.terminals.size >= this.deps.config.sessions.maxTerminals) {
        throw new LabError('over-capacity', CloseCode.OverCapacity, `at most ${this.deps.config.sessions.maxTerminals} terminals per session`);
      }
      const cfg = this.deps.config.terminal;
      terminal = new Terminal({
        name: hello.terminal,
        bufferBytes: cfg.bufferBytes,
        highWaterBytes: cfg.highWaterBytes,
        lowWaterBytes: cfg.lowWaterBytes,
        openShell: (cols, rows) => this.deps.driver.openShell(sandbox, cols, rows),
        inputHighWaterBytes: cfg.inputHighWaterBytes,
        resizeIntervalMs: cfg.resizeIntervalMs,
        onResize: (outcome) => this.deps.metrics.resizes.inc({ outcome }),
        onInputPaused: () => this.deps.metrics.inputPaused.inc(),
        onOutput: (n) => this.deps.metrics.outputBytes.inc(n),
        onSkipped: (n) => this.deps.metrics.skippedBytes.inc(n),
        onShellExit: () => void this.checkSandbox(session),
        log: this.log.child({ session: session.id }),
      });
      runtime.terminals.set(hello.terminal, terminal);
      this.emit({ type: 'terminal', session, terminal });
    }
    if (!terminal.running) status({ type: 'status', phase: 'shell', progress: 0.95 });
    try {
      await terminal.attach(client, {
        cols: hello.cols,
        rows: hello.rows,
        resumeFrom: hello.resumeFrom,
        sessionExpiresAt: session.expiresAt,
        beforeAttached: () => status({ type: 'status', phase: 'ready', progress: 1 }),
      });
      this.sessions.markUsed(session);
      this.emit({ type: 'connected', session });
    } catch (err) {
      if (session.ended) throw new LabError('session-expired', CloseCode.NoSuchSession, 'session ended');
      // The shell could not start: most likely the sandbox is gone.
      void this.checkSandbox(session);
      throw new LabError('sandbox-failed', CloseCode.SandboxFailed, `shell failed: ${String(err)}`);
    }
    return terminal;
  }

  /** After a shell exit or failure: is the sandbox still there? If not, the session is over. */
  private async checkSandbox(session: Session): Promise<void> {
    const sandbox = this.runtimes.get(session)?.sandbox;
    if (!sandbox) return;
    const running = await this.deps.driver.isRunning(sandbox).catch(() => true);
    if (!running && !session.ended) this.endSession(session, 'sandbox-failed', 'sandbox container stopped');
  }

  // ------------------------------------------------------------ state

  /** Live state for /metrics and /healthz, read when asked. */
  stats(): LabStats {
    let assigned = 0;
    let terminalsAttached = 0;
    let inputQueued = 0;
    for (const r of this.runtimes.values()) {
      if (r.sandbox) assigned++;
      for (const t of r.terminals.values()) {
        if (t.attachedClient) terminalsAttached++;
        inputQueued += t.inputQueued;
      }
    }
    const { ready, booting } = this.deps.pool.counts;
    return { shuttingDown: this.shuttingDown, sessions: this.sessions.size, sandboxes: { ready, booting, assigned }, terminalsAttached, inputQueued };
  }

  /**
   * Shutdown: refuse new sessions, end every session (sockets get
   * ShuttingDown, sandboxes are removed), stop the pool, and wait for Docker
   * to finish removing, up to `deadline`.
   */
  async shutdown(deadline: number): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    for (const runtime of [...this.runtimes.values()]) this.endSession(runtime.session, 'shutdown');
    await this.deps.pool.stop(deadline);
  }
}
