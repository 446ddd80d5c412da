/**
 * Class mode's lab side without Docker: the real Lab, pool and store
 * (SQLite in memory) over the fake driver (lab-fakes.ts). The integration
 * test (tests/integration/classroom-lab.test.ts) runs the same paths
 * against real sandboxes.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { Lab } from '../lab.ts';
import { FakeDriver, FakeSocket } from '../lab-fakes.ts';
import { Metrics } from '../metrics.ts';
import { CloseCode, QUEUE_POLL_TIMEOUT_MS, type NoticeMessage } from '../protocol.ts';
import { SandboxPool } from '../sandbox/pool.ts';
import { ClassroomSeats, WARNING_BEFORE_MS, type SeatAnswer } from './seats.ts';
import { SqliteStore } from './store.ts';

const log = pino({ level: 'silent' });
const hello = { type: 'hello' as const, terminal: 'main', cols: 80, rows: 24, resumeFrom: 0 };
const tick = () => new Promise((r) => setImmediate(r));
const HOUR = 3600_000;
/** Every learner comes from the same address: a classroom behind one NAT. */
const NAT = '203.0.113.7';

async function setup(t: TestContext, env: Record<string, string> = {}, seats = 3) {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000_000 });
  const config = loadConfig({ LAB_WARM_POOL: '0', LAB_SANDBOX_DISK: '1g', LAB_MAX_SESSIONS: '10', LAB_MAX_SESSIONS_PER_CLIENT: '1', ...env });
  const driver = new FakeDriver();
  const sources: string[] = [];
  const pool = new SandboxPool(driver, { target: config.sandbox.warmPool, concurrency: 4, bootTimeoutMs: 60_000 }, log, {
    onAcquire: (s) => sources.push(s),
  });
  const metrics: Metrics = new Metrics({ stats: () => lab.stats() });
  const lab: Lab = new Lab({ config, pool, driver, metrics, log });
  const store = new SqliteStore(':memory:');
  t.after(() => store.close());
  const classroom = new ClassroomSeats({ config, lab, pool, store, stats: driver, metrics, log });
  const now = Date.now();
  const cls = await store.createClass({ name: '도커 입문', seats, startsAt: now, endsAt: now + 2 * HOUR, lessons: [] });
  let n = 0;
  const join = (c = cls) => store.addLearner({ classId: c.id, name: `학생${++n}`, tokenHash: `h${n}`, joinedAt: now, endsAt: c.endsAt });
  return { config, driver, pool, lab, store, classroom, cls, join, sources, metrics };
}

function session(answer: SeatAnswer) {
  assert.equal(answer.kind, 'session', JSON.stringify(answer));
  return answer as Extract<SeatAnswer, { kind: 'session' }>;
}

test('3 seats: prewarm boots 3 sandboxes, 3 learners behind one address take them without a boot, the 4th queues and gets the freed seat', async (t) => {
  const { driver, pool, lab, classroom, cls, join, sources } = await setup(t);
  classroom.prewarm(cls);
  await tick();
  assert.equal(pool.counts.ready, 3, '3 warm sandboxes for 3 seats');
  const learners = await Promise.all([join(), join(), join(), join()]);
  const got = [];
  for (const l of learners.slice(0, 3)) got.push(session(await classroom.request(l, NAT, undefined)));
  await tick();
  assert.deepEqual(sources, ['warm', 'warm', 'warm'], 'every session served from the warm pool');
  assert.equal(driver.created.length, 3, 'no boot beyond the three warm ones');
  assert.equal(pool.counts.ready, 0);

  const fourth = learners[3]!;
  assert.deepEqual(await classroom.request(fourth, NAT, undefined), { kind: 'queued', position: 1, etaSeconds: 2 * 3600 + 3 });
  assert.deepEqual(classroom.live(fourth.id), { connected: false, state: 'queued', queuePosition: 1, cpuPercent: null, memoryBytes: null });
  lab.endSession(got[0]!.session, 'ended');
  await tick();
  const taken = session(await classroom.request(fourth, NAT, undefined));
  assert.equal(taken.result, 'created');
  assert.equal(classroom.queue.size, 0);
});

test('learner sessions do not count against the per-address cap; anonymous ones still do', async (t) => {
  const { lab, classroom, join } = await setup(t, { LAB_MAX_SESSIONS_PER_CLIENT: '1' });
  for (let i = 0; i < 3; i++) session(await classroom.request(await join(), NAT, undefined));
  assert.ok(lab.createSession(NAT).ok, 'one anonymous reader at the same address');
  assert.deepEqual(lab.createSession(NAT), { ok: false, reason: 'client-cap' });
});

