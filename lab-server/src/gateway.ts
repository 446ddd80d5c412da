/**
 * The WebSocket side: one socket per terminal (protocol.ts describes the
 * wire format). This file owns everything about a socket and nothing about
 * sandboxes: the upgrade checks, message validation, rate and size limits,
 * heartbeats, and the translation to Lab calls.
 *
 * Upgrade checks, in order (each refusal counted in lab_rejected_total):
 *   Host       not one of our names            -> HTTP 421, no upgrade (DNS rebinding, origin.ts)
 *   path       MIRROR_WS_PATH                 -> the instructor's mirror (classroom/mirror.ts checks the rest)
 *   path       not LAB_WS_PATH                -> HTTP 404, no upgrade
 *   Origin     missing or not allowed          -> HTTP 403, no upgrade
 *   protocol   LAB_SUBPROTOCOL not offered     -> HTTP 400, no upgrade
 * After the upgrade the reason can be told to the page as a close code:
 *   shutting down                              -> CloseCode.ShuttingDown
 *   no cookie / unknown session                -> Unauthorized / NoSuchSession
 *   a session that recently ended              -> why: Idle, Expired, SandboxFailed
 *   over LAB_WS_PER_SESSION / LAB_WS_PER_CLIENT -> OverCapacity (measured before: 2,000
 *                                                 sockets on one cookie were all accepted and held);
 *                                                 a class learner's sockets count per session only
 *                                                 (a class of 30 behind one NAT, issue 13)
 *   no hello within LAB_WS_HELLO_TIMEOUT       -> ProtocolError (was 30 s)
 *
 * Input backpressure: when a terminal says its shell's input queue is full
 * (terminal.ts), the socket is no longer read (ws.pause()), so TCP pushes
 * back to the page instead of our memory filling; the heartbeat spares it
 * for INPUT_PAUSE_GRACE_MS (its pongs wait unread behind the input).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Config } from './config.ts';
import { CLOSE_FOR, type Lab, LabError } from './lab.ts';
import type { Metrics } from './metrics.ts';
import { clientKey, type OriginPolicy } from './origin.ts';
import { CountedCaps } from './counted-caps.ts';
import { hostGuard, readCookie } from './http.ts';
import {
  CloseCode,
  LAB_SUBPROTOCOL,
  LAB_WS_PATH,
  Limits,
  MIRROR_WS_PATH,
  SESSION_COOKIE,
  encode,
  parseClientMessage,
  type ClientMessage,
  type HelloMessage,
  type ServerMessage,
} from './protocol.ts';
import type { Session } from './sessions.ts';
import type { Terminal, TerminalClient } from './terminal.ts';
import { TokenBucket } from './token-bucket.ts';

const HEARTBEAT_MS = 30_000;
/**
 * A socket not read because its shell's input is full cannot have its pongs
 * read either: the heartbeat spares it this long (a paste into `sleep 120`
 * survives), then treats it like any other (a peer gone meanwhile is found).
 */
const INPUT_PAUSE_GRACE_MS = 3 * 60_000;
/** Malformed control messages tolerated per socket before it is closed. */
const MAX_BAD_MESSAGES = 20;
/** Input queued while a hello is being served (the sandbox may still boot). */
const MAX_BACKLOG_BYTES = 256 * 1024;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  socket.destroy();
}

