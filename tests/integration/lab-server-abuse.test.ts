/**
 * Abuse cases from issue 8, against the real server process: each flood is
 * bounded (count and time) and stops by itself; every client is on loopback.
 * The flooding client connects from 127.0.0.2 (still loopback), so the
 * per-client caps it hits do not apply to the probes from 127.0.0.1 that
 * check the server still answers.
 *
 * What is measured is the server's own descriptor table (/proc/PID/fd):
 * before the fixes, 100 pipelined-then-reset connections left 1,232
 * descriptors open for good, and slow readers took every descriptor.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import http from 'node:http';
import { CloseCode, LAB_SESSION_PATH, LAB_SUBPROTOCOL, LAB_WS_PATH } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { LabTerminal, endSession, newSession, openTerminal } from '../support/terminal.ts';

const FLOODER = '127.0.0.2';
const ASSET = '/_astro/big.abc123.js';

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** /healthz from 127.0.0.1 on a fresh connection: ms it took, or Infinity if no answer in 3 s. */
async function probe(server: LabServer): Promise<number> {
  const start = performance.now();
  try {
    const res = await fetch(new URL('/healthz', server.url), { signal: AbortSignal.timeout(3000), headers: { connection: 'close' } });
    await res.arrayBuffer();
    return performance.now() - start;
  } catch {
    return Infinity;
  }
}

async function settle(pid: number, target: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let n = fds(pid);
  while (n > target && Date.now() < end) {
    await sleep(200);
    n = fds(pid);
  }
  return n;
}

