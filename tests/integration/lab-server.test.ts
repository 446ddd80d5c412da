/**
 * The lab server against the real Docker engine, through real HTTP and real
 * WebSockets: sessions, the terminal path a 실행 takes, replay on reconnect,
 * the protocol's limits and refusals.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CloseCode, LAB_SESSION_PATH } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { docker, removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { LabTerminal, endSession, healthz, newSession, openTerminal } from '../support/terminal.ts';

/** A separately hosted static site allowed by LAB_ALLOWED_ORIGINS. */
const DOCS_ORIGIN = 'http://docs.example.org';

describe('lab server', () => {
  let server: LabServer;

  before(async () => {
    server = await startTestServer({ LAB_MAX_TERMINALS: '2', LAB_MAX_SESSIONS_PER_CLIENT: '50', LAB_ALLOWED_ORIGINS: DOCS_ORIGIN });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  test('healthz is 200 when sandboxes can be created; metrics and the site are served', async () => {
    const h = await healthz(server);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.ok, true);
    const site = await fetch(server.url);
    assert.equal(site.status, 200);
    assert.match(site.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await site.text(), /실습/);
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    for (const name of [
      'lab_sessions',
      'lab_sandboxes',
      'lab_sandbox_boot_seconds',
      'lab_terminals_attached',
      'lab_output_bytes_total',
      'lab_rejected_total',
    ]) {
      assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  test('a sandbox runs `docker run --rm busybox:1.29 echo ok` through the WebSocket terminal', async () => {
    const { cookie, term } = await openTerminal(server);
    assert.match(cookie, /^lab_session=[A-Za-z0-9_-]{43}$/);
    const phases = term.messages.filter((m) => m.type === 'status').map((m) => (m as { phase: string }).phase);
    assert.equal(phases.at(-1), 'ready');
    const attached = term.attached()!;
    assert.equal(attached.freshShell, true);
    assert.equal(attached.from, 0);
    const out = await term.run('docker run --rm busybox:1.29 echo ok', 120_000);
    assert.match(out, /\nok\n/);
    assert.match(out, /rc=0$/);
    const whoami = await term.run('echo "$(id -un) $PWD $TERM $LANG"');
    assert.match(whoami, /^root \/root xterm-256color C\.UTF-8\n/);
    await term.close();
    assert.equal(await endSession(server, cookie), 204);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, path /lab; POST again resumes', async () => {
    const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers: { origin: server.origin } });
    assert.equal(res.status, 201);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/lab/);
    const cookie = setCookie.split(';')[0]!;
    const again = await newSession(server, server.origin, cookie);
    assert.equal(again.status, 200);
    assert.equal((again.body as { resumed: boolean }).resumed, true);
    const del = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
    assert.equal(del.status, 204);
  });

  test('a foreign or missing Origin is refused on POST and on the upgrade', async () => {
    const foreign = await newSession(server, 'http://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal((foreign.body as { error: string }).error, 'forbidden-origin');
    assert.equal(foreign.cookie, '');
    const noOrigin = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST' });
    assert.equal(noOrigin.status, 403);

    const { cookie } = await newSession(server);
    await assert.rejects(LabTerminal.open(server, cookie, { origin: 'http://evil.example' }), (err: { status?: number }) => err.status === 403);
    await assert.rejects(LabTerminal.open(server, cookie, { protocols: ['lab.v0'] }), (err: { status?: number }) => err.status === 400);
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    assert.match(metrics, /lab_rejected_total\{reason="foreign-origin"\} [1-9]/);
    await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
  });

  test('an allowlisted cross origin gets credentialed CORS; others get none', async () => {
    const url = new URL(LAB_SESSION_PATH, server.url);
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: DOCS_ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), DOCS_ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    const evil = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);

    const created = await fetch(url, { method: 'POST', headers: { origin: DOCS_ORIGIN } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('access-control-allow-origin'), DOCS_ORIGIN);
    assert.equal(created.headers.get('vary'), 'Origin');
    const cookie = created.headers.get('set-cookie')!.split(';')[0]!;
    const same = await fetch(url, { method: 'POST', headers: { origin: server.origin, cookie } });
    assert.equal(same.headers.get('access-control-allow-origin'), null, 'same origin needs no CORS');
    const term = await LabTerminal.open(server, cookie, { origin: DOCS_ORIGIN });
    term.hello();
    await term.ready();
    await term.close();
    assert.equal(await endSession(server, cookie), 204);
  });

  test('flow control: while the page says pause, the shell blocks instead of flooding', async () => {
    const { cookie, term } = await openTerminal(server);
    await term.run('true');
    term.send({ type: 'pause' });
    await sleep(100);
    const before = term.bytes.length;
    // ~15 MB of output; paused, it must stall in the pipes, not in our memory.
    term.type('seq 1 2000000; echo "FLOW$((6*7))"\r');
    await sleep(3000);
    const whilePaused = term.bytes.length - before;
    assert.ok(whilePaused < 1024 * 1024, `received ${whilePaused} bytes while paused`);
    assert.ok(!term.text.includes('FLOW42'), 'the producer is blocked');
    term.send({ type: 'resume' });
    await term.waitFor(() => term.text.includes('FLOW42'), 60_000, 'the rest after resume');
    assert.ok(term.bytes.length - before > 14_000_000);
    assert.ok(term.text.includes('\r\n1999999\r\n2000000\r\n'));
    await term.close();
    await endSession(server, cookie);
  });

  test('no cookie and an unknown session get their close codes', async () => {
    const none = await LabTerminal.open(server, undefined);
    assert.equal(await none.closed, CloseCode.Unauthorized);
    const unknown = await LabTerminal.open(server, `lab_session=${'A'.repeat(43)}`);
    assert.equal(await unknown.closed, CloseCode.NoSuchSession);
  });

  test('reconnect with resumeFrom replays exactly the missing bytes; a second attach replaces the first', async () => {
    const { cookie, term: first } = await openTerminal(server);
    await first.run('true');
    // Output that keeps coming after the socket drops.
    first.type('sleep 1; seq 1 3000; echo "DONE$((6*7))"\r');
    await first.waitFor(() => first.text.includes('seq 1 3000'), 10_000, 'input echo');
    const seenFirst = first.bytes;
    const resumeFrom = first.attached()!.from + seenFirst.length;
    await first.close();
    await sleep(2500); // seq runs while nobody is attached

    const second = await LabTerminal.open(server, cookie);
    second.hello(resumeFrom);
    await second.ready();
    await second.waitFor(() => second.text.includes('DONE42'), 20_000, 'end of seq');
    const att = second.attached()!;
    assert.equal(att.from, resumeFrom);
    assert.equal(att.lost, 0);
    assert.equal(att.freshShell, false);

    // A third page replays from 0: exactly what the first two saw, nothing more, nothing twice.
    const third = await LabTerminal.open(server, cookie);
    third.hello(0);
    await third.ready();
    await third.waitFor(() => third.text.includes('DONE42'), 10_000, 'replay');
    assert.equal(await second.closed, CloseCode.Replaced);
    assert.equal(third.attached()!.lost, 0);
    const expected = Buffer.concat([seenFirst, second.bytes]);
    assert.equal(third.bytes.subarray(0, expected.length).toString('latin1'), expected.toString('latin1'));
    const lines = expected.toString().split('\r\n');
    assert.equal(lines.filter((l) => l === '2999').length, 1, 'each line of seq exactly once');
    await third.close();
    await endSession(server, cookie);
  });

  test('shell exit sends exit; the next hello starts a fresh shell', async () => {
    const { cookie, term } = await openTerminal(server);
    await term.run('true');
    term.type('exit 3\r');
    await term.waitFor(() => term.messages.some((m) => m.type === 'exit'), 10_000, 'exit');
    assert.deepEqual(
      term.messages.find((m) => m.type === 'exit'),
      { type: 'exit', code: 3 },
    );
    const before = term.messages.length;
    const mark = term.bytes.length;
    term.hello(term.attached()!.from + term.bytes.length);
    await term.waitFor(() => term.messages.slice(before).some((m) => m.type === 'attached'), 30_000, 'second attach');
    const second = term.messages.slice(before).find((m) => m.type === 'attached') as { freshShell: boolean };
    assert.equal(second.freshShell, true);
    await term.waitFor(() => term.bytes.subarray(mark).includes('\x1b]133;B'), 10_000, 'the new prompt');
    assert.match(await term.run('echo again'), /^again\n/);
    await term.close();
    await endSession(server, cookie);
  });

  test('resize reaches the shell (clamped to the protocol limits)', async () => {
    const { cookie, term } = await openTerminal(server);
    term.send({ type: 'resize', cols: 132, rows: 43 });
    await sleep(200);
    // A new sandbox may still print its engine-wait dots before the first command's output.
    assert.match(await term.run('stty size'), /(^|\n)43 132\n/);
    term.send({ type: 'resize', cols: 5000, rows: 1 });
    await sleep(200);
    assert.match(await term.run('stty size'), /(^|\n)3 500\n/);
    await term.close();
    await endSession(server, cookie);
  });

  test('limits: oversized frames, message floods, too many terminals', async () => {
    const { cookie, term } = await openTerminal(server);
    // A control frame over 4 KiB.
    term.ws.send(JSON.stringify({ type: 'ping', id: 1, pad: 'x'.repeat(5000) }));
    assert.equal(await term.closed, CloseCode.TooLarge);
    // A binary frame over the 64 KiB input limit (ws maxPayload).
    const big = await LabTerminal.open(server, cookie);
    big.hello();
    await big.ready();
    big.ws.send(Buffer.alloc(70 * 1024, 0x61), { binary: true });
    assert.equal(await big.closed, CloseCode.TooLarge);
    // A flood of messages beyond the token bucket.
    const flood = await LabTerminal.open(server, cookie);
    for (let i = 0; i < 2000; i++) flood.send({ type: 'ping', id: i });
    assert.equal(await flood.closed, CloseCode.RateLimited);
    // Malformed known messages get an error, unknown types are ignored.
    const polite = await LabTerminal.open(server, cookie);
    polite.ws.send(JSON.stringify({ type: 'resize', cols: 'wide' }));
    polite.ws.send(JSON.stringify({ type: 'from-the-future' }));
    polite.send({ type: 'ping', id: 7 });
    await polite.waitFor(() => polite.messages.some((m) => m.type === 'pong'), 5000, 'pong');
    assert.deepEqual(
      polite.messages.map((m) => m.type),
      ['error', 'pong'],
    );
    // LAB_MAX_TERMINALS=2: main (already open) + one more, then over capacity.
    polite.hello(0, 'second');
    await polite.ready();
    const third = await LabTerminal.open(server, cookie);
    third.hello(0, 'third');
    assert.equal(await third.closed, CloseCode.OverCapacity);
    assert.ok(third.messages.some((m) => m.type === 'error' && m.code === 'over-capacity'));
    await polite.close();
    await endSession(server, cookie);
  });

  test('every Docker object of a session is labelled and removed when the session ends', async () => {
    const { cookie, term } = await openTerminal(server);
    const token = cookie.split('=')[1]!;
    const sessionLabel = createHash('sha256').update(token).digest('hex').slice(0, 16);
    const mine = () => ({
      containers: docker('ps', '-a', '--filter', `label=lab.session=${sessionLabel}`, '--format', '{{.Names}}'),
      volumes: docker('volume', 'ls', '--filter', `label=lab.session=${sessionLabel}`, '--format', '{{.Name}}'),
    });
    const container = mine().containers;
    assert.ok(container, 'the sandbox carries lab.session=<hash prefix of the token>');
    assert.ok(mine().volumes, 'so does its volume');
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', container)) as Record<string, string>;
    assert.equal(labels['lab.owner'], server.instance);
    assert.equal(labels['lab.kind'], 'sandbox');
    assert.match(labels['lab.sandbox'] ?? '', /^[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(labels).includes(token), 'the token itself is nowhere in Docker');
    const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
    assert.equal(res.status, 204);
    assert.equal(await term.closed, CloseCode.Normal);
    for (let i = 0; i < 40 && (mine().containers || mine().volumes); i++) await sleep(250);
    assert.deepEqual(mine(), { containers: '', volumes: '' });
  });
});

describe('lab server capacity', () => {
  let server: LabServer;
  before(async () => {
    server = await startTestServer({
      LAB_MAX_SESSIONS: '2',
      LAB_MAX_SESSIONS_PER_CLIENT: '1',
      LAB_TRUSTED_PROXY: 'loopback',
      LAB_SESSION_BURST: '2',
    });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  const from = async (ip: string) => {
    const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers: { origin: server.origin, 'x-forwarded-for': ip } });
    const cookie = res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    return { status: res.status, body: (await res.json()) as { error?: string }, retryAfter: res.headers.get('retry-after'), cookie };
  };

  const drop = (cookie: string) => fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });

  test('over capacity is a clear 503, per client and globally, not a hang', async () => {
    const one = await from('198.51.100.1');
    assert.equal(one.status, 201);
    const perClient = await from('198.51.100.1');
    assert.equal(perClient.status, 503);
    assert.equal(perClient.body.error, 'over-capacity');
    assert.ok(perClient.retryAfter);
    const two = await from('198.51.100.2');
    assert.equal(two.status, 201);
    const global = await from('198.51.100.3');
    assert.equal(global.status, 503);
    assert.equal(global.body.error, 'over-capacity');
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    assert.match(metrics, /lab_rejected_total\{reason="over-capacity"\} 2/);
    await drop(one.cookie);
    await drop(two.cookie);
  });

  test('an IPv6 client is its /64: another address from the same /64 does not get past the per-client cap', async () => {
    const first = await from('2001:db8:1:2::1');
    assert.equal(first.status, 201);
    const sameNetwork = await from('2001:db8:1:2:ffff:ffff:ffff:9');
    assert.equal(sameNetwork.status, 503);
    assert.equal(sameNetwork.body.error, 'over-capacity');
    const otherNetwork = await from('2001:db8:1:3::1');
    assert.equal(otherNetwork.status, 201);
    await drop(first.cookie);
    await drop(otherNetwork.cookie);
  });

  test('a client churning sessions (create, end, create ...) is slowed down with 429', async () => {
    // LAB_SESSION_BURST=2: two new sessions at once, then one per LAB_SESSION_RATE.
    for (let i = 0; i < 2; i++) {
      const ok = await from('198.51.100.9');
      assert.equal(ok.status, 201, `session ${i + 1}`);
      await drop(ok.cookie);
    }
    const third = await from('198.51.100.9');
    assert.equal(third.status, 429);
    assert.equal(third.body.error, 'rate-limited');
    assert.ok(third.retryAfter);
  });
});