test('one session per learner: the same cookie resumes it, a second browser gets a new token for the same session', async (t) => {
  const { lab, classroom, join } = await setup(t);
  const learner = await join();
  const first = session(await classroom.request(learner, NAT, undefined));
  assert.ok(first.token);
  assert.deepEqual(await classroom.request(learner, NAT, first.session), { ...first, token: undefined, result: 'resumed' });
  const other = session(await classroom.request(learner, '198.51.100.1', undefined));
  assert.equal(other.result, 'rebound');
  assert.equal(other.session, first.session);
  assert.equal(lab.lookup(other.token), first.session);
  assert.equal(lab.lookup(first.token), first.session, 'the first browser keeps working');
  lab.endSession(first.session, 'ended-by-instructor');
  assert.equal(lab.lookup(other.token), undefined);
  assert.equal(lab.sessions.whyEnded(other.token)?.reason, 'ended-by-instructor', 'both cookies learn why');
});

test('two tabs asking at the same moment share one session, and no one else is pushed into the queue', async (t) => {
  const { lab, classroom, join } = await setup(t, {}, 2);
  const learner = await join();
  const [a, b] = await Promise.all([classroom.request(learner, NAT, undefined), classroom.request(learner, NAT, undefined)]);
  assert.equal(session(a).session, session(b).session);
  assert.deepEqual([session(a).result, session(b).result].sort(), ['created', 'rebound']);
  assert.equal(lab.sessions.size, 1);
  assert.equal(classroom.queue.size, 0);
  assert.equal(session(await classroom.request(await join(), NAT, undefined)).result, 'created', 'the second seat is still free');
});

test('a learner refused for churning sessions gives up its place instead of holding back the next', async (t) => {
  const { lab, classroom, join } = await setup(t, {}, 2);
  const a = session(await classroom.request(await join(), NAT, undefined));
  session(await classroom.request(await join(), NAT, undefined));
  const b = await join();
  assert.equal((await classroom.request(b, NAT, undefined)).kind, 'queued');
  lab.endSession(a.session, 'ended');
  assert.deepEqual(await classroom.request(b, NAT, undefined, () => false), { kind: 'rate-limited' });
  assert.equal(classroom.queue.size, 0);
  assert.equal(session(await classroom.request(await join(), NAT, undefined)).result, 'created', 'the next learner gets the seat');
});

test('a queued place is kept by polling and given up after 30 s without one', async (t) => {
  const { classroom, join } = await setup(t, {}, 2);
  for (let i = 0; i < 2; i++) session(await classroom.request(await join(), NAT, undefined));
  const [b, c] = [await join(), await join()];
  assert.equal((await classroom.request(b, NAT, undefined)).kind, 'queued');
  assert.partialDeepStrictEqual(await classroom.request(c, NAT, undefined), { kind: 'queued', position: 2 });
  classroom.start();
  t.mock.timers.tick(QUEUE_POLL_TIMEOUT_MS - 5000);
  await classroom.request(c, NAT, undefined);
  t.mock.timers.tick(10_000);
  assert.equal(classroom.live(b.id).state, 'none', 'b stopped asking');
  assert.partialDeepStrictEqual(await classroom.request(c, NAT, undefined), { kind: 'queued', position: 1 });
  classroom.stop();
});

test('10 minutes before the end every terminal gets a notice and one line, once; an extension re-arms it', async (t) => {
  const { lab, classroom, cls, join } = await setup(t);
  const learner = await join();
  const { session: s } = session(await classroom.request(learner, NAT, undefined));
  const socket = new FakeSocket();
  lab.join(s, socket);
  await lab.attach(s, socket, hello, () => undefined);
  classroom.start();
  const notices = () => socket.control.filter((m): m is NoticeMessage => m.type === 'notice');
  t.mock.timers.tick(cls.endsAt - Date.now() - WARNING_BEFORE_MS - 2000);
  assert.equal(notices().length, 0);
  t.mock.timers.tick(3000);
  assert.deepEqual(
    notices().map((n) => [n.kind, n.endsAt]),
    [['time-warning', cls.endsAt]],
  );
  assert.match(socket.output, /\[랩 · 시간 안내\] 실습 시간이 약 10분 남았습니다/);
  t.mock.timers.tick(5000);
  assert.equal(notices().length, 1, 'once');
  classroom.extended(learner.id, cls.endsAt + HOUR);
  assert.equal(s.expiresAt, cls.endsAt + HOUR, 'the session lives on');
  t.mock.timers.tick(HOUR);
  assert.equal(notices().length, 2, 'warned again before the new end');
  classroom.stop();
});

test('the instructor ends a learner (close 4015) and resets another (its next 실행 gets a new sandbox)', async (t) => {
  const { driver, lab, classroom, join } = await setup(t);
  const [a, b] = [await join(), await join()];
  const sa = session(await classroom.request(a, NAT, undefined)).session;
  const sb = session(await classroom.request(b, NAT, undefined)).session;
  await tick();
  const socket = new FakeSocket();
  lab.join(sa, socket);
  await lab.attach(sa, socket, hello, () => undefined);
  const firstSandbox = lab.sandboxOf(sb)!.id;
  await classroom.endLearner(a.id);
  assert.equal(socket.closed?.code, CloseCode.EndedByInstructor);
  await classroom.resetLearner(b.id);
  assert.ok(driver.destroyed.includes(firstSandbox));
  const again = session(await classroom.request(b, NAT, sb));
  assert.equal(again.result, 'created');
  await tick();
  assert.notEqual(lab.sandboxOf(again.session)!.id, firstSandbox);
});

