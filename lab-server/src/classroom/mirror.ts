/**
 * The instructor's read-only mirror of a learner's terminal: WebSocket
 * MIRROR_WS_PATH?learner=<id>[&terminal=<name>] (protocol.ts says the wire).
 * The gateway hands the upgrade here after its Host check.
 *
 * Upgrade checks, in order (each refusal counted in
 * lab_class_mirrors_closed_total and logged):
 *   Origin        missing or not allowed        -> HTTP 403, no upgrade
 *   admin cookie  no valid instructor login     -> HTTP 401, no upgrade
 *   protocol      MIRROR_SUBPROTOCOL not offered -> HTTP 400, no upgrade
 *   learner       malformed id                  -> HTTP 400, no upgrade
 * After the upgrade (a browser sees only the close code):
 *   no live session for the learner             -> CloseCode.NoSuchSession
 *   over MIRRORS_PER_CLASS or MIRRORS_TOTAL      -> CloseCode.OverCapacity
 *
 * What it sends: binary frames only, the bytes of the learner's terminal
 * (Terminal.watch): the output still in its replay buffer first, then every
 * chunk as the learner's page gets it, in order. Whatever the instructor's
 * page sends is read and dropped (the learner's shell never sees it).
 *
 * A mirror never slows the learner: the terminal hands it chunks without
 * waiting, and when the instructor's socket has more than
 * MIRROR_HIGH_WATER_BYTES unsent (a slow network, a stalled tab) the mirror
 * is closed (OverCapacity, reason `slow`) instead of holding the shell back.
 * It closes with the learner's session (EndedByInstructor or Normal) and
 * when the instructor logs out.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Lab, LabEvent } from '../lab.ts';
import type { Metrics } from '../metrics.ts';
import type { OriginPolicy } from '../origin.ts';
import { ClassroomId, CloseCode, HelloMessage, MIRROR_SUBPROTOCOL } from '../protocol.ts';
import type { Session } from '../sessions.ts';
import type { Terminal } from '../terminal.ts';

/** A class has one instructor, perhaps an assistant: a few mirrors at once each. */
export const MIRRORS_PER_CLASS = 4;
export const MIRRORS_TOTAL = 16;
/** Unsent bytes after which a mirror is dropped (4 replay buffers' worth at the default LAB_OUTPUT_BUFFER). */
export const MIRROR_HIGH_WATER_BYTES = 1024 * 1024;
/** The page sends nothing that matters; anything larger is closed by ws (1009). */
const MAX_INBOUND_FRAME_BYTES = 1024;
const TerminalName = HelloMessage.shape.terminal;

export interface MirrorDeps {
  lab: Lab;
  policy: OriginPolicy;
  metrics: Metrics;
  log: Logger;
  /** The instructor's login behind the request's cookie (classroom/auth.ts), or undefined. */
  adminOf(req: IncomingMessage): string | undefined;
}

type CloseReason = 'ended' | 'left' | 'slow' | 'cap' | 'no-session' | 'auth' | 'origin' | 'bad-request' | 'logout' | 'shutdown';

class OneMirror {
  readonly classId: string;
  readonly admin: string;
  readonly session: Session;
  private readonly ws: WebSocket;
  private readonly name: string;
  private stopWatching: (() => void) | undefined;
  private closed = false;
  private readonly onClosed: (reason: CloseReason) => void;

  constructor(ws: WebSocket, session: Session, name: string, admin: string, onClosed: (reason: CloseReason) => void) {
    this.ws = ws;
    this.session = session;
    this.classId = session.owner!.classId;
    this.name = name;
    this.admin = admin;
    this.onClosed = onClosed;
    ws.on('message', () => undefined); // read-only: input is dropped
    ws.on('close', () => this.close('left'));
    ws.on('error', () => undefined);
  }

  /** Starts following `terminal` if it is the mirrored one (now, or when the learner opens it). */
  follow(terminal: Terminal): void {
    if (this.closed || this.stopWatching || terminal.name !== this.name) return;
    const { recent, stop } = terminal.watch((bytes) => this.send(bytes));
    this.stopWatching = stop;
    if (recent.length > 0) this.send(recent);
  }

