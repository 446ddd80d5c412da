import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import pino from 'pino';
import { Metrics } from '../metrics.ts';
import { OriginPolicy } from '../origin.ts';
import { CLASS_API, ClassSnapshot, ClassView, JOIN_API, JoinResponse, LAB_HELP_PATH, LAB_PROGRESS_PATH, rosterLimit } from '../protocol.ts';
import { AdminAuth } from './auth.ts';
import { HELP_OPEN_MAX, createClassroomRoutes, type ClassroomRoutes, type OriginGuard } from './http.ts';
import { SqliteStore } from './store.ts';
import type { ClassRecord, ClassroomLab, LearnerLive } from './types.ts';
import { call, type CallOptions } from '../../../tests/support/classroom.ts';

const TOKEN = 'instructor-token-for-tests';

/** A ClassroomLab that records what it was asked and reports `state` for everyone. */
class FakeClassroomLab implements ClassroomLab {
  calls: string[] = [];
  states = new Map<string, LearnerLive['state']>();
  live(learnerId: string): LearnerLive {
    const state = this.states.get(learnerId) ?? 'none';
    return { connected: state === 'ready', state, queuePosition: state === 'queued' ? 1 : null, cpuPercent: null, memoryBytes: null };
  }
  prewarm(cls: ClassRecord) {
    this.calls.push(`prewarm ${cls.id} ${cls.seats}`);
  }
  async resetLearner(id: string) {
    this.calls.push(`reset ${id}`);
  }
  async endLearner(id: string) {
    this.calls.push(`end ${id}`);
  }
  async endClass(id: string) {
    this.calls.push(`endClass ${id}`);
  }
  broadcast(classId: string, text: string) {
    this.calls.push(`broadcast ${classId} ${text}`);
  }
  extended(id: string, endsAt: number) {
    this.calls.push(`extended ${id} ${endsAt}`);
  }
}

let server: Server;
let base: string;
let store: SqliteStore;
let lab: FakeClassroomLab;
let routes: ClassroomRoutes;
let metrics: Metrics;
/** What the routes logged since the last setup(), as pino's JSON entries. */
let logged: { level: number; msg: string; path?: string }[] = [];

const policy = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: [] });
/** The Origin guard ../http.ts lends, reduced to its rule: policy.check, 403 otherwise. */
const guard: OriginGuard = {
  allowOrigin(req, res) {
    if (policy.check(req).ok) return {};
    res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'forbidden-origin', detail: 'origin' }));
    return undefined;
  },
  preflight: (_req, res) => void res.writeHead(403).end(),
  secure: () => false,
};

async function setup(overrides: Partial<{ joinPerMinute: number; loginPerMinute: number; maxFeeds: number }> = {}) {
  routes?.close();
  store?.close();
  store = new SqliteStore(':memory:');
  lab = new FakeClassroomLab();
  metrics = new Metrics({ stats: () => ({ sessions: 0, sandboxes: { ready: 0, booting: 0, assigned: 0 }, terminalsAttached: 0, inputQueued: 0 }) });
  logged = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const auth = await AdminAuth.open(store, TOKEN, log);
  const classroom = {
    dbPath: ':memory:',
    adminToken: TOKEN,
    anonymousLabs: true,
    joinPerMinute: 1000,
    loginPerMinute: 1000,
    maxFeeds: 5,
    ...overrides,
  };
  routes = createClassroomRoutes({ config: { classroom }, store, lab, auth, policy, metrics, log });
}

before(async () => {
  await setup();
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!routes.owns(path)) return void res.writeHead(404).end();
    routes.handle(req, res, guard).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => setup());
after(() => {
  routes.close();
  server.closeAllConnections();
  server.close();
  store.close();
});

/** The class-mode client of every class test (tests/support/classroom.ts), against this file's server. */
const api = (method: string, path: string, opts: CallOptions = {}) => call({ url: base, origin: base }, method, path, opts);
const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

