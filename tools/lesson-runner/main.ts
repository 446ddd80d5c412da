/**
 * npm run test:lessons [-- --course] [--record] [--lesson SLUG] [--url http://host:port]
 *
 * Proves that every runnable snippet of every lesson does what the lesson
 * says, through the same lab-server path a reader's 실행 takes (session
 * cookie, WebSocket, bracketed paste), judged against the expectations
 * written next to each snippet in the MDX. Lessons run in the sidebar's order
 * (astro.config.mjs). Prints a table and ends with "N passed, N failed".
 *
 * Two modes, both run by CI, because a reader meets the lessons both ways:
 *
 * - per lesson (default): each lesson in a fresh session and sandbox, every
 *   snippet top to bottom: a reader who opens one lesson on its own.
 * - --course: every lesson in one session, one sandbox and one shell, as a
 *   reader pressing every 실행 from the first page to the last (a session and
 *   its sandbox last up to 4 hours, so the whole course fits in one). What
 *   one lesson leaves behind (containers, names, ports, images, the shell's
 *   directory and variables) is still there for the next, as for the reader.
 *
 * --record  rewrites content/recordings/<lesson>.json from this run (the
 *           "예상 출력" readers see under each snippet); per-lesson mode only,
 *           so a recording never depends on what earlier lessons left.
 * --url     use a running lab server instead of starting one.
 * --challenges  the challenge mode instead (challenges.ts): every 도전 과제's
 *           check fails on a fresh sandbox and passes after its solution.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listLessons, type ExtractedSnippet, type Lesson } from '../../src/snippets/extract.ts';
import { writeRecordings, type RecordingsFile } from '../../src/snippets/recordings.ts';
import { startLabServer, newInstance } from '../../tests/support/lab-server.ts';
import { ARTIFACTS, ROOT } from '../../tests/support/paths.ts';
import { LabTerminal, endSession, endpoint, type LabEndpoint } from '../../tests/support/terminal.ts';
import { challengesCommand } from './challenges.ts';
import { inCourseOrder, siteSidebarSlugs } from './course.ts';
import { judge } from './judge.ts';
import { openAtPrompt, runSnippet, waitForPrompt } from './run-snippet.ts';

const { values: args } = parseArgs({
  options: {
    course: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    lesson: { type: 'string', multiple: true },
    url: { type: 'string' },
    challenges: { type: 'boolean', default: false },
  },
});
if (args.course && args.record) {
  console.error('--record writes per-lesson recordings; run it without --course');
  process.exit(2);
}

interface Row {
  lesson: string;
  line: number;
  snippet: string;
  pass: boolean;
  detail: string;
  seconds: number;
}

const firstLine = (code: string) => {
  const line = code.split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? code.split('\n')[0] ?? '';
  return line.length > 48 ? `${line.slice(0, 47)}…` : line;
};

/** An error's first line: the table has one line per snippet (waits append the terminal's tail below). */
const reason = (error: unknown) => String((error as Error).message ?? error).split('\n')[0]!;

const formatRow = (r: Row) =>
  `${r.pass ? 'PASS' : 'FAIL'}  ${r.lesson.padEnd(28)} L${String(r.line).padEnd(4)} ${r.snippet.padEnd(48)} ${r.seconds.toFixed(1).padStart(6)}s  ${r.detail}`;

function report(row: Row, rows: Row[]) {
  rows.push(row);
  console.log(formatRow(row));
}

/**
 * Runs `lessons` one after another in one new session (one sandbox, one
 * shell), every runnable snippet top to bottom. If the session fails, every
 * snippet not yet run is reported as failed with the reason.
 */
