/**
 * Deciding whether one snippet did what its lesson says, from the
 * expectations written next to it in the MDX (see docs/architecture.md).
 */

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

export interface SnippetOutcome {
  /** Exit status from the shell's D mark; null when the snippet never finished. */
  exit: number | null;
  /** Output with terminal control codes removed. */
  output: string;
  /** True when the runner sent Ctrl-C after the snippet's timeout. */
  interrupted: boolean;
}

export interface Verdict {
  pass: boolean;
  /** Korean-free, short English reasons for a failure (for the CI table). */
  reasons: string[];
}

/** Exit statuses a shell reports after Ctrl-C (SIGINT: 128+2) or after a program handles it itself. */
const INTERRUPT_EXITS = new Set([0, 1, 2, 130]);

export function judge(expected: Expectations, outcome: SnippetOutcome): Verdict {
  const reasons: string[] = [];
  if (outcome.exit === null) {
    reasons.push('did not finish');
  } else if (outcome.interrupted) {
    // A long-running snippet (logs -f, events, stats) was stopped by us: the
    // status is whatever Ctrl-C produces; only output expectations count.
    if (!INTERRUPT_EXITS.has(outcome.exit)) reasons.push(`exit ${outcome.exit} after interrupt`);
  } else if (expected.exit === 'nonzero') {
    if (outcome.exit === 0) reasons.push('expected failure, got exit 0');
  } else if (outcome.exit !== expected.exit) {
    reasons.push(`exit ${outcome.exit}, expected ${expected.exit}`);
  }
  for (const text of expected.expect) {
    if (!outcome.output.includes(text)) reasons.push(`missing "${text}"`);
  }
  for (const text of expected.reject) {
    if (outcome.output.includes(text)) reasons.push(`unexpected "${text}"`);
  }
  return { pass: reasons.length === 0, reasons };
}