async function loginCookie(): Promise<string> {
  const r = await api('POST', CLASS_API.login, { body: { token: TOKEN } });
  assert.equal(r.status, 204);
  return cookiePair(r.setCookie);
}
async function newClass(admin: string, body: Record<string, unknown> = {}): Promise<ClassView> {
  const r = await api('POST', CLASS_API.classes, { cookie: admin, body: { name: '도커 입문', seats: 2, durationMinutes: 90, ...body } });
  assert.equal(r.status, 201, r.text);
  return ClassView.parse(r.json);
}
async function joined(code: string, name = '김철수') {
  const r = await api('POST', JOIN_API.join, { body: { code, name } });
  assert.equal(r.status, 201, r.text);
  return { cookie: cookiePair(r.setCookie), setCookie: r.setCookie, body: JoinResponse.parse(r.json) };
}
async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return Number(value?.value ?? 0);
}

test('instructor login: wrong token 401 bad-token, right token 204 with an HttpOnly Lax cookie on /instructor', async () => {
  const wrong = await api('POST', CLASS_API.login, { body: { token: 'nope' } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error, 'bad-token');
  const ok = await api('POST', CLASS_API.login, { body: { token: TOKEN } });
  assert.equal(ok.status, 204);
  assert.match(ok.setCookie, /^lab_admin=[A-Za-z0-9_-]{43}; Path=\/instructor; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  assert.equal(await counter('lab_class_logins_total', { result: 'bad-token' }), 1);
  assert.equal(await counter('lab_class_logins_total', { result: 'ok' }), 1);
});

test('login attempts beyond LAB_LOGIN_RATE from one client get 429, even with the right token', async () => {
  await setup({ loginPerMinute: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await api('POST', CLASS_API.login, { body: { token: 'guess' + i } })).status, 401);
  const limited = await api('POST', CLASS_API.login, { body: { token: TOKEN } });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error, 'rate-limited');
  assert.equal(await counter('lab_class_logins_total', { result: 'rate-limited' }), 1);
});

test('instructor routes need the admin cookie: none, a forged one or a learner cookie are 401 not-logged-in', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const learner = await joined(cls.code);
  for (const cookie of [undefined, 'lab_admin=' + 'x'.repeat(43), learner.cookie, learner.cookie.replace('lab_learner', 'lab_admin')]) {
    for (const [method, path] of [
      ['GET', CLASS_API.classes],
      ['GET', `${CLASS_API.classes}/${cls.id}`],
      ['POST', `${CLASS_API.classes}/${cls.id}/end`],
      ['GET', `${CLASS_API.classes}/${cls.id}/progress.csv`],
    ] as const) {
      const r = await api(method, path, { cookie });
      assert.equal(r.status, 401, `${method} ${path} with ${cookie}`);
      assert.equal(r.json.error, 'not-logged-in');
    }
  }
  assert.equal(await counter('lab_class_refused_total', { reason: 'not-logged-in' }), 16);
  assert.deepEqual(lab.calls, []);
  assert.equal((await store.getClass(cls.id))?.endedAt, null);
});

