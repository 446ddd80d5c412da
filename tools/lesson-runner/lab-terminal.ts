/**
 * A terminal on the lab server, driven from Node the way the page drives it:
 * POST the session route for a cookie, open the WebSocket with the same
 * subprotocol and Origin, say hello, then exchange raw bytes. The lesson
 * runner uses it so CI exercises the exact path a reader's 실행 takes.
 */
import WebSocket from 'ws';
import {
  LAB_SESSION_PATH,
  LAB_SUBPROTOCOL,
  LAB_WS_PATH,
  SESSION_COOKIE,
  encode,
  parseServerMessage,
  type ServerMessage,
} from '../../lab-server/src/protocol.ts';

export interface LabTerminalOptions {
  /** Lab server base URL, e.g. http://127.0.0.1:4321 */
  baseUrl: string;
  /** Sent as Origin; defaults to the base URL's origin (same-origin page). */
  origin?: string;
  cols?: number;
  rows?: number;
  /** Called for every control message (boot progress, errors). */
  onMessage?: (message: ServerMessage) => void;
}

interface SessionInfo {
  baseUrl: string;
  origin: string;
  cookie: string;
}

export class LabTerminal {
  /** Everything the terminal printed since the last attach, decoded as UTF-8. */
  text = '';
  /** The shell ended or the socket closed; `reattach()` starts over. */
  exited = false;
  private decoder = new TextDecoder();
  private readonly waiters = new Set<() => void>();
  private readonly session: SessionInfo;
  private readonly options: LabTerminalOptions;
  private socket: WebSocket | undefined;

  private constructor(session: SessionInfo, options: LabTerminalOptions) {
    this.session = session;
    this.options = options;
  }

  /** Creates a new session (so a new sandbox) and attaches its main terminal. */
  static async open(options: LabTerminalOptions): Promise<LabTerminal> {
    const origin = options.origin ?? new URL(options.baseUrl).origin;
    const response = await fetch(new URL(LAB_SESSION_PATH, options.baseUrl), { method: 'POST', headers: { origin } });
    if (!response.ok) throw new Error(`session request failed: HTTP ${response.status} ${await response.text()}`);
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (!cookie) throw new Error('session response set no cookie');
    const terminal = new LabTerminal({ baseUrl: options.baseUrl, origin, cookie }, options);
    await terminal.reattach();
    return terminal;
  }

  /**
   * (Re)opens the WebSocket of the same session. After the shell ended, the
   * server starts a fresh shell in the same sandbox, as it does for a reader.
   */
  async reattach(): Promise<void> {
    this.socket?.removeAllListeners();
    this.socket?.close(1000);
    this.text = '';
    this.exited = false;
    this.decoder = new TextDecoder();
    const wsUrl = new URL(LAB_WS_PATH, this.session.baseUrl);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(wsUrl, [LAB_SUBPROTOCOL], {
      headers: { cookie: this.session.cookie, origin: this.session.origin },
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
    socket.on('error', () => undefined); // 'close' follows and ends the wait
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.text += this.decoder.decode(data as Buffer, { stream: true });
      } else {
        const parsed = parseServerMessage(String(data));
        if (parsed.ok) {
          if (parsed.message.type === 'exit') this.exited = true;
          this.options.onMessage?.(parsed.message);
        }
      }
      this.notify();
    });
    socket.on('close', () => {
      this.exited = true;
      this.notify();
    });
    const { cols = 120, rows = 40 } = this.options;
    socket.send(encode({ type: 'hello', terminal: 'main', cols, rows, resumeFrom: 0 }));
  }

  send(text: string): void {
    this.socket?.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  /** Resolves once `test()` is true (checked after every frame), or rejects after `ms` or when the terminal closes. */
  waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    if (this.exited) return Promise.reject(new Error(`terminal closed while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) done(resolve);
        else if (this.exited) done(() => reject(new Error(`terminal closed while waiting for ${what}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`))), ms);
      const done = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.socket?.close(1000);
  }

  /** Ends the session on purpose, so its sandbox is removed now rather than at idle timeout. */
  async endSession(): Promise<void> {
    await fetch(new URL(LAB_SESSION_PATH, this.session.baseUrl), {
      method: 'DELETE',
      headers: { cookie: this.session.cookie, origin: this.session.origin },
    });
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}
