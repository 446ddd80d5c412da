/**
 * One named terminal of a session: a shell in the sandbox, its recent output
 * and at most one attached client (a WebSocket, abstracted as TerminalClient
 * so this file has no socket or Docker code).
 *
 * - The shell outlives its client: when the page reloads or the network
 *   drops, output keeps flowing into the ring buffer and the next attach
 *   replays what the page has not seen (hello.resumeFrom), exactly once.
 * - One client at a time: a new attach replaces the old one (CloseCode
 *   Replaced), so two tabs never interleave keystrokes.
 * - When the shell exits the client gets `exit`; the next hello starts a new
 *   shell on the same terminal (output offsets keep counting).
 * - Flow control: the shell's output stream is paused while the client asks
 *   (pause/resume messages from xterm.js's write queue) or while the
 *   socket's send buffer is above the high watermark; pausing the Docker
 *   stream stops reading the TCP connection, so backpressure reaches the
 *   process in the sandbox (its writes block) instead of filling our memory.
 *   With no client attached nothing is paused: a detached shell keeps
 *   running and only the newest output is kept.
 * - Window flow control: once a client acknowledges processed output
 *   (`ack`), at most Limits.ackWindowBytes may be sent and unacknowledged.
 *   Socket buffers alone (kernel + proxies) can hold megabytes, which a
 *   Ctrl-C would otherwise have to wait behind. Clients that never ack
 *   (older pages, the lesson runner) get the watermark behaviour only.
 * - Interrupts flush: an interrupt key (Ctrl-C) while the client is behind
 *   drops the backlog up to the shell's next prompt mark, like a tty
 *   flushing its output queue (interrupt-skip.ts says why and how).
 * - Input is bounded too: once `inputHighWaterBytes` of keyboard input wait
 *   to be written to the shell (it is not reading: `sleep 120`), the client
 *   is asked to stop sending (the gateway stops reading the socket, so TCP
 *   pushes back to the page) until the stream drains. Measured before: 48 MiB
 *   sent under the rate limit while the shell slept grew the server by
 *   39-47 MiB; now the queue stays at the watermark plus one frame.
 * - Resizes are coalesced (coalescer.ts): each is an Engine API call, so at
 *   most one is in flight per terminal, at most one per `resizeIntervalMs`,
 *   and only the newest size is applied.
 * - Watchers (class mode: the instructor's read-only mirror) get the recent
 *   output and then every byte the client gets, as it is appended; they
 *   never hold the shell back (a slow watcher is the watcher's problem:
 *   classroom/mirror.ts drops it).
 */
import type { Logger } from 'pino';
import { Coalescer } from './coalescer.ts';
import { OutputSkip, containsInterrupt } from './interrupt-skip.ts';
import { NOTICE } from './notices.ko.ts';
import { CloseCode, Limits, clampSize, type ServerMessage } from './protocol.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { Shell } from './sandbox/driver.ts';

export interface TerminalClient {
  /** Sends shell output; `written` runs once the bytes left our send buffer. */
  sendOutput(bytes: Buffer, written: () => void): void;
  sendControl(message: ServerMessage): void;
  /** Bytes queued on the socket and not yet written to the network. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Stop / start reading input from the page (its shell's input queue is full / drained). */
  pauseInput?(): void;
  resumeInput?(): void;
}

export interface TerminalOptions {
  name: string;
  bufferBytes: number;
  highWaterBytes: number;
  lowWaterBytes: number;
  openShell: (cols: number, rows: number) => Promise<Shell>;
  /** Keyboard input queued for the shell before the client is asked to stop sending (default 64 KiB). */
  inputHighWaterBytes?: number;
  /** Shortest time between two resizes (default 100 ms). */
  resizeIntervalMs?: number;
  /** Called per resize request: 'applied' (an Engine API call) or 'coalesced' (metrics). */
  onResize?: (outcome: 'applied' | 'coalesced') => void;
  /** Called when a client is told to stop sending input (metrics). */
  onInputPaused?: () => void;
  /** Called for every output chunk (metrics). */
  onOutput?: (bytes: number) => void;
  /** Called when output was dropped after an interrupt (metrics). */
  onSkipped?: (bytes: number) => void;
  /** Longest an interrupt may skip output while waiting for the prompt (default 1500 ms). */
  skipMaxMs?: number;
  /** Called when a shell exits (the lab checks whether the sandbox died). */
  onShellExit?: (code: number | null) => void;
  log: Logger;
}

export interface AttachRequest {
  cols: number;
  rows: number;
  resumeFrom: number;
  sessionExpiresAt: number;
  /** Runs once the shell is up, right before `attached` is sent (the lab sends status `ready`). */
  beforeAttached?: () => void;
}

type PauseReason = 'client' | 'socket' | 'window';

