/**
 * What a terminal shows for some output: the bytes are played into a
 * headless xterm.js (the same emulator the page uses) and its buffer is read
 * back as text. Cursor movement, line erasing and carriage returns resolve
 * exactly as the reader saw them (docker pull's progress lines collapse to
 * their final state); colours and other control codes disappear.
 */
import xtermHeadless from '@xterm/headless';
import { bufferText } from '../../src/lab-client/buffer-text.ts';

const { Terminal } = xtermHeadless;

export async function renderAsScreen(raw: string, cols = 120): Promise<string> {
  const terminal = new Terminal({ cols, rows: 50, scrollback: 100_000, allowProposedApi: true });
  try {
    await new Promise<void>((resolve) => terminal.write(raw, resolve));
    return bufferText(terminal.buffer.active);
  } finally {
    terminal.dispose();
  }
}
