/**
 * Judging one 실행 against what the lesson expects of it, so the page is
 * honest: a snippet that fails as the lesson intends (`exit=nonzero`,
 * `exit=N`) is done, not ✗; a long runner (`timeout=N`: logs -f, events,
 * stats) stopped with Ctrl+C is done; anything else unexpected says what was
 * expected. The expectations come from the MDX fence's meta (THE grammar:
 * src/snippets/meta.ts), written onto the snippet wrapper as data attributes
 * by src/snippets/expressive-code.ts (`data-lab-exit`, `data-lab-timeout`,
 * `data-lab-input`).
 *
 * The one home of the exit rules: the lesson runner judges with this module
 * too (tools/lesson-runner/judge.ts). After Ctrl+C a shell reports 130 (SIGINT), or 0/1/2 when the program
 * handled the signal itself. Output expectations (expect=, reject=) stay the
 * runner's business: a reader's sandbox is theirs to change.
 *
 * Pure: no DOM.
 */

export interface Expectation {
  /** Expected exit status; 'nonzero' = the lesson means it to fail. */
  exit: number | 'nonzero';
  /** Seconds after which the page stops a long runner with Ctrl+C. */
  timeout?: number;
  /** Scripted input typed into an interactive program (decoded, lines by \n). */
  input?: string;
}

/** Reads the expectation the page build wrote on a snippet wrapper (its dataset). */
export function readExpectation(data: Readonly<Record<string, string | undefined>>): Expectation {
  const expectation: Expectation = { exit: 0 };
  const exit = data.labExit;
  if (exit === 'nonzero') expectation.exit = 'nonzero';
  else if (exit !== undefined && /^\d{1,3}$/.test(exit)) expectation.exit = Number(exit);
  const timeout = Number(data.labTimeout);
  if (data.labTimeout !== undefined && timeout > 0) expectation.timeout = timeout;
  if (data.labInput) expectation.input = data.labInput;
  return expectation;
}

export interface RunResult {
  /** Exit status from the shell's D mark; null when it reported none. */
  exit: number | null;
  /** The page sent Ctrl+C because the snippet's timeout= ran out. */
  interrupted: boolean;
}

export type Outcome =
  /** Exit 0, as expected. */
  | { kind: 'pass' }
  /** A non-zero exit the lesson asked for. */
  | { kind: 'expected-failure'; exit: number }
  /** A long runner stopped with Ctrl+C, by the page after its timeout or by the reader. */
  | { kind: 'stopped'; byPage: boolean }
  /** Not what the lesson expects. */
  | { kind: 'unexpected'; exit: number; expected: number | 'nonzero' | 'stopped' }
  /** The shell reported no exit status (e.g. a nested shell's prompt ended it). */
  | { kind: 'no-exit' };

/** Exit statuses after Ctrl+C: 130 (128 + SIGINT), or 0/1/2 from a program that handles it. */
const INTERRUPT_EXITS: ReadonlySet<number> = new Set([0, 1, 2, 130]);
const SIGINT_EXIT = 130;

export function judgeRun(expectation: Expectation, result: RunResult): Outcome {
  const { exit, interrupted } = result;
  if (exit === null) return { kind: 'no-exit' };
  if (interrupted) return INTERRUPT_EXITS.has(exit) ? { kind: 'stopped', byPage: true } : { kind: 'unexpected', exit, expected: 'stopped' };
  // The reader pressed Ctrl+C on a long runner before the page did: what the lesson asks them to do.
  if (expectation.timeout !== undefined && exit === SIGINT_EXIT) return { kind: 'stopped', byPage: false };
  const expected = expectation.exit;
  if (expected === 'nonzero' ? exit !== 0 : exit === expected) return exit === 0 ? { kind: 'pass' } : { kind: 'expected-failure', exit };
  return { kind: 'unexpected', exit, expected };
}

/** Done outcomes count towards the lesson's n/m. */
export function isDone(outcome: Outcome): boolean {
  return outcome.kind === 'pass' || outcome.kind === 'expected-failure' || outcome.kind === 'stopped';
}