async function metric(server: LabServer, pattern: RegExp, token?: string): Promise<number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const text = await (await fetch(new URL('/metrics', server.url), { headers })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A site with one 1 MiB asset: more than the socket buffers hold, so a response stays in flight. */
function makeSite(): string {
  const site = mkdtempSync(path.join(tmpdir(), 'lab-abuse-site-'));
  mkdirSync(path.join(site, '_astro'));
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>t</title><h1>실습</h1>');
  writeFileSync(path.join(site, ASSET), `// ${'x'.repeat(1024 * 1024)}\n`);
  return site;
}

/** Opens `count` connections from `from`, each asking for the asset and never reading. */
async function slowReaders(port: number, from: string, count: number): Promise<net.Socket[]> {
  const opened = await Promise.all(
    Array.from({ length: count }, async () => {
      const s = await connect(port, from).catch(() => undefined);
      if (!s) return undefined;
      s.pause();
      s.on('error', () => undefined);
      s.write(`GET ${ASSET} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return s;
    }),
  );
  return opened.filter((s): s is net.Socket => s !== undefined);
}

/**
 * The shortest socket idle timeout the server accepts: LAB_CHECK_TIMEOUT (at
 * least 1 s) must stay more than 7 s below it (lab-server/src/config.ts).
 */
const IDLE_MS = 9000;
const SHORT_IDLE = { LAB_SOCKET_IDLE_TIMEOUT: `${IDLE_MS}ms`, LAB_CHECK_TIMEOUT: '1s', LAB_PREVIEW_FIRST_BYTE_TIMEOUT: '1s' };

describe('lab server under abuse', () => {
  let server: LabServer;
  let pid: number;
  let port: number;
  let site: string;

  before(async () => {
    site = makeSite();
    // A short idle timeout, so the slow readers that got in are seen to be cut within the test.
    server = await startTestServer({ LAB_SITE_DIR: site, ...SHORT_IDLE });
    pid = server.proc.pid!;
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
    rmSync(site, { recursive: true, force: true });
  });

  test('pipelined GETs then a reset leave no descriptor behind', async (t) => {
    await sleep(500);
    const baseline = fds(pid);
    const request = `GET ${ASSET} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(20);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 100; i++) {
      // Two source addresses, 50 each: under the per-client connection cap, so every one is served.
      const s = await connect(port, i % 2 ? '127.0.0.3' : '127.0.0.4');
      s.pause(); // never read
      s.on('error', () => undefined);
      s.write(request);
      sockets.push(s);
    }
    await sleep(1000);
    const peak = fds(pid);
    for (const s of sockets) s.resetAndDestroy();
    const left = await settle(pid, baseline + 2, 10_000);
    t.diagnostic(`descriptors: baseline ${baseline}, with 100 pipelining clients ${peak}, 10 s after their reset ${left}`);
    assert.ok(left <= baseline + 2, `descriptors left open: ${left - baseline}`);
    assert.ok((await probe(server)) < 3000, '/healthz answers');
  });

  test('2,000 slow readers: capped per client, /healthz keeps answering, descriptors return', async (t) => {
    await sleep(500);
    const baseline = fds(pid);
    const sockets: net.Socket[] = [];
    let refused = 0;
    let peak = baseline;
    let worstProbe = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        worstProbe = Math.max(worstProbe, await probe(server));
        peak = Math.max(peak, fds(pid));
        await sleep(250);
      }
    })();
    // ~500 connections a second, 2,000 in all, each asking for 1 MiB and never reading.
    for (let batch = 0; batch < 40; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const s = await connect(port, FLOODER).catch(() => undefined);
          if (!s) return undefined;
          s.pause();
          s.on('error', () => undefined);
          s.on('close', () => refused++);
          s.write(`GET ${ASSET} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
          return s;
        }),
      );
      for (const s of opened) if (s) sockets.push(s);
      peak = Math.max(peak, fds(pid));
      await sleep(100);
    }
    const heldFor = IDLE_MS + 4000;
    await sleep(heldFor);
    probing = false;
    await prober;
    const capped = await metric(server, /^lab_connections_refused_total\{reason="client-cap"\} (\d+)/m);
    const closedByServer = refused;
    // Before the client lets go: the server has already cut what it let in (idle or keep-alive timeout).
    const heldByServer = fds(pid) - baseline;
    for (const s of sockets) s.destroy();
    const left = await settle(pid, baseline + 2, 15_000);
    t.diagnostic(
      `descriptors: baseline ${baseline}, peak ${peak}, ${heldFor / 1000} s after the flood (client still holding) +${heldByServer}, after ${left}; refused connections seen by the client ${closedByServer}; ` +
        `refused at the per-client cap ${capped}; slowest /healthz ${worstProbe === Infinity ? 'no answer' : `${Math.round(worstProbe)} ms`}`,
    );
    assert.ok(worstProbe < 3000, '/healthz answered throughout');
    assert.ok(peak - baseline < 400, `descriptors grew by ${peak - baseline}`);
    assert.ok(capped > 0, 'the per-client cap is counted in /metrics');
    assert.ok(heldByServer <= 2, `the server cut the connections it let in: ${heldByServer} still open`);
    assert.ok(left <= baseline + 2, `descriptors left open: ${left - baseline}`);
  });

  test('headers trickled a byte at a time are cut off within the header timeout', async (t) => {
    const s = await connect(port, FLOODER);
    const start = Date.now();
    const closed = new Promise<number>((resolve) => s.once('close', () => resolve(Date.now() - start)));
    s.on('error', () => undefined);
    const text = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}`;
    let i = 0;
    const timer = setInterval(() => {
      if (i < text.length && !s.destroyed) s.write(text[i++]!);
    }, 500);
    const ms = await Promise.race([closed, sleep(40_000).then(() => Infinity)]);
    clearInterval(timer);
    s.destroy();
    t.diagnostic(`trickled headers closed after ${ms === Infinity ? 'more than 40 s' : `${(ms / 1000).toFixed(1)} s`}`);
    assert.ok(ms < 20_000, 'closed within 20 s');
  });
});