export class Terminal {
  readonly name: string;
  private readonly opts: TerminalOptions;
  private readonly buffer: RingBuffer;
  private shell: Shell | undefined;
  private starting: Promise<Shell> | undefined;
  private client: TerminalClient | undefined;
  private readonly paused = new Set<PauseReason>();
  /** Output offset the attached client has processed; undefined until its first ack. */
  private acked: number | undefined;
  /** When output was last held back for the client (ms); a flood pauses and resumes constantly. */
  private lastHeldBack = -Infinity;
  /** Set while output is being dropped after an interrupt. */
  private skip: { state: OutputSkip; timer: ReturnType<typeof setTimeout> } | undefined;
  private closed = false;
  /** The client told to stop sending input, until the shell's input drains. */
  private inputPausedClient: TerminalClient | undefined;
  private resizer: Coalescer<{ cols: number; rows: number }>;
  private readonly watchers = new Set<(bytes: Buffer) => void>();

  constructor(opts: TerminalOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.buffer = new RingBuffer(opts.bufferBytes);
    this.resizer = this.newResizer();
  }

  private newResizer(): Coalescer<{ cols: number; rows: number }> {
    const c = new Coalescer<{ cols: number; rows: number }>({
      intervalMs: this.opts.resizeIntervalMs ?? 100,
      same: (a, b) => a.cols === b.cols && a.rows === b.rows,
      apply: (size) => this.shell?.resize(size.cols, size.rows) ?? Promise.resolve(),
    });
    c.onOutcome = (o) => this.opts.onResize?.(o);
    return c;
  }

  /** Keyboard bytes waiting to be written to the shell. */
  get inputQueued(): number {
    return this.shell?.stream.writableLength ?? 0;
  }
  get attachedClient(): TerminalClient | undefined {
    return this.client;
  }

  get running(): boolean {
    return this.shell !== undefined;
  }

  /** Byte offsets held for replay (for tests and logs). */
  get offsets(): { start: number; end: number } {
    return { start: this.buffer.start, end: this.buffer.end };
  }

  /**
   * Attaches `client`, starting a shell first if there is none. Sends
   * `attached` and then the replay bytes, after which live output follows
   * in order: nothing runs between the snapshot and taking over the stream.
   */
  async attach(client: TerminalClient, req: AttachRequest): Promise<void> {
    const size = clampSize(req.cols, req.rows);
    let freshShell = false;
    if (!this.shell) {
      // Two hellos racing (two tabs) share one start; both see freshShell.
      freshShell = true;
      this.starting ??= this.startShell(size.cols, size.rows).finally(() => (this.starting = undefined));
      await this.starting;
    }
    if (this.closed) throw new Error('terminal closed');

    const previous = this.client;
    if (previous && previous !== client) {
      this.client = undefined;
      previous.close(CloseCode.Replaced, 'attached elsewhere');
    }
    this.client = client;
    this.acked = undefined;
    this.releaseInput();
    this.paused.clear();
    this.applyPause();

    req.beforeAttached?.();
    const replay = this.buffer.readFrom(req.resumeFrom);
    client.sendControl({ type: 'attached', sessionExpiresAt: req.sessionExpiresAt, from: replay.from, lost: replay.lost, freshShell });
    if (replay.bytes.length > 0) this.deliver(client, replay.bytes);
    if (freshShell) this.resizer.reset(size);
    else this.resizer.push(size);
  }

  detach(client: TerminalClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.releaseInput();
    // Nobody to be slow for: let the shell run and the buffer take the output.
    this.paused.clear();
    this.applyPause();
  }

  input(client: TerminalClient, bytes: Buffer): void {
    if (this.client !== client || !this.shell) return;
    const stream = this.shell.stream;
    stream.write(bytes);
    if (stream.writableLength >= (this.opts.inputHighWaterBytes ?? 64 * 1024) && !this.inputPausedClient && client.pauseInput) {
      this.inputPausedClient = client;
      client.pauseInput();
      this.opts.onInputPaused?.();
      this.opts.log.debug({ terminal: this.name, queued: stream.writableLength }, 'input paused: the shell is not reading');
      stream.once('drain', () => {
        if (this.inputPausedClient === client) this.releaseInput();
      });
    }
    // Held back means the page is behind: what is queued is stale once the job is interrupted.
    if (!this.skip && this.clientBehind() && containsInterrupt(bytes)) this.startSkip();
  }

  resize(client: TerminalClient, cols: number, rows: number): void {
    if (this.client !== client || !this.shell) return;
    this.resizer.push(clampSize(cols, rows));
  }

  /** Lets the paused client send input again (drained, detached, replaced or closed). */
  private releaseInput(): void {
    const client = this.inputPausedClient;
    this.inputPausedClient = undefined;
    client?.resumeInput?.();
  }

  /** Flow control asked by the page. */
  setClientPaused(client: TerminalClient, paused: boolean): void {
    if (this.client !== client) return;
    if (paused) this.paused.add('client');
    else this.paused.delete('client');
    this.applyPause();
  }

  /** The page processed output up to `processed` (an output offset). */
  ack(client: TerminalClient, processed: number): void {
    if (this.client !== client) return;
    // Never beyond what exists, never backwards (a stale or forged ack changes nothing).
    this.acked = Math.max(this.acked ?? 0, Math.min(processed, this.buffer.end));
    this.checkWindow();
  }

