/**
 * The Lab without Docker: a fake driver boots at once (or fails, or reports
 * a full disk) and its shells are in-memory streams (lab-fakes.ts); the
 * pool is the real one. The integration tests run the same paths against real sandboxes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { loadConfig } from './config.ts';
import { Lab, LabError } from './lab.ts';
import { FakeDriver, FakeSocket } from './lab-fakes.ts';
import { Metrics } from './metrics.ts';
import { CloseCode, type ServerMessage } from './protocol.ts';
import { SandboxPool } from './sandbox/pool.ts';

const log = pino({ level: 'silent' });
const hello = { type: 'hello' as const, terminal: 'main', cols: 80, rows: 24, resumeFrom: 0 };

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({ LAB_WARM_POOL: '0', LAB_SANDBOX_DISK: '1g', LAB_MAX_SESSIONS: '2', ...env });
  const driver = new FakeDriver();
  const pool = new SandboxPool(driver, { target: 0, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  const metrics: Metrics = new Metrics({ stats: () => lab.stats() });
  const lab: Lab = new Lab({ config, pool, driver, metrics, log });
  return { lab, driver, metrics };
}

function newSession(lab: Lab) {
  const created = lab.createSession('client-a');
  assert.ok(created.ok);
  return created;
}

test('a session boots its sandbox, a hello attaches a terminal, and ending it closes the sockets and removes the sandbox', async () => {
  const { lab, driver } = setup();
  const { session, token } = newSession(lab);
  assert.equal(lab.lookup(token), session);
  const socket = new FakeSocket();
  assert.ok(lab.join(session, socket));
  const status: ServerMessage[] = [];
  await lab.attach(session, socket, hello, (m) => status.push(m));
  assert.deepEqual(
    status.map((m) => m.type === 'status' && m.phase),
    ['queued', 'engine', 'shell', 'ready'],
  );
  assert.equal(socket.control[0]?.type, 'attached');
  assert.deepEqual(lab.stats(), {
    shuttingDown: false,
    sessions: 1,
    sandboxes: { ready: 0, booting: 0, assigned: 1 },
    terminalsAttached: 1,
    inputQueued: 0,
  });

  lab.endSession(session, 'idle');
  assert.deepEqual(socket.closed, { code: CloseCode.Idle, error: { type: 'error', code: 'session-expired', detail: 'idle' } });
  await new Promise((r) => setImmediate(r));
  assert.equal(driver.destroyed.length, 1);
  assert.equal(lab.lookup(token), undefined);
  assert.partialDeepStrictEqual(lab.sessions.whyEnded(token), { reason: 'idle', detail: 'idle' }, 'an old cookie learns why');
  assert.equal(lab.stats().sessions, 0);
});

test('a failed boot ends the session as sandbox-failed; a waiting hello is told so', async () => {
  const { lab, driver } = setup();
  driver.failBoots = true;
  const { session, token } = newSession(lab);
  const socket = new FakeSocket();
  lab.join(session, socket);
  await assert.rejects(
    lab.attach(session, socket, hello, () => undefined),
    (err: unknown) => err instanceof LabError && err.closeCode === CloseCode.SandboxFailed,
  );
  assert.equal(lab.sessions.whyEnded(token)?.reason, 'sandbox-failed');
  assert.equal(socket.closed?.code, CloseCode.SandboxFailed);
});

test('terminals per session are capped (LAB_MAX_TERMINALS)', async () => {
  const { lab } = setup({ LAB_MAX_TERMINALS: '1' });
  const { session } = newSession(lab);
  await lab.attach(session, new FakeSocket(), hello, () => undefined);
  await assert.rejects(
    lab.attach(session, new FakeSocket(), { ...hello, terminal: 'second' }, () => undefined),
    (err: unknown) => err instanceof LabError && err.closeCode === CloseCode.OverCapacity,
  );
});

test('the disk check warns near the limit and ends the session past it', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { lab, driver, metrics } = setup({ LAB_DISK_CHECK_INTERVAL: '15s' });
  const { session } = newSession(lab);
  const socket = new FakeSocket();
  lab.join(session, socket);
  await lab.attach(session, socket, hello, () => undefined);
  lab.start();
  const gib = 1024 ** 3;
  driver.disk = { data: 0.85 * gib, dataLimit: undefined, rootfs: 0 };
  t.mock.timers.tick(15_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(socket.closed, undefined);
  assert.match(socket.output, /\S/, 'a warning in the terminal');
  const warned = socket.output;
  driver.disk = { data: gib, dataLimit: undefined, rootfs: 0 };
  t.mock.timers.tick(15_000);
  await new Promise((r) => setImmediate(r));
  assert.ok(socket.output.length > warned.length, 'why, in the terminal');
  assert.equal((socket.closed as FakeSocket['closed'])?.code, CloseCode.SandboxFailed);
  assert.equal((await metrics.diskBytes.get()).values[0]?.value, gib);
  await lab.shutdown(Date.now() + 1000);
});

test('shutdown ends every session with ShuttingDown and refuses new ones', async () => {
  const { lab } = setup();
  const { session } = newSession(lab);
  const socket = new FakeSocket();
  lab.join(session, socket);
  await lab.shutdown(Date.now() + 1000);
  assert.equal(socket.closed?.code, CloseCode.ShuttingDown);
  assert.equal(lab.stats().shuttingDown, true);
  assert.deepEqual(lab.createSession('client-a'), { ok: false, reason: 'global-cap' });
  assert.equal(lab.sessions.whyEnded(undefined), undefined);
});

test('session events follow a session from creation to its end, and a notice reaches the dock and the terminal', async () => {
  const { lab } = setup();
  const events: string[] = [];
  lab.onEvent((e) => events.push(e.type));
  const created = lab.createSession('client-a', { owner: { learnerId: 'l1', classId: 'c1' }, endsAt: Date.now() + 60_000 });
  assert.ok(created.ok);
  const { session } = created;
  assert.equal(lab.phaseOf(session), 'booting');
  const socket = new FakeSocket();
  lab.join(session, socket);
  await lab.attach(session, socket, hello, () => undefined);
  assert.equal(lab.phaseOf(session), 'ready');
  assert.equal(lab.isConnected(session), true);
  lab.notify(session, { type: 'notice', kind: 'instructor', text: '안녕하세요', at: 1 }, '[line]');
  assert.deepEqual(socket.control.at(-1), { type: 'notice', kind: 'instructor', text: '안녕하세요', at: 1 });
  assert.match(socket.output, /\[line\]$/);
  lab.leave(session, socket, socket);
  lab.endSession(session, 'ended-by-instructor');
  assert.deepEqual(events, ['created', 'terminal', 'connected', 'disconnected', 'ended']);
  assert.equal(lab.phaseOf(session), undefined);
});