describe('lab server without a sandbox image', () => {
  let server: LabServer;
  before(async () => {
    server = await startTestServer({ LAB_SANDBOX_IMAGE: 'lab/no-such-sandbox:latest' });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  test('healthz is 503 and says why; a session fails with SandboxFailed instead of hanging', async () => {
    const h = await healthz(server);
    assert.equal(h.status, 503);
    assert.equal(h.body.ok, false);
    assert.ok(
      h.body.reasons.some((r) => r.includes('lab/no-such-sandbox:latest')),
      JSON.stringify(h.body),
    );
    const session = await newSession(server);
    assert.equal(session.status, 201);
    // However the boot failure and the socket race, the page is told the sandbox failed.
    const term = await LabTerminal.open(server, session.cookie);
    term.hello();
    assert.equal(await term.closed, CloseCode.SandboxFailed);
    assert.ok(term.messages.some((m) => m.type === 'error' && m.code === 'sandbox-failed'));
  });
});

describe('lab server with LAB_RUNTIME', () => {
  let servers: LabServer[] = [];
  after(async () => {
    for (const s of servers) {
      await s.stop();
      removeOwned(s.instance);
    }
    servers = [];
  });

  test('a runtime the engine has: healthy, and sandboxes run under it', async () => {
    const server = await startTestServer({ LAB_RUNTIME: 'runc' });
    servers.push(server);
    const h = await healthz(server);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    const { term } = await openTerminal(server);
    const out = await term.run('docker run --rm busybox:1.29 echo under-runc', 120_000);
    assert.match(out, /^under-runc$/m);
    await term.close();
    const runtimes = docker('ps', '--filter', `label=lab.owner=${server.instance}`, '--format', '{{.ID}}')
      .split('\n')
      .filter(Boolean)
      .map((id) => docker('inspect', '-f', '{{.HostConfig.Runtime}}', id));
    assert.ok(runtimes.length > 0 && runtimes.every((r) => r === 'runc'), JSON.stringify(runtimes));
  });

  test('a runtime the engine lacks (sysbox-runc not installed): healthz 503 says so, sessions fail clearly', async () => {
    const server = await startTestServer({ LAB_RUNTIME: 'no-such-runtime' });
    servers.push(server);
    const h = await healthz(server);
    assert.equal(h.status, 503);
    assert.ok(
      h.body.reasons.some((r) => r.includes('no-such-runtime') && r.includes('runc')),
      JSON.stringify(h.body),
    );
    const session = await newSession(server);
    assert.equal(session.status, 201);
    const term = await LabTerminal.open(server, session.cookie);
    term.hello();
    assert.equal(await term.closed, CloseCode.SandboxFailed);
  });
});
