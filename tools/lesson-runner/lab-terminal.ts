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

export class LabTerminal {
  /** Everything the terminal printed since attach, decoded as UTF-8. */
  text = '';
  exited = false;
  private readonly decoder = new TextDecoder();
  private waiters = new Set<() => void>();
  private socket: WebSocket;

  private readonly session: { baseUrl: string; cookie: string; origin: string };

  private constructor(socket: WebSocket, session: { baseUrl: string; cookie: string; origin: string }) {
    this.socket = socket;
    this.session = session;
  }

  static async open(options: LabTerminalOptions): Promise<LabTerminal> {
    const origin = options.origin ?? new URL(options.baseUrl).origin;
    const response = await fetch(new URL(LAB_SESSION_PATH, options.baseUrl), {
      method: 'POST',
      headers: { origin },
    });
    if (!response.ok) throw new Error(`session request failed: HTTP ${response.status} ${await response.text()}`);
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (!cookie) throw new Error('session response set no cookie');

    const wsUrl = new URL(LAB_WS_PATH, options.baseUrl);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(wsUrl, [LAB_SUBPROTOCOL], { headers: { cookie, origin } });
    const terminal = new LabTerminal(socket, { baseUrl: options.baseUrl, cookie, origin });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        terminal.text += terminal.decoder.decode(data as Buffer, { stream: true });
      } else {
        const parsed = parseServerMessage(String(data));
        if (parsed.ok) {
          if (parsed.message.type === 'exit') terminal.exited = true;
          options.onMessage?.(parsed.message);
        }
      }
      terminal.notify();
    });
    socket.on('close', () => {
      terminal.exited = true;
      terminal.notify();
    });
    socket.send(encode({ type: 'hello', terminal: 'main', cols: options.cols ?? 120, rows: options.rows ?? 40, resumeFrom: 0 }));
    return terminal;
  }

  send(text: string): void {
    this.socket.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  /** Resolves once `test()` is true (checked after every frame), or rejects after `ms`. */
  waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
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
    this.socket.close(1000);
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
