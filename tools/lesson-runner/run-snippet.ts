/**
 * Running one snippet in a lab terminal the way the page's 실행 does:
 * bracketed paste of the whole snippet plus Enter, so bash reads it as one
 * input and its shell integration prints one C (start) and one D;<exit>
 * (end) mark around it. Scripted input and interrupts cover interactive and
 * long-running snippets.
 */
import { endSession, openTerminal, type LabEndpoint, type LabTerminal } from '../../tests/support/terminal.ts';
import { sleep } from '../../tests/support/lab-server.ts';
import { findShellMarks } from '../../lab-server/src/shell-marks.ts';
import { inputKeystrokes } from '../../src/snippets/meta.ts';
import { renderAsScreen } from './screen.ts';
import type { SnippetOutcome } from './judge.ts';

export interface RunnableSnippet {
  code: string;
  /** Seconds before Ctrl-C for long-running snippets. */
  timeout?: number;
  /** Decoded scripted input (see docs/architecture.md, meta `input=`). */
  input?: string;
}

export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';
/** Upper bound for any snippet that is not interrupted on purpose. */
const SNIPPET_LIMIT_MS = 180_000;
/**
 * Before typing a scripted line, the interactive program must be ready to
 * read it: we wait until it has printed something and then been quiet this
 * long (an image pull keeps printing progress, a prompt is followed by
 * silence). Typing too early would hand `exit` to the outer bash instead.
 */
const QUIET_MS = 800;
const READY_LIMIT_MS = 60_000;

/** Waits until the shell has drawn a prompt after `from` (B mark: prompt end). */
export async function waitForPrompt(terminal: LabTerminal, from: number, ms = 120_000): Promise<void> {
  await terminal.waitFor(() => findShellMarks(terminal.text.slice(from)).some((m) => m.kind === 'B'), ms, 'the shell prompt');
}

/** How long a new session may take to get its sandbox (a cold boot on a busy machine). */
const BOOT_MS = 180_000;

/**
 * A new session and its terminal at the shell's first prompt: where every run
 * starts. The caller ends the session (endSession) and closes the terminal;
 * if the prompt never comes, both are done here.
 */
export async function openAtPrompt(server: LabEndpoint): Promise<{ cookie: string; term: LabTerminal }> {
  const opened = await openTerminal(server, { readyMs: BOOT_MS });
  try {
    await waitForPrompt(opened.term, 0, BOOT_MS);
    return opened;
  } catch (error) {
    await opened.term.close();
    await endSession(server, opened.cookie).catch(() => undefined);
    throw error;
  }
}

/** Resolves when output has grown past `from` and then stayed unchanged for QUIET_MS (or the snippet ended). */
async function waitForQuietOutput(terminal: LabTerminal, from: number, ended: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_LIMIT_MS;
  let seen = terminal.text.length;
  let since = Date.now();
  while (Date.now() < deadline && !ended() && !terminal.exited) {
    await sleep(100);
    if (terminal.text.length !== seen) {
      seen = terminal.text.length;
      since = Date.now();
    } else if (seen > from && Date.now() - since >= QUIET_MS) {
      return;
    }
  }
}

export async function runSnippet(terminal: LabTerminal, snippet: RunnableSnippet): Promise<SnippetOutcome> {
  const sentAt = terminal.text.length;
  const marksSince = () => findShellMarks(terminal.text.slice(sentAt));
  const started = () => marksSince().find((m) => m.kind === 'C');
  const finished = () => {
    const marks = marksSince();
    const c = marks.findIndex((m) => m.kind === 'C');
    // A snippet bash cannot parse never starts (no C); its D still comes.
    return marks.slice(c === -1 ? 0 : c).find((m) => m.kind === 'D');
  };
  const ended = () => finished() !== undefined;

  terminal.type(`${PASTE_START}${snippet.code.replace(/\n+$/, '')}${PASTE_END}\r`);

  let interrupted = false;
  const scripted = (async () => {
    if (!snippet.input && !snippet.timeout) return;
    await terminal.waitFor(() => started() !== undefined || ended(), 30_000, 'the snippet to start');
    for (const keys of inputKeystrokes(snippet.input ?? '')) {
      await waitForQuietOutput(terminal, terminal.text.length, ended);
      if (ended() || terminal.exited) return;
      terminal.type(keys);
    }
    if (snippet.timeout) {
      const deadline = Date.now() + snippet.timeout * 1000;
      while (!ended() && !terminal.exited && Date.now() < deadline) await sleep(100);
      if (!ended() && !terminal.exited) {
        interrupted = true;
        terminal.type('\x03');
      }
    }
  })().catch(() => undefined); // the wait below reports what went wrong

  let exit: number | null = null;
  try {
    const limit = (snippet.timeout ?? 0) * 1000 + SNIPPET_LIMIT_MS;
    await terminal.waitFor(ended, limit, 'the snippet to finish');
    exit = finished()?.exit ?? null;
  } catch {
    if (!terminal.exited) {
      interrupted = true;
      terminal.type('\x03');
    }
  }
  await scripted;

  const text = terminal.text.slice(sentAt);
  const start = started();
  const end = finished();
  const output = await renderAsScreen(text.slice(start?.end ?? 0, end?.start ?? text.length));
  if (end) await waitForPrompt(terminal, sentAt + end.end, 30_000).catch(() => undefined);
  return { exit, output: output.replace(/^\n+/, ''), interrupted };
}
