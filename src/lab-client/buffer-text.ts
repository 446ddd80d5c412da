/**
 * An xterm.js buffer as the text a person reads: one string per logical line
 * (a line the terminal wrapped is joined back), trailing blanks dropped.
 * Shared by the page (tests and benchmarks read the terminal through it) and
 * the lesson runner, which renders recorded output with @xterm/headless; both
 * emulators expose this same buffer shape.
 */
export interface TextBuffer {
  readonly length: number;
  getLine(y: number): { readonly isWrapped: boolean; translateToString(trimRight?: boolean): string } | undefined;
}

export function bufferText(buffer: TextBuffer): string {
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  return lines.join('\n').replace(/\s+$/, '');
}
