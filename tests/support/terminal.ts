/**
 * The one Node client for the lab server's terminal, used by the tests, the
 * lesson runner and the benchmarks. It takes the path a reader's page takes:
 * POST the session route for the HttpOnly cookie, open the WebSocket with
 * the same subprotocol and Origin, say hello, then exchange raw bytes.
 *
 * One socket keeps byte-exact books (`bytes`, for offset and replay tests)
 * and the same output decoded as it arrives (`text`, for reading marks and
 * output without decoding megabytes on every check). A second `hello` on the
 * same socket (after the shell exited) continues both: offsets never reset.
 */
import WebSocket from 'ws';
import {
  LAB_SESSION_PATH,
  LAB_SUBPROTOCOL,
  LAB_WS_PATH,
  SESSION_COOKIE,
  encode,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '../../lab-server/src/protocol.ts';

/** A lab server to talk to: a started one (LabServer) or one given by URL (`endpoint(url)`). */
export interface LabEndpoint {
  url: string;
  /** Sent as Origin: the page's own origin. */
  origin: string;
}

export const endpoint = (url: string): LabEndpoint => ({ url, origin: new URL(url).origin });

/** Drops OSC (…BEL or …ST) and CSI sequences and stray CRs, leaving the text a reader sees. */
export function stripEscapes(text: string): string {
  return text
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\r(?!\n)/g, '');
}

export interface SessionCookie {
  /** `lab_session=…`, ready for a Cookie header ('' when none was set). */
  cookie: string;
  status: number;
  body: unknown;
}

/** POST the session route, as the page does before its first socket. */
export async function newSession(server: LabEndpoint, origin = server.origin, cookie?: string): Promise<SessionCookie> {
  const headers: Record<string, string> = { origin };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers });
  const setCookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return { cookie: setCookie ?? cookie ?? '', status: res.status, body: await res.json().catch(() => undefined) };
}

/** Ends a session on purpose (its sandbox goes now, not at idle timeout); resolves with the HTTP status. */
export async function endSession(server: LabEndpoint, cookie: string): Promise<number> {
  const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
  return res.status;
}

export async function healthz(server: LabEndpoint): Promise<{ status: number; body: { ok: boolean; reasons: string[] } }> {
  const res = await fetch(new URL('/healthz', server.url));
  return { status: res.status, body: (await res.json()) as { ok: boolean; reasons: string[] } };
}

export interface OpenOptions {
  /** Origin header; default the server's own (a same-origin page). */
  origin?: string;
  /** WebSocket subprotocols; default the lab's. */
  protocols?: string[];
}

