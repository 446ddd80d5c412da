/**
 * Every class-mode HTTP route (the list and the wire types are in
 * protocol.ts, section "class mode"): the instructor's console API under
 * /instructor/api/, joining under /join/api/, and the learner's
 * LAB_PROGRESS_PATH and LAB_HELP_PATH. ../http.ts hands these paths here
 * (`owns`), with its Origin guard, so the CSRF and CORS rules are the ones
 * of LAB_SESSION_PATH.
 *
 * Who may do what:
 * - Instructor routes need the ADMIN_COOKIE of a live admin session
 *   (auth.ts); anything else, a learner cookie included, is 401
 *   `not-logged-in`. Ids in the path are checked against the store: an id
 *   that names nothing (forged, or of a deleted thing) is 404 `not-found`.
 * - Learner routes take the class from the LEARNER_COOKIE only (its token's
 *   sha256 finds the learner; the body cannot name a class: bodies are
 *   strict), so a learner cannot act on another class.
 * - Every POST checks Origin (403 `forbidden-origin`); a GET with a foreign
 *   Origin is refused too (GETs without one are same-origin navigations, and
 *   nothing here is readable cross-origin: no CORS headers on them).
 *
 * Limits: bodies at most ClassLimits.bodyBytes (413); joins per client
 * (LAB_JOIN_RATE: a class behind one NAT joins within a minute, 1,000
 * attempts a minute from one address get 429 without touching the store),
 * logins per client (LAB_LOGIN_RATE), help requests and progress reports per
 * learner (HELP_PER_MINUTE, PROGRESS_PER_MINUTE), live feeds in all
 * (LAB_CLASS_FEEDS). Every refusal is counted (lab_class_refused_total by
 * code, lab_class_joins_total / lab_class_logins_total by result) and logged
 * with the client and the reason (a client's rate-limit refusals once a
 * minute: a flood of 1,000 joins wrote 955 warn lines before).
 *
 * Live feed: GET …/classes/:id/events is a text/event-stream of `snapshot`
 * events (ClassSnapshot): at once, right after a change made through these
 * routes (join, progress, help, clear, end, extend), and every FEED_TICK_MS a
 * fresh snapshot is compared with the last one sent, so what the lab changes
 * (connect, queue, CPU and memory) shows within a tick; it is sent at least
 * every ClassLimits.snapshotEveryMs regardless (also the heartbeat). A feed
 * ends with its admin session (logout), on shutdown (close), and when its
 * client stops reading (more than FEED_HIGH_WATER unsent). Cost, measured on
 * the 2-core host under load: a snapshot of 30 learners × 71 snippets builds
 * in 14 ms (median; p95 30 ms) and is 15 KB of JSON, once per class and
 * tick whatever the number of feeds.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { setCookieHeader } from '../cookies.ts';
import { CreationLimiter, json, readBody, readCookie } from '../http.ts';
import type { Metrics } from '../metrics.ts';
import { clientKey, type OriginPolicy } from '../origin.ts';
import {
  ADMIN_COOKIE,
  AdminLoginRequest,
  CLASS_API,
  CLASS_EVENT_SNAPSHOT,
  ClassLimits,
  ClassMessageRequest,
  ClassroomId,
  CreateClassRequest,
  ExtendRequest,
  HelpRequest,
  JOIN_API,
  JOIN_PAGE,
  JoinRequest,
  LAB_HELP_PATH,
  LAB_PROGRESS_PATH,
  LEARNER_COOKIE,
  ProgressRequest,
  nameProblem,
  type ClassList,
  type ClassSnapshot,
  type ClassView,
  type ErrorCode,
  type HelpCreated,
  type JoinResponse,
  type LearnerEndsAt,
  type LearnerView,
  type LessonTally,
} from '../protocol.ts';
import { AdminAuth } from './auth.ts';
import { toCsv } from './csv.ts';
import { JoinRefused, type ClassRecord, type ClassroomLab, type ClassroomStore, type LearnerLive, type LearnerRecord } from './types.ts';

/** Help requests per learner and minute (as many at once): one press is one request. */
export const HELP_PER_MINUTE = 6;
/** Open (not cleared) help requests per learner: more presses wait until the instructor clears one (429). */
export const HELP_OPEN_MAX = 3;
/** Progress reports per learner and minute (as many at once): a snippet run is seconds long. */
export const PROGRESS_PER_MINUTE = 120;
/** How often open feeds are compared with a fresh snapshot. */
export const FEED_TICK_MS = 1000;
/** A feed with more than this unsent is a client that stopped reading: it is closed. */
export const FEED_HIGH_WATER = 1024 * 1024;
/** The learner cookie outlives the class by this much, so GET JOIN_API.me can say `class-ended`. */
const LEARNER_COOKIE_GRACE_MS = 24 * 3_600_000;
const MIN = 60_000;