test('a POST without Origin or from a foreign one is 403 and changes nothing', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  for (const origin of [null, 'https://evil.example']) {
    assert.equal((await api('POST', JOIN_API.join, { origin, body: { code: cls.code, name: '가' } })).status, 403);
    assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/end`, { origin, cookie: admin })).status, 403);
  }
  assert.equal((await store.listLearners(cls.id)).length, 0);
  assert.equal((await store.getClass(cls.id))?.endedAt, null);
  assert.equal(await counter('lab_class_refused_total', { reason: 'forbidden-origin' }), 4);
});

test('creating a class validates name, seats and times; a good one gets a join code and link', async () => {
  const admin = await loginCookie();
  const bad = [
    { name: '', seats: 2, durationMinutes: 60 },
    { name: '<b>반</b>', seats: 2, durationMinutes: 60 },
    { name: '반', seats: 0, durationMinutes: 60 },
    { name: '반', seats: 2 },
    { name: '반', seats: 2, durationMinutes: 60, endsAt: Date.now() + 60_000 },
    { name: '반', seats: 2, endsAt: Date.now() - 1000 },
    { name: '반', seats: 2, durationMinutes: 60, lessons: ['../etc/passwd'] },
    { name: '반', seats: 2, durationMinutes: 60, extra: true },
  ];
  for (const body of bad) {
    const r = await api('POST', CLASS_API.classes, { cookie: admin, body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error, 'bad-message');
  }
  assert.equal((await store.listClasses()).length, 0);
  const cls = await newClass(admin, { name: '  도커 입문 3반 ', lessons: ['lessons/docker-intro'] });
  assert.equal(cls.name, '도커 입문 3반');
  assert.match(cls.code, /^[A-HJKMNP-Z2-9]{6}$/);
  assert.equal(cls.joinPath, `/join/?code=${cls.code}`);
  const list = await api('GET', CLASS_API.classes, { cookie: admin, origin: null });
  assert.deepEqual(
    list.json.classes.map((c: ClassView) => c.id),
    [cls.id],
  );
});

test('join: wrong code 404, bad names 400 (markup has its own code), then 201 with a learner cookie on /', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const cases: [unknown, number, string][] = [
    [{ code: 'ZZZZZZ', name: '가' }, 404, 'no-such-class'],
    [{ code: '', name: '가' }, 404, 'no-such-class'],
    [{ code: cls.code, name: '   ' }, 400, 'bad-name'],
    [{ code: cls.code, name: '가'.repeat(41) }, 400, 'bad-name'],
    [{ code: cls.code, name: 'a\u0000b' }, 400, 'bad-name'],
    [{ code: cls.code, name: '<img src=x onerror=alert(1)>' }, 400, 'name-markup'],
    [{ code: cls.code }, 400, 'bad-message'],
    [{ code: cls.code, name: '가', classId: 'x' }, 400, 'bad-message'],
  ];
  for (const [body, status, error] of cases) {
    const r = await api('POST', JOIN_API.join, { body });
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.json.error, error);
    assert.equal((await counter('lab_class_joins_total', { result: error })) > 0, true);
  }
  assert.equal((await store.listLearners(cls.id)).length, 0);
  const ok = await joined(cls.code.toLowerCase().replace(/(...)/, '$1-'), '  가나다  ');
  assert.match(ok.setCookie, /^lab_learner=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  assert.equal(ok.body.learner.name, '가나다');
  assert.equal(ok.body.class.id, cls.id);
  const me = await api('GET', JOIN_API.me, { cookie: ok.cookie, origin: null });
  assert.deepEqual(me.json, ok.body);
  const stranger = await api('GET', JOIN_API.me, { origin: null });
  assert.equal(stranger.status, 401);
  assert.equal(stranger.json.error, 'not-joined');
  // Every reader's page asks this on its first terminal: a stranger is the normal answer, not a warning.
  const warned = (path: string) => logged.filter((e) => e.level >= 40 && e.path === path).map((e) => e.msg);
  assert.deepEqual(warned(JOIN_API.me), []);
  assert.equal(await counter('lab_class_refused_total', { reason: 'not-joined' }), 1);
  // The same refusal elsewhere (help without a learner cookie) is worth a warning.
  assert.equal((await api('POST', LAB_HELP_PATH, { body: { text: '도와주세요' } })).status, 401);
  assert.deepEqual(warned(LAB_HELP_PATH), ['class request refused']);
  // The token itself is nowhere in the store.
  const token = ok.cookie.split('=')[1]!;
  assert.ok(!JSON.stringify(await store.listLearners(cls.id)).includes(token));
});

test('a full class is 409 class-full; an ended one 410 class-ended, and its learners get 410 too', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin, { seats: 1 });
  const first = await joined(cls.code, '하나');
  for (let i = 1; i < rosterLimit(1); i++) await joined(cls.code, `학생${i}`);
  const full = await api('POST', JOIN_API.join, { body: { code: cls.code, name: '늦은 학생' } });
  assert.equal(full.status, 409);
  assert.equal(full.json.error, 'class-full');
  assert.equal((await store.listLearners(cls.id)).length, rosterLimit(1));

  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/end`, { cookie: admin })).status, 204);
  assert.deepEqual(lab.calls, [`endClass ${cls.id}`]);
  const ended = await api('POST', JOIN_API.join, { body: { code: cls.code, name: '또' } });
  assert.equal(ended.status, 410);
  assert.equal(ended.json.error, 'class-ended');
  assert.equal((await api('GET', JOIN_API.me, { cookie: first.cookie, origin: null })).json.error, 'class-ended');
  assert.equal((await api('POST', LAB_HELP_PATH, { cookie: first.cookie, body: { text: '' } })).status, 410);
  // Ending twice is one end.
  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/end`, { cookie: admin })).status, 204);
  assert.equal(lab.calls.length, 1);
});

test('joins beyond LAB_JOIN_RATE from one address are 429 and never reach the store', async () => {
  await setup({ joinPerMinute: 5 });
  const admin = await loginCookie();
  const cls = await newClass(admin, { seats: 50 });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => api('POST', JOIN_API.join, { body: { code: cls.code, name: `봇${i}` } })));
  const by = (s: number) => answers.filter((a) => a.status === s).length;
  assert.equal(by(201), 5);
  assert.equal(by(429), 35);
  assert.equal((await store.listLearners(cls.id)).length, 5);
  assert.equal(await counter('lab_class_joins_total', { result: 'rate-limited' }), 35);
  assert.ok(store.check().ok);
});

test('progress: stored for a learner (tallied per lesson in the snapshot), accepted and dropped for anyone else', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const a = await joined(cls.code, '가');
  const report = (snippet: string, result: string, cookie?: string) =>
    api('POST', LAB_PROGRESS_PATH, { cookie, body: { lesson: 'lessons/docker-intro', snippet, result } });
  assert.equal((await report('aaaaaaaaaaaa', 'ok')).status, 204);
  assert.equal((await report('aaaaaaaaaaaa', 'ok', 'lab_learner=' + 'y'.repeat(43))).status, 204);
  assert.equal((await report('aaaaaaaaaaaa', 'fail', a.cookie)).status, 204);
  assert.equal((await report('aaaaaaaaaaaa', 'ok', a.cookie)).status, 204);
  assert.equal((await report('bbbbbbbbbbbb', 'expected-fail', a.cookie)).status, 204);
  assert.equal((await report('challenge:zombie-init', 'fail', a.cookie)).status, 204);
  for (const body of [
    { lesson: 'lessons/docker-intro', snippet: 'x', result: 'ok' },
    { lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'great' },
    { lesson: '<script>', snippet: 'aaaaaaaaaaaa', result: 'ok' },
  ]) {
    assert.equal((await api('POST', LAB_PROGRESS_PATH, { cookie: a.cookie, body })).status, 400);
  }
  const snap = ClassSnapshot.parse((await api('GET', `${CLASS_API.classes}/${cls.id}`, { cookie: admin, origin: null })).json);
  assert.deepEqual(snap.learners[0]?.progress, { 'lessons/docker-intro': { ok: 1, expectedFail: 1, fail: 1 } });
  assert.equal(snap.learners[0]?.currentLesson, 'lessons/docker-intro');
  assert.equal('tokenHash' in snap.learners[0]!, false);
  assert.equal(await counter('lab_class_progress_total', { stored: 'no' }), 2);
  assert.equal(await counter('lab_class_progress_total', { stored: 'yes' }), 4);
});

test('help: learners only, bounded text, no way to name another class; shown with the name and cleared by the instructor', async () => {
  const admin = await loginCookie();
  const a = await newClass(admin, { name: 'A반' });
  const b = await newClass(admin, { name: 'B반' });
  const learner = await joined(a.code, '가 & "나"');
  assert.equal((await api('POST', LAB_HELP_PATH, { body: { text: '도와주세요' } })).json.error, 'not-joined');
  assert.equal((await api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '가'.repeat(201) } })).status, 400);
  assert.equal((await api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: 'x', classId: b.id } })).status, 400);
  const made = await api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '  docker ps 가 안 돼요  ' } });
  assert.equal(made.status, 201);
  assert.equal((await store.listHelp(b.id)).length, 0);
  const snap = ClassSnapshot.parse((await api('GET', `${CLASS_API.classes}/${a.id}`, { cookie: admin, origin: null })).json);
  assert.deepEqual(
    snap.help.map((h) => [h.id, h.learnerName, h.text]),
    [[made.json.id, '가 & "나"', 'docker ps 가 안 돼요']],
  );
  assert.equal((await api('POST', `${CLASS_API.help}/forged-id/clear`, { cookie: admin })).status, 404);
  assert.equal((await api('POST', `${CLASS_API.help}/${made.json.id}/clear`, { cookie: admin })).status, 204);
  assert.deepEqual(await store.listHelp(a.id), []);
  assert.equal(await counter('lab_class_help_total'), 1);
});

test('a learner has at most HELP_OPEN_MAX open help requests; clearing one makes room', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const learner = await joined(cls.code);
  const ask = () => api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '' } });
  const ids: string[] = [];
  for (let i = 0; i < HELP_OPEN_MAX; i++) ids.push((await ask()).json.id);
  const refused = await ask();
  assert.equal(refused.status, 429);
  assert.equal(refused.json.error, 'rate-limited');
  assert.equal((await api('POST', `${CLASS_API.help}/${ids[0]}/clear`, { cookie: admin })).status, 204);
  assert.equal((await ask()).status, 201);
  assert.equal((await store.listHelp(cls.id)).length, HELP_OPEN_MAX);
});

test('forged ids in instructor paths are 404 not-found and reach neither store nor lab', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  for (const [method, path] of [
    ['GET', `${CLASS_API.classes}/AAAAAAAAAAAAAAAA`],
    ['GET', `${CLASS_API.classes}/..%2F..%2Fetc`],
    ['POST', `${CLASS_API.classes}/AAAAAAAAAAAAAAAA/end`],
    ['POST', `${CLASS_API.classes}/${cls.id}/explode`],
    ['POST', `${CLASS_API.learners}/AAAAAAAAAAAAAAAA/reset`],
    ['POST', `${CLASS_API.learners}/AAAAAAAAAAAAAAAA/end`],
    ['GET', `${CLASS_API.classes}/${cls.id}/end/more`],
  ] as const) {
    const r = await api(method, path, { cookie: admin });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.json.error, 'not-found');
  }
  assert.deepEqual(lab.calls, []);
});

test('start, message, reset, end learner and extend reach the lab; extending moves the ends', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const l = await joined(cls.code);
  const id = l.body.learner.id;
  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/start`, { cookie: admin })).status, 204);
  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/message`, { cookie: admin, body: { text: '10분 쉬어요' } })).status, 204);
  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/message`, { cookie: admin, body: { text: 'x'.repeat(501) } })).status, 400);
  assert.equal((await api('POST', `${CLASS_API.learners}/${id}/reset`, { cookie: admin })).status, 204);
  assert.equal((await api('POST', `${CLASS_API.learners}/${id}/end`, { cookie: admin })).status, 204);
  const ext = await api('POST', `${CLASS_API.learners}/${id}/extend`, { cookie: admin, body: { minutes: 15 } });
  assert.equal(ext.status, 200);
  assert.equal(ext.json.endsAt, l.body.learner.endsAt + 15 * 60_000);
  const classExt = await api('POST', `${CLASS_API.classes}/${cls.id}/extend`, { cookie: admin, body: { minutes: 30 } });
  assert.equal(classExt.json.endsAt, cls.endsAt + 30 * 60_000);
  assert.equal((await store.getLearner(id))?.endsAt, l.body.learner.endsAt + 45 * 60_000);
  assert.deepEqual(lab.calls, [
    `prewarm ${cls.id} 2`,
    `broadcast ${cls.id} 10분 쉬어요`,
    `reset ${id}`,
    `end ${id}`,
    `extended ${id} ${l.body.learner.endsAt + 15 * 60_000}`,
    `extended ${id} ${l.body.learner.endsAt + 45 * 60_000}`,
  ]);
  assert.equal((await api('POST', `${CLASS_API.classes}/${cls.id}/extend`, { cookie: admin, body: { minutes: 0 } })).status, 400);
});

