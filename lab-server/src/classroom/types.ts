/**
 * Class mode (issue 13): the shared vocabulary of the training portal. Three
 * parts meet here and nowhere else:
 *
 *   store.ts   ClassroomStore: classes, roster, progress, help requests, messages
 *              (SQLite via node:sqlite by default; a shared database can replace it)
 *   http.ts    the instructor's and learners' HTTP routes (auth, validation, CSV, live feed)
 *   seats.ts   ClassroomLab: what the lab does for a class (seats instead of per-IP
 *              caps, the queue, the pre-warmed pool, warnings, reset/end, mirrors)
 *
 * Wired in main.ts only. Times are epoch milliseconds; ids are opaque strings.
 */

/** One class: created by the instructor, joined with `code`. */
export interface ClassRecord {
  id: string;
  name: string;
  /** Short join code, unambiguous characters (no 0/O, 1/I/L), upper case. */
  code: string;
  seats: number;
  startsAt: number;
  endsAt: number;
  /** Lesson slugs in order (the course sidebar's, or the instructor's choice). */
  lessons: string[];
  createdAt: number;
  /** Set when the instructor ended it: every sandbox of the class is gone, joining is refused. */
  endedAt: number | null;
}

export interface LearnerRecord {
  id: string;
  classId: string;
  /** As typed (trimmed, 1..40 characters, no markup); always escaped where shown. */
  name: string;
  /** sha256 hex of the learner cookie's token; the token itself is never stored. */
  tokenHash: string;
  joinedAt: number;
  /** Epoch ms after which this learner's session ends; class end unless extended. */
  endsAt: number;
  lastSeenAt: number;
  /** Slug of the lesson the learner last ran a snippet in, or null. */
  currentLesson: string | null;
}

/** What the page reports after each snippet: ✓, 예상대로 실패, ✗ (src/lab-client/outcome.ts). */
export type SnippetResult = 'ok' | 'expected-fail' | 'fail';

export interface ProgressRecord {
  learnerId: string;
  lesson: string;
  snippet: string;
  result: SnippetResult;
  at: number;
}

export interface HelpRecord {
  id: string;
  learnerId: string;
  classId: string;
  /** Optional one line (0..200 characters). */
  text: string;
  at: number;
  clearedAt: number | null;
}

/** The storage seam: SQLite by default (store.ts); every method is synchronous-safe to await. */
export interface ClassroomStore {
  /** sha256 hex of the instructor's admin token (auth.ts), or undefined before the first start. */
  adminTokenHash(): Promise<string | undefined>;
  setAdminTokenHash(hash: string): Promise<void>;
  /** Stores `hash` unless a hash is stored already; answers the one stored (a first start racing another server keeps one token). */
  claimAdminTokenHash(hash: string): Promise<string>;
  createClass(input: Omit<ClassRecord, 'id' | 'code' | 'createdAt' | 'endedAt'>): Promise<ClassRecord>;
  getClass(id: string): Promise<ClassRecord | undefined>;
  classByCode(code: string): Promise<ClassRecord | undefined>;
  listClasses(): Promise<ClassRecord[]>;
  updateClass(id: string, patch: Partial<Pick<ClassRecord, 'endsAt' | 'endedAt' | 'seats' | 'startsAt'>>): Promise<void>;
  addLearner(input: Omit<LearnerRecord, 'id' | 'lastSeenAt' | 'currentLesson'>): Promise<LearnerRecord>;
  learnerByTokenHash(tokenHash: string): Promise<LearnerRecord | undefined>;
  getLearner(id: string): Promise<LearnerRecord | undefined>;
  listLearners(classId: string): Promise<LearnerRecord[]>;
  updateLearner(id: string, patch: Partial<Pick<LearnerRecord, 'endsAt' | 'lastSeenAt' | 'currentLesson'>>): Promise<void>;
  recordProgress(p: ProgressRecord): Promise<void>;
  listProgress(classId: string): Promise<ProgressRecord[]>;
  addHelp(input: Omit<HelpRecord, 'id' | 'clearedAt'>): Promise<HelpRecord>;
  getHelp(id: string): Promise<HelpRecord | undefined>;
  clearHelp(id: string, at: number): Promise<void>;
  listHelp(classId: string, includeCleared?: boolean): Promise<HelpRecord[]>;
  close(): void;
}

/** Why addLearner refused: no such class, it is over, or its roster is full (checked in the same transaction as the insert). */
export class JoinRefused extends Error {
  readonly reason: 'not-found' | 'class-ended' | 'class-full';
  constructor(reason: JoinRefused['reason']) {
    super(`join refused: ${reason}`);
    this.name = 'JoinRefused';
    this.reason = reason;
  }
}

/** A learner's live state, from the lab (not stored). */
export interface LearnerLive {
  /** A terminal of this learner is attached right now. */
  connected: boolean;
  /** 'none' (no session), 'queued', 'booting', 'ready'. */
  state: 'none' | 'queued' | 'booting' | 'ready';
  /** 1-based place in the class queue when queued. */
  queuePosition: number | null;
  /** Sandbox CPU in percent of one core and memory in bytes (null when unknown or no sandbox). */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

/** What the lab does for classes (seats.ts implements it; http.ts calls it). */
export interface ClassroomLab {
  live(learnerId: string): LearnerLive;
  /** Grow the warm pool toward the class's seats (bounded by the host's session cap); idempotent. */
  prewarm(cls: ClassRecord): void;
  /** Remove the learner's sandbox and session; the learner's next 실행 gets a fresh one. */
  resetLearner(learnerId: string): Promise<void>;
  /** End the learner's session (the page says the instructor ended it). */
  endLearner(learnerId: string): Promise<void>;
  /** End every session of the class and remove its sandboxes. */
  endClass(classId: string): Promise<void>;
  /** Show `text` in the dock of every connected learner of the class (and as one terminal line). */
  broadcast(classId: string, text: string): void;
  /** The learner's end time changed (extend): warnings are re-armed. */
  extended(learnerId: string, endsAt: number): void;
}