async function runInOneSandbox(server: LabEndpoint, lessons: Lesson[], rows: Row[]) {
  const runnable = (l: Lesson) => l.snippets.filter((s) => s.step); // lesson steps: a challenge's solution (s.meta.challenge) runs only in the challenge mode
  const ran = new Set<ExtractedSnippet>();
  let cookie: string | undefined;
  try {
    const opened = await openAtPrompt(server);
    cookie = opened.cookie;
    let term = opened.term;
    try {
      for (const lesson of lessons) {
        const recordings: RecordingsFile = { lesson: lesson.slug, recordedAt: new Date().toISOString(), snippets: {} };
        for (const snippet of runnable(lesson)) {
          if (term.closeCode !== undefined) throw new Error(`the server closed the terminal (${term.closeCode})`);
          const began = performance.now();
          let pass = false;
          let detail: string;
          ran.add(snippet);
          try {
            const outcome = await runSnippet(term, { code: snippet.code, timeout: snippet.meta.timeout, input: snippet.meta.input });
            const verdict = judge(snippet.meta, outcome);
            pass = verdict.pass;
            detail = verdict.pass ? `exit ${outcome.exit}${outcome.interrupted ? ' (interrupted)' : ''}` : verdict.reasons.join('; ');
            if (outcome.exit !== null) {
              recordings.snippets[snippet.id] = { output: outcome.output, exit: outcome.exit, ...(outcome.interrupted ? { interrupted: true } : {}) };
            }
            if (!pass && process.env.LESSON_RUNNER_VERBOSE) console.log(outcome.output);
          } catch (error) {
            detail = reason(error);
          }
          const shellExit = term.exited && term.closeCode === undefined ? term.messages.findLast((m) => m.type === 'exit') : undefined;
          if (shellExit) detail += `; the shell exited (${shellExit.code ?? 'signal'})`;
          report(
            { lesson: lesson.slug, line: snippet.line, snippet: firstLine(snippet.code), pass, detail, seconds: (performance.now() - began) / 1000 },
            rows,
          );
          if (shellExit) {
            // A snippet ended the reader's shell (e.g. a scripted `exit` reached it):
            // that snippet failed; the rest continue in a fresh shell of the same
            // sandbox. As the page does: it closes the socket on `exit`, and its
            // next 실행 reconnects to the session, resuming after what it has seen.
            const resumeFrom = term.offset;
            await term.close();
            term = await LabTerminal.open(server, cookie);
            term.hello(resumeFrom);
            await waitForPrompt(term, 0, 60_000).catch((error: unknown) => {
              const said = term.messages.map((m) => (m.type === 'attached' ? `attached(fresh=${m.freshShell})` : m.type)).join(', ');
              throw new Error(`${reason(error)} after reconnecting (server sent: ${said || 'nothing'})`);
            });
          }
        }
        if (args.record) console.log(`recorded ${await writeRecordings(recordings)}`);
      }
    } finally {
      await term.close();
    }
  } catch (error) {
    for (const lesson of lessons) {
      for (const s of runnable(lesson).filter((s) => !ran.has(s))) {
        report({ lesson: lesson.slug, line: s.line, snippet: firstLine(s.code), pass: false, detail: `not run: ${reason(error)}`, seconds: 0 }, rows);
      }
    }
  } finally {
    if (cookie) await endSession(server, cookie).catch(() => undefined);
  }
}

async function main() {
  const began = performance.now();
  const chosen = (await listLessons()).filter((l) => !args.lesson || args.lesson.includes(l.slug));
  const { course, outside } = inCourseOrder(
    chosen,
    siteSidebarSlugs().filter((s) => chosen.some((l) => l.slug === s)),
  );
  if (args.challenges) {
    process.exitCode = await challengesCommand({ lessons: [...course, ...outside], all: !args.lesson, url: args.url });
    return;
  }
  const withSnippets = (ls: Lesson[]) => ls.filter((l) => l.snippets.some((s) => s.runnable));
  // Course: the sidebar's lessons in one sandbox. Per lesson: each in its own,
  // pages the sidebar does not list included (a reader can still open them).
  const sandboxes = args.course ? [withSnippets(course)] : withSnippets([...course, ...outside]).map((l) => [l]);
  const lessons = args.course ? course : [...course, ...outside];

  // A unique instance, so a concurrent run (or a test suite) never reconciles our sandboxes away.
  const instance = newInstance(`lessons-${process.pid}`);
  const logFile = path.join(ARTIFACTS, 'lessons', `${instance}.log`);
  // The course has one session: a warm pool would only boot a spare sandbox beside it.
  const env: Record<string, string> = args.course ? { LAB_WARM_POOL: '0' } : {};
  const server = args.url ? undefined : await startLabServer({ instance, logFile, env, echoWarnings: true });
  // A cancelled run (Ctrl-C, CI timeout) stops its server, which removes its sandboxes.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));
  }
  const lab = server ?? endpoint(args.url!);
  const rows: Row[] = [];
  try {
    console.log(`lab server: ${lab.url}${server ? ` (log: ${path.relative(ROOT, logFile)})` : ''}`);
    console.log(
      args.course
        ? `mode: course — ${course.length} pages in sidebar order, one session, one sandbox, one shell`
        : 'mode: per lesson — each lesson in a fresh session and sandbox',
    );
    for (const l of args.course ? withSnippets(outside) : []) console.log(`not in the sidebar, so not part of the course: ${l.slug}`);
    console.log(`${'RESULT'}  ${'lesson'.padEnd(28)} ${'line'.padEnd(5)} ${'snippet'.padEnd(48)} ${'time'.padStart(7)}  detail`);
    for (const group of sandboxes) await runInOneSandbox(lab, group, rows);
  } finally {
    await server?.stop();
  }
  const passed = rows.filter((r) => r.pass).length;
  const failed = rows.length - passed;
  let norun = 0;
  console.log('');
  for (const lesson of lessons) {
    const mine = rows.filter((r) => r.lesson === lesson.slug);
    const blocks = lesson.snippets.length;
    const lessonNorun = lesson.snippets.filter((s) => s.meta.norun !== undefined).length;
    norun += lessonNorun;
    console.log(
      `${lesson.slug.padEnd(28)} runnable ${String(mine.length).padStart(3)}  passed ${String(mine.filter((r) => r.pass).length).padStart(3)}  norun ${String(lessonNorun).padStart(3)}  other blocks ${blocks - mine.length - lessonNorun}`,
    );
  }
  console.log(`non-runnable shell blocks (norun): ${norun}`);
  console.log(`${args.course ? 'course' : 'per lesson'}: ${((performance.now() - began) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && rows.length > 0 ? 0 : 1;
}

await main();