/** What ../http.ts lends: its Origin/CORS guard and its cookie Secure rule. */
export interface OriginGuard {
  /** CORS headers to answer with, or undefined after it answered 403 `forbidden-origin` (counted, logged). */
  allowOrigin(req: IncomingMessage, res: ServerResponse, what: string): Record<string, string> | undefined;
  /** Answers an OPTIONS preflight (only LAB_ALLOWED_ORIGINS get one). */
  preflight(req: IncomingMessage, res: ServerResponse, methods: string): void;
  /** Whether cookies set on this request get `Secure` (LAB_COOKIE_SECURE). */
  secure(req: IncomingMessage): boolean;
}

export interface ClassroomHttpDeps {
  config: Pick<Config, 'classroom'>;
  store: ClassroomStore;
  lab: ClassroomLab;
  auth: AdminAuth;
  policy: OriginPolicy;
  metrics: Metrics;
  log: Logger;
  clock?: () => number;
}

export interface ClassroomRoutes {
  /** Whether `path` is a class-mode route (../http.ts dispatches on it). */
  owns(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, guard: OriginGuard): Promise<void>;
  /** Something changed outside these routes (the lab: connect, queue): push fresh snapshots to the class's feeds, or every feed's. */
  changed(classId?: string): void;
  /** Ends every feed (shutdown). */
  close(): void;
}

/** A refusal: status, code, English detail; thrown by the steps below and answered in one place. */
class Refusal extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ErrorCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const LEARNER_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const classView = (c: ClassRecord): ClassView => ({ ...c, joinPath: `${JOIN_PAGE}?code=${c.code}` });

/** Whether the class takes no more joins: ended by the instructor, or past its end. */
export const classOver = (c: ClassRecord, now: number) => c.endedAt !== null || now >= c.endsAt;

/** The snapshot the console shows: roster with live state (`live`, from the lab) and per-lesson tallies, open help, queue length. */
export async function buildSnapshot(
  store: ClassroomStore,
  live: (learnerId: string) => LearnerLive,
  cls: ClassRecord,
  now: number,
): Promise<ClassSnapshot> {
  const [learners, progress, help] = await Promise.all([store.listLearners(cls.id), store.listProgress(cls.id), store.listHelp(cls.id)]);
  const tallies = new Map<string, Record<string, LessonTally>>();
  for (const p of progress) {
    const byLesson = tallies.get(p.learnerId) ?? {};
    tallies.set(p.learnerId, byLesson);
    const t = (byLesson[p.lesson] ??= { ok: 0, expectedFail: 0, fail: 0 });
    if (p.result === 'ok') t.ok++;
    else if (p.result === 'expected-fail') t.expectedFail++;
    else t.fail++;
  }
  const names = new Map(learners.map((l) => [l.id, l.name]));
  const views: LearnerView[] = learners.map(({ tokenHash: _secret, ...l }) => ({ ...l, live: live(l.id), progress: tallies.get(l.id) ?? {} }));
  return {
    class: classView(cls),
    learners: views,
    help: help.map((h) => ({ ...h, learnerName: names.get(h.learnerId) ?? '' })),
    queue: views.filter((l) => l.live.state === 'queued').length,
    at: now,
  };
}

