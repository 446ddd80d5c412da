/**
 * Recorded output of runnable snippets, shown under each block as a collapsed
 * "예상 출력" (expected output) so a reader sees what a command prints before
 * (or without) running it.
 *
 * One JSON file per lesson, written by the lesson runner after a run in a
 * real sandbox, committed with the lesson:
 *
 *   content/recordings/<lesson-slug>.json
 *   e.g. content/recordings/lessons/docker-intro.json
 *
 *   {
 *     "lesson": "lessons/docker-intro",          // the lesson slug (= page route)
 *     "recordedAt": "2026-11-23T12:00:00.000Z",  // optional, ISO 8601
 *     "snippets": {
 *       "3f2a9c0d1b7e": {                         // snippet id: sha256(code)[:12]
 *         "output": "PID   USER     TIME  COMMAND\n    1 root      0:00 ps\n",
 *         "exit": 0,                              // the shell's exit status
 *         "interrupted": false                    // optional: stopped by the runner's timeout (Ctrl-C)
 *       }
 *     }
 *   }
 *
 * `output` is plain text as a terminal shows it (control codes removed,
 * rendered by a headless xterm.js exactly as the terminal showed it: tools/lesson-runner/screen.ts). Entries for
 * ids no longer in the lesson are ignored; a snippet whose code changed gets
 * a new id and so shows no stale output. A recording whose exit status
 * contradicts the snippet's exit= (a run in a broken sandbox) is not shown
 * either, unless the runner interrupted it. content/recordings/ holds no .md/.mdx,
 * so the lesson loader never sees these files.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const RecordingSchema = z.object({
  output: z.string(),
  exit: z.number().int().min(0).max(255),
  interrupted: z.boolean().optional(),
});

export const RecordingsFileSchema = z.object({
  lesson: z.string().min(1),
  recordedAt: z.string().optional(),
  snippets: z.record(z.string().regex(/^[0-9a-f]{12}$/), RecordingSchema),
});

export type Recording = z.infer<typeof RecordingSchema>;
export type RecordingsFile = z.infer<typeof RecordingsFileSchema>;

/** Where recordings live by default. */
export const RECORDINGS_DIR = fileURLToPath(new URL('../../content/recordings/', import.meta.url));

/** Longest output shown on the page; longer output is cut with a note (the file keeps all). */
export const MAX_SHOWN_LINES = 60;

export function recordingsPath(lesson: string, dir: string = RECORDINGS_DIR): string {
  return join(dir, `${lesson}.json`);
}

const cache = new Map<string, { mtimeMs: number; data: RecordingsFile }>();

/**
 * The lesson's recordings, or undefined when there is no file. Invalid files
 * throw (a broken recording should fail the build, not vanish silently).
 * Cached by modification time, so a dev server picks up new recordings.
 */
export function readRecordings(lesson: string, dir: string = RECORDINGS_DIR): RecordingsFile | undefined {
  const file = recordingsPath(lesson, dir);
  if (!existsSync(file)) return undefined;
  const { mtimeMs } = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.data;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = RecordingsFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  cache.set(file, { mtimeMs, data: parsed.data });
  return parsed.data;
}

/** One snippet's recording, if any. */
export function findRecording(lesson: string, id: string, dir: string = RECORDINGS_DIR): Recording | undefined {
  return readRecordings(lesson, dir)?.snippets[id];
}

/** Writes a lesson's recordings (for the runner): stable key order, trailing newline. */
export async function writeRecordings(data: RecordingsFile, dir: string = RECORDINGS_DIR): Promise<string> {
  const valid = RecordingsFileSchema.parse(data);
  const snippets = Object.fromEntries(Object.entries(valid.snippets).sort(([a], [b]) => a.localeCompare(b)));
  const file = recordingsPath(valid.lesson, dir);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ ...valid, snippets }, null, 2)}\n`);
  return file;
}

/** The text shown on the page: at most MAX_SHOWN_LINES lines, trailing blank lines dropped. */
export function shownOutput(output: string): { text: string; cutLines: number } {
  const lines = output.replace(/\s+$/, '').split('\n');
  if (lines.length <= MAX_SHOWN_LINES) return { text: lines.join('\n'), cutLines: 0 };
  return { text: lines.slice(0, MAX_SHOWN_LINES).join('\n'), cutLines: lines.length - MAX_SHOWN_LINES };
}
