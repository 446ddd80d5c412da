/**
 * Shell integration marks (OSC 133, the FinalTerm/iTerm2/VS Code convention)
 * printed by the sandbox's bash: A prompt start, B prompt end (waiting for
 * input), C command start, D;<exit> command end. They are parsed by THE
 * parser, lab-server/src/shell-marks.ts (shared with the lesson runner and
 * the server's interrupt skip); this module only follows them.
 *
 * The tracker ties each 실행 to the command it started: the snippet is
 * "armed" when its paste is sent, the next C belongs to it, and the D that
 * follows carries its exit code. It also knows when bash sits at an empty
 * prompt, which is the only safe moment to paste the next snippet: bash
 * switches bracketed paste (mode 2004) on just before drawing the prompt,
 * so a paste sent earlier would not be wrapped and a multi-line snippet
 * would run line by line.
 */
import type { Mark } from '../../lab-server/src/shell-marks.ts';

export type { Mark };

export type ShellState =
  /** No mark seen yet (fresh terminal, or a shell without integration). */
  | 'unknown'
  /** Between A and B: bash is drawing its prompt. */
  | 'prompt'
  /** After B: bash waits for input; a paste now is wrapped and runs as one block. */
  | 'input'
  /** After C: a command runs (ours or one the reader typed). */
  | 'running'
  /** After D, before the next A. */
  | 'finished';

export type TrackerEvent = { type: 'start'; id: string } | { type: 'end'; id: string; exit: number | null };

export class CommandTracker {
  state: ShellState = 'unknown';
  /** Snippet whose paste was sent but whose C has not arrived yet. */
  pending: string | null = null;
  /**
   * bash accepted the pending snippet's input (readline switched bracketed
   * paste off). Before that, A/B marks are readline redrawing the prompt
   * while it inserts a multi-line paste, not a new prompt.
   */
  accepted = false;
  /** Snippet whose command is running (C seen, D not yet). */
  running: string | null = null;
  /** True once any mark was seen: the shell has integration. */
  integrated = false;

  /** bash waits at a prompt and none of our snippets is in flight. */
  get idle(): boolean {
    return this.state === 'input' && this.pending === null && this.running === null;
  }

  /** Call right before sending a snippet's paste. */
  arm(id: string): void {
    this.pending = id;
    this.accepted = false;
  }

  /** Readline handed the input line to bash (it printed ESC[?2004l). */
  lineAccepted(): void {
    if (this.pending !== null) this.accepted = true;
  }

  /**
   * Gives up on the armed snippet (no C arrived: a shell without marks, or a
   * snippet that was only comments). Returns its id, if any.
   */
  disarm(): string | null {
    const id = this.pending;
    this.pending = null;
    return id;
  }

  /** Forget everything, e.g. when a new shell starts. */
  reset(): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    for (const id of [this.running, this.pending]) if (id !== null) events.push({ type: 'end', id, exit: null });
    this.state = 'unknown';
    this.pending = null;
    this.running = null;
    return events;
  }

  handle(mark: Mark): TrackerEvent[] {
    this.integrated = true;
    const events: TrackerEvent[] = [];
    switch (mark.kind) {
      case 'A':
        // A new prompt after bash accepted our input but ran no command
        // (comments only, or a syntax error: this bashrc prints D only after
        // C), or a running snippet that never printed D (a nested shell's
        // prompt): either way it is over, without an exit code. Before the
        // input was accepted, A is readline redrawing the prompt: ignore.
        if (this.running !== null) events.push({ type: 'end', id: this.running, exit: null });
        if (this.pending !== null && this.accepted) events.push({ type: 'end', id: this.pending, exit: null });
        this.running = null;
        if (this.accepted) this.pending = null;
        this.state = 'prompt';
        break;
      case 'B':
        this.state = 'input';
        break;
      case 'C':
        this.state = 'running';
        if (this.pending !== null && this.running === null) {
          this.running = this.pending;
          this.pending = null;
          events.push({ type: 'start', id: this.running });
        }
        break;
      case 'D':
        this.state = 'finished';
        if (this.running !== null) {
          events.push({ type: 'end', id: this.running, exit: mark.exit });
          this.running = null;
        } else if (this.pending !== null) {
          // D without C: bash rejected the block before running it (a syntax
          // error); the D still reports its status. Pastes are only sent at
          // an idle prompt, so this D cannot be an older command's.
          events.push({ type: 'end', id: this.pending, exit: mark.exit });
          this.pending = null;
        }
        break;
    }
    return events;
  }
}