test('a body over the limit is 413 and a non-JSON body 400', async () => {
  const admin = await loginCookie();
  const big = await api('POST', CLASS_API.classes, { cookie: admin, raw: JSON.stringify({ name: 'x'.repeat(20_000) }) });
  assert.equal(big.status, 413);
  const notJson = await api('POST', JOIN_API.join, { raw: '{"code":' });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.error, 'bad-message');
});

test('the CSV export has a BOM, a row per learner and lesson, and formula-safe names', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const a = await joined(cls.code, '=HYPERLINK("http://evil","클릭")');
  await joined(cls.code, '이영희');
  await api('POST', LAB_PROGRESS_PATH, { cookie: a.cookie, body: { lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'ok' } });
  const res = await fetch(`${base}${CLASS_API.classes}/${cls.id}/progress.csv`, { headers: { cookie: admin } });
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="class-[A-Z2-9]{6}-progress\.csv"/);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
  assert.equal(lines.length, 3);
  assert.ok(lines[1]!.startsWith(`"'=HYPERLINK(""http://evil"",""클릭"")",`), lines[1]);
  assert.ok(lines[1]!.endsWith(',lessons/docker-intro,lessons/docker-intro,1,0,0'), lines[1]);
  assert.ok(lines[2]!.startsWith('이영희,'));
});

