/**
 * `globalThis.__lab`: read-only probes into the page's terminal for the e2e
 * tests (tests/e2e) and the terminal benchmark (bench/terminal.ts), plus a
 * simulated network drop. `LabTestHooks` is THE description of them: the
 * harness imports this type instead of keeping its own copy.
 *
 *   import type { LabTestHooks } from '../../src/lab-client/test-hooks.ts';
 *   page.evaluate(() => (globalThis as unknown as { __lab: LabTestHooks }).__lab.idle());
 */
import type { ConnectionState } from './connection.ts';
import { bufferText } from './buffer-text.ts';
import type { PageLab } from './index.ts';
import type { ShellState } from './osc133.ts';

export interface LabTestHooks {
  /** The terminal's whole buffer (scrollback included), as a person reads it. */
  text(): string;
  state(): ConnectionState;
  shellState(): ShellState;
  /** bash waits at a prompt and no snippet is queued, pasted or running. */
  idle(): boolean;
  /** Resolves with performance.now() when bash next shows a prompt (OSC 133 B) after a command. */
  nextPrompt(): Promise<number>;
  /** Output bytes received from the server so far (absolute offset). */
  received(): number;
  renderer(): 'webgl' | 'dom';
  cols(): number;
  /** Output bytes handed to xterm and not yet processed. */
  pending(): number;
  /** Resolves with performance.now() of the next output chunk. */
  nextOutput(): Promise<number>;
  /** performance.now() of the page's first output chunk (0 before it). */
  firstOutputAt(): number;
  /** Sends input as if typed; false when it could not be queued. */
  input(text: string): boolean;
  /** Drops the socket without telling the client logic (a network drop, for tests). */
  dropConnection(): void;
  /** Writes straight into xterm, bypassing the network (measures the renderer alone). */
  writeRaw(bytes: Uint8Array, done: () => void): void;
  /** Terminal font metrics: the cell's width and the drawn advance of a sample text (px). */
  fontMetrics(sample: string): { family: string; cellWidth: number; advance: number; loaded: boolean };
}

export function installTestHooks(lab: PageLab): void {
  const hooks: LabTestHooks = {
    text: () => bufferText(lab.terminal.term.buffer.active),
    state: () => lab.connection.state,
    shellState: () => lab.tracker.state,
    idle: () => lab.isIdle() && lab.queueLength === 0,
    nextPrompt: () => new Promise<number>((resolve) => lab.promptWatchers.push(resolve)),
    received: () => lab.connection.cursor.received,
    renderer: () => lab.terminal.renderer,
    cols: () => lab.terminal.term.cols,
    pending: () => lab.flow.pending,
    nextOutput: () => new Promise<number>((resolve) => lab.outputWatchers.push(resolve)),
    firstOutputAt: () => lab.firstOutputAt,
    input: (text: string) => lab.connection.sendInput(new TextEncoder().encode(text)),
    dropConnection: () => lab.connection.simulateDrop(),
    writeRaw: (bytes: Uint8Array, done: () => void) => lab.terminal.write(bytes, done),
    fontMetrics: (sample: string) => lab.terminal.fontMetrics(sample),
  };
  (globalThis as { __lab?: LabTestHooks }).__lab = hooks;
}
