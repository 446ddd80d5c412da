/**
 * Class mode's "Bad input and abuse" (issue 13), against the real server
 * process over real HTTP: each case asserts the status and error code, the
 * /metrics counter that saw it, and that the store stayed consistent (the
 * roster through the instructor's API, and the SQLite file's own integrity
 * and foreign-key checks, read beside the running server: WAL lets a reader
 * in). Then a restart with the same LAB_DB_PATH keeps classes, roster,
 * progress and help, and the generated admin token.
 *
 * No sandbox is started: these routes never reach Docker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CLASS_API,
  ClassSnapshot,
  ClassView,
  JOIN_API,
  JoinResponse,
  LAB_HELP_PATH,
  LAB_PROGRESS_PATH,
  rosterLimit,
} from '../../lab-server/src/protocol.ts';
import { SqliteStore } from '../../lab-server/src/classroom/store.ts';
import { removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { call, metric, type Answer, type CallOptions } from '../support/classroom.ts';
import { endpoint } from '../support/terminal.ts';
import { startTestServer } from './test-server.ts';

const TOKEN = 'integration-instructor-token';
const dir = mkdtempSync(path.join(tmpdir(), 'lab-class-it-'));
const dbPath = path.join(dir, 'db', 'lab.db');

/** The class-mode client bound to one server (tests/support/classroom.ts). */
function client(server: LabServer) {
  const at = endpoint(server.url);
  return {
    api: (method: string, route: string, opts: CallOptions = {}): Promise<Answer> => call(at, method, route, opts),
    metric: (name: string, labels: Record<string, string> = {}) => metric(at, name, labels),
  };
}
const pair = (setCookie: string) => setCookie.split(';')[0]!;

/** The file's own checks, beside the running server. */
function storeConsistent(): void {
  const store = new SqliteStore(dbPath);
  try {
    assert.deepEqual(store.check(), { ok: true, problems: [] });
  } finally {
    store.close();
  }
}

