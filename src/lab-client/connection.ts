/**
 * The page's link to its sandbox shell: session request, one WebSocket per
 * terminal, automatic reconnects with backoff, resume offsets, keepalive.
 *
 * The session token is an HttpOnly cookie set by POST /lab/session (sent
 * with credentials, so a separately hosted site works too); this code never
 * sees it and never puts anything secret in a URL.
 *
 * Everything the server says is validated with protocol.parseServerMessage;
 * unknown message types are ignored so an older page keeps working against
 * a newer server. Which closes retry and which wait for the reader is
 * decided by close-policy.ts (pure, table-tested); this file carries it out.
 */
import {
  CloseCode,
  LAB_SUBPROTOCOL,
  QueuedResponse,
  Limits,
  SessionResponse,
  encode,
  parseServerMessage,
  type ClientMessage,
  type ErrorCode,
  type NoticeMessage,
  type SandboxPhase,
  type ServerMessage,
} from '../../lab-server/src/protocol.ts';
import { backoffDelay, defaultBackoff, slowBackoff } from './backoff.ts';
import {
  decideClose,
  decideSessionFailure,
  retriesSlowly,
  unreachableNow,
  type RetryReason,
  type SessionStop,
  type StopReason,
} from './close-policy.ts';
import type { LabEndpoints } from './config.ts';
import { InputQueue } from './flow.ts';
import { requestJson } from './lab-fetch.ts';
import { OutputCursor } from './output-cursor.ts';

export type { RetryReason, StopReason } from './close-policy.ts';

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; step: 'session' | 'socket' }
  /** Class mode: no seat or sandbox free yet; the session request is repeated every QUEUE_POLL_MS. */
  | { kind: 'queued'; position: number; etaSeconds: number }
  | { kind: 'booting'; phase: SandboxPhase; progress: number }
  | { kind: 'connected' }
  | { kind: 'retrying'; reason: RetryReason; attempt: number; retryAt: number }
  | { kind: 'offline' }
  | { kind: 'stopped'; reason: StopReason }
  | { kind: 'exited'; code: number | null };

export interface AttachInfo {
  freshShell: boolean;
  /** Output bytes that were gone from the server's buffer (only after a dropped connection). */
  lost: number;
  /** This attach replays the buffer into a new page (resumeFrom was 0 but the shell is old). */
  replay: boolean;
  sessionExpiresAt: number;
}

export interface ConnectionEvents {
  state(state: ConnectionState): void;
  /** Output bytes not shown before, in order. */
  output(bytes: Uint8Array): void;
  attached(info: AttachInfo): void;
  /** Class mode: a notice for the dock (time warning, the instructor's message, class over). */
  notice?(message: NoticeMessage): void;
}

export interface SizeSource {
  (): { cols: number; rows: number };
}

const PING_INTERVAL_MS = 20_000;
/** No message at all for this long means the socket is dead even if the browser has not noticed. */
const DEAD_AFTER_MS = 45_000;
const OPEN_TIMEOUT_MS = 15_000;
/**
 * A queued learner's page asks for its session again this often: well inside
 * the server's QUEUE_POLL_TIMEOUT_MS (30 s), so a place is never dropped
 * while the page is open, and a freed seat is taken within 2.5 s.
 */
export const QUEUE_POLL_MS = 2_500;

export class LabConnection {
  state: ConnectionState = { kind: 'idle' };
  readonly cursor = new OutputCursor();
  readonly input: InputQueue;

  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private openTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMessageAt = 0;
  private pingId = 0;
  /** Consecutive 4001/4004 closes right after a fresh session: cookies do not stick. */
  private authFailures = 0;
  private needSession = true;
  /** Error code the server sent before closing, to explain the close. */
  private lastServerError: ErrorCode | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly endpoints: LabEndpoints;
  private readonly terminal: string;
  private readonly size: SizeSource;
  private readonly events: ConnectionEvents;
  private readonly fetchImpl: typeof fetch;
  /** May hand over a socket opened earlier (index.ts opens the first one while the terminal is created); it may be open already. */
  private readonly openWebSocket: (url: string, protocol: string) => WebSocket;
  /** Set while a user action (new sandbox) replaces the connection, so old socket closes are ignored. */
  private generation = 0;