describe('lab server: the global connection cap keeps descriptors for Docker; the admin listener still answers', () => {
  let server: LabServer;
  let site: string;
  let admin: string;
  before(async () => {
    site = makeSite();
    server = await startTestServer({ LAB_SITE_DIR: site, LAB_MAX_CONNECTIONS: '60', LAB_ADMIN_LISTEN: '127.0.0.1:0' });
    const line = server.logs.find((l) => l.includes('LAB_ADMIN_LISTEN'))!;
    admin = (JSON.parse(line) as { metrics: string }).metrics.replace(/\/metrics$/, '');
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
    rmSync(site, { recursive: true, force: true });
  });

  test('400 slow readers from 20 addresses: 60 let in, the rest refused; Docker and the admin port answer', async (t) => {
    const pid = server.proc.pid!;
    const port = Number(new URL(server.url).port);
    await sleep(500);
    const baseline = fds(pid);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 20; i++) sockets.push(...(await slowReaders(port, `127.0.0.${10 + i}`, 20)));
    await sleep(500);
    const peak = fds(pid);
    const start = performance.now();
    const health = await fetch(`${admin}/healthz`, { signal: AbortSignal.timeout(5000) });
    const body = (await health.json()) as { ok: boolean; reasons: string[] };
    const ms = performance.now() - start;
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const globalCap = Number(/^lab_connections_refused_total\{reason="global-cap"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    for (const s of sockets) s.destroy();
    t.diagnostic(
      `descriptors: baseline ${baseline}, with 400 slow readers ${peak}; refused at LAB_MAX_CONNECTIONS ${globalCap}; admin /healthz ${health.status} ok=${body.ok} in ${Math.round(ms)} ms`,
    );
    assert.equal(health.status, 200, JSON.stringify(body));
    assert.equal(body.ok, true, 'Docker answered');
    assert.ok(globalCap >= 300, `refused ${globalCap}`);
    assert.ok(peak - baseline <= 60 + 5, `descriptors grew by ${peak - baseline}`);
    assert.equal((await fetch(new URL('/metrics', server.url))).status, 404, '/metrics is only on the admin listener');
  });
});

/** A raw request with any Host (fetch does not let a page or a test choose it). */
function rawRequest(
  server: LabServer,
  opts: { method: string; path: string; headers: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = http.request(
      { host: '127.0.0.1', port: url.port, method: opts.method, path: opts.path, headers: opts.headers, setHost: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('lab server: foreign Host, page headers, /metrics token', () => {
  let server: LabServer;
  const token = 'metrics-token-0123456789';
  before(async () => {
    server = await startTestServer({ LAB_METRICS_TOKEN: token });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  test('DNS rebinding: a foreign Host is refused by default, even with a matching Origin', async (t) => {
    const port = new URL(server.url).port;
    const evil = `evil.example:${port}`;
    const post = await rawRequest(server, { method: 'POST', path: LAB_SESSION_PATH, headers: { host: evil, origin: `http://${evil}` } });
    assert.equal(post.status, 421);
    assert.match(post.body, /LAB_ALLOWED_HOSTS/);
    const page = await rawRequest(server, { method: 'GET', path: '/metrics', headers: { host: evil, authorization: `Bearer ${token}` } });
    assert.equal(page.status, 421);
    const upgrade = await rawRequest(server, {
      method: 'GET',
      path: LAB_WS_PATH,
      headers: {
        host: evil,
        origin: `http://${evil}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': LAB_SUBPROTOCOL,
      },
    });
    assert.equal(upgrade.status, 421);
    // Our own names still work: loopback by address and by name.
    const own = await rawRequest(server, { method: 'GET', path: '/', headers: { host: `localhost:${port}` } });
    assert.equal(own.status, 200);
    assert.match((await server.logged('evil.example')) ?? '', /LAB_ALLOWED_HOSTS/, 'the log names the variable');
    assert.ok((await metric(server, /^lab_rejected_total\{reason="foreign-host"\} (\d+)/m, token)) >= 3);
    t.diagnostic(`foreign Host: POST ${post.status}, GET ${page.status}, upgrade ${upgrade.status}`);
  });

  test('the session cap is derived from the host when LAB_MAX_SESSIONS is unset, and said at start', async () => {
    const line = server.logs.find((l) => l.includes('derived from this host'));
    assert.ok(line, 'start log names the derived cap');
    const entry = JSON.parse(line) as { maxSessions: number; limitedBy: string };
    assert.ok(entry.maxSessions >= 1 && entry.maxSessions <= 20);
    assert.equal(await metric(server, /^lab_sessions_max (\d+)/m, token), entry.maxSessions);
  });

  test('pages carry a strict CSP with frame-ancestors none', async () => {
    const res = await fetch(server.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  });

  test('/metrics needs the token when LAB_METRICS_TOKEN is set', async () => {
    assert.equal((await fetch(new URL('/metrics', server.url))).status, 401);
    assert.equal((await fetch(new URL('/metrics', server.url), { headers: { authorization: 'Bearer wrong-token-000000000' } })).status, 401);
    const ok = await fetch(new URL('/metrics', server.url), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^lab_connections /m);
  });
});

describe('lab server: sockets, input and resizes under abuse (real sandboxes)', () => {
  let server: LabServer;
  before(async () => {
    server = await startTestServer({
      LAB_WS_PER_CLIENT: '12',
      LAB_UNUSED_TIMEOUT: '9s',
      LAB_MAX_SESSIONS: '6',
      LAB_MAX_SESSIONS_PER_CLIENT: '6',
      // Far below the default: a quiet terminal must not be taken for a reader that stopped reading.
      ...SHORT_IDLE,
    });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  test('input sent while the shell does not read stays bounded on the server', async (t) => {
    const { cookie, term } = await openTerminal(server);
    const pid = server.proc.pid!;
    const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    await term.run('true'); // the shell is at its prompt (a new sandbox may still print its engine-wait dots)
    // Raw mode, no echo: a full tty then blocks its writer (in canonical mode Linux may drop the
    // overflow of a too-long line instead, and ring the bell for each byte: output, not input).
    term.type('stty raw -echo; sleep 60; stty sane\r');
    await sleep(500);
    const before = rss();
    // 16 MiB in 60 KiB frames, 100 a second: under LAB_WS_RATE (200/s), as the issue's client did.
    const frame = Buffer.alloc(60 * 1024, 0x61);
    let maxQueued = 0;
    let peak = before;
    for (let i = 0; i < 280; i++) {
      term.ws.send(frame, { binary: true });
      if (i % 20 === 0) {
        maxQueued = Math.max(maxQueued, await metric(server, /^lab_input_queued_bytes (\d+)/m));
        peak = Math.max(peak, rss());
      }
      await sleep(10);
    }
    await sleep(1000);
    maxQueued = Math.max(maxQueued, await metric(server, /^lab_input_queued_bytes (\d+)/m));
    peak = Math.max(peak, rss());
    const paused = await metric(server, /^lab_input_paused_total (\d+)/m);
    t.diagnostic(
      `16 MiB of input to a sleeping shell: server RSS +${((peak - before) / 2 ** 20).toFixed(1)} MiB, most queued ${Math.round(maxQueued / 1024)} KiB, input pauses ${paused}, still in the page's socket ${Math.round(term.ws.bufferedAmount / 2 ** 20)} MiB`,
    );
    assert.ok(paused >= 1, 'the socket was paused');
    // The watermark, plus the frames ws had already read from the socket when it was paused (at most two).
    assert.ok(maxQueued <= 64 * 1024 + 2 * 64 * 1024, `queued ${maxQueued}`);
    assert.ok(peak - before < 12 * 2 ** 20, `RSS grew by ${peak - before}`);
    term.ws.terminate();
    await endSession(server, cookie);
    // The paused socket is not leaked: once its session ends it is read again, and its close is seen.
    let open = Infinity;
    for (let i = 0; i < 50 && open > 1; i++) {
      await sleep(100);
      open = await metric(server, /^lab_connections (\d+)/m);
    }
    assert.ok(open <= 1, `connections still open: ${open}`);
  });

  test('sockets are capped per session and per client; no hello closes in seconds', async (t) => {
    const a = await newSession(server);
    const b = await newSession(server);
    const open = async (cookie: string, n: number) => {
      const out = await Promise.all(Array.from({ length: n }, () => LabTerminal.open(server, cookie).catch(() => undefined)));
      await sleep(300);
      return out.filter((s): s is LabTerminal => s !== undefined);
    };
    // LAB_WS_PER_SESSION: 2 per terminal (LAB_MAX_TERMINALS 4) = 8.
    const onA = await open(a.cookie, 20);
    const refusedA = onA.filter((s) => s.closeCode === CloseCode.OverCapacity).length;
    assert.equal(refusedA, 12, 'the 9th socket and later on one session');
    // LAB_WS_PER_CLIENT=12: 8 held on a, so 4 more on b.
    const onB = await open(b.cookie, 8);
    const refusedB = onB.filter((s) => s.closeCode === CloseCode.OverCapacity).length;
    assert.equal(refusedB, 4);
    const sessionCap = await metric(server, /^lab_rejected_total\{reason="ws-session-cap"\} (\d+)/m);
    const clientCap = await metric(server, /^lab_rejected_total\{reason="ws-client-cap"\} (\d+)/m);
    assert.equal(sessionCap, 12);
    assert.equal(clientCap, 4);
    // The held ones sent no hello: closed after LAB_WS_HELLO_TIMEOUT (5 s), not 30 s.
    const start = Date.now();
    const held = [...onA, ...onB].filter((s) => s.closeCode === undefined);
    const codes = await Promise.all(held.map((s) => s.closed));
    const ms = Date.now() - start;
    assert.ok(
      codes.every((c) => c === CloseCode.ProtocolError),
      JSON.stringify(codes),
    );
    assert.ok(ms < 7000, `closed after ${ms} ms`);
    t.diagnostic(
      `28 sockets on 2 sessions of one client: ${held.length} held, ${sessionCap} refused at the session cap, ${clientCap} at the client cap; unhelloed ones closed after ${(ms / 1000).toFixed(1)} s more`,
    );
    await endSession(server, a.cookie);
    await endSession(server, b.cookie);
  });

  test('a session that never attaches a terminal frees its slot after LAB_UNUSED_TIMEOUT', async () => {
    const s = await newSession(server);
    assert.equal(s.status, 201);
    await sleep(11_000);
    const again = await newSession(server, server.origin, s.cookie);
    assert.equal(again.status, 201, 'the old cookie names no session any more: a new one is created');
    assert.ok((await metric(server, /^lab_sessions_ended_total\{reason="unused"\} (\d+)/m)) >= 1);
    await endSession(server, again.cookie);
  });

  test('an attached terminal outlives the HTTP idle timeout (WebSockets are not cut by it)', async () => {
    const { cookie, term } = await openTerminal(server);
    await sleep(IDLE_MS + 2000);
    assert.equal(term.closeCode, undefined);
    assert.match(await term.run('echo still-here'), /still-here/);
    await term.close();
    await endSession(server, cookie);
  });

  test('a resize storm is coalesced: the final size arrives, few Engine calls are made', async (t) => {
    const { cookie, term } = await openTerminal(server);
    const applied0 = await metric(server, /^lab_resizes_total\{outcome="applied"\} (\d+)/m);
    for (let i = 0; i < 180; i++) term.send({ type: 'resize', cols: 80 + (i % 60), rows: 24 + (i % 10) });
    term.send({ type: 'resize', cols: 101, rows: 33 });
    await sleep(500);
    // A sandbox may still print its engine-wait dots before the first command's output.
    assert.match(await term.run('stty size'), /(^|\n)33 101\n/);
    const applied = (await metric(server, /^lab_resizes_total\{outcome="applied"\} (\d+)/m)) - applied0;
    const coalesced = await metric(server, /^lab_resizes_total\{outcome="coalesced"\} (\d+)/m);
    t.diagnostic(`181 resizes in one burst: ${applied} Engine calls, ${coalesced} coalesced`);
    assert.ok(applied <= 5, `applied ${applied}`);
    assert.ok(coalesced >= 170, `coalesced ${coalesced}`);
    await term.close();
    await endSession(server, cookie);
  });
});
