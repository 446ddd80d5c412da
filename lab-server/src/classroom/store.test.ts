import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { JOIN_CODE_ALPHABET, rosterLimit } from '../protocol.ts';
import { PROGRESS_ROWS_MAX, SCHEMA_VERSION, SqliteStore } from './store.ts';
import { JoinRefused } from './types.ts';

const MIN = 60_000;
const dir = mkdtempSync(path.join(tmpdir(), 'lab-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => path.join(dir, `nested${files}`, `db${files++}.sqlite`);

const T0 = 1_700_000_000_000;
const aClass = (over: Partial<{ seats: number; startsAt: number; endsAt: number; lessons: string[] }> = {}) => ({
  name: '도커 입문 3반',
  seats: 3,
  startsAt: T0,
  endsAt: T0 + 120 * MIN,
  lessons: ['lessons/docker-intro', 'lessons/container-basics'],
  ...over,
});
let tokens = 0;
const aLearner = (classId: string, name = '김철수', joinedAt = T0 + MIN) => ({
  classId,
  name,
  tokenHash: `hash-${tokens++}`,
  joinedAt,
  endsAt: T0 + 120 * MIN,
});

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof JoinRefused, `expected JoinRefused, got ${String(err)}`);
  return err.reason;
}

test('a database written, closed and reopened has its classes, roster, progress, help and admin hash', async () => {
  const file = freshFile();
  const first = new SqliteStore(file);
  const cls = await first.createClass(aClass());
  const learner = await first.addLearner(aLearner(cls.id));
  await first.recordProgress({ learnerId: learner.id, lesson: 'lessons/docker-intro', snippet: '0123456789ab', result: 'ok', at: T0 + 2 * MIN });
  const help = await first.addHelp({ learnerId: learner.id, classId: cls.id, text: '막혔어요', at: T0 + 3 * MIN });
  await first.setAdminTokenHash('f'.repeat(64));
  first.close();

  const again = new SqliteStore(file);
  assert.equal(again.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(await again.getClass(cls.id), cls);
  assert.deepEqual(await again.classByCode(cls.code.toLowerCase()), cls);
  const [stored] = await again.listLearners(cls.id);
  assert.deepEqual(stored, { ...learner, currentLesson: 'lessons/docker-intro', lastSeenAt: T0 + 2 * MIN });
  assert.deepEqual(await again.learnerByTokenHash(learner.tokenHash), stored);
  assert.deepEqual(await again.listProgress(cls.id), [
    { learnerId: learner.id, lesson: 'lessons/docker-intro', snippet: '0123456789ab', result: 'ok', at: T0 + 2 * MIN },
  ]);
  assert.deepEqual(await again.listHelp(cls.id), [help]);
  assert.equal(await again.adminTokenHash(), 'f'.repeat(64));
  assert.deepEqual(again.check(), { ok: true, problems: [] });
  again.close();
});

test('the file is WAL with foreign keys on, and a file from a newer server is refused', () => {
  const file = freshFile();
  new SqliteStore(file).close();
  const raw = new DatabaseSync(file);
  assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(() => new SqliteStore(file), /newer than this server/);
});

test('join codes are six unambiguous characters and differ between classes', async () => {
  const store = new SqliteStore(':memory:');
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { code } = await store.createClass(aClass());
    assert.equal(code.length, 6);
    for (const ch of code) assert.ok(JOIN_CODE_ALPHABET.includes(ch), `${ch} in ${code}`);
    codes.add(code);
  }
  assert.equal(codes.size, 200);
  assert.doesNotMatch(JOIN_CODE_ALPHABET, /[01OIL]/);
  store.close();
});

test('a class admits rosterLimit(seats) learners; the next join is refused and nothing is written', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass({ seats: 2 }));
  for (let i = 0; i < rosterLimit(2); i++) await store.addLearner(aLearner(cls.id, `학생${i}`));
  assert.equal(await refusal(store.addLearner(aLearner(cls.id, '늦은 학생'))), 'class-full');
  assert.equal((await store.listLearners(cls.id)).length, rosterLimit(2));
  store.close();
});

