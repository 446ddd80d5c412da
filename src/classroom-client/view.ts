/**
 * The instructor console's pure view logic (no DOM): what each cell of the
 * live table says, which help requests are new since the last snapshot,
 * the join link, the "새 수업" form's request body. instructor.ts puts the
 * strings into the page, always as text (names and help lines are the
 * learners' own typing).
 */
import type { SnippetResult } from '../../lab-server/src/classroom/types.ts';
import {
  ClassLimits,
  ClassName,
  type ClassSnapshot,
  type CreateClassRequest,
  type LearnerView,
  type LessonTally,
} from '../../lab-server/src/protocol.ts';
import { formatBytes } from '../lab-client/messages.ko.ts';
import { RESULT_MARK, classKo } from './messages.ko.ts';

export interface LessonCell {
  lesson: string;
  /** "✓ 3 · 예상대로 실패 1 · ✗ 2" (counts above zero only), or "–" when nothing ran. */
  text: string;
  /** Screen-reader wording of the same counts. */
  label: string;
  /** Something in this lesson ended ✗. */
  failed: boolean;
}

export interface LearnerRow {
  id: string;
  name: string;
  connected: boolean;
  connection: string;
  state: string;
  currentLesson: string;
  lessons: LessonCell[];
  lastActivity: string;
  cpu: string;
  memory: string;
  /** Open help requests of this learner. */
  help: number;
}

const COUNT_ORDER: { key: 'ok' | 'expectedFail' | 'fail'; result: SnippetResult }[] = [
  { key: 'ok', result: 'ok' },
  { key: 'expectedFail', result: 'expected-fail' },
  { key: 'fail', result: 'fail' },
];

export function lessonCell(lesson: string, counts: LessonTally | undefined, title: string): LessonCell {
  const c = counts ?? { ok: 0, expectedFail: 0, fail: 0 };
  const total = c.ok + c.expectedFail + c.fail;
  // Only the counts that are not zero: five lessons side by side still fit 1280 px.
  const parts = COUNT_ORDER.filter(({ key }) => c[key] > 0).map(({ key, result }) => `${RESULT_MARK[result]} ${c[key]}`);
  return {
    lesson,
    text: total === 0 ? classKo.console.unknown : parts.join(' · '),
    label: `${title}: 성공 ${c.ok}, 예상대로 실패 ${c.expectedFail}, 실패 ${c.fail}`,
    failed: c.fail > 0,
  };
}

export function formatCpu(percent: number | null): string {
  return percent === null ? classKo.console.unknown : `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}

export function formatMemory(bytes: number | null): string {
  return bytes === null ? classKo.console.unknown : formatBytes(bytes);
}

export function formatAgo(at: number, now: number): string {
  return classKo.ago(Math.max(0, Math.floor((now - at) / 1000)));
}

function stateText(l: LearnerView): string {
  const s = classKo.console.state;
  return l.live.state === 'queued' ? s.queued(l.live.queuePosition) : s[l.live.state];
}

/** One row per learner, in the snapshot's order; lesson cells follow the class's lessons; times relative to the snapshot's. */
export function learnerRows(snapshot: ClassSnapshot, titles: ReadonlyMap<string, string>): LearnerRow[] {
  const now = snapshot.at;
  const title = (slug: string) => titles.get(slug) ?? slug;
  const openHelp = new Map<string, number>();
  for (const h of snapshot.help) if (h.clearedAt === null) openHelp.set(h.learnerId, (openHelp.get(h.learnerId) ?? 0) + 1);
  return snapshot.learners.map((l) => ({
    id: l.id,
    name: l.name,
    connected: l.live.connected,
    connection: l.live.connected ? classKo.console.connected : classKo.console.disconnected,
    state: stateText(l),
    currentLesson: l.currentLesson === null ? classKo.console.unknown : title(l.currentLesson),
    lessons: snapshot.class.lessons.map((slug) => lessonCell(slug, l.progress[slug], title(slug))),
    lastActivity: formatAgo(l.lastSeenAt, now),
    cpu: formatCpu(l.live.cpuPercent),
    memory: formatMemory(l.live.memoryBytes),
    help: openHelp.get(l.id) ?? 0,
  }));
}

export interface HelpItem {
  id: string;
  learnerId: string;
  name: string;
  text: string;
  ago: string;
}

/** Open help requests, oldest first. */
export function openHelp(snapshot: ClassSnapshot): HelpItem[] {
  return snapshot.help
    .filter((h) => h.clearedAt === null)
    .sort((a, b) => a.at - b.at)
    .map((h) => ({
      id: h.id,
      learnerId: h.learnerId,
      name: h.learnerName,
      text: h.text === '' ? classKo.console.helpNoText : h.text,
      ago: formatAgo(h.at, snapshot.at),
    }));
}

/**
 * Help requests not seen before (they get the sound and the announcement).
 * `seen` is updated; the first snapshot after opening a class only fills it,
 * so opening the console does not ring for old requests.
 */
export function arrivedHelp(items: readonly HelpItem[], seen: Set<string>, first: boolean): HelpItem[] {
  const fresh = items.filter((h) => !seen.has(h.id));
  for (const h of fresh) seen.add(h.id);
  return first ? [] : fresh;
}

/** The link a learner opens (the server gives its path, the page its own origin). */
export function joinLink(pageUrl: string, joinPath: string): string {
  return new URL(joinPath, pageUrl).toString();
}

export interface ClassForm {
  name: string;
  seats: string;
  /** <input type="datetime-local"> value in the instructor's time zone, or '' for now. */
  startsAt: string;
  durationMinutes: string;
  lessons: string[];
}

export type FormResult = { ok: true; body: CreateClassRequest } | { ok: false; field: keyof ClassForm; message: string };

const positiveInt = (s: string) => (/^\s*\d+\s*$/.test(s) && Number(s) >= 1 ? Number(s) : null);

/** The "새 수업" form as a request body, or the first field that is wrong (with its Korean message). */
export function classRequest(form: ClassForm, parseLocal: (value: string) => number = (v) => new Date(v).getTime()): FormResult {
  const name = form.name.trim();
  if (name === '') return { ok: false, field: 'name', message: classKo.console.nameEmpty };
  if (!ClassName.safeParse(name).success) return { ok: false, field: 'name', message: classKo.console.nameBad(ClassLimits.classNameMax) };
  const seats = positiveInt(form.seats);
  if (seats === null) return { ok: false, field: 'seats', message: classKo.console.seatsBad };
  const durationMinutes = positiveInt(form.durationMinutes);
  if (durationMinutes === null) return { ok: false, field: 'durationMinutes', message: classKo.console.durationBad };
  const body: CreateClassRequest = { name, seats, durationMinutes, lessons: form.lessons };
  if (form.startsAt.trim() !== '') {
    const startsAt = parseLocal(form.startsAt);
    if (!Number.isFinite(startsAt)) return { ok: false, field: 'startsAt', message: classKo.console.startBad };
    body.startsAt = startsAt;
  }
  return { ok: true, body };
}

/** "11월 30일 14:05" in the reader's locale and zone (ko-KR). */
export function formatTime(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('ko-KR', { month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(at);
}