/** The CSV export: one row per learner and lesson with progress (a learner without any: one row). */
export async function progressCsv(store: ClassroomStore, cls: ClassRecord): Promise<string> {
  const snapshot = await buildSnapshot(store, () => NO_LIVE, cls, 0);
  const iso = (ms: number) => new Date(ms).toISOString();
  const rows: (string | number | null)[][] = [['이름', '참가 시각 (UTC)', '마지막 활동 (UTC)', '현재 레슨', '레슨', '성공', '예상대로 실패', '실패']];
  for (const l of snapshot.learners) {
    const lessons = Object.entries(l.progress);
    const base = [l.name, iso(l.joinedAt), iso(l.lastSeenAt), l.currentLesson ?? ''];
    if (lessons.length === 0) rows.push([...base, '', 0, 0, 0]);
    for (const [lesson, t] of lessons) rows.push([...base, lesson, t.ok, t.expectedFail, t.fail]);
  }
  return toCsv(rows);
}
const NO_LIVE: LearnerLive = { connected: false, state: 'none', queuePosition: null, cpuPercent: null, memoryBytes: null };

interface Feed {
  classId: string;
  session: string;
  res: ServerResponse;
  /** The last snapshot sent, without its `at`. */
  last: string;
  lastSentAt: number;
}