test('concurrent joins to the last places never over-admit, across two connections to one file', async () => {
  const file = freshFile();
  const a = new SqliteStore(file);
  const b = new SqliteStore(file);
  const cls = await a.createClass(aClass({ seats: 3 }));
  const joins = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).addLearner(aLearner(cls.id, `학생${i}`)));
  const results = await Promise.allSettled(joins);
  const admitted = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof JoinRefused && r.reason.reason === 'class-full').length;
  assert.equal(admitted, rosterLimit(3));
  assert.equal(refused, 40 - rosterLimit(3));
  assert.equal((await b.listLearners(cls.id)).length, rosterLimit(3));
  a.close();
  b.close();
});

test('joining an ended, expired or unknown class is refused', async () => {
  const store = new SqliteStore(':memory:');
  const ended = await store.createClass(aClass());
  await store.updateClass(ended.id, { endedAt: T0 + 5 * MIN });
  assert.equal(await refusal(store.addLearner(aLearner(ended.id))), 'class-ended');
  const over = await store.createClass(aClass({ endsAt: T0 + 10 * MIN }));
  assert.equal(await refusal(store.addLearner(aLearner(over.id, '늦게 온 학생', T0 + 10 * MIN))), 'class-ended');
  assert.equal(await refusal(store.addLearner(aLearner('no-such-class'))), 'not-found');
  assert.equal((await store.listLearners(ended.id)).length + (await store.listLearners(over.id)).length, 0);
  store.close();
});

test('ending a class caps every learner’s end at it and clears its open help requests', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  const other = await store.createClass(aClass());
  const a = await store.addLearner(aLearner(cls.id, '가'));
  const b = await store.addLearner(aLearner(cls.id, '나'));
  const c = await store.addLearner(aLearner(other.id, '다'));
  await store.addHelp({ learnerId: a.id, classId: cls.id, text: '도와주세요', at: T0 + 2 * MIN });
  await store.addHelp({ learnerId: c.id, classId: other.id, text: '', at: T0 + 2 * MIN });
  await store.updateClass(cls.id, { endedAt: T0 + 30 * MIN });

  assert.equal((await store.getClass(cls.id))?.endedAt, T0 + 30 * MIN);
  for (const l of [a, b]) assert.equal((await store.getLearner(l.id))?.endsAt, T0 + 30 * MIN);
  assert.deepEqual(await store.listHelp(cls.id), []);
  assert.equal((await store.listHelp(cls.id, true))[0]?.clearedAt, T0 + 30 * MIN);
  // The other class is untouched.
  assert.equal((await store.getLearner(c.id))?.endsAt, T0 + 120 * MIN);
  assert.equal((await store.listHelp(other.id)).length, 1);
  store.close();
});

test('extending a class moves every learner’s end by the same amount, on top of their own extensions', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  const a = await store.addLearner(aLearner(cls.id, '가'));
  const b = await store.addLearner(aLearner(cls.id, '나'));
  await store.updateLearner(b.id, { endsAt: b.endsAt + 15 * MIN });
  await store.updateClass(cls.id, { endsAt: cls.endsAt + 30 * MIN });
  assert.equal((await store.getClass(cls.id))?.endsAt, T0 + 150 * MIN);
  assert.equal((await store.getLearner(a.id))?.endsAt, T0 + 150 * MIN);
  assert.equal((await store.getLearner(b.id))?.endsAt, T0 + 165 * MIN);
  store.close();
});

test('progress keeps the latest result per snippet and moves the learner’s current lesson', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  const l = await store.addLearner(aLearner(cls.id));
  const at = (m: number) => T0 + m * MIN;
  await store.recordProgress({ learnerId: l.id, lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'fail', at: at(2) });
  await store.recordProgress({ learnerId: l.id, lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'ok', at: at(3) });
  await store.recordProgress({ learnerId: l.id, lesson: 'lessons/container-basics', snippet: 'bbbbbbbbbbbb', result: 'expected-fail', at: at(4) });
  const rows = await store.listProgress(cls.id);
  assert.deepEqual(
    rows.map((r) => [r.lesson, r.snippet, r.result]),
    [
      ['lessons/container-basics', 'bbbbbbbbbbbb', 'expected-fail'],
      ['lessons/docker-intro', 'aaaaaaaaaaaa', 'ok'],
    ],
  );
  const learner = await store.getLearner(l.id);
  assert.equal(learner?.currentLesson, 'lessons/container-basics');
  assert.equal(learner?.lastSeenAt, at(4));
  store.close();
});