  /**
   * A read-only subscriber: returns the output still held (oldest first) and
   * then calls `fn` with each new chunk, in order, with nothing lost or
   * repeated in between. Never pauses the shell. `stop` unsubscribes.
   */
  watch(fn: (bytes: Buffer) => void): { recent: Buffer; stop: () => void } {
    const recent = this.buffer.readFrom(0).bytes;
    this.watchers.add(fn);
    return { recent, stop: () => this.watchers.delete(fn) };
  }

  /** A line from the lab itself (disk warnings), shown and replayed like output. */
  notice(text: string): void {
    this.onOutput(Buffer.from(text, 'utf8'));
  }

  /** Ends the shell (the sandbox is going away) and closes the client with `code`. */
  close(code: number, reason: string): void {
    this.closed = true;
    this.resizer.close();
    this.releaseInput();
    const client = this.client;
    this.client = undefined;
    client?.close(code, reason);
    if (this.skip) clearTimeout(this.skip.timer);
    this.skip = undefined;
    this.shell?.close();
    this.shell = undefined;
    this.watchers.clear();
  }

  private async startShell(cols: number, rows: number): Promise<Shell> {
    const shell = await this.opts.openShell(cols, rows);
    if (this.closed) {
      shell.close();
      throw new Error('terminal closed');
    }
    this.shell = shell;
    shell.stream.on('data', (chunk: Buffer) => this.onOutput(chunk));
    shell.stream.on('error', (err) => this.opts.log.debug({ err, terminal: this.name }, 'shell stream error'));
    shell.exited.then((code) => {
      if (this.shell !== shell) return;
      this.abandonSkip();
      this.releaseInput();
      this.shell = undefined;
      this.paused.clear();
      if (this.closed) return;
      this.opts.log.info({ terminal: this.name, code }, 'shell exited');
      this.client?.sendControl({ type: 'exit', code });
      this.opts.onShellExit?.(code);
    });
    return shell;
  }

  private onOutput(chunk: Buffer): void {
    if (this.skip) {
      const result = this.skip.state.feed(chunk);
      if (!result.done) return;
      this.endSkip(result.dropped);
      chunk = result.rest;
    }
    this.buffer.append(chunk);
    this.opts.onOutput?.(chunk.length);
    if (this.client) this.deliver(this.client, chunk);
    for (const fn of this.watchers) fn(chunk);
  }

  private deliver(client: TerminalClient, bytes: Buffer): void {
    client.sendOutput(bytes, () => {
      if (this.client === client && this.paused.has('socket') && client.bufferedAmount <= this.opts.lowWaterBytes) {
        this.paused.delete('socket');
        this.applyPause();
      }
    });
    if (client.bufferedAmount > this.opts.highWaterBytes && !this.paused.has('socket')) {
      this.paused.add('socket');
      this.applyPause();
    }
    this.checkWindow();
  }

  private checkWindow(): void {
    const over = this.acked !== undefined && this.buffer.end - this.acked > Limits.ackWindowBytes;
    if (over === this.paused.has('window')) return;
    if (over) this.paused.add('window');
    else this.paused.delete('window');
    this.applyPause();
  }

  private startSkip(): void {
    const state = new OutputSkip();
    // No prompt mark in time (the program ignored the key): output flows again.
    const timer = setTimeout(() => this.abandonSkip(), this.opts.skipMaxMs ?? 1500);
    timer.unref?.();
    this.skip = { state, timer };
    // Read as fast as Docker delivers: the skipped bytes are never sent.
    this.applyPause();
  }

  /** Ends a skip without its prompt mark; the few bytes held back go out after all. */
  private abandonSkip(): void {
    if (!this.skip) return;
    const { rest, dropped } = this.skip.state.giveUp();
    this.endSkip(dropped);
    if (rest.length > 0) this.onOutput(rest);
  }

  private endSkip(dropped: number): void {
    if (!this.skip) return;
    clearTimeout(this.skip.timer);
    this.skip = undefined;
    this.opts.log.info({ terminal: this.name, dropped }, 'output skipped after interrupt');
    this.opts.onSkipped?.(dropped);
    if (dropped > 0) this.onOutput(Buffer.from(NOTICE.outputSkipped(dropped), 'utf8'));
    this.applyPause();
  }

  /**
   * Output is held back now or was within the last second. A flood keeps
   * the window pausing and resuming, so the instant of the Ctrl-C may fall
   * into a short resume while Docker still holds megabytes for us.
   */
  private clientBehind(): boolean {
    return this.paused.size > 0 || Date.now() - this.lastHeldBack < 1000;
  }

  private applyPause(): void {
    const stream = this.shell?.stream;
    if (!stream) return;
    if (this.paused.size > 0 || stream.isPaused()) this.lastHeldBack = Date.now();
    if (this.paused.size > 0 && !this.skip) stream.pause();
    else stream.resume();
  }
}
