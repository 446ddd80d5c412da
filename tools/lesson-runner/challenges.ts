/**
 * The lesson runner's challenge mode (npm run test:challenges; main.ts
 * --challenges): every 도전 과제 proven both ways, through the same lab
 * server path the page's 확인 takes (POST /lab/check with the session
 * cookie), each in a fresh session and sandbox:
 *
 *   1. on the fresh sandbox the check must fail, with a message (what is
 *      still wrong, in Korean);
 *   2. the solution (the bash block with `challenge="<id>"`) runs in the
 *      terminal exactly as the lesson mode runs a snippet (run-snippet.ts,
 *      judged against its own meta);
 *   3. the check must pass.
 *
 * A challenge passes only if all three hold. The catalog must match the
 * lessons: a `<Challenge id>` without a solution, a solution without its
 * `<Challenge>` or without its check script (content/challenges/<id>.sh),
 * and a check script no lesson uses are failures too.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractChallenges, type ExtractedChallenge, type ExtractedSnippet, type Lesson } from '../../src/snippets/extract.ts';
import { CheckResponse, HttpError, LAB_CHECK_PATH } from '../../lab-server/src/protocol.ts';
import { newInstance, startLabServer } from '../../tests/support/lab-server.ts';
import { ARTIFACTS, ROOT } from '../../tests/support/paths.ts';
import { endSession, endpoint, type LabEndpoint } from '../../tests/support/terminal.ts';
import { judge } from './judge.ts';
import { openAtPrompt, runSnippet } from './run-snippet.ts';

export interface ChallengeCase {
  lesson: string;
  id: string;
  /** Line of the solution block (or of the <Challenge> when there is none). */
  line: number;
  solution: ExtractedSnippet | undefined;
  /** Why it cannot be run at all (catalog and lessons disagree); undefined when it can. */
  problem: string | undefined;
}

/** The challenges of `lessons` in order, with what is missing for each; plus check scripts no lesson uses. */
export function challengeCases(
  lessons: Array<Pick<Lesson, 'slug' | 'snippets'> & { challenges: ExtractedChallenge[] }>,
  scripts: ReadonlySet<string>,
): ChallengeCase[] {
  const cases: ChallengeCase[] = [];
  const seen = new Set<string>();
  for (const lesson of lessons) {
    const solutions = lesson.snippets.filter((s) => s.meta.challenge !== undefined);
    const ids = [...new Set([...lesson.challenges.map((c) => c.id), ...solutions.map((s) => s.meta.challenge!)])];
    for (const id of ids) {
      const element = lesson.challenges.find((c) => c.id === id);
      const mine = solutions.filter((s) => s.meta.challenge === id);
      const problems: string[] = [];
      if (seen.has(id)) problems.push('id used by an earlier challenge too');
      seen.add(id);
      if (!element) problems.push(`a solution but no <Challenge id="${id}">`);
      if (mine.length === 0) problems.push('no solution block (```bash challenge="…")');
      if (mine.length > 1) problems.push(`${mine.length} solution blocks`);
      if (mine[0] && !mine[0].runnable) problems.push('the solution is not runnable');
      if (!scripts.has(id)) problems.push(`no check script ${id}.sh`);
      cases.push({
        lesson: lesson.slug,
        id,
        line: mine[0]?.line ?? element?.line ?? 0,
        solution: mine[0],
        problem: problems.join('; ') || undefined,
      });
    }
  }
  for (const id of [...scripts].sort()) {
    if (!seen.has(id)) cases.push({ lesson: '-', id, line: 0, solution: undefined, problem: 'check script that no lesson uses' });
  }
  return cases;
}

/** The ids of the check scripts in `dir` (`<id>.sh`), as the server loads them. */
export function checkScripts(dir: string): Set<string> {
  return new Set(
    existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => n.endsWith('.sh'))
          .map((n) => n.slice(0, -3))
      : [],
  );
}

export async function withChallenges(lessons: Lesson[]): Promise<Array<Lesson & { challenges: ExtractedChallenge[] }>> {
  return Promise.all(lessons.map(async (l) => ({ ...l, challenges: extractChallenges(await readFile(l.file, 'utf8')) })));
}

/** POST /lab/check as the page does (Origin and session cookie). */
export async function postCheck(server: LabEndpoint, cookie: string, challenge: string): Promise<CheckResponse> {
  const res = await fetch(new URL(LAB_CHECK_PATH, server.url), {
    method: 'POST',
    headers: { origin: server.origin, cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ challenge }),
    signal: AbortSignal.timeout(60_000),
  });
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status !== 200) {
    const error = HttpError.safeParse(body);
    throw new Error(`check: HTTP ${res.status} ${error.success ? `${error.data.error}: ${error.data.detail}` : ''}`);
  }
  return CheckResponse.parse(body);
}

export interface ChallengeRow {
  lesson: string;
  challenge: string;
  pass: boolean;
  /** The check on a fresh sandbox: its message (it must fail). */
  before: string;
  /** The solution as the lesson runner judged it. */
  solution: string;
  /** The check after the solution: ✓ or its message. */
  after: string;
  seconds: number;
}