test('progress of a learner that does not exist is refused by the foreign key and writes nothing', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  await assert.rejects(store.recordProgress({ learnerId: 'ghost', lesson: 'lessons/docker-intro', snippet: 'aaaaaaaaaaaa', result: 'ok', at: T0 }));
  assert.deepEqual(await store.listProgress(cls.id), []);
  assert.ok(store.check().ok);
  store.close();
});

test('a cleared help request leaves the open list, and clearing twice keeps the first time', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  const l = await store.addLearner(aLearner(cls.id));
  const h1 = await store.addHelp({ learnerId: l.id, classId: cls.id, text: '하나', at: T0 + 1 });
  const h2 = await store.addHelp({ learnerId: l.id, classId: cls.id, text: '둘', at: T0 + 2 });
  await store.clearHelp(h1.id, T0 + 10);
  await store.clearHelp(h1.id, T0 + 20);
  assert.deepEqual(
    (await store.listHelp(cls.id)).map((h) => h.id),
    [h2.id],
  );
  assert.equal((await store.listHelp(cls.id, true)).find((h) => h.id === h1.id)?.clearedAt, T0 + 10);
  assert.deepEqual(await store.getHelp(h1.id), { ...h1, clearedAt: T0 + 10 });
  assert.equal(await store.getHelp('no-such-help'), undefined);
  store.close();
});

test('a learner keeps at most PROGRESS_ROWS_MAX snippets: later new ones are dropped, known ones still update', async () => {
  const store = new SqliteStore(':memory:');
  const cls = await store.createClass(aClass());
  const l = await store.addLearner(aLearner(cls.id));
  const snippet = (i: number) => i.toString(16).padStart(12, '0');
  for (let i = 0; i < PROGRESS_ROWS_MAX + 5; i++) {
    await store.recordProgress({ learnerId: l.id, lesson: 'lessons/flood', snippet: snippet(i), result: 'fail', at: T0 + i });
  }
  await store.recordProgress({ learnerId: l.id, lesson: 'lessons/flood', snippet: snippet(0), result: 'ok', at: T0 + 2 * MIN });
  const rows = await store.listProgress(cls.id);
  assert.equal(rows.length, PROGRESS_ROWS_MAX);
  assert.equal(rows.find((r) => r.snippet === snippet(0))?.result, 'ok');
  assert.equal(
    rows.some((r) => r.snippet === snippet(PROGRESS_ROWS_MAX)),
    false,
  );
  assert.equal((await store.getLearner(l.id))?.lastSeenAt, T0 + 2 * MIN);
  store.close();
});

test('servers opening one new file at the same moment migrate it once, and a first admin token is not overwritten', async () => {
  const file = freshFile();
  // Separate processes, as two servers would be: each opens the file and claims a first token.
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(new URL('./store.ts', import.meta.url).href)});
    const s = new SqliteStore(process.argv[1]);
    const mine = 'hash-' + process.pid;
    const kept = await s.claimAdminTokenHash(mine);
    process.stdout.write(JSON.stringify({ mine, kept }));
    s.close();`;
  const { execFile } = await import('node:child_process');
  const run = () =>
    new Promise<{ mine: string; kept: string }>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script, file], (err, out) => (err ? reject(err) : resolve(JSON.parse(out)))),
    );
  const results = await Promise.all([run(), run(), run(), run()]);
  const store = new SqliteStore(file);
  const stored = await store.adminTokenHash();
  assert.equal(results.filter((r) => r.mine === r.kept).length, 1, 'exactly one claim won');
  for (const r of results) assert.equal(r.kept, stored);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  store.close();
});