  private send(bytes: Buffer): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > MIRROR_HIGH_WATER_BYTES) return this.close('slow');
    this.ws.send(bytes, { binary: true });
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching?.();
    const code = reason === 'slow' ? CloseCode.OverCapacity : reason === 'shutdown' ? CloseCode.ShuttingDown : CloseCode.Normal;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
    this.onClosed(reason);
  }
}

export class MirrorHub {
  private readonly deps: MirrorDeps;
  private readonly wss: WebSocketServer;
  private readonly mirrors = new Set<OneMirror>();

  constructor(deps: MirrorDeps) {
    this.deps = deps;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_INBOUND_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(MIRROR_SUBPROTOCOL) ? MIRROR_SUBPROTOCOL : false),
    });
    deps.lab.onEvent((e) => this.onLabEvent(e));
  }

  get size(): number {
    return this.mirrors.size;
  }

  /** The gateway's upgrade for MIRROR_WS_PATH (its Host check already passed). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { policy, log } = this.deps;
    const ip = policy.clientIp(req);
    const refuse = (status: number, text: string, reason: CloseReason) => {
      this.count(reason);
      log.warn({ ip, reason }, `mirror refused: ${text}`);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
      socket.destroy();
    };
    const verdict = policy.check(req);
    if (!verdict.ok) return refuse(403, 'Forbidden', 'origin');
    const admin = this.deps.adminOf(req);
    if (!admin) return refuse(401, 'Unauthorized', 'auth');
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!offered.includes(MIRROR_SUBPROTOCOL)) return refuse(400, 'Bad Request', 'bad-request');
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const learner = ClassroomId.safeParse(query.get('learner'));
    const terminal = TerminalName.safeParse(query.get('terminal') ?? 'main');
    if (!learner.success || !terminal.success) return refuse(400, 'Bad Request', 'bad-request');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, learner.data, terminal.data, admin, ip));
  }

  private open(ws: WebSocket, learnerId: string, name: string, admin: string, ip: string): void {
    const { lab, log } = this.deps;
    const session = lab.sessions.forLearner(learnerId);
    if (!session?.owner) {
      this.count('no-session');
      return ws.close(CloseCode.NoSuchSession, 'no session');
    }
    const classId = session.owner.classId;
    const inClass = [...this.mirrors].filter((m) => m.classId === classId).length;
    if (this.mirrors.size >= MIRRORS_TOTAL || inClass >= MIRRORS_PER_CLASS) {
      this.count('cap');
      log.warn({ learner: learnerId, class: classId, inClass, total: this.mirrors.size }, 'mirror refused: cap');
      return ws.close(CloseCode.OverCapacity, 'too many mirrors');
    }
    const mirror = new OneMirror(ws, session, name, admin, (reason) => {
      this.mirrors.delete(mirror);
      this.count(reason);
      this.deps.metrics.classMirrors.set(this.mirrors.size);
      log.info({ learner: learnerId, session: session.id, reason }, 'mirror closed');
    });
    this.mirrors.add(mirror);
    this.deps.metrics.classMirrors.set(this.mirrors.size);
    log.info({ learner: learnerId, session: session.id, terminal: name, ip }, 'mirror opened');
    for (const t of lab.terminalsOf(session)) mirror.follow(t);
  }

  private onLabEvent(e: LabEvent): void {
    for (const mirror of [...this.mirrors]) {
      if (mirror.session !== e.session) continue;
      if (e.type === 'terminal') mirror.follow(e.terminal);
      if (e.type === 'ended') mirror.close('ended');
    }
  }

  /** The instructor logged out: that login's mirrors close. */
  loggedOut(admin: string): void {
    for (const mirror of [...this.mirrors]) if (mirror.admin === admin) mirror.close('logout');
  }

  close(): void {
    for (const mirror of [...this.mirrors]) mirror.close('shutdown');
    this.wss.close();
  }

  private count(reason: CloseReason): void {
    this.deps.metrics.classMirrorsClosed.inc({ reason });
  }
}