export function createClassroomRoutes(deps: ClassroomHttpDeps): ClassroomRoutes {
  const { store, lab, auth, policy, metrics, log } = deps;
  const cfg = deps.config.classroom;
  const now = deps.clock ?? Date.now;
  const joins = new CreationLimiter(cfg.joinPerMinute, Math.max(1, Math.round(cfg.joinPerMinute)));
  const logins = new CreationLimiter(cfg.loginPerMinute, Math.max(1, Math.round(cfg.loginPerMinute)));
  const helps = new CreationLimiter(HELP_PER_MINUTE, HELP_PER_MINUTE);
  const reports = new CreationLimiter(PROGRESS_PER_MINUTE, PROGRESS_PER_MINUTE);
  const feeds = new Set<Feed>();
  let ticker: NodeJS.Timeout | undefined;
  // Every result shows in /metrics from the start (a dashboard sees 0, not nothing).
  for (const result of ['joined', 'no-such-class', 'class-full', 'class-ended', 'bad-name', 'name-markup', 'rate-limited', 'bad-message']) {
    metrics.classJoins.inc({ result }, 0);
  }
  for (const result of ['ok', 'bad-token', 'rate-limited', 'bad-message']) metrics.classLogins.inc({ result }, 0);
  /** Rate-limit refusals come in floods: one log line per client a minute, with how many were left unlogged. */
  const floodLog = new Map<string, { at: number; unlogged: number }>();

  // ---- helpers --------------------------------------------------------------

  function cookie(req: IncomingMessage, guard: OriginGuard, name: string, value: string, cookiePath: string, maxAgeSeconds: number): string {
    return setCookieHeader(name, value, { path: cookiePath, sameSite: 'Lax', secure: guard.secure(req), maxAgeSeconds });
  }

  /** The body parsed with `schema`: 413 over the limit, 400 `bad-message` when it is not JSON or not the schema. */
  async function body<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
    const text = await readBody(req, ClassLimits.bodyBytes);
    if (text === undefined) throw new Refusal(413, 'bad-message', `body over ${ClassLimits.bodyBytes} bytes`, { Connection: 'close' });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new Refusal(400, 'bad-message', 'body is not JSON');
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Refusal(400, 'bad-message', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  function admin(req: IncomingMessage): string {
    const session = auth.session(readCookie(req.headers.cookie, ADMIN_COOKIE));
    if (!session) throw new Refusal(401, 'not-logged-in', 'no instructor session (log in at /instructor/)');
    return session;
  }

  async function learnerOf(req: IncomingMessage): Promise<LearnerRecord | undefined> {
    const token = readCookie(req.headers.cookie, LEARNER_COOKIE);
    if (!token || !LEARNER_TOKEN_SHAPE.test(token)) return undefined;
    return store.learnerByTokenHash(sha256(token));
  }

  async function learnerWithClass(req: IncomingMessage): Promise<{ learner: LearnerRecord; cls: ClassRecord }> {
    const learner = await learnerOf(req);
    const cls = learner && (await store.getClass(learner.classId));
    if (!learner || !cls) throw new Refusal(401, 'not-joined', 'no learner cookie (join at /join/)');
    return { learner, cls };
  }

  const learnerOver = (learner: LearnerRecord, cls: ClassRecord, t: number) => cls.endedAt !== null || t >= learner.endsAt;

  async function classById(id: string): Promise<ClassRecord> {
    const cls = ClassroomId.safeParse(id).success ? await store.getClass(id) : undefined;
    if (!cls) throw new Refusal(404, 'not-found', 'no such class');
    return cls;
  }

  async function learnerById(id: string): Promise<LearnerRecord> {
    const learner = ClassroomId.safeParse(id).success ? await store.getLearner(id) : undefined;
    if (!learner) throw new Refusal(404, 'not-found', 'no such learner');
    return learner;
  }

  const joinResponse = (l: LearnerRecord, c: ClassRecord): JoinResponse => ({
    learner: { id: l.id, name: l.name, endsAt: l.endsAt },
    class: { id: c.id, name: c.name, endsAt: c.endsAt, lessons: c.lessons },
  });

  // ---- live feed ------------------------------------------------------------

  function writeEvent(feed: Feed, snapshot: ClassSnapshot, key: string): void {
    if (feed.res.writableLength > FEED_HIGH_WATER) {
      log.warn({ class: feed.classId, unsent: feed.res.writableLength }, 'live feed closed: its client stopped reading');
      return endFeed(feed);
    }
    feed.res.write(`event: ${CLASS_EVENT_SNAPSHOT}\ndata: ${JSON.stringify(snapshot)}\n\n`);
    feed.last = key;
    feed.lastSentAt = now();
  }

  function endFeed(feed: Feed): void {
    if (!feeds.delete(feed)) return;
    metrics.classFeeds.set(feeds.size);
    feed.res.end();
    if (feeds.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  }

  /** Sends the class's feeds a fresh snapshot where it differs from their last one (or `force`, or it is due). */
  async function push(classId: string, force: boolean): Promise<void> {
    const mine = [...feeds].filter((f) => f.classId === classId);
    if (mine.length === 0) return;
    const cls = await store.getClass(classId);
    if (!cls) return mine.forEach(endFeed);
    const t = now();
    const snapshot = await buildSnapshot(store, (id) => lab.live(id), cls, t);
    const key = JSON.stringify({ ...snapshot, at: 0 });
    for (const feed of mine) {
      if (!feeds.has(feed)) continue;
      if (!auth.valid(feed.session)) {
        endFeed(feed);
        continue;
      }
      // Due by the tick nearest the heartbeat interval (never a whole tick late).
      const due = t - feed.lastSentAt >= ClassLimits.snapshotEveryMs - FEED_TICK_MS / 2;
      if (force || feed.last !== key || due) writeEvent(feed, snapshot, key);
    }
  }

  function changed(classId: string): void {
    push(classId, false).catch((err) => log.error({ err, class: classId }, 'live feed update failed'));
  }

  /** Every class with an open feed gets a fresh comparison. */
  function tick(): void {
    for (const classId of new Set([...feeds].map((f) => f.classId))) changed(classId);
  }

  auth.onEnd((session) => {
    for (const feed of feeds) if (feed.session === session) endFeed(feed);
  });

  async function openFeed(req: IncomingMessage, res: ServerResponse, session: string, cls: ClassRecord): Promise<void> {
    if (feeds.size >= cfg.maxFeeds)
      throw new Refusal(503, 'over-capacity', `live feeds at LAB_CLASS_FEEDS (${cfg.maxFeeds})`, { 'Retry-After': '10' });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const feed: Feed = { classId: cls.id, session, res, last: '', lastSentAt: 0 };
    feeds.add(feed);
    metrics.classFeeds.set(feeds.size);
    res.once('close', () => endFeed(feed));
    ticker ??= setInterval(tick, FEED_TICK_MS);
    ticker.unref();
    await push(cls.id, true);
  }

  // ---- instructor -----------------------------------------------------------

  async function login(
    req: IncomingMessage,
    res: ServerResponse,
    guard: OriginGuard,
    headers: Record<string, string>,
    client: string,
  ): Promise<void> {
    if (!logins.allow(client)) {
      metrics.classLogins.inc({ result: 'rate-limited' });
      throw new Refusal(429, 'rate-limited', 'too many login attempts from this address', { 'Retry-After': '60' });
    }
    let token: string;
    try {
      ({ token } = await body(req, AdminLoginRequest));
    } catch (err) {
      metrics.classLogins.inc({ result: 'bad-message' });
      throw err;
    }
    const result = auth.login(token);
    if (!result.ok) {
      metrics.classLogins.inc({ result: 'bad-token' });
      throw new Refusal(401, 'bad-token', 'wrong instructor token');
    }
    metrics.classLogins.inc({ result: 'ok' });
    log.info({ client }, 'instructor logged in');
    const maxAge = Math.floor((result.expiresAt - now()) / 1000);
    json(res, 204, undefined, { ...headers, 'Set-Cookie': cookie(req, guard, ADMIN_COOKIE, result.cookie, '/instructor', maxAge) });
  }

  async function instructor(
    req: IncomingMessage,
    res: ServerResponse,
    guard: OriginGuard,
    path: string,
    headers: Record<string, string>,
    client: string,
  ) {
    const method = req.method ?? 'GET';
    if (path === CLASS_API.login && method === 'POST') return login(req, res, guard, headers, client);
    if (path === CLASS_API.logout && method === 'POST') {
      auth.logout(readCookie(req.headers.cookie, ADMIN_COOKIE));
      return json(res, 204, undefined, { ...headers, 'Set-Cookie': cookie(req, guard, ADMIN_COOKIE, '', '/instructor', 0) });
    }
    const session = admin(req);
    const t = now();

    if (path === CLASS_API.classes) {
      if (method === 'GET') {
        const list: ClassList = { classes: (await store.listClasses()).map(classView) };
        return json(res, 200, list, headers);
      }
      if (method !== 'POST') throw new Refusal(405, 'bad-message', 'GET or POST', { Allow: 'GET, POST' });
      const input = await body(req, CreateClassRequest);
      const startsAt = input.startsAt ?? t;
      const endsAt = input.endsAt ?? startsAt + input.durationMinutes! * MIN;
      if (endsAt <= startsAt || endsAt <= t) throw new Refusal(400, 'bad-message', 'the class must end after it starts and after now');
      if (endsAt - startsAt > ClassLimits.durationMaxMinutes * MIN) throw new Refusal(400, 'bad-message', 'a class lasts at most 7 days');
      const cls = await store.createClass({ name: input.name, seats: input.seats, startsAt, endsAt, lessons: input.lessons ?? [] });
      log.info({ class: cls.id, seats: cls.seats, startsAt, endsAt, lessons: cls.lessons.length }, 'class created');
      return json(res, 201, classView(cls), headers);
    }

    const parts = path.split('/').slice(3); // ['', 'instructor', 'api', kind, id, action?]
    const [kind, id = '', action, extra] = parts;
    if (extra !== undefined) throw new Refusal(404, 'not-found', 'no such route');

    if (kind === 'classes') {
      const cls = await classById(id);
      if (action === undefined && method === 'GET') return json(res, 200, await buildSnapshot(store, (l) => lab.live(l), cls, t), headers);
      if (action === 'events' && method === 'GET') return openFeed(req, res, session, cls);
      if (action === 'progress.csv' && method === 'GET') {
        const csv = await progressCsv(store, cls);
        const file = `class-${cls.code}-progress.csv`;
        res.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${file}"`,
          'Content-Length': String(Buffer.byteLength(csv)),
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        return void res.end(csv);
      }
      if (method !== 'POST') throw new Refusal(405, 'bad-message', 'POST only', { Allow: 'POST' });
      if (action === 'end') {
        if (cls.endedAt === null) {
          await store.updateClass(cls.id, { endedAt: t });
          await lab.endClass(cls.id);
          log.info({ class: cls.id }, 'class ended by the instructor');
          changed(cls.id);
        }
        return json(res, 204, undefined, headers);
      }
      if (action === 'start') {
        if (classOver(cls, t)) throw new Refusal(410, 'class-ended', 'the class is over');
        lab.prewarm(cls);
        log.info({ class: cls.id, seats: cls.seats }, 'class started by the instructor: warming sandboxes');
        return json(res, 204, undefined, headers);
      }
      if (action === 'message') {
        const { text } = await body(req, ClassMessageRequest);
        if (classOver(cls, t)) throw new Refusal(410, 'class-ended', 'the class is over');
        lab.broadcast(cls.id, text);
        log.info({ class: cls.id, chars: text.length }, 'instructor message sent');
        return json(res, 204, undefined, headers);
      }
      if (action === 'extend') {
        const { minutes } = await body(req, ExtendRequest);
        if (cls.endedAt !== null) throw new Refusal(410, 'class-ended', 'the class was ended');
        const endsAt = Math.max(cls.endsAt, t) + minutes * MIN;
        if (endsAt - cls.startsAt > ClassLimits.durationMaxMinutes * MIN) throw new Refusal(400, 'bad-message', 'a class lasts at most 7 days');
        await store.updateClass(cls.id, { endsAt });
        for (const l of await store.listLearners(cls.id)) lab.extended(l.id, l.endsAt);
        log.info({ class: cls.id, minutes, endsAt }, 'class extended');
        changed(cls.id);
        return json(res, 200, classView((await store.getClass(cls.id))!), headers);
      }
      throw new Refusal(404, 'not-found', 'no such route');
    }

    if (kind === 'learners') {
      if (method !== 'POST') throw new Refusal(405, 'bad-message', 'POST only', { Allow: 'POST' });
      const learner = await learnerById(id);
      const cls = await classById(learner.classId);
      if (action === 'reset') {
        await lab.resetLearner(learner.id);
        log.info({ class: cls.id, learner: learner.id }, "instructor reset a learner's sandbox");
      } else if (action === 'end') {
        await lab.endLearner(learner.id);
        log.info({ class: cls.id, learner: learner.id }, "instructor ended a learner's session");
      } else if (action === 'extend') {
        const { minutes } = await body(req, ExtendRequest);
        if (cls.endedAt !== null) throw new Refusal(410, 'class-ended', 'the class was ended');
        const endsAt = Math.max(learner.endsAt, t) + minutes * MIN;
        await store.updateLearner(learner.id, { endsAt });
        lab.extended(learner.id, endsAt);
        log.info({ class: cls.id, learner: learner.id, minutes, endsAt }, 'learner extended');
        changed(cls.id);
        const answer: LearnerEndsAt = { id: learner.id, endsAt };
        return json(res, 200, answer, headers);
      } else throw new Refusal(404, 'not-found', 'no such route');
      changed(cls.id);
      return json(res, 204, undefined, headers);
    }

    if (kind === 'help' && action === 'clear') {
      if (method !== 'POST') throw new Refusal(405, 'bad-message', 'POST only', { Allow: 'POST' });
      const request = ClassroomId.safeParse(id).success ? await store.getHelp(id) : undefined;
      if (!request) throw new Refusal(404, 'not-found', 'no such help request');
      await store.clearHelp(id, t);
      changed(request.classId);
      return json(res, 204, undefined, headers);
    }
    throw new Refusal(404, 'not-found', 'no such route');
  }

  // ---- learners -------------------------------------------------------------

  async function join(req: IncomingMessage, res: ServerResponse, guard: OriginGuard, headers: Record<string, string>, client: string): Promise<void> {
    const refuse = (status: number, code: ErrorCode, detail: string, extra: Record<string, string> = {}) => {
      metrics.classJoins.inc({ result: code });
      return new Refusal(status, code, detail, extra);
    };
    if (!joins.allow(client)) throw refuse(429, 'rate-limited', 'too many join attempts from this address', { 'Retry-After': '60' });
    let input: z.infer<typeof JoinRequest>;
    try {
      input = await body(req, JoinRequest);
    } catch (err) {
      if (err instanceof Refusal) metrics.classJoins.inc({ result: err.code });
      throw err;
    }
    const problem = nameProblem(input.name);
    if (problem)
      throw refuse(400, problem, problem === 'name-markup' ? 'names may not contain < or >' : 'a name is 1-40 characters, no control characters');
    const name = input.name.trim();
    const cls = input.code.length === 0 ? undefined : await store.classByCode(input.code);
    if (!cls) throw refuse(404, 'no-such-class', 'no class has this code');
    const t = now();
    if (classOver(cls, t)) throw refuse(410, 'class-ended', 'the class is over');
    const token = randomBytes(32).toString('base64url');
    let learner: LearnerRecord;
    try {
      learner = await store.addLearner({ classId: cls.id, name, tokenHash: sha256(token), joinedAt: t, endsAt: cls.endsAt });
    } catch (err) {
      if (!(err instanceof JoinRefused)) throw err;
      if (err.reason === 'class-full') throw refuse(409, 'class-full', 'every place in this class is taken');
      if (err.reason === 'class-ended') throw refuse(410, 'class-ended', 'the class is over');
      throw refuse(404, 'no-such-class', 'no class has this code');
    }
    metrics.classJoins.inc({ result: 'joined' });
    log.info({ class: cls.id, learner: learner.id, client }, 'learner joined');
    changed(cls.id);
    const maxAge = Math.floor((learner.endsAt + LEARNER_COOKIE_GRACE_MS - t) / 1000);
    json(res, 201, joinResponse(learner, cls), { ...headers, 'Set-Cookie': cookie(req, guard, LEARNER_COOKIE, token, '/', maxAge) });
  }

  async function progress(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    const report = await body(req, ProgressRequest);
    const learner = await learnerOf(req);
    const cls = learner && (await store.getClass(learner.classId));
    const t = now();
    if (!learner || !cls || learnerOver(learner, cls, t)) {
      metrics.classProgress.inc({ stored: 'no' });
      return json(res, 204, undefined, headers);
    }
    if (!reports.allow(learner.id)) throw new Refusal(429, 'rate-limited', 'too many progress reports', { 'Retry-After': '30' });
    await store.recordProgress({ learnerId: learner.id, lesson: report.lesson, snippet: report.snippet, result: report.result, at: t });
    metrics.classProgress.inc({ stored: 'yes' });
    changed(cls.id);
    json(res, 204, undefined, headers);
  }

  async function help(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    const { learner, cls } = await learnerWithClass(req);
    const t = now();
    if (learnerOver(learner, cls, t)) throw new Refusal(410, 'class-ended', 'the class is over');
    if (!helps.allow(learner.id)) throw new Refusal(429, 'rate-limited', 'too many help requests', { 'Retry-After': '60' });
    const { text } = await body(req, HelpRequest);
    const open = (await store.listHelp(cls.id)).filter((h) => h.learnerId === learner.id).length;
    if (open >= HELP_OPEN_MAX)
      throw new Refusal(429, 'rate-limited', `${open} help requests of this learner are still open`, { 'Retry-After': '60' });
    const record = await store.addHelp({ learnerId: learner.id, classId: cls.id, text, at: t });
    metrics.classHelp.inc();
    log.info({ class: cls.id, learner: learner.id, help: record.id }, 'help requested');
    changed(cls.id);
    const answer: HelpCreated = { id: record.id, at: record.at };
    json(res, 201, answer, headers);
  }

  // ---- dispatch -------------------------------------------------------------

  const owns = (path: string) =>
    path.startsWith('/instructor/api/') || path.startsWith('/join/api/') || path === LAB_PROGRESS_PATH || path === LAB_HELP_PATH;

  async function handle(req: IncomingMessage, res: ServerResponse, guard: OriginGuard): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const client = clientKey(policy.clientIp(req));
    const isLearnerPost = path === LAB_PROGRESS_PATH || path === LAB_HELP_PATH || path === JOIN_API.join;
    if (method === 'OPTIONS' && isLearnerPost) return guard.preflight(req, res, 'POST');
    // POSTs must carry an allowed Origin; a GET may omit it (a navigation) but not carry a foreign one.
    let headers: Record<string, string> = {};
    if (method !== 'GET' || req.headers.origin !== undefined) {
      const allowed = guard.allowOrigin(req, res, 'class');
      if (!allowed) return void metrics.classRefused.inc({ reason: 'forbidden-origin' });
      headers = path.startsWith('/instructor/') ? {} : allowed;
    }
    try {
      if (path.startsWith('/instructor/api/')) return await instructor(req, res, guard, path, headers, client);
      if (path === JOIN_API.join && method === 'POST') return await join(req, res, guard, headers, client);
      if (path === JOIN_API.me && method === 'GET') {
        const { learner, cls } = await learnerWithClass(req);
        if (learnerOver(learner, cls, now())) throw new Refusal(410, 'class-ended', 'the class is over');
        return json(res, 200, joinResponse(learner, cls), headers);
      }
      if (path === LAB_PROGRESS_PATH && method === 'POST') return await progress(req, res, headers);
      if (path === LAB_HELP_PATH && method === 'POST') return await help(req, res, headers);
      throw new Refusal(404, 'not-found', 'no such route (or not with this method)');
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      metrics.classRefused.inc({ reason: err.code });
      const line = { path, method, client, status: err.status, error: err.code, detail: err.message };
      // Every reader's page asks JOIN_API.me on its first terminal: not-joined there is the usual answer.
      if (path === JOIN_API.me && err.code === 'not-joined') log.debug(line, 'class request refused');
      else if (err.code !== 'rate-limited') log.warn(line, 'class request refused');
      else {
        const seen = floodLog.get(client);
        if (seen && now() - seen.at < MIN) seen.unlogged++;
        else {
          if (floodLog.size > 10_000) floodLog.clear();
          floodLog.set(client, { at: now(), unlogged: 0 });
          log.warn(
            { ...line, unloggedBefore: seen?.unlogged ?? 0 },
            'class request refused (further rate-limit refusals of this client are logged once a minute)',
          );
        }
      }
      if (res.headersSent) return void res.destroy();
      json(res, err.status, { error: err.code, detail: err.message }, { ...headers, ...err.headers });
    }
  }

  return {
    owns,
    handle,
    changed: (classId?: string) => (classId === undefined ? tick() : changed(classId)),
    close() {
      for (const feed of [...feeds]) endFeed(feed);
    },
  };
}
