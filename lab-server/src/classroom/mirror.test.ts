/**
 * The instructor's mirror over a real WebSocket on loopback, with the real
 * Lab over the fake driver (lab-fakes.ts): its shells are streams the test
 * writes shell output into.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { WebSocket } from 'ws';
import { loadConfig } from '../config.ts';
import { Lab } from '../lab.ts';
import { FakeDriver, FakeSocket } from '../lab-fakes.ts';
import { Metrics } from '../metrics.ts';
import { OriginPolicy } from '../origin.ts';
import { CloseCode, MIRROR_SUBPROTOCOL, MIRROR_WS_PATH } from '../protocol.ts';
import { SandboxPool } from '../sandbox/pool.ts';
import { MIRRORS_PER_CLASS, MirrorHub } from './mirror.ts';

const log = pino({ level: 'silent' });
const hello = { type: 'hello' as const, terminal: 'main', cols: 80, rows: 24, resumeFrom: 0 };
const ADMIN = 'lab_admin=good';

async function setup(t: TestContext) {
  const config = loadConfig({ LAB_WARM_POOL: '0', LAB_SANDBOX_DISK: '1g', LAB_MAX_SESSIONS: '10' });
  const driver = new FakeDriver();
  const pool = new SandboxPool(driver, { target: 0, concurrency: 4, bootTimeoutMs: 60_000 }, log);
  const metrics: Metrics = new Metrics({ stats: () => lab.stats() });
  const lab: Lab = new Lab({ config, pool, driver, metrics, log });
  const policy = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: [], machineHosts: [] });
  const hub = new MirrorHub({ lab, policy, metrics, log, adminOf: (req) => (req.headers.cookie === ADMIN ? 'admin-1' : undefined) });
  const server: Server = createServer();
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.after(() => {
    hub.close();
    server.close();
  });

  /** A learner of class `classId` with an attached terminal (the page's socket is a FakeSocket). */
  async function learner(learnerId: string, classId = 'class-a') {
    const created = lab.createSession('nat', { owner: { learnerId, classId }, endsAt: Date.now() + 3600_000 });
    assert.ok(created.ok);
    const page = new FakeSocket();
    lab.join(created.session, page);
    await lab.attach(created.session, page, hello, () => undefined);
    const shell = driver.shells.at(-1)!;
    return { session: created.session, page, shell, output: (text: string) => shell.stream.push(Buffer.from(text)) };
  }

  function mirror(learnerId: string, opts: { cookie?: string; origin?: string; protocol?: string } = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${MIRROR_WS_PATH}?learner=${learnerId}`, opts.protocol ?? MIRROR_SUBPROTOCOL, {
      headers: { origin: opts.origin ?? `http://127.0.0.1:${port}`, cookie: opts.cookie ?? ADMIN },
    });
    const chunks: Buffer[] = [];
    ws.on('message', (data: Buffer) => chunks.push(data));
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    const status = new Promise<number>((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    return { ws, closed, status, text: () => Buffer.concat(chunks).toString() };
  }
  const settle = () => new Promise((r) => setTimeout(r, 50));
  return { lab, hub, metrics, learner, mirror, settle };
}

test("a mirror shows the learner's recent output, then the same bytes live; what the instructor sends never reaches the shell", async (t) => {
  const { learner, mirror, settle } = await setup(t);
  const a = await learner('l-1');
  a.output('$ docker ps\r\n');
  await settle();
  const m = mirror('l-1');
  assert.equal(await m.status, 101);
  await settle();
  assert.equal(m.text(), '$ docker ps\r\n', 'recent output first');
  a.output('CONTAINER ID   IMAGE\r\n');
  m.ws.send(Buffer.from('rm -rf /\r'));
  m.ws.send('{"type":"hello"}');
  await settle();
  assert.equal(m.text(), a.page.output, 'the same bytes as the learner');
  assert.deepEqual(a.shell.typed, [], 'the shell got no input from the mirror');
});

test('refusals: no instructor login 401, foreign Origin 403, wrong subprotocol 400, no session 4004, over the class cap 4012', async (t) => {
  const { learner, mirror, metrics } = await setup(t);
  await learner('l-1');
  assert.equal(await mirror('l-1', { cookie: 'lab_admin=stolen' }).status, 401);
  assert.equal(await mirror('l-1', { origin: 'https://evil.example' }).status, 403);
  assert.equal(await mirror('l-1', { protocol: 'lab.v1' }).status, 400);
  assert.equal(await mirror('x"><script>').status, 400);
  assert.equal(await mirror('nobody').closed, CloseCode.NoSuchSession);
  const open = [];
  for (let i = 0; i < MIRRORS_PER_CLASS; i++) {
    const m = mirror('l-1');
    assert.equal(await m.status, 101);
    open.push(m);
  }
  assert.equal(await mirror('l-1').closed, CloseCode.OverCapacity);
  await learner('l-2', 'class-b');
  const other = mirror('l-2');
  assert.equal(await other.status, 101, 'another class has its own cap');
  assert.equal((await metrics.classMirrorsClosed.get()).values.find((v) => v.labels.reason === 'cap')?.value, 1);
});

test('a mirror closes with the learner session and when the instructor logs out', async (t) => {
  const { lab, hub, learner, mirror } = await setup(t);
  const a = await learner('l-1');
  const m = mirror('l-1');
  assert.equal(await m.status, 101);
  lab.endSession(a.session, 'ended-by-instructor');
  assert.equal(await m.closed, 1000);
  await learner('l-2');
  const n = mirror('l-2');
  assert.equal(await n.status, 101);
  hub.loggedOut('admin-1');
  assert.equal(await n.closed, 1000);
  assert.equal(hub.size, 0);
});

test('an instructor who stops reading is dropped; the learner gets every byte', async (t) => {
  const { learner, mirror, metrics } = await setup(t);
  const a = await learner('l-1');
  const m = mirror('l-1');
  assert.equal(await m.status, 101);
  // The instructor's page stops reading: the kernel buffers fill, then the server's send buffer.
  (m.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const chunk = 'x'.repeat(64 * 1024);
  let sent = 0;
  while (sent < 32 * 1024 * 1024 && (await metrics.classMirrorsClosed.get()).values.every((v) => v.labels.reason !== 'slow')) {
    a.output(chunk);
    sent += chunk.length;
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(sent < 32 * 1024 * 1024, 'dropped before 32 MiB');
  assert.equal(a.page.output.length, sent, 'the learner was never held back');
});
