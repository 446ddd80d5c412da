/**
 * Finding the shell-integration marks (OSC 133) the sandbox's bash prints
 * around every prompt and command. Pure: the lesson runner feeds it what the
 * lab server sent.
 */

/** One OSC 133 mark: A prompt start, B prompt end, C command start, D command end. */
export interface ShellMark {
  kind: 'A' | 'B' | 'C' | 'D';
  /** Exit status carried by a D mark (undefined when bash had none, e.g. an empty line). */
  exit?: number;
  /** Index in the scanned text just after the mark. */
  end: number;
  /** Index in the scanned text where the mark starts. */
  start: number;
}

// OSC 133 ; <kind> [; <args>] terminated by BEL or ST (ESC \).
const SHELL_MARK = /\x1b\]133;([ABCD])(?:;([^\x07\x1b]*))?(?:\x07|\x1b\\)/g;

export function findShellMarks(text: string): ShellMark[] {
  const marks: ShellMark[] = [];
  for (const m of text.matchAll(SHELL_MARK)) {
    const kind = m[1] as ShellMark['kind'];
    const mark: ShellMark = { kind, start: m.index, end: m.index + m[0].length };
    if (kind === 'D' && m[2] !== undefined && /^\d+$/.test(m[2])) mark.exit = Number(m[2]);
    marks.push(mark);
  }
  return marks;
}
