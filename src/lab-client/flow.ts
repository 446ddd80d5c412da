/**
 * Flow control in both directions.
 *
 * Output (server -> page): xterm.js parses writes asynchronously; its write
 * callback says when a chunk has been processed. Bytes written but not yet
 * processed are "pending". Above the high watermark we ask the server to
 * `pause` (it stops reading the shell, so the pty fills and `yes` blocks),
 * below the low watermark we `resume`. Memory stays bounded and the page
 * keeps painting, so Ctrl-C reaches the shell and its effect shows promptly.
 *
 * Input (page -> server): a large paste is cut into frames no larger than the
 * protocol allows, at UTF-8 character boundaries, and sent only while the
 * socket's own send buffer is small, so nothing is dropped and the page does
 * not queue megabytes inside the WebSocket.
 */
export const OUTPUT_HIGH_WATERMARK = 128 * 1024;
export const OUTPUT_LOW_WATERMARK = 16 * 1024;
/** Keep at most this much in ws.bufferedAmount before sending more input. */
export const INPUT_BUFFER_LIMIT = 256 * 1024;

export class OutputFlow {
  pending = 0;
  paused = false;
  readonly high: number;
  readonly low: number;
  private readonly signal: (type: 'pause' | 'resume') => void;

  constructor(signal: (type: 'pause' | 'resume') => void, high = OUTPUT_HIGH_WATERMARK, low = OUTPUT_LOW_WATERMARK) {
    this.signal = signal;
    this.high = high;
    this.low = low;
  }

  /** `n` bytes were handed to terminal.write(). */
  written(n: number): void {
    this.pending += n;
    if (!this.paused && this.pending > this.high) {
      this.paused = true;
      this.signal('pause');
    }
  }

  /** terminal.write()'s callback fired for a chunk of `n` bytes. */
  processed(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.paused && this.pending < this.low) {
      this.paused = false;
      this.signal('resume');
    }
  }

  /** A new socket starts unpaused on the server side. */
  newConnection(): void {
    this.paused = false;
    if (this.pending > this.high) {
      this.paused = true;
      this.signal('pause');
    }
  }
}

/** Splits bytes into pieces of at most `max` bytes without cutting a UTF-8 sequence. */
export function splitUtf8(bytes: Uint8Array, max: number): Uint8Array[] {
  if (max < 4) throw new RangeError('max must fit one UTF-8 character');
  const parts: Uint8Array[] = [];
  let start = 0;
  while (bytes.byteLength - start > max) {
    let end = start + max;
    // Step back over continuation bytes (10xxxxxx) so the cut lands before a lead byte.
    while (end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    if (end === start) end = start + max; // not UTF-8 at all: cut anyway
    parts.push(bytes.subarray(start, end));
    start = end;
  }
  if (start < bytes.byteLength || parts.length === 0) parts.push(bytes.subarray(start));
  return parts;
}

export interface InputSink {
  /** Sends one binary frame. */
  send(frame: Uint8Array): void;
  /** Bytes queued in the socket but not yet sent (ws.bufferedAmount). */
  buffered(): number;
  /** False while there is no open socket; input waits for it. */
  ready(): boolean;
}

/**
 * Queues keyboard/paste input and drains it into the socket in frames of at
 * most `maxFrame` bytes while the socket's send buffer stays under `limit`.
 * Input typed while the socket is down waits (bounded) and goes out after
 * reattaching, so nothing the reader typed is lost to a short network blip.
 */
export class InputQueue {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly sink: InputSink;
  private readonly maxFrame: number;
  private readonly limit: number;
  /** Typed-ahead input kept while disconnected; more than this is dropped (oldest kept). */
  readonly maxQueued: number;

  constructor(sink: InputSink, maxFrame: number, limit = INPUT_BUFFER_LIMIT, maxQueued = 8 * 1024 * 1024) {
    this.sink = sink;
    this.maxFrame = maxFrame;
    this.limit = limit;
    this.maxQueued = maxQueued;
  }

  get size(): number {
    return this.queuedBytes;
  }

  /** Returns false when the input did not fit into the bounded queue. */
  push(bytes: Uint8Array): boolean {
    if (bytes.byteLength === 0) return true;
    if (this.queuedBytes + bytes.byteLength > this.maxQueued) return false;
    for (const part of splitUtf8(bytes, this.maxFrame)) this.queue.push(part);
    this.queuedBytes += bytes.byteLength;
    this.drain();
    return true;
  }

  clear(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** Sends what the socket can take now; reschedules itself for the rest. */
  drain(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.sink.ready()) return; // the connection calls drain() again after reattaching
    while (this.queue.length > 0 && this.sink.buffered() < this.limit) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.byteLength;
      this.sink.send(frame);
    }
    // WebSocket has no "drained" event: poll while it is full.
    if (this.queue.length > 0) this.timer = setTimeout(() => this.drain(), 8);
  }
}

/**
 * Output acknowledgements (protocol `ack`): tells the server how far the
 * terminal has processed, so a server that honours it keeps only a bounded
 * window in flight. Sent after every `every` bytes of progress, and when the
 * terminal has caught up with everything received (so the server never waits
 * on a window that is already free).
 */
export class OutputAcks {
  private lastAcked = 0;
  private latest = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly send: (processed: number) => void;
  private readonly every: number;
  private readonly delayMs: number;

  /** `delayMs`: a caught-up ack waits this long, so a chatty trickle of output sends few acks. */
  constructor(send: (processed: number) => void, every: number, delayMs = 50) {
    this.send = send;
    this.every = every;
    this.delayMs = delayMs;
  }

  /** A new attach: acknowledgements count from where the output resumes. */
  reset(offset: number): void {
    this.lastAcked = offset;
    this.latest = offset;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The terminal processed output up to `offset`; `caughtUp` when nothing else is pending. */
  processed(offset: number, caughtUp: boolean): void {
    if (offset <= this.latest) return;
    this.latest = offset;
    if (offset - this.lastAcked >= this.every) return this.flush();
    if (caughtUp && this.timer === null) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.latest <= this.lastAcked) return;
    this.lastAcked = this.latest;
    this.send(this.latest);
  }
}