describe('class mode: bad input and abuse', () => {
  let server: LabServer;
  let api: ReturnType<typeof client>['api'];
  let metric: ReturnType<typeof client>['metric'];
  let admin: string;

  before(async () => {
    server = await startTestServer({ LAB_DB_PATH: dbPath, LAB_ADMIN_TOKEN: TOKEN });
    ({ api, metric } = client(server));
    const login = await api('POST', CLASS_API.login, { body: { token: TOKEN } });
    assert.equal(login.status, 204);
    admin = pair(login.setCookie);
  });
  after(async () => {
    await server?.stop();
    if (server) removeOwned(server.instance);
  });

  async function newClass(body: Record<string, unknown> = {}): Promise<ClassView> {
    const r = await api('POST', CLASS_API.classes, { cookie: admin, body: { name: '도커 입문', seats: 2, durationMinutes: 60, ...body } });
    assert.equal(r.status, 201, r.text);
    return ClassView.parse(r.json);
  }
  async function roster(classId: string) {
    const r = await api('GET', `${CLASS_API.classes}/${classId}`, { cookie: admin, origin: null });
    assert.equal(r.status, 200, r.text);
    return ClassSnapshot.parse(r.json);
  }
  async function join(code: string, name: string) {
    const r = await api('POST', JOIN_API.join, { body: { code, name } });
    assert.equal(r.status, 201, r.text);
    return { cookie: pair(r.setCookie), body: JoinResponse.parse(r.json) };
  }
  /** `call` answers `status` with `error`, and lab_class_joins_total{result=error} (or `counter`) grew by one. */
  async function refused(call: () => Promise<Answer>, status: number, error: string, counter: [string, Record<string, string>]) {
    const before = await metric(...counter);
    const r = await call();
    assert.equal(r.status, status, r.text);
    assert.equal(r.json?.error, error);
    assert.equal(await metric(...counter), before + 1, `${counter[0]} ${JSON.stringify(counter[1])}`);
    return r;
  }
  const joinCounter = (result: string): [string, Record<string, string>] => ['lab_class_joins_total', { result }];

  test('a wrong join code is 404 no-such-class', async () => {
    const cls = await newClass();
    await refused(() => api('POST', JOIN_API.join, { body: { code: 'ZZZZ22', name: '가' } }), 404, 'no-such-class', joinCounter('no-such-class'));
    assert.equal((await roster(cls.id)).learners.length, 0);
    storeConsistent();
  });

  test('an expired code (its end time passed) and an ended class are 410 class-ended', async () => {
    const soon = await newClass({ durationMinutes: undefined, endsAt: Date.now() + 1500 });
    await sleep(1600);
    await refused(() => api('POST', JOIN_API.join, { body: { code: soon.code, name: '가' } }), 410, 'class-ended', joinCounter('class-ended'));
    const ended = await newClass();
    const learner = await join(ended.code, '먼저 온 학생');
    assert.equal((await api('POST', `${CLASS_API.classes}/${ended.id}/end`, { cookie: admin })).status, 204);
    await refused(() => api('POST', JOIN_API.join, { body: { code: ended.code, name: '나' } }), 410, 'class-ended', joinCounter('class-ended'));
    const me = await api('GET', JOIN_API.me, { cookie: learner.cookie, origin: null });
    assert.equal(me.status, 410);
    assert.equal((await roster(soon.id)).learners.length, 0);
    assert.equal((await roster(ended.id)).learners.length, 1);
    storeConsistent();
  });

  test('a full class is 409 class-full and the roster stays at its limit', async () => {
    const cls = await newClass({ seats: 1 });
    for (let i = 0; i < rosterLimit(1); i++) await join(cls.code, `학생 ${i}`);
    await refused(() => api('POST', JOIN_API.join, { body: { code: cls.code, name: '한 명 더' } }), 409, 'class-full', joinCounter('class-full'));
    assert.equal((await roster(cls.id)).learners.length, rosterLimit(1));
    storeConsistent();
  });

  test('names: empty, too long, control characters are 400 bad-name; markup is 400 name-markup, never stored', async () => {
    const cls = await newClass({ seats: 10 });
    for (const name of ['', '   ', '가'.repeat(41), '가'.repeat(500), 'tab\there', 'bell\u0007']) {
      await refused(() => api('POST', JOIN_API.join, { body: { code: cls.code, name } }), 400, 'bad-name', joinCounter('bad-name'));
    }
    for (const name of ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>', 'a>b']) {
      await refused(() => api('POST', JOIN_API.join, { body: { code: cls.code, name } }), 400, 'name-markup', joinCounter('name-markup'));
    }
    assert.equal((await roster(cls.id)).learners.length, 0);
    storeConsistent();
  });

  test('what a learner types reaches JSON and CSV inert: JSON-escaped, and formula cells neutralised', async () => {
    const cls = await newClass({ seats: 5 });
    const evil = '=HYPERLINK("http://x","클릭") & \'quote\'';
    const learner = await join(cls.code, evil);
    const help = await api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '"</script><b>도움</b>' } });
    assert.equal(help.status, 201);
    const raw = await api('GET', `${CLASS_API.classes}/${cls.id}`, { cookie: admin, origin: null });
    assert.ok(raw.text.includes(JSON.stringify(evil)), 'the name travels as a JSON string');
    assert.equal(ClassSnapshot.parse(raw.json).help[0]?.text, '"</script><b>도움</b>');
    const csv = await fetch(new URL(`${CLASS_API.classes}/${cls.id}/progress.csv`, server.url), { headers: { cookie: admin } });
    assert.equal(csv.headers.get('x-content-type-options'), 'nosniff');
    const text = (await csv.text()).replace(/^\uFEFF/, '');
    const row = text.split('\r\n')[1]!;
    assert.ok(row.startsWith(`"'=HYPERLINK(""http://x"",""클릭"") & 'quote'",`), row);
  });

  test('a learner on instructor endpoints is 401 not-logged-in, and nothing changes', async () => {
    const cls = await newClass();
    const learner = await join(cls.code, '학생');
    const counter: [string, Record<string, string>] = ['lab_class_refused_total', { reason: 'not-logged-in' }];
    await refused(() => api('GET', CLASS_API.classes, { cookie: learner.cookie, origin: null }), 401, 'not-logged-in', counter);
    await refused(() => api('POST', `${CLASS_API.classes}/${cls.id}/end`, { cookie: learner.cookie }), 401, 'not-logged-in', counter);
    await refused(
      () => api('POST', `${CLASS_API.learners}/${learner.body.learner.id}/extend`, { cookie: learner.cookie, body: { minutes: 600 } }),
      401,
      'not-logged-in',
      counter,
    );
    // The learner's token as an admin cookie is no admin session either.
    await refused(
      () => api('GET', CLASS_API.classes, { cookie: learner.cookie.replace('lab_learner', 'lab_admin'), origin: null }),
      401,
      'not-logged-in',
      counter,
    );
    const after = await roster(cls.id);
    assert.equal(after.class.endedAt, null);
    assert.equal(after.learners[0]?.endsAt, learner.body.learner.endsAt);
  });

  test('forged ids are 404 not-found', async () => {
    const counter: [string, Record<string, string>] = ['lab_class_refused_total', { reason: 'not-found' }];
    await refused(() => api('GET', `${CLASS_API.classes}/AAAAAAAAAAAAAAAA`, { cookie: admin, origin: null }), 404, 'not-found', counter);
    await refused(() => api('POST', `${CLASS_API.classes}/AAAAAAAAAAAAAAAA/end`, { cookie: admin }), 404, 'not-found', counter);
    await refused(() => api('POST', `${CLASS_API.learners}/AAAAAAAAAAAAAAAA/reset`, { cookie: admin }), 404, 'not-found', counter);
    await refused(() => api('POST', `${CLASS_API.help}/AAAAAAAAAAAAAAAA/clear`, { cookie: admin }), 404, 'not-found', counter);
    storeConsistent();
  });

  test("a learner cookie of class A cannot reach class B: bodies cannot name a class, and A's cookie acts on A only", async () => {
    const a = await newClass({ name: 'A반' });
    const b = await newClass({ name: 'B반' });
    const learner = await join(a.code, 'A반 학생');
    const badMessage: [string, Record<string, string>] = ['lab_class_refused_total', { reason: 'bad-message' }];
    await refused(
      () => api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '도와줘', classId: b.id } }),
      400,
      'bad-message',
      badMessage,
    );
    await refused(
      () =>
        api('POST', LAB_PROGRESS_PATH, {
          cookie: learner.cookie,
          body: { lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'ok', learnerId: 'x' },
        }),
      400,
      'bad-message',
      badMessage,
    );
    assert.equal((await api('POST', LAB_HELP_PATH, { cookie: learner.cookie, body: { text: '도와줘' } })).status, 201);
    assert.equal((await roster(a.id)).help.length, 1);
    assert.equal((await roster(b.id)).help.length, 0);
    assert.equal((await roster(b.id)).learners.length, 0);
    // Help without any learner cookie: 401 not-joined.
    await refused(() => api('POST', LAB_HELP_PATH, { body: { text: '' } }), 401, 'not-joined', ['lab_class_refused_total', { reason: 'not-joined' }]);
    storeConsistent();
  });

  test('requests without Origin or from a foreign one are 403 and counted', async () => {
    const cls = await newClass();
    const counter: [string, Record<string, string>] = ['lab_class_refused_total', { reason: 'forbidden-origin' }];
    await refused(() => api('POST', JOIN_API.join, { origin: null, body: { code: cls.code, name: '가' } }), 403, 'forbidden-origin', counter);
    await refused(
      () => api('POST', CLASS_API.classes, { origin: 'https://evil.example', cookie: admin, body: { name: 'x', seats: 1, durationMinutes: 5 } }),
      403,
      'forbidden-origin',
      counter,
    );
    assert.equal((await roster(cls.id)).learners.length, 0);
  });

  test('1,000 join attempts in a minute from one address: refused fast with 429, store unharmed', async () => {
    const cls = await newClass({ seats: 100 });
    const before429 = await metric('lab_class_joins_total', { result: 'rate-limited' });
    const answers: Answer[] = [];
    const started = performance.now();
    let next = 0;
    // 1,000 attempts, 20 at a time, all from 127.0.0.1; the default LAB_JOIN_RATE is 60 a minute, as many at once.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1000) {
          const i = next++;
          answers.push(await api('POST', JOIN_API.join, { body: { code: i % 2 ? cls.code : 'WRONG2', name: `봇 ${i}` } }));
        }
      }),
    );
    const elapsed = performance.now() - started;
    const limited = answers.filter((a) => a.status === 429);
    const joined = answers.filter((a) => a.status === 201).length;
    const wrong = answers.filter((a) => a.status === 404).length;
    assert.equal(limited.length + joined + wrong, 1000);
    assert.ok(limited.length >= 1000 - 61, `429s: ${limited.length}`);
    assert.ok(limited.every((a) => a.json?.error === 'rate-limited'));
    const ms = limited.map((a) => a.ms).sort((x, y) => x - y);
    const p95 = ms[Math.floor(ms.length * 0.95)]!;
    console.log(
      `# 1,000 join attempts in ${Math.round(elapsed)} ms: ${limited.length} × 429 (p95 ${p95.toFixed(1)} ms), ${joined} joined, ${wrong} wrong code`,
    );
    assert.ok(p95 < 2000, `429 p95 ${p95} ms`);
    assert.equal(await metric('lab_class_joins_total', { result: 'rate-limited' }), before429 + limited.length);
    assert.equal((await roster(cls.id)).learners.length, joined);
    // Logged, but not once per attempt: one line per client a minute.
    assert.ok(await server.logged('further rate-limit refusals'), 'the refusals are logged');
    const logged = server.logs.filter((l) => l.includes('class request refused') && l.includes('"rate-limited"')).length;
    assert.ok(logged >= 1 && logged <= 2, `${logged} log lines for ${limited.length} refusals`);
    storeConsistent();
  });
});

