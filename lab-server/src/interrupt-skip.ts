/**
 * Output skipping after an interrupt, the way a tty flushes its output queue
 * on Ctrl-C (termios ISIG without NOFLSH).
 *
 * Why: when a reader's page is behind a flood (`yes`), the shell's output is
 * held back by flow control, but megabytes already sit between the shell and
 * us: Docker's exec stream (containerd FIFO, dockerd's copy, the socket to
 * the Engine API). Measured here: 1.35 MB still arrive after Ctrl-C with our
 * side paused. Drawn by xterm.js at 2-3 MB/s that is most of a second, on a
 * phone several. The kernel's own flush only empties the pty.
 *
 * So after an interrupt key while the page is behind, the terminal reads the
 * stream as fast as it can and drops output up to the shell's next OSC 133
 * prompt mark (D = command finished, A = prompt; bash.bashrc prints them),
 * then sends from the mark on (marks are read by shell-marks.ts, the parser
 * the page and the lesson runner use too). The skip is bounded in time (terminal.ts): a
 * program that ignores Ctrl-C, or a shell without marks, gets its output back
 * after that. Pure logic here; terminal.ts wires it to the stream.
 */

import { findShellMarks, incompleteMarkStart } from './shell-marks.ts';

/** INTR, QUIT and SUSP with stty's defaults: keys that end or stop the foreground job. */
const INTERRUPT_KEYS = [0x03, 0x1c, 0x1a];

export function containsInterrupt(input: Uint8Array): boolean {
  return INTERRUPT_KEYS.some((key) => input.includes(key));
}

/**
 * Index of the first prompt mark (A = prompt start, D = command finished) in
 * `bytes`, or -1. Marks are read by THE parser (shell-marks.ts); latin1
 * keeps string indexes equal to byte offsets.
 */
export function findPromptMark(bytes: Buffer): number {
  const mark = findShellMarks(bytes.toString('latin1')).find((m) => m.kind === 'A' || m.kind === 'D');
  return mark ? mark.start : -1;
}

export type SkipResult =
  /** Still skipping: nothing to send. */
  | { done: false }
  /** The mark arrived: send `rest` (starting at the mark); `dropped` bytes were skipped. */
  | { done: true; rest: Buffer; dropped: number };

/** One skip in progress: feed it output chunks until it is done. */
export class OutputSkip {
  private dropped = 0;
  private carry: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): SkipResult {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const at = findPromptMark(data);
    if (at !== -1) {
      this.carry = Buffer.alloc(0);
      return { done: true, rest: data.subarray(at), dropped: this.dropped + at };
    }
    // The tail may be the start of a mark a chunk boundary cut: hold it back.
    const keep = incompleteMarkStart(data.toString('latin1'));
    this.dropped += keep;
    this.carry = Buffer.from(data.subarray(keep));
    return { done: false };
  }

  /** No mark in time (or the shell ended): what was held back goes out after all. */
  giveUp(): { rest: Buffer; dropped: number } {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return { rest, dropped: this.dropped };
  }
}