export interface GatewayDeps {
  lab: Lab;
  policy: OriginPolicy;
  metrics: Metrics;
  config: Config;
  log: Logger;
  /** Class mode: the instructor's read-only terminal mirrors (classroom/mirror.ts). */
  mirrors?: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void };
}

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly deps: GatewayDeps;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly alive = new WeakSet<WebSocket>();
  /** Sockets not being read because their shell's input is full, and since when. */
  private readonly inputPaused = new WeakMap<WebSocket, number>();
  private readonly perSession: CountedCaps;
  private readonly perClient: CountedCaps;
  private readonly foreignHost: (req: IncomingMessage) => string | undefined;

  constructor(deps: GatewayDeps) {
    this.deps = deps;
    this.perSession = new CountedCaps(Infinity, deps.config.ws.perSession);
    this.perClient = new CountedCaps(Infinity, deps.config.ws.perClient);
    this.foreignHost = hostGuard(deps.policy, deps.metrics, deps.log);
    this.wss = new WebSocketServer({
      noServer: true,
      // Binary input frames are the largest legitimate frames; ws closes with
      // 1009 (CloseCode.TooLarge) above this without buffering the frame.
      maxPayload: Math.max(Limits.maxInputFrameBytes, Limits.maxControlFrameBytes),
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (protocols) => (protocols.has(LAB_SUBPROTOCOL) ? LAB_SUBPROTOCOL : false),
    });
    // Dead peers (laptop lid closed) hold a terminal attached: ping every
    // socket each interval and drop those that did not answer the last ping.
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (Date.now() - (this.inputPaused.get(ws) ?? -Infinity) < INPUT_PAUSE_GRACE_MS) continue;
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { metrics, policy, log } = this.deps;
    const path = (req.url ?? '').split('?')[0];
    if (this.foreignHost(req)) return refuse(socket, 421, 'Misdirected Request');
    if (path === MIRROR_WS_PATH && this.deps.mirrors) return this.deps.mirrors.handleUpgrade(req, socket, head);
    if (path !== LAB_WS_PATH) return refuse(socket, 404, 'Not Found');
    const verdict = policy.check(req);
    if (!verdict.ok) {
      metrics.reject(verdict.reason);
      log.warn({ origin: verdict.origin, reason: verdict.reason, ip: policy.clientIp(req) }, 'websocket refused: origin');
      return refuse(socket, 403, 'Forbidden');
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!offered.includes(LAB_SUBPROTOCOL)) {
      metrics.reject('bad-subprotocol');
      return refuse(socket, 400, `Bad Request: subprotocol ${LAB_SUBPROTOCOL} required`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const { lab, metrics } = this.deps;
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    if (lab.isShuttingDown) {
      metrics.reject('shutting-down');
      return ws.close(CloseCode.ShuttingDown, 'shutting down');
    }
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = lab.lookup(token);
    if (!session) {
      metrics.reject('no-session');
      const ended = lab.sessions.whyEnded(token);
      if (ended) {
        // Tell the page what happened to its session, not just that it is gone.
        const code = ended.reason === 'sandbox-failed' ? 'sandbox-failed' : 'session-expired';
        ws.send(encode({ type: 'error', code, detail: ended.detail.slice(0, 500) }));
        return ws.close(CLOSE_FOR[ended.reason], ended.reason);
      }
      return ws.close(token ? CloseCode.NoSuchSession : CloseCode.Unauthorized, token ? 'no such session' : 'no session cookie');
    }
    // Caps: per client (its IP or /64) and per session, counted until the socket closes.
    // A learner's session holds a seat of its class, not a share of its address (the class's NAT).
    const client = session.owner ? undefined : clientKey(this.deps.policy.clientIp(req));
    const byClient = client === undefined ? { ok: true } : this.perClient.take(client);
    if (!byClient.ok)
      return this.overCap(ws, 'ws-client-cap', `at most ${this.perClient.maxPerKey} sockets per client (LAB_WS_PER_CLIENT)`, { client: client! });
    const bySession = this.perSession.take(session.id);
    if (!bySession.ok) {
      if (client !== undefined) this.perClient.release(client);
      return this.overCap(ws, 'ws-session-cap', `at most ${this.perSession.maxPerKey} sockets per session (LAB_WS_PER_SESSION)`, {
        session: session.id,
      });
    }
    ws.once('close', () => {
      if (client !== undefined) this.perClient.release(client);
      this.perSession.release(session.id);
    });
    new Connection(ws, session, this.deps, this.inputPaused);
  }

  private readonly capLogged = new Map<string, number>();
  private overCap(ws: WebSocket, reason: 'ws-client-cap' | 'ws-session-cap', detail: string, who: Record<string, string>): void {
    this.deps.metrics.reject(reason);
    const key = `${reason} ${Object.values(who)[0]}`;
    if (Date.now() - (this.capLogged.get(key) ?? 0) > 10_000) {
      if (this.capLogged.size > 1000) this.capLogged.clear();
      this.capLogged.set(key, Date.now());
      this.deps.log.warn({ reason, ...who }, `websocket refused: ${detail}`);
    }
    ws.send(encode({ type: 'error', code: 'over-capacity', detail }));
    ws.close(CloseCode.OverCapacity, reason);
  }

  /** Stops heartbeats and closes every socket (after the lab closed its sessions' sockets). */
  close(code: number, reason: string): void {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(code, reason);
    this.wss.close();
  }
}

/** One WebSocket: its state machine from connect to close. */
class Connection {
  private readonly ws: WebSocket;
  private readonly session: Session;
  private readonly deps: GatewayDeps;
  private readonly bucket: TokenBucket;
  private readonly client: TerminalClient;
  private readonly log: Logger;
  private terminal: Terminal | undefined;
  private helloPending = false;
  private backlog: Array<{ data: Buffer; isBinary: boolean }> = [];
  private backlogBytes = 0;
  private badMessages = 0;
  private helloTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inputPaused: WeakMap<WebSocket, number>;

  constructor(ws: WebSocket, session: Session, deps: GatewayDeps, inputPaused: WeakMap<WebSocket, number>) {
    this.ws = ws;
    this.inputPaused = inputPaused;
    this.session = session;
    this.deps = deps;
    this.log = deps.log.child({ session: session.id });
    this.bucket = new TokenBucket(deps.config.terminal.rate, deps.config.terminal.burst);
    this.client = {
      sendOutput: (bytes, written) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(bytes, { binary: true }, () => written());
      },
      sendControl: (message) => this.send(message),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      close: (code, reason) => this.close(code, reason),
      pauseInput: () => {
        this.inputPaused.set(ws, Date.now());
        ws.pause();
      },
      resumeInput: () => {
        this.inputPaused.delete(ws);
        ws.resume();
      },
    };

    if (!deps.lab.join(session, this)) {
      deps.metrics.reject('no-session');
      ws.close(CloseCode.NoSuchSession, 'session ended');
      return;
    }
    this.helloTimer = setTimeout(() => {
      deps.metrics.reject('no-hello');
      this.close(CloseCode.ProtocolError, 'no hello');
    }, deps.config.ws.helloTimeoutMs);
    ws.on('message', (data: Buffer, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => {
      // ws reports an oversized frame here and closes with 1009 itself.
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.deps.metrics.reject('too-large');
      this.log.debug({ err: String(err) }, 'websocket error');
    });
  }

  /** Closes the socket (called by the lab when the session ends, or on a violation). */
  close(code: number, reason: string, error?: ServerMessage): void {
    if (this.closed) return;
    if (error) this.send(error);
    this.closed = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
    this.onClose();
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encode(message));
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.helloTimer);
    this.deps.lab.leave(this.session, this, this.client);
    this.terminal = undefined;
    this.backlog = [];
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!this.bucket.take()) {
      this.deps.metrics.reject('rate-limited');
      return this.close(CloseCode.RateLimited, 'rate limited', { type: 'error', code: 'rate-limited', detail: 'too many messages' });
    }
    if (!isBinary && data.length > Limits.maxControlFrameBytes) {
      this.deps.metrics.reject('too-large');
      return this.close(CloseCode.TooLarge, 'control frame too large');
    }
    if (this.helloPending) {
      // Keep order: what the page sent after hello waits until it is served.
      this.backlogBytes += data.length;
      if (this.backlogBytes > MAX_BACKLOG_BYTES) {
        this.deps.metrics.reject('too-large');
        return this.close(CloseCode.TooLarge, 'too much input before attach');
      }
      this.backlog.push({ data, isBinary });
      return;
    }
    this.dispatch(data, isBinary);
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (!this.terminal) return; // input before attach has nowhere to go
      this.deps.metrics.inputBytes.inc(data.length);
      this.terminal.input(this.client, data);
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      if (parsed.reason === 'unknown-type') return; // forward compatibility
      this.send({ type: 'error', code: 'bad-message', detail: parsed.detail });
      if (++this.badMessages > MAX_BAD_MESSAGES) {
        this.deps.metrics.reject('protocol-error');
        this.close(CloseCode.ProtocolError, 'too many bad messages');
      }
      return;
    }
    this.handle(parsed.message);
  }

  private handle(message: ClientMessage): void {
    switch (message.type) {
      case 'hello':
        void this.hello(message);
        return;
      case 'resize':
        this.terminal?.resize(this.client, message.cols, message.rows);
        return;
      case 'pause':
      case 'resume':
        this.terminal?.setClientPaused(this.client, message.type === 'pause');
        return;
      case 'ping':
        this.send({ type: 'pong', id: message.id });
        return;
      case 'ack':
        this.terminal?.ack(this.client, message.processed);
        return;
      default:
        message satisfies never; // a type added to ClientMessage needs a case here
    }
  }

  private async hello(message: HelloMessage): Promise<void> {
    clearTimeout(this.helloTimer);
    this.helloPending = true;
    try {
      this.terminal = await this.deps.lab.attach(this.session, this.client, message, (m) => this.send(m));
    } catch (err) {
      if (this.closed) return;
      if (err instanceof LabError) {
        if (err.code === 'sandbox-failed') this.deps.metrics.reject('sandbox-failed');
        if (err.code === 'over-capacity') this.deps.metrics.reject('over-capacity');
        return this.close(err.closeCode, err.code, { type: 'error', code: err.code, detail: err.message.slice(0, 500) });
      }
      this.log.error({ err }, 'hello failed');
      return this.close(CloseCode.SandboxFailed, 'internal error', { type: 'error', code: 'internal', detail: 'internal error' });
    } finally {
      this.helloPending = false;
    }
    // Replay what arrived meanwhile, in order (a second hello re-queues the rest).
    while (this.backlog.length > 0 && !this.helloPending && !this.closed) {
      const next = this.backlog.shift()!;
      this.backlogBytes -= next.data.length;
      this.dispatch(next.data, next.isBinary);
    }
  }
}