const oneLine = (text: string, width: number) => {
  const line = text.replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

export const challengeHeader = () =>
  `RESULT  ${'lesson'.padEnd(36)} ${'challenge'.padEnd(16)} ${'before (fresh sandbox)'.padEnd(48)} ${'solution'.padEnd(10)} ${'after'.padEnd(32)} ${'time'.padStart(7)}`;

export const formatChallengeRow = (r: ChallengeRow) =>
  `${r.pass ? 'PASS' : 'FAIL'}    ${r.lesson.padEnd(36)} ${r.challenge.padEnd(16)} ${oneLine(r.before, 48).padEnd(48)} ${oneLine(r.solution, 10).padEnd(10)} ${oneLine(r.after, 32).padEnd(32)} ${r.seconds.toFixed(1).padStart(6)}s`;

const reason = (error: unknown) => String((error as Error).message ?? error).split('\n')[0]!;

/** One challenge, both ways, in a fresh session. */
export async function proveChallenge(server: LabEndpoint, c: ChallengeCase): Promise<ChallengeRow> {
  const began = performance.now();
  const row: ChallengeRow = { lesson: c.lesson, challenge: c.id, pass: false, before: '', solution: '', after: '', seconds: 0 };
  const done = () => ((row.seconds = (performance.now() - began) / 1000), row);
  if (c.problem || !c.solution) {
    row.before = c.problem ?? 'no solution';
    return done();
  }
  let cookie: string | undefined;
  try {
    const opened = await openAtPrompt(server);
    cookie = opened.cookie;
    const term = opened.term;
    try {
      const before = await postCheck(server, cookie, c.id);
      const failedFirst = !before.passed && before.message.trim() !== '';
      row.before = before.passed
        ? '✗ passed on a fresh sandbox'
        : before.message.trim()
          ? before.message
          : `✗ failed without a message (exit ${before.exitCode})`;

      const snippet = c.solution;
      const outcome = await runSnippet(term, { code: snippet.code, timeout: snippet.meta.timeout, input: snippet.meta.input });
      const judged = judge(snippet.meta, outcome);
      row.solution = judged.pass ? `exit ${outcome.exit}` : `✗ ${judged.reasons.join('; ')}`;
      if (!judged.pass && process.env.LESSON_RUNNER_VERBOSE) console.log(outcome.output);

      const after = await postCheck(server, cookie, c.id);
      row.after = after.passed ? '✓' : `✗ ${after.message || `exit ${after.exitCode}`}`;
      row.pass = failedFirst && judged.pass && after.passed;
    } finally {
      await term.close();
    }
  } catch (error) {
    row.after = `✗ ${reason(error)}`;
  } finally {
    if (cookie) await endSession(server, cookie).catch(() => undefined);
  }
  return done();
}

/** Runs every case one after another, printing each row as it is known; returns the rows. */
export async function runChallengeMode(server: LabEndpoint, cases: ChallengeCase[]): Promise<ChallengeRow[]> {
  console.log('mode: challenges — each challenge in a fresh session and sandbox: check fails, solution runs, check passes');
  console.log(challengeHeader());
  const rows: ChallengeRow[] = [];
  for (const c of cases) {
    const row = await proveChallenge(server, c);
    rows.push(row);
    console.log(formatChallengeRow(row));
  }
  return rows;
}

/** The default catalog: the one the server loads (config.ts LAB_CHALLENGES_DIR). */
export const CHALLENGES_DIR = path.resolve(import.meta.dirname, '../../content/challenges');

/**
 * The whole mode: its own lab server (or `url`), every challenge of
 * `lessons` (in course order), the table and "N passed, N failed". Returns
 * the exit code. `all`: every lesson was chosen, so a check script no
 * lesson uses is reported too.
 */
export async function challengesCommand(opts: { lessons: Lesson[]; all: boolean; url?: string }): Promise<number> {
  const began = performance.now();
  const scripts = checkScripts(CHALLENGES_DIR);
  let cases = challengeCases(await withChallenges(opts.lessons), scripts);
  if (!opts.all) cases = cases.filter((c) => c.lesson !== '-');
  const instance = newInstance(`challenges-${process.pid}`);
  const logFile = path.join(ARTIFACTS, 'lessons', `${instance}.log`);
  const server = opts.url ? undefined : await startLabServer({ instance, logFile, echoWarnings: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));
  }
  let rows: ChallengeRow[];
  try {
    const lab = server ?? endpoint(opts.url!);
    console.log(`lab server: ${lab.url}${server ? ` (log: ${path.relative(ROOT, logFile)})` : ''}`);
    rows = await runChallengeMode(lab, cases);
  } finally {
    await server?.stop();
  }
  const passed = rows.filter((r) => r.pass).length;
  console.log('');
  console.log(
    `challenges: ${rows.length} in ${new Set(rows.filter((r) => r.lesson !== '-').map((r) => r.lesson)).size} lessons, ${((performance.now() - began) / 1000).toFixed(0)} s`,
  );
  console.log(`${passed} passed, ${rows.length - passed} failed`);
  return passed === rows.length && rows.length > 0 ? 0 : 1;
}