describe('class mode: a restart keeps classes, roster, progress and help', () => {
  const restartDb = path.join(dir, 'restart', 'lab.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('generated admin token, class, learner, progress and help survive a restart with the same LAB_DB_PATH', async () => {
    const first = await startTestServer({ LAB_DB_PATH: restartDb });
    let token: string | undefined;
    let classId: string;
    let learnerCookie: string;
    try {
      const line = first.logs.find((l) => l.includes('instructor login token'));
      token = line && /: ([A-Za-z0-9_-]{43})\s/.exec(JSON.parse(line).msg)?.[1];
      assert.ok(token, 'the generated token is printed once');
      const { api } = client(first);
      const admin = pair((await api('POST', CLASS_API.login, { body: { token } })).setCookie);
      const created = await api('POST', CLASS_API.classes, { cookie: admin, body: { name: '재시작 반', seats: 3, durationMinutes: 60 } });
      classId = created.json.id;
      const joined = await api('POST', JOIN_API.join, { body: { code: created.json.code, name: '이민지' } });
      learnerCookie = pair(joined.setCookie);
      const progress = await api('POST', LAB_PROGRESS_PATH, {
        cookie: learnerCookie,
        body: { lesson: 'lessons/docker-intro', snippet: '0123456789ab', result: 'ok' },
      });
      assert.equal(progress.status, 204);
      assert.equal((await api('POST', LAB_HELP_PATH, { cookie: learnerCookie, body: { text: '질문 있어요' } })).status, 201);
      // An instructor's live feed is open when the server stops: shutdown ends it.
      const feed = await fetch(new URL(`${CLASS_API.classes}/${classId}/events`, first.url), { headers: { cookie: admin } });
      assert.equal(feed.status, 200);
      const reader = feed.body!.getReader();
      await reader.read();
      const stopped = first.stop();
      const ended = await Promise.race([
        (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done);
          return true;
        })(),
        sleep(20_000).then(() => false),
      ]);
      assert.ok(ended, 'the live feed ended with the server');
      await stopped;
    } finally {
      await first.stop();
      removeOwned(first.instance);
    }

    const second = await startTestServer({ LAB_DB_PATH: restartDb });
    try {
      assert.ok(!second.logs.some((l) => l.includes(token!)), 'the token is not printed again');
      const { api } = client(second);
      const login = await api('POST', CLASS_API.login, { body: { token } });
      assert.equal(login.status, 204, 'the same token still logs in');
      const snap = ClassSnapshot.parse((await api('GET', `${CLASS_API.classes}/${classId!}`, { cookie: pair(login.setCookie), origin: null })).json);
      assert.equal(snap.class.name, '재시작 반');
      assert.deepEqual(
        snap.learners.map((l) => [l.name, l.progress]),
        [['이민지', { 'lessons/docker-intro': { ok: 1, expectedFail: 0, fail: 0 } }]],
      );
      assert.deepEqual(
        snap.help.map((h) => h.text),
        ['질문 있어요'],
      );
      const me = await api('GET', JOIN_API.me, { cookie: learnerCookie!, origin: null });
      assert.equal(me.status, 200, "the learner's cookie still works");
    } finally {
      await second.stop();
      removeOwned(second.instance);
    }
  });
});
