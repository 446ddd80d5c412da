/**
 * Byte-offset bookkeeping for reattaching to a shell without repeating or
 * losing output.
 *
 * The server numbers every output byte of a terminal from 0 and keeps a
 * bounded buffer of the most recent ones. On (re)attach the page says where
 * it wants to resume (`hello.resumeFrom`): 0 after a reload (a fresh xterm,
 * so replay everything still buffered), or the count of bytes it has already
 * shown after a dropped connection. The server answers `attached.from`, the
 * offset of the first byte it will send. If that is below what we have, we
 * drop the overlap; if above, the gap was lost (the buffer moved on).
 */
export class OutputCursor {
  /** Absolute offset up to which output has been handed to the terminal. */
  received = 0;
  /** Absolute offset of the next incoming byte, as announced by `attached`. */
  private next = 0;

  /** Value for `hello.resumeFrom`. */
  get resumeFrom(): number {
    return this.received;
  }

  /**
   * Applies an `attached` message. Returns how many bytes were lost between
   * what we had and what the server still holds (0 when nothing is missing).
   */
  attached(from: number, freshShell: boolean): { lost: number } {
    if (freshShell) {
      // A new shell numbers its output anew; nothing before it is relevant.
      this.received = from;
      this.next = from;
      return { lost: 0 };
    }
    const lost = Math.max(0, from - this.received);
    if (lost > 0) this.received = from;
    this.next = from;
    return { lost };
  }

  /** Returns the part of an output frame the terminal has not shown yet. */
  accept(frame: Uint8Array): Uint8Array {
    const start = this.next;
    const end = start + frame.byteLength;
    this.next = end;
    if (end <= this.received) return frame.subarray(frame.byteLength);
    const fresh = start < this.received ? frame.subarray(this.received - start) : frame;
    this.received = end;
    return fresh;
  }
}