/** Reads server-sent events from `path` until `until` returns true for the list so far. */
async function readEvents(path: string, cookie: string, until: (events: ClassSnapshot[]) => boolean, onOpen?: () => Promise<void>) {
  const controller = new AbortController();
  const res = await fetch(base + path, { headers: { cookie }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const events: ClassSnapshot[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let opened = false;
  const reader = res.body!.getReader();
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) return { events, ended: true };
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^event: snapshot\ndata: (.*)$/s.exec(block)?.[1];
      if (data) events.push(ClassSnapshot.parse(JSON.parse(data)));
    }
    if (!opened && events.length > 0 && onOpen) {
      opened = true;
      await onOpen();
    }
  }
  controller.abort();
  return { events, ended: false };
}

test('the live feed sends a snapshot at once and another right after a join', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const started = Date.now();
  const { events } = await readEvents(
    `${CLASS_API.classes}/${cls.id}/events`,
    admin,
    (e) => e.some((s) => s.learners.length === 1),
    async () => void (await joined(cls.code, '박민수')),
  );
  assert.equal(events[0]?.learners.length, 0);
  assert.equal(events.at(-1)?.learners[0]?.name, '박민수');
  assert.ok(Date.now() - started < 1500, `join seen after ${Date.now() - started} ms`);
});

