/**
 * Class mode's lab side (issue 13) against the real engine, through real
 * HTTP and WebSockets: a class of 3 seats and 4 learners from one address
 * (127.0.0.1, with LAB_MAX_SESSIONS_PER_CLIENT=1 and LAB_WS_PER_CLIENT=2:
 * seats replace the per-address caps). The start button boots 3 warm sandboxes; the 3 first
 * learners' sessions take them (lab_sandbox_acquired_total{source="warm"},
 * no boot on their path); the 4th is queued (202, position 1) and gets the
 * seat its poll finds free once the instructor ends a learner (close 4015).
 * The instructor's mirror gets exactly the learner's terminal bytes; ending
 * the class removes every sandbox of the class (docker ps by labels) and
 * leaves an anonymous reader's alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { CloseCode, MIRROR_SUBPROTOCOL, MIRROR_WS_PATH, QueuedResponse } from '../../lab-server/src/protocol.ts';
import { CLASS_API } from '../../lab-server/src/protocol.ts';
import { call, classAction, createClass, instructorLogin, joinClass, learnerSession, metric, type JoinedLearner } from '../support/classroom.ts';
import { docker, removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { LabTerminal, newSession } from '../support/terminal.ts';
import { startTestServer } from './test-server.ts';

const TOKEN = 'classroom-lab-integration-token';
const dir = mkdtempSync(path.join(tmpdir(), 'lab-class-lab-it-'));

/** The instance's sandbox containers that are running. */
const sandboxes = (instance: string) =>
  docker('ps', '--filter', `label=lab.owner=${instance}`, '--filter', 'label=lab.kind=sandbox', '--format', '{{.Label "lab.sandbox"}}')
    .split('\n')
    .filter(Boolean);

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The instructor's read-only mirror: every binary frame, in order. */
function openMirror(server: LabServer, admin: string, learnerId: string) {
  const url = new URL(`${MIRROR_WS_PATH}?learner=${learnerId}`, server.url);
  url.protocol = 'ws:';
  const ws = new WebSocket(url, MIRROR_SUBPROTOCOL, { headers: { origin: server.origin, cookie: admin } });
  const chunks: Buffer[] = [];
  let textFrames = 0;
  ws.on('message', (data: Buffer, isBinary) => (isBinary ? chunks.push(data) : textFrames++));
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`mirror refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, opened, closed, bytes: () => Buffer.concat(chunks), textFrames: () => textFrames };
}

describe('class mode: seats, queue, warm pool, mirror, end', () => {
  let server: LabServer;
  let admin: string;
  let classId: string;
  let code: string;
  const learners: JoinedLearner[] = [];
  const terms: LabTerminal[] = [];
  const cookies: string[] = [];

  before(async () => {
    server = await startTestServer({
      LAB_ADMIN_TOKEN: TOKEN,
      LAB_DB_PATH: path.join(dir, 'lab.db'),
      LAB_MAX_SESSIONS: '6',
      LAB_MAX_SESSIONS_PER_CLIENT: '1',
      // Learners' sockets count per session, not per address: 4 learners' terminals and a reader's fit under 2.
      LAB_WS_PER_CLIENT: '2',
      LAB_WARM_POOL: '0',
    });
    admin = await instructorLogin(server, TOKEN);
    const cls = await createClass(server, admin, { name: '도커 실습반', seats: 3, durationMinutes: 60 });
    classId = cls.id;
    code = cls.code;
  });
  after(async () => {
    for (const t of terms) await t.close().catch(() => undefined);
    await server?.stop();
    removeOwned(server.instance);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the start button boots one warm sandbox per seat', async () => {
    assert.equal((await classAction(server, admin, classId, 'start')).status, 204);
    await until('3 warm sandboxes', async () => (await metric(server, 'lab_sandboxes', { state: 'ready' })) === 3);
    assert.equal(await metric(server, 'lab_class_warm_target'), 3);
    assert.equal(sandboxes(server.instance).length, 3);
  });

  test('3 learners behind one address get terminals from the warm pool; the 4th is queued at place 1', async () => {
    for (let i = 1; i <= 4; i++) learners.push(await joinClass(server, code, `학생 ${i}`));
    const bootsBefore = await metric(server, 'lab_sandbox_acquired_total', { source: 'boot' });
    const started = performance.now();
    await Promise.all(
      learners.slice(0, 3).map(async (learner, i) => {
        const answer = await learnerSession(server, learner);
        assert.equal(answer.status, 201, JSON.stringify(answer.json));
        cookies[i] = answer.cookie;
        const term = await LabTerminal.open(server, answer.cookie);
        term.hello();
        await term.ready(30_000);
        terms[i] = term;
      }),
    );
    const readyMs = performance.now() - started;
    assert.equal(await metric(server, 'lab_sandbox_acquired_total', { source: 'warm' }), 3, 'all three served warm');
    assert.equal(await metric(server, 'lab_sandbox_acquired_total', { source: 'boot' }), bootsBefore, 'no boot on their path');
    console.log(`# 3 learners: session + attached terminal from the warm pool in ${Math.round(readyMs)} ms`);

    const fourth = await learnerSession(server, learners[3]!);
    assert.equal(fourth.status, 202, JSON.stringify(fourth.json));
    const queued = QueuedResponse.parse(fourth.json);
    assert.equal(queued.position, 1);
    assert.ok(queued.etaSeconds > 0);
    const again = await learnerSession(server, learners[3]!);
    assert.equal(QueuedResponse.parse(again.json).position, 1, 'polling keeps the place');
    const snapshot = (await call(server, 'GET', `${CLASS_API.classes}/${classId}`, { cookie: admin })).json;
    assert.equal(snapshot.queue, 1);
    const live = Object.fromEntries(snapshot.learners.map((l: { id: string; live: { state: string } }) => [l.id, l.live.state]));
    assert.deepEqual(
      learners.map((l) => live[l.id]),
      ['ready', 'ready', 'ready', 'queued'],
    );
  });

  test("the mirror gets exactly the learner's bytes (recent output first), and its input goes nowhere", async () => {
    const term = terms[0]!;
    await term.run('echo before-the-mirror');
    const mirror = openMirror(server, admin, learners[0]!.id);
    await mirror.opened;
    mirror.ws.send(Buffer.from('echo typed-by-the-instructor\r'));
    const out = await term.run('echo mirror-$((6*7))');
    assert.match(out, /mirror-42/);
    await until('the mirror to catch up', () => mirror.bytes().length >= term.bytes.length, 10_000);
    await sleep(300);
    assert.ok(mirror.bytes().equals(term.bytes), `mirror ${mirror.bytes().length} bytes, learner ${term.bytes.length} bytes`);
    assert.doesNotMatch(term.text, /typed-by-the-instructor/);
    assert.equal(mirror.textFrames(), 0, 'binary frames only');

    const noCookie = openMirror(server, '', learners[0]!.id);
    await assert.rejects(noCookie.opened, /HTTP 401/);

    // The instructor ends learner 1: its terminal and the mirror close, and the seat frees.
    assert.equal((await call(server, 'POST', `${CLASS_API.learners}/${learners[0]!.id}/end`, { cookie: admin })).status, 204);
    assert.equal(await term.closed, CloseCode.EndedByInstructor);
    assert.equal(await mirror.closed, 1000);
  });

  test("the queued learner's next poll takes the freed seat", async () => {
    const answer = await learnerSession(server, learners[3]!);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    const term = await LabTerminal.open(server, answer.cookie);
    term.hello();
    await term.ready(90_000);
    terms[3] = term;
    assert.match(await term.run('echo seat-$((1+1))'), /seat-2/);
  });

  test('ending the class removes every sandbox of the class and no one else', async () => {
    const anonymous = await newSession(server);
    assert.equal(anonymous.status, 201);
    const reader = await LabTerminal.open(server, anonymous.cookie);
    reader.hello();
    await reader.ready(90_000);
    terms.push(reader);
    assert.equal(sandboxes(server.instance).length, 4, 'learners 2, 3, 4 and the reader');

    const started = performance.now();
    assert.equal((await classAction(server, admin, classId, 'end')).status, 204);
    console.log(`# end class: 3 sandboxes removed in ${Math.round(performance.now() - started)} ms`);
    for (const i of [1, 2, 3]) assert.equal(await terms[i]!.closed, CloseCode.EndedByInstructor);
    assert.equal(sandboxes(server.instance).length, 1, "only the anonymous reader's sandbox is left");
    assert.match(await reader.run('echo still-here'), /still-here/);
    assert.equal((await learnerSession(server, learners[1]!)).status, 410, 'no new session for a learner of an ended class');
    assert.equal(await metric(server, 'lab_class_warm_target'), 0);
  });
});

