/**
 * The recent output of one terminal, addressed by absolute byte offsets.
 *
 * Offsets count every byte the shell ever printed on this terminal (they keep
 * growing across shell restarts), so a page can say "I have everything up to
 * offset N" and get exactly the bytes after N, never a byte twice. The buffer
 * keeps only the last `capacity` bytes; asking for older ones answers with
 * what is left and how much was lost, so the page can tell the reader.
 */
export interface Replay {
  /** Offset of the first returned byte. */
  from: number;
  /** Bytes the caller asked for that are no longer held. */
  lost: number;
  /** Bytes from `from` up to the current end (may be empty). */
  bytes: Buffer;
}

export class RingBuffer {
  readonly capacity: number;
  private readonly data: Buffer;
  /** Absolute offset one past the last byte written. */
  private endOffset = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.data = Buffer.alloc(capacity);
  }

  /** Offset one past the newest byte. */
  get end(): number {
    return this.endOffset;
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return Math.max(0, this.endOffset - this.capacity);
  }

  append(chunk: Uint8Array): void {
    let bytes = chunk;
    // Only the last `capacity` bytes of a huge chunk can survive anyway.
    if (bytes.length > this.capacity) {
      this.endOffset += bytes.length - this.capacity;
      bytes = bytes.subarray(bytes.length - this.capacity);
    }
    let pos = this.endOffset % this.capacity;
    let rest = bytes;
    while (rest.length > 0) {
      const n = Math.min(rest.length, this.capacity - pos);
      this.data.set(rest.subarray(0, n), pos);
      rest = rest.subarray(n);
      pos = (pos + n) % this.capacity;
    }
    this.endOffset += bytes.length;
  }

  /**
   * Everything after `offset`. An offset beyond the end (a page that knows
   * more than this buffer, e.g. after a server restart) replays nothing and
   * starts at the current end.
   */
  readFrom(offset: number): Replay {
    const want = Math.max(0, Math.floor(offset));
    if (want >= this.endOffset) return { from: this.endOffset, lost: 0, bytes: Buffer.alloc(0) };
    const from = Math.max(want, this.start);
    const length = this.endOffset - from;
    const out = Buffer.allocUnsafe(length);
    const pos = from % this.capacity;
    const first = Math.min(length, this.capacity - pos);
    this.data.copy(out, 0, pos, pos + first);
    if (first < length) this.data.copy(out, first, 0, length - first);
    return { from, lost: from - want, bytes: out };
  }
}
