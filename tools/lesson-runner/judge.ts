/**
 * Deciding whether one snippet did what its lesson says, from the
 * expectations written next to it in the MDX (see docs/architecture.md).
 * The exit rule is the page's (src/lab-client/outcome.ts: what counts after
 * Ctrl+C, what `exit=nonzero` means); the output rules (expect=, reject=) are
 * the runner's alone.
 */
import { isDone, judgeRun, type RunResult } from '../../src/lab-client/outcome.ts';

export interface Expectations {
  /** Expected exit status: a number, or 'nonzero' for "must fail". Default 0. */
  exit: number | 'nonzero';
  /** Text the output must contain. */
  expect: readonly string[];
  /** Text the output must not contain. */
  reject: readonly string[];
  /** Seconds after which a long-running snippet is interrupted on purpose. */
  timeout?: number;
}

/** The page's RunResult (exit from the shell's D mark, null when it never finished; `interrupted`: the runner sent Ctrl-C after the snippet's timeout) plus the output. */
export interface SnippetOutcome extends RunResult {
  /** Output with terminal control codes removed. */
  output: string;
}

export interface Verdict {
  pass: boolean;
  /** Korean-free, short English reasons for a failure (for the CI table). */
  reasons: string[];
}

/** The exit rule's reason, in the CI table's words; none when the exit is what the lesson expects. */
function exitReason(expected: Expectations, outcome: SnippetOutcome): string | undefined {
  // The page's rule (src/lab-client/outcome.ts), without the timeout: only the
  // runner presses Ctrl+C here, and it says so with `interrupted`.
  const judged = judgeRun({ exit: expected.exit }, outcome);
  if (isDone(judged)) return undefined;
  if (judged.kind === 'no-exit') return 'did not finish';
  if (judged.kind !== 'unexpected') return `unexpected outcome ${judged.kind}`;
  // A long-running snippet (logs -f, events, stats) stopped by us: only output expectations count.
  if (judged.expected === 'stopped') return `exit ${judged.exit} after interrupt`;
  if (judged.expected === 'nonzero') return 'expected failure, got exit 0';
  return `exit ${judged.exit}, expected ${judged.expected}`;
}

export function judge(expected: Expectations, outcome: SnippetOutcome): Verdict {
  const reasons: string[] = [];
  const exit = exitReason(expected, outcome);
  if (exit) reasons.push(exit);
  for (const text of expected.expect) {
    if (!outcome.output.includes(text)) reasons.push(`missing "${text}"`);
  }
  for (const text of expected.reject) {
    if (outcome.output.includes(text)) reasons.push(`unexpected "${text}"`);
  }
  return { pass: reasons.length === 0, reasons };
}
