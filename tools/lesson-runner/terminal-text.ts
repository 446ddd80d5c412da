/**
 * Turning raw terminal bytes into text a person (or an expectation) can read,
 * and finding the shell-integration marks (OSC 133) the sandbox's bash prints.
 *
 * Pure functions: the lesson runner feeds them what the lab server sent.
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

// Escape sequences, most specific first:
// OSC ... (BEL | ST), DCS/SOS/PM/APC ... ST, CSI ... final byte, two-byte ESC X.
const ESCAPES = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P^_X][^\x1b]*\x1b\\|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()#][0-9A-Za-z]|\x1b[@-Z\\-_=>]/g;
// C0 controls other than \n and \t (and \r, handled per line below) plus DEL.
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * Removes terminal control codes and resolves carriage returns the way a
 * terminal shows them: text after a bare \r overwrites the line from its start
 * (progress bars keep only their final state).
 */
export function cleanTerminalOutput(raw: string): string {
  const noEscapes = raw.replace(ESCAPES, '');
  const lines = noEscapes.replace(/\r+\n/g, '\n').split('\n');
  const shown = lines.map((line) => {
    if (!line.includes('\r')) return line.replace(CONTROLS, '');
    let screen = '';
    for (const part of line.split('\r')) {
      const clean = part.replace(CONTROLS, '');
      screen = clean + screen.slice(clean.length);
    }
    return screen;
  });
  return shown.join('\n').replace(/[ \t]+$/gm, '');
}
