/**
 * What a terminal shows for some output: the bytes are played into a
 * headless xterm.js (the same emulator the page uses) and its buffer is read
 * back as text. Cursor movement, line erasing and carriage returns resolve
 * exactly as the reader saw them (docker pull's progress lines collapse to
 * their final state); colours and other control codes disappear.
 */
import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

export async function renderAsScreen(raw: string, cols = 120): Promise<string> {
  const terminal = new Terminal({ cols, rows: 50, scrollback: 100_000, allowProposedApi: true });
  try {
    await new Promise<void>((resolve) => terminal.write(raw, resolve));
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      const text = line.translateToString(true);
      // A wrapped line continues the previous one: join it back.
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.join('\n').replace(/\s+$/, '');
  } finally {
    terminal.dispose();
  }
}
