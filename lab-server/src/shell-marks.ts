/**
 * THE parser for shell-integration marks (OSC 133, the FinalTerm/iTerm2/VS
 * Code convention) that the sandbox's bash prints around every prompt and
 * command: A prompt start, B prompt end (waiting for input), C command
 * start, D;<exit> command end.
 *
 * Why one module: the page (src/lab-client: xterm hands it each payload),
 * the lesson runner (scans recorded text) and the server's interrupt skip
 * (scans raw output for the next prompt) all read these marks, and they
 * used to disagree on a D's exit code (`D;0;aid=1`, `D;-1`). Here, next to
 * protocol.ts, because page and server both import from lab-server/src.
 *
 * Rules, one place:
 * - a mark is `ESC ] 133 ; <payload>` ended by BEL or ST (`ESC \`);
 * - the payload's first field is the kind (A, B, C or D); other kinds are not marks;
 * - a D's exit code is its second field when that is a plain decimal
 *   number (bash's $?, 0-255); anything else (none, `x`, `-1`) is null.
 *
 * Pure: no Node APIs (the page bundles it); bytes are read as latin1
 * strings by the server, which keeps offsets equal to byte offsets.
 */

export type MarkKind = 'A' | 'B' | 'C' | 'D';

export type Mark = { kind: 'A' } | { kind: 'B' } | { kind: 'C' } | { kind: 'D'; exit: number | null };

/** A mark found in scanned text, with where it sits. */
export type ShellMark = Mark & {
  /** Index where the mark's ESC is. */
  start: number;
  /** Index just after its terminator. */
  end: number;
};

/** `ESC ] 133 ;`: every mark starts so. */
export const MARK_PREFIX = '\x1b]133;';
/** Longest payload taken for a mark still waiting for its terminator (longer is not one of ours). */
const MAX_PAYLOAD = 256;

/** Reads the payload of one OSC 133 sequence ("A", "D;0", "C;cmdline=…"); null when it is no mark. */
export function parseMarkPayload(payload: string): Mark | null {
  const fields = payload.split(';');
  switch (fields[0]) {
    case 'A':
    case 'B':
    case 'C':
      return { kind: fields[0] };
    case 'D': {
      const arg = fields[1];
      return { kind: 'D', exit: arg !== undefined && /^\d{1,10}$/.test(arg) ? Number(arg) : null };
    }
    default:
      return null;
  }
}

// ESC ] 133 ; payload (BEL | ESC \). The payload holds neither BEL nor ESC.
const MARK = /\x1b\]133;([^\x07\x1b]*)(?:\x07|\x1b\\)/g;

/** Every complete mark in `text`, in order. */
export function findShellMarks(text: string): ShellMark[] {
  const marks: ShellMark[] = [];
  for (const m of text.matchAll(MARK)) {
    const mark = parseMarkPayload(m[1]!);
    if (mark) marks.push({ ...mark, start: m.index, end: m.index + m[0].length });
  }
  return marks;
}

/**
 * Where a mark that is not complete yet may begin at the end of `text` (a
 * chunk boundary cut it): the index to keep from, or `text.length` when the
 * tail cannot be the start of a mark.
 */
export function incompleteMarkStart(text: string): number {
  // The whole prefix and part of a payload, no terminator yet (a trailing ESC may be the start of ST).
  const at = text.lastIndexOf(MARK_PREFIX);
  if (at !== -1 && text.length - at <= MARK_PREFIX.length + MAX_PAYLOAD && /^[^\x07\x1b]*\x1b?$/.test(text.slice(at + MARK_PREFIX.length))) {
    return at;
  }
  // A prefix of MARK_PREFIX at the very end ("\x1b", "\x1b]13", …).
  for (let n = Math.min(MARK_PREFIX.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(MARK_PREFIX.slice(0, n))) return text.length - n;
  }
  return text.length;
}