test('a message reaches every connected learner of the class and no one else; ending the class removes every sandbox and its queue', async (t) => {
  const { store, driver, pool, lab, classroom, cls, join } = await setup(t, {}, 2);
  const now = Date.now();
  const other = await store.createClass({ name: '다른 반', seats: 5, startsAt: now, endsAt: now + HOUR, lessons: [] });
  const sockets: FakeSocket[] = [];
  for (const c of [cls, cls, other]) {
    const { session: s } = session(await classroom.request(await join(c), NAT, undefined));
    const socket = new FakeSocket();
    lab.join(s, socket);
    await lab.attach(s, socket, hello, () => undefined);
    sockets.push(socket);
  }
  const waiting = await join(cls);
  assert.equal((await classroom.request(waiting, NAT, undefined)).kind, 'queued');
  classroom.broadcast(cls.id, '<b>5분</b> 쉬었다가 합니다');
  assert.deepEqual(
    sockets.map((s) => s.control.filter((m) => m.type === 'notice').map((m) => (m as NoticeMessage).text)),
    [['<b>5분</b> 쉬었다가 합니다'], ['<b>5분</b> 쉬었다가 합니다'], []],
  );
  assert.match(sockets[0]!.output, /\[랩 · 강사\] <b>5분<\/b> 쉬었다가 합니다/);

  classroom.prewarm(cls);
  const classSandboxes = [...lab.sessions.all()].filter((s) => s.owner?.classId === cls.id).map((s) => lab.sandboxOf(s)!.id);
  await classroom.endClass(cls.id);
  assert.deepEqual(
    sockets.map((s) => s.closed?.code),
    [CloseCode.EndedByInstructor, CloseCode.EndedByInstructor, undefined],
  );
  assert.ok(sockets[0]!.control.some((m) => m.type === 'notice' && m.kind === 'ended'));
  for (const id of classSandboxes) assert.ok(driver.destroyed.includes(id) && !pool.ownedIds().has(id));
  assert.equal(classroom.queue.length(cls.id), 0);
  assert.equal(pool.target, 0, 'the warm pool is back to LAB_WARM_POOL');
});

test('the warm pool is bounded by the free session slots and returns to LAB_WARM_POOL when the class is over', async (t) => {
  const { store, pool, classroom, metrics } = await setup(t, { LAB_MAX_SESSIONS: '4', LAB_WARM_POOL: '1' });
  const now = Date.now();
  const big = await store.createClass({ name: '큰 반', seats: 30, startsAt: now + 60_000, endsAt: now + HOUR, lessons: [] });
  classroom.start();
  await tick();
  await tick();
  assert.equal(pool.target, 4, 'a class starting in a minute: grown now, to the 4 the host holds');
  assert.equal((await metrics.classWarmTarget.get()).values[0]?.value, 4);
  await store.updateClass(big.id, { endedAt: now });
  await store.updateClass((await store.listClasses()).find((c) => c.name !== '큰 반')!.id, { endedAt: now });
  t.mock.timers.tick(10_000);
  await tick();
  await tick();
  assert.equal(pool.target, 1);
  classroom.stop();
});

test('live state: booting, then ready with CPU and memory from a background stats call; changes are announced', async (t) => {
  const { driver, lab, classroom, join } = await setup(t);
  let changes = 0;
  classroom.onChange(() => changes++);
  const learner = await join();
  assert.deepEqual(classroom.live(learner.id).state, 'none');
  const { session: s } = session(await classroom.request(learner, NAT, undefined));
  assert.equal(changes, 1);
  assert.equal(classroom.live(learner.id).state, 'booting');
  await tick();
  assert.partialDeepStrictEqual(classroom.live(learner.id), { state: 'ready', connected: false, cpuPercent: null });
  await tick();
  assert.partialDeepStrictEqual(classroom.live(learner.id), { cpuPercent: 12.5, memoryBytes: 64 * 1024 ** 2 });
  const socket = new FakeSocket();
  lab.join(s, socket);
  await lab.attach(s, socket, hello, () => undefined);
  assert.equal(classroom.live(learner.id).connected, true);
  assert.equal(changes, 2);
  lab.leave(s, socket, socket);
  assert.equal(classroom.live(learner.id).connected, false);
  assert.equal(changes, 3);
  driver.usage = { cpuPercent: 90, memoryBytes: 1 };
  t.mock.timers.tick(2000);
  classroom.live(learner.id);
  await tick();
  assert.equal(classroom.live(learner.id).cpuPercent, 90, 'refreshed after 2 s');
});

test('a learner whose class ended or whose time is over gets no session', async (t) => {
  const { store, classroom, cls, join } = await setup(t);
  const learner = await join();
  await store.updateClass(cls.id, { endedAt: Date.now() });
  assert.equal((await classroom.request(learner, NAT, undefined)).kind, 'class-ended');
  assert.equal(await classroom.learnerFor(undefined), undefined);
  assert.equal(await classroom.learnerFor('x'.repeat(43)), undefined);
});