/** One terminal WebSocket. `open()` only connects; `hello()` attaches (see `openTerminal` for both plus a session). */
export class LabTerminal {
  readonly ws: WebSocket;
  /** Every control message received, in order. */
  readonly messages: ServerMessage[] = [];
  /** Set once the socket closed. */
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private chunks: Buffer[] = [];
  private joined: Buffer | undefined = Buffer.alloc(0);
  private decoded = '';
  private readonly decoder = new TextDecoder();
  private shellExited = false;
  private notifyTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        clearTimeout(this.notifyTimer);
        this.notify();
        resolve(code);
      }),
    );
    ws.on('error', () => undefined); // 'close' follows and ends every wait
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.chunks.push(data);
        this.joined = undefined;
        this.decoded += this.decoder.decode(data, { stream: true });
        // Output can be megabytes in small frames: check waiters at most every 20 ms.
        this.notifyTimer ??= setTimeout(() => {
          this.notifyTimer = undefined;
          this.notify();
        }, 20);
        return;
      }
      const parsed = parseServerMessage(data.toString());
      if (parsed.ok) {
        this.messages.push(parsed.message);
        if (parsed.message.type === 'exit') this.shellExited = true;
      }
      this.notify();
    });
  }

  /** Opens the socket; rejects with the HTTP status if the upgrade is refused. */
  static open(server: LabEndpoint, cookie: string | undefined, opts: OpenOptions = {}): Promise<LabTerminal> {
    const wsUrl = new URL(LAB_WS_PATH, server.url);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const headers: Record<string, string> = { origin: opts.origin ?? server.origin };
    if (cookie) headers.cookie = cookie;
    const ws = new WebSocket(wsUrl, opts.protocols ?? [LAB_SUBPROTOCOL], { headers });
    const terminal = new LabTerminal(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(terminal));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode })),
      );
    });
  }

  send(message: ClientMessage): void {
    this.ws.send(encode(message));
  }

  /** Attaches (or, after the shell exited, starts a fresh shell); `resumeFrom` is the output offset already seen. */
  hello(resumeFrom = 0, terminal = 'main', cols = 120, rows = 40): void {
    this.shellExited = false;
    this.send({ type: 'hello', terminal, cols, rows, resumeFrom });
  }

  /** Keyboard input, as raw bytes. */
  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  /** Every output byte received since the socket opened. */
  get bytes(): Buffer {
    if (!this.joined) {
      this.joined = Buffer.concat(this.chunks);
      this.chunks = [this.joined];
    }
    return this.joined;
  }

  /** The same output decoded as UTF-8 (a character split across frames appears once whole). */
  get text(): string {
    return this.decoded;
  }

  /** The output offset the next `hello` should resume from (everything received so far). */
  get offset(): number {
    return (this.attached()?.from ?? 0) + this.bytes.length;
  }

  /** The shell sent `exit` since the last hello, or the socket closed: no more output comes until a new hello. */
  get exited(): boolean {
    return this.shellExited || this.closeCode !== undefined;
  }

  /** The first `attached` message (its `from` is the offset of `bytes[0]`). */
  attached(): Extract<ServerMessage, { type: 'attached' }> | undefined {
    return this.messages.find((m): m is Extract<ServerMessage, { type: 'attached' }> => m.type === 'attached');
  }

  /**
   * Resolves once `test()` holds (checked after every message), rejects after
   * `ms` or when no more output can come (shell exited, socket closed). The
   * error's first line says why; the output's last 2,000 characters follow.
   */
  waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
    const gone = () => (this.closeCode !== undefined ? `socket closed (${this.closeCode})` : this.shellExited ? 'shell exited' : undefined);
    const failure = (why: string) => new Error(`${why} while waiting for ${what}\noutput so far:\n${this.text.slice(-2000)}`);
    if (test()) return Promise.resolve();
    if (gone()) return Promise.reject(failure(gone()!));
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) done(resolve);
        else if (gone()) done(() => reject(failure(gone()!)));
      };
      const timer = setTimeout(() => done(() => reject(failure(`timed out after ${ms} ms`))), ms);
      const done = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the attached message (the sandbox may boot first). */
  async ready(ms = 90_000): Promise<void> {
    await this.waitFor(() => this.attached() !== undefined, ms, 'attached');
  }

  /**
   * Runs a command line and resolves with the text it printed. The end
   * marker is computed by the shell (M$((…))X), so the echoed input never
   * matches it.
   */
  async run(command: string, ms = 60_000): Promise<string> {
    const n = Math.floor(Math.random() * 1e9);
    const marker = new RegExp(`END${n + 1}X rc=(\\d+)`);
    const start = this.bytes.length;
    this.type(`${command}; echo "END$((${n}+1))X rc=$?"\r`);
    await this.waitFor(() => marker.test(this.bytes.subarray(start).toString()), ms, `output of: ${command}`);
    const raw = this.bytes.subarray(start).toString();
    const m = marker.exec(raw)!;
    // What the command printed: after the echoed input line, without escape sequences.
    const echoed = `END$((${n}+1))X rc=$?"`;
    const echoEnd = raw.indexOf(echoed);
    const from = echoEnd >= 0 ? raw.indexOf('\n', echoEnd) + 1 : 0;
    return stripEscapes(raw.slice(from, m.index + m[0].length)).replace(/\r\n/g, '\n');
  }

  close(code = 1000): Promise<number> {
    if (this.closeCode === undefined) this.ws.close(code);
    return this.closed;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** A new session plus its attached main terminal (the sandbox has booted when this resolves). */
export async function openTerminal(server: LabEndpoint, opts: { readyMs?: number } = {}): Promise<{ cookie: string; term: LabTerminal }> {
  const session = await newSession(server);
  if (session.status !== 201) throw new Error(`session: HTTP ${session.status} ${JSON.stringify(session.body)}`);
  const term = await LabTerminal.open(server, session.cookie);
  term.hello();
  await term.ready(opts.readyMs);
  return { cookie: session.cookie, term };
}
