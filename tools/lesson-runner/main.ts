/**
 * npm run test:lessons [-- --record] [--lesson SLUG] [--url http://host:port]
 *
 * Proves that every runnable snippet of every lesson does what the lesson
 * says: for each lesson a fresh sandbox, through the same lab-server path a
 * reader's 실행 takes (session cookie, WebSocket, bracketed paste), every
 * runnable snippet in order, judged against the expectations written next to
 * it in the MDX. Prints a table and ends with "N passed, N failed".
 *
 * --record  rewrites content/recordings/<lesson>.json from this run (the
 *           "예상 출력" readers see under each snippet).
 * --url     use a running lab server instead of starting one.
 */
import { parseArgs } from 'node:util';
import { listLessons, type ExtractedSnippet } from '../../src/snippets/extract.ts';
import { writeRecordings, type RecordingsFile } from '../../src/snippets/recordings.ts';
import { judge } from './judge.ts';
import { LabTerminal } from './lab-terminal.ts';
import { runSnippet, waitForPrompt } from './run-snippet.ts';
import { startLabServer } from './lab-process.ts';

const { values: args } = parseArgs({
  options: {
    record: { type: 'boolean', default: false },
    lesson: { type: 'string', multiple: true },
    url: { type: 'string' },
  },
});

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

async function runLesson(baseUrl: string, slug: string, snippets: ExtractedSnippet[], rows: Row[]) {
  const recordings: RecordingsFile = { lesson: slug, recordedAt: new Date().toISOString(), snippets: {} };
  const terminal = await LabTerminal.open({ baseUrl });
  try {
    await waitForPrompt(terminal, 0, 180_000);
    for (const snippet of snippets) {
      const began = performance.now();
      let pass = false;
      let detail: string;
      try {
        const outcome = await runSnippet(terminal, {
          code: snippet.code,
          timeout: snippet.meta.timeout,
          input: snippet.meta.input,
        });
        const verdict = judge(snippet.meta, outcome);
        pass = verdict.pass;
        detail = verdict.pass ? `exit ${outcome.exit}${outcome.interrupted ? ' (interrupted)' : ''}` : verdict.reasons.join('; ');
        if (outcome.exit !== null) {
          recordings.snippets[snippet.id] = { output: outcome.output, exit: outcome.exit, ...(outcome.interrupted ? { interrupted: true } : {}) };
        }
        if (!pass && process.env.LESSON_RUNNER_VERBOSE) console.log(outcome.output);
      } catch (error) {
        detail = (error as Error).message;
      }
      const row = { lesson: slug, line: snippet.line, snippet: firstLine(snippet.code), pass, detail, seconds: (performance.now() - began) / 1000 };
      rows.push(row);
      console.log(formatRow(row));
      if (terminal.exited) {
        // A snippet ended the reader's shell (e.g. scripted `exit` reached it):
        // that snippet failed; the rest continue in a fresh shell of the same sandbox.
        await terminal.reattach();
        await waitForPrompt(terminal, 0, 60_000);
      }
    }
  } finally {
    terminal.close();
    await terminal.endSession().catch(() => undefined);
  }
  if (args.record) console.log(`recorded ${await writeRecordings(recordings)}`);
}

const formatRow = (r: Row) =>
  `${r.pass ? 'PASS' : 'FAIL'}  ${r.lesson.padEnd(28)} L${String(r.line).padEnd(4)} ${r.snippet.padEnd(48)} ${r.seconds.toFixed(1).padStart(6)}s  ${r.detail}`;

async function main() {
  const lessons = (await listLessons()).filter((l) => !args.lesson || args.lesson.includes(l.slug));
  // A unique instance, so a concurrent run (or a test suite) never reconciles our sandboxes away.
  const server = args.url ? undefined : await startLabServer({ LAB_INSTANCE: `lessons-${process.pid}` });
  const baseUrl = args.url ?? server!.url;
  const rows: Row[] = [];
  let norun = 0;
  try {
    console.log(`lab server: ${baseUrl}`);
    console.log(`${'RESULT'}  ${'lesson'.padEnd(28)} ${'line'.padEnd(5)} ${'snippet'.padEnd(48)} ${'time'.padStart(7)}  detail`);
    for (const lesson of lessons) {
      const runnable = lesson.snippets.filter((s) => s.runnable);
      norun += lesson.snippets.filter((s) => s.meta.norun !== undefined).length;
      if (runnable.length === 0) continue;
      try {
        await runLesson(baseUrl, lesson.slug, runnable, rows);
      } catch (error) {
        const done = rows.filter((r) => r.lesson === lesson.slug).length;
        for (const s of runnable.slice(done)) {
          const row = { lesson: lesson.slug, line: s.line, snippet: firstLine(s.code), pass: false, detail: `not run: ${(error as Error).message}`, seconds: 0 };
          rows.push(row);
          console.log(formatRow(row));
        }
      }
    }
  } finally {
    await server?.stop();
  }
  const passed = rows.filter((r) => r.pass).length;
  const failed = rows.length - passed;
  console.log('');
  for (const lesson of lessons) {
    const mine = rows.filter((r) => r.lesson === lesson.slug);
    const blocks = lesson.snippets.length;
    const lessonNorun = lesson.snippets.filter((s) => s.meta.norun !== undefined).length;
    console.log(`${lesson.slug.padEnd(28)} runnable ${String(mine.length).padStart(3)}  passed ${String(mine.filter((r) => r.pass).length).padStart(3)}  norun ${String(lessonNorun).padStart(3)}  other blocks ${blocks - mine.length - lessonNorun}`);
  }
  console.log(`non-runnable shell blocks (norun): ${norun}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && rows.length > 0 ? 0 : 1;
}

await main();