  constructor(
    endpoints: LabEndpoints,
    size: SizeSource,
    events: ConnectionEvents,
    terminal = 'main',
    fetchImpl: typeof fetch = fetch.bind(globalThis),
    openWebSocket: (url: string, protocol: string) => WebSocket = (url, protocol) => new WebSocket(url, protocol),
  ) {
    this.endpoints = endpoints;
    this.size = size;
    this.events = events;
    this.terminal = terminal;
    this.fetchImpl = fetchImpl;
    this.openWebSocket = openWebSocket;
    this.input = new InputQueue(
      {
        send: (frame) => this.ws?.send(frame),
        buffered: () => this.ws?.bufferedAmount ?? 0,
        ready: () => this.state.kind === 'connected' && this.ws?.readyState === WebSocket.OPEN,
      },
      Limits.maxInputFrameBytes,
    );
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => {
        if (this.state.kind === 'offline' || this.state.kind === 'retrying') this.reconnectNow();
      });
      window.addEventListener('offline', () => {
        if (this.state.kind === 'retrying') this.setState({ kind: 'offline' });
      });
    }
  }

  /** Starts connecting (no-op when already connected or on the way). */
  start(): void {
    if (this.state.kind === 'idle') void this.connect();
  }

  /**
   * Resolves once the shell is attached. If the connection is stopped (needs
   * the reader) it is restarted: a 실행 click is that action. Rejects when
   * the lab cannot be reached, so the snippet can say so at once.
   */
  ready(): Promise<void> {
    switch (this.state.kind) {
      case 'connected':
        return Promise.resolve();
      case 'idle':
        this.start();
        break;
      case 'stopped':
        if (isSessionStop(this.state.reason)) {
          // A click is the reader's action: ask once more (they may have joined meanwhile).
          if (this.state.reason !== 'forbidden-origin') this.reconnectNow();
          return Promise.reject(new Error(this.state.reason));
        }
        if (this.state.reason === 'session-expired' || this.state.reason === 'sandbox-failed') {
          return this.newSandbox().then(() => this.ready());
        }
        this.reconnectNow();
        break;
      case 'exited':
        this.reconnectNow();
        break;
      case 'retrying':
      case 'offline':
        // A click while the lab is unreachable: try right away, but tell the
        // snippet now rather than leaving it silent.
        if (this.state.kind === 'offline' || unreachableNow(this.state.reason)) {
          this.reconnectNow();
          return Promise.reject(new Error('unreachable'));
        }
        break;
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  sendInput(bytes: Uint8Array): boolean {
    return this.input.push(bytes);
  }

  sendControl(message: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encode(message));
  }

  resize(cols: number, rows: number): void {
    if (this.state.kind === 'connected') this.sendControl({ type: 'resize', cols, rows });
  }

  /** Reconnect immediately (button ‘다시 연결’, 실행 after a stop, network back). */
  reconnectNow(): void {
    this.clearRetry();
    this.attempt = 0;
    this.closeSocket();
    void this.connect();
  }

  /** Drops the current sandbox and starts a new one (DELETE then POST /lab/session). */
  async newSandbox(): Promise<void> {
    this.generation++;
    this.clearRetry();
    this.closeSocket();
    this.input.clear();
    this.setState({ kind: 'connecting', step: 'session' });
    try {
      await this.fetchImpl(this.endpoints.sessionUrl, { method: 'DELETE', credentials: 'include' });
    } catch {
      // unreachable: the POST below fails too and says so
    }
    this.needSession = true;
    this.attempt = 0;
    // A brand-new shell: its output starts at 0 and none of it has been shown.
    this.cursor.received = 0;
    await this.connect();
  }

  /** Closes the socket as a dropped network would (tests): the close handler reconnects. */
  simulateDrop(): void {
    this.ws?.close(4000, 'simulated drop');
  }

  /** Closes everything (page unload is fine without it; used by tests and teardown). */
  dispose(): void {
    this.generation++;
    this.clearRetry();
    this.closeSocket();
    this.setState({ kind: 'idle' });
  }

  // -------------------------------------------------------------------------

  private setState(state: ConnectionState): void {
    this.state = state;
    this.events.state(state);
    if (state.kind === 'connected') {
      for (const w of this.waiters.splice(0)) w.resolve();
      this.input.drain();
    } else if (state.kind === 'stopped' || state.kind === 'offline' || (state.kind === 'retrying' && unreachableNow(state.reason))) {
      for (const w of this.waiters.splice(0)) w.reject(new Error(state.kind === 'stopped' ? state.reason : 'unreachable'));
    }
  }

  private async connect(): Promise<void> {
    const generation = this.generation;
    if (this.needSession) {
      this.setState({ kind: 'connecting', step: 'session' });
      const result = await this.requestSession();
      if (generation !== this.generation) return;
      if (typeof result === 'object') {
        // Not a failure: the server keeps the place as long as we keep asking.
        this.setState({ kind: 'queued', position: result.position, etaSeconds: result.etaSeconds });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.connect();
        }, QUEUE_POLL_MS);
        return;
      }
      if (result !== 'ok') {
        if (isSessionStop(result)) this.setState({ kind: 'stopped', reason: result });
        else this.scheduleRetry(result);
        return;
      }
      this.needSession = false;
    }
    this.openSocket(generation);
  }

  private async requestSession(): Promise<'ok' | QueuedResponse | SessionStop | RetryReason> {
    const answer = await requestJson(this.endpoints.sessionUrl, { method: 'POST' }, this.fetchImpl);
    if (!answer) return 'unreachable';
    if (answer.ok && SessionResponse.safeParse(answer.body).success) return 'ok';
    const queued = answer.status === 202 ? QueuedResponse.safeParse(answer.body) : null;
    if (queued?.success) return queued.data;
    return decideSessionFailure(answer.status, answer.code);
  }

  private openSocket(generation: number): void {
    this.setState({ kind: 'connecting', step: 'socket' });
    let ws: WebSocket;
    try {
      ws = this.openWebSocket(this.endpoints.wsUrl, LAB_SUBPROTOCOL);
    } catch {
      this.scheduleRetry('unreachable');
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastServerError = null;
    let opened = false;
    this.openTimer = setTimeout(() => {
      if (!opened) ws.close();
    }, OPEN_TIMEOUT_MS);

    ws.onopen = () => {
      opened = true;
      this.clearOpenTimer();
      this.lastMessageAt = Date.now();
      const { cols, rows } = this.size();
      this.sendControl({ type: 'hello', terminal: this.terminal, cols, rows, resumeFrom: this.cursor.resumeFrom });
      performance.mark('lab:hello-sent'); // bench/terminal.ts: where a first click's time goes
      this.startKeepalive(ws);
    };
    // A socket opened before this connection took it: its open event is gone, the hello goes now.
    if (ws.readyState === WebSocket.OPEN) queueMicrotask(() => ws === this.ws && !opened && ws.onopen?.(new Event('open')));
    ws.onmessage = (event: MessageEvent) => {
      if (ws !== this.ws) return;
      this.lastMessageAt = Date.now();
      if (event.data instanceof ArrayBuffer) {
        const fresh = this.cursor.accept(new Uint8Array(event.data));
        if (fresh.byteLength > 0) this.events.output(fresh);
        return;
      }
      if (typeof event.data !== 'string' || event.data.length > Limits.maxControlFrameBytes) return;
      const parsed = parseServerMessage(event.data);
      if (!parsed.ok) return; // unknown or malformed: ignored, never trusted
      this.onControl(parsed.message);
    };
    ws.onclose = (event: CloseEvent) => {
      this.clearOpenTimer();
      this.stopKeepalive();
      if (ws !== this.ws || generation !== this.generation) return;
      this.ws = null;
      this.onClose(event.code, opened);
    };
    ws.onerror = () => {
      // Always followed by close; the close code says more.
    };
  }

  private onControl(message: ServerMessage): void {
    switch (message.type) {
      case 'status':
        if (this.state.kind !== 'connected') this.setState({ kind: 'booting', phase: message.phase, progress: message.progress });
        break;
      case 'attached': {
        const askedFrom = this.cursor.resumeFrom;
        const { lost } = this.cursor.attached(message.from, message.freshShell);
        this.attempt = 0;
        this.authFailures = 0;
        this.events.attached({
          freshShell: message.freshShell,
          lost: askedFrom > 0 ? lost : 0,
          replay: askedFrom === 0 && !message.freshShell,
          sessionExpiresAt: message.sessionExpiresAt,
        });
        this.setState({ kind: 'connected' });
        // The size may have changed while connecting.
        const { cols, rows } = this.size();
        this.sendControl({ type: 'resize', cols, rows });
        break;
      }
      case 'exit':
        this.setState({ kind: 'exited', code: message.code });
        this.closeSocket();
        break;
      case 'error':
        this.lastServerError = message.code;
        break;
      case 'pong':
        break;
      case 'notice':
        this.events.notice?.(message);
        break;
      default:
        message satisfies never; // a type added to ServerMessage needs a case here
    }
  }

  private onClose(code: number, opened: boolean): void {
    if (this.state.kind === 'exited') return;
    if (code === CloseCode.Unauthorized || code === CloseCode.NoSuchSession) this.authFailures++;
    const decision = decideClose({
      code,
      opened,
      serverError: this.lastServerError,
      online: typeof navigator === 'undefined' || navigator.onLine !== false,
      authFailures: this.authFailures,
    });
    switch (decision.action) {
      case 'new-session':
        this.needSession = true;
        this.cursor.received = 0; // a new session has a new shell
        void this.connect();
        return;
      case 'stop':
        if (decision.newSessionNext) this.needSession = true;
        return this.setState({ kind: 'stopped', reason: decision.reason });
      case 'retry':
        return this.scheduleRetry(decision.reason);
      case 'offline':
        return this.setState({ kind: 'offline' });
    }
  }

  private scheduleRetry(reason: RetryReason): void {
    this.clearRetry();
    const options = retriesSlowly(reason) ? slowBackoff : defaultBackoff;
    const delay = backoffDelay(this.attempt, options);
    this.attempt++;
    this.setState({ kind: 'retrying', reason, attempt: this.attempt, retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearOpenTimer(): void {
    if (this.openTimer !== null) clearTimeout(this.openTimer);
    this.openTimer = null;
  }

  private startKeepalive(ws: WebSocket): void {
    this.stopKeepalive();
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      if (Date.now() - this.lastMessageAt > DEAD_AFTER_MS) {
        // The browser may take minutes to notice a dead TCP connection.
        ws.close();
        return;
      }
      this.sendControl({ type: 'ping', id: ++this.pingId });
    }, PING_INTERVAL_MS);
  }

  private stopKeepalive(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.stopKeepalive();
    this.clearOpenTimer();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  }
}

const SESSION_STOPS: ReadonlySet<string> = new Set<SessionStop>(['forbidden-origin', 'class-only', 'class-ended']);
const isSessionStop = (reason: string): reason is SessionStop => SESSION_STOPS.has(reason);