test('the live feed repeats the snapshot at least every 2 s and ends when its login logs out', async () => {
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const started = Date.now();
  const { events, ended } = await readEvents(`${CLASS_API.classes}/${cls.id}/events`, admin, (e) => {
    if (e.length === 2) void api('POST', CLASS_API.logout, { cookie: admin });
    return false;
  });
  assert.equal(ended, true);
  assert.equal(events.length, 2);
  // Two seconds apart, give or take the timers of a loaded machine.
  const gap = events[1]!.at - events[0]!.at;
  assert.ok(gap >= 1400 && gap <= 3500, `${gap} ms apart`);
  assert.ok(Date.now() - started < 6000);
  assert.equal(await counter('lab_class_feeds'), 0);
});

test('live feeds beyond LAB_CLASS_FEEDS are 503', async () => {
  await setup({ maxFeeds: 1 });
  const admin = await loginCookie();
  const cls = await newClass(admin);
  const controller = new AbortController();
  const first = await fetch(`${base}${CLASS_API.classes}/${cls.id}/events`, { headers: { cookie: admin }, signal: controller.signal });
  assert.equal(first.status, 200);
  const second = await api('GET', `${CLASS_API.classes}/${cls.id}/events`, { cookie: admin, origin: null });
  assert.equal(second.status, 503);
  assert.equal(second.json.error, 'over-capacity');
  controller.abort();
});