describe('class mode: labs for class members only, and a learner churning sessions', () => {
  let server: LabServer;
  const dbDir = mkdtempSync(path.join(tmpdir(), 'lab-class-only-it-'));

  before(async () => {
    server = await startTestServer({
      LAB_ADMIN_TOKEN: TOKEN,
      LAB_DB_PATH: path.join(dbDir, 'lab.db'),
      LAB_ANONYMOUS_LABS: 'off',
      LAB_SESSION_BURST: '2',
      LAB_SESSION_RATE: '0.1',
    });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
    rmSync(dbDir, { recursive: true, force: true });
  });

  test('LAB_ANONYMOUS_LABS=off: a reader who has not joined gets 403 class-only, a learner gets a session', async () => {
    const anonymous = await newSession(server);
    assert.equal(anonymous.status, 403);
    assert.deepEqual((anonymous.body as { error: string }).error, 'class-only');
    assert.equal(anonymous.cookie, '', 'no session cookie');
    assert.equal(await metric(server, 'lab_class_refused_total', { reason: 'class-only' }), 1);

    const admin = await instructorLogin(server, TOKEN);
    const cls = await createClass(server, admin, { name: '회원 전용', seats: 2, durationMinutes: 30 });
    const learner = await joinClass(server, cls.code, '학생');
    const first = await learnerSession(server, learner);
    assert.equal(first.status, 201, JSON.stringify(first.json));
    // The page's reset (DELETE) and 실행 again, as fast as a script can: the creation limit is per learner.
    assert.equal((await call(server, 'DELETE', '/lab/session', { cookie: first.cookie })).status, 204);
    assert.equal((await learnerSession(server, learner)).status, 201);
    const again = await learnerSession(server, learner);
    assert.equal(again.status, 200, 'the same session, resumed');
    assert.equal((await call(server, 'DELETE', '/lab/session', { cookie: again.cookie })).status, 204);
    const churned = await learnerSession(server, learner);
    assert.equal(churned.status, 429, JSON.stringify(churned.json));
    assert.equal(churned.json.error, 'rate-limited');
    const other = await learnerSession(server, await joinClass(server, cls.code, '옆자리'));
    assert.equal(other.status, 201, 'another learner behind the same address is not limited by it');
  });
});
