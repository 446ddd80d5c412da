/**
 * Port preview (issue 11) against the real server and real sandboxes: what
 * a reader's inner container publishes opens on the preview origin, for
 * that reader only, streamed, and nothing else is reachable through it.
 *
 * Two readers (A, B), each with a sandbox. A runs the lessons' nginx
 * (`-p 8080:80`), the WordPress stand-in, and a bare upgrade-and-echo
 * server made with socat in the reader's own shell (no lesson image has a
 * WebSocket server; the proxy does not read frames, it pipes bytes after
 * the 101, so this is what a WebSocket crosses).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LABEL_KIND, LABEL_OWNER } from '../../lab-server/src/sandbox/labels.ts';
import { after, before, describe, test } from 'node:test';
import { CLOSE_CODES, HttpError, LAB_PREVIEW_PATH, LAB_SESSION_PATH, PreviewList } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { removeOwned, type LabServer } from '../support/lab-server.ts';
import { LabTerminal, endSession, openTerminal } from '../support/terminal.ts';
import { previewUrl, redeemTicket, requestPreview } from '../support/preview.ts';

const run = promisify(execFile);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request through node:http (no redirect following, every header as given). */
function get(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A request written by hand (absolute-form targets, odd Host headers): the status line of the answer. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (c) => (got += c.toString('latin1')));
    socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** Reads a request head, answers 101, then echoes: a WebSocket server as far as a proxy can tell. */
const WS_SERVER = [
  '#!/bin/sh',
  'while IFS= read -r l; do',
  '  l=$(printf %s "$l" | tr -d \'\\r\')',
  '  [ -z "$l" ] && break',
  'done',
  "printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n'",
  'exec cat',
  '',
].join('\n');

interface Reader {
  cookie: string;
  term: LabTerminal;
  /** `lab_preview_owner=…` once a ticket was redeemed. */
  owner: string;
}

let server: LabServer;
let previewPort: number;
let preview: string;
let a: Reader;
let b: Reader;

const openPreview = (reader: Reader, port: number) => requestPreview(server, reader.cookie, port);

/** Opens `port` for `reader` as the page does: POST, then the ticket URL; resolves with the capability path (`/<cap>/`). */
async function capabilityPath(reader: Reader, port: number): Promise<string> {
  const redeemed = await redeemTicket((await openPreview(reader, port)).url);
  assert.equal(redeemed.status, 303);
  assert.match(redeemed.setCookie, /^lab_preview_owner=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);
  assert.match(redeemed.path, /^\/[A-Za-z0-9_-]{43}\/$/);
  reader.owner = redeemed.owner;
  return redeemed.path;
}

/** The owner's browser loading a preview page (the URL as typed: Sec-Fetch-Site none, with its cookie). */
const asOwner = (reader: Reader, path: string, extra: Record<string, string> = {}) =>
  get(`${preview}${path}`, { headers: { cookie: reader.owner, 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document', ...extra } });

async function until(term: LabTerminal, command: string, ms = 60_000): Promise<void> {
  await term.run(`for i in $(seq 1 ${Math.ceil(ms / 500)}); do ${command} && break; sleep 0.5; done`, ms + 10_000);
}

describe('port preview', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startTestServer();
    preview = previewUrl(server);
    previewPort = Number(new URL(preview).port);
    const [ta, tb] = await Promise.all([openTerminal(server), openTerminal(server)]);
    a = { ...ta, owner: '' };
    b = { ...tb, owner: '' };
    await a.term.run(
      'docker run -d --name web -p 8080:80 nginx >/dev/null; docker run -d --name wp -p 8085:80 wordpress:6.4.3-php8.1-apache >/dev/null',
    );
    // Upgrade-and-echo on 9000, in the reader's own shell (the inner world's network namespace, not published):
    // read the request head, answer 101, then echo (WS_SERVER, base64 so no quoting reaches socat's address parser).
    await a.term.run(
      `echo ${Buffer.from(WS_SERVER).toString('base64')} | base64 -d > /tmp/ws.sh && (socat TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr,fork EXEC:'sh /tmp/ws.sh' >/dev/null 2>&1 &)`,
    );
    await until(a.term, 'curl -sf localhost:8080 >/dev/null');
    await until(a.term, 'curl -s localhost:8085/ | grep -q WordPress');
    await a.term.run(
      'docker exec web sh -c "head -c 31457280 /dev/urandom > /usr/share/nginx/html/big.bin" && ' +
        `docker exec wp sh -c 'printf "%s" "<?php \\$b = file_get_contents(\\"php://input\\"); echo strlen(\\$b), \\" \\", md5(\\$b);" > /var/www/html/echo.php'`,
    );
  });

  after(async () => {
    a?.term.close();
    b?.term.close();
    await server?.stop();
    if (server) await removeOwned(server.instance);
  });

  test('GET /lab/preview lists what the inner engine publishes, and whether it answers', async () => {
    const res = await fetch(new URL(LAB_PREVIEW_PATH, server.url), { headers: { cookie: a.cookie, 'sec-fetch-site': 'same-origin' } });
    assert.equal(res.status, 200);
    const { ports } = PreviewList.parse(await res.json());
    assert.deepEqual(
      ports.map((p) => [p.port, p.containerName, p.containerPort, p.listening]),
      [
        [8080, 'web', 80, true],
        [8085, 'wp', 80, true],
      ],
    );
    // The lab's pages may frame the preview listener's port (and only frame that).
    const page = await fetch(new URL('/', server.url));
    assert.match(String(page.headers.get('content-security-policy')), new RegExp(`frame-src http://\\*:${previewPort} https://\\*:${previewPort};`));
    const foreign = await fetch(new URL(LAB_PREVIEW_PATH, server.url), { headers: { cookie: a.cookie, origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
    const none = await fetch(new URL(LAB_PREVIEW_PATH, server.url), { headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(HttpError.parse(await none.json()).error, 'no-session');
  });

  test('nginx -p 8080:80 shows "Welcome to nginx!" framable only by the lab, and the ticket works once', async () => {
    const opened = await openPreview(a, 8080);
    assert.equal(opened.state, 'ready');
    assert.equal(opened.origin, preview);
    const first = await get(opened.url);
    assert.equal(first.status, 303);
    a.owner = String(first.headers['set-cookie']).split(';')[0]!;
    const page = await asOwner(a, String(first.headers.location));
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /Welcome to nginx!/);
    const csp = String(page.headers['content-security-policy']);
    // Only the lab may frame it; its full Referer stays on the preview origin (the capability never leaves in one).
    assert.match(csp, /^frame-ancestors http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(page.headers['referrer-policy'], 'same-origin');
    const again = await get(opened.url);
    assert.equal(again.status, 404, 'a used ticket is dead');
    assert.match(again.body.toString(), /미리보기를 찾을 수 없습니다/);
    assert.match(String(again.headers['content-security-policy']), /^frame-ancestors /, 'our own pages carry the same headers');
  });

  test("the WordPress stand-in's redirect to its installer and its stylesheet render under the capability", async () => {
    const cap = await capabilityPath(a, 8085);
    const front = await asOwner(a, cap);
    assert.equal(front.status, 302);
    // WordPress built an absolute URL from Host (the preview origin's); it comes back under the capability.
    assert.equal(front.headers.location, `${cap}wp-admin/install.php`);
    const install = await asOwner(a, `${cap}wp-admin/install.php`);
    assert.equal(install.status, 200);
    const html = install.body.toString();
    assert.match(html, /WordPress &rsaquo; Installation/);
    const css = /href="([^"]+install\.css[^"]*)"/.exec(html)?.[1];
    assert.ok(css?.startsWith(`${preview}/wp-admin/css/install.css`), css);
    // The browser asks for it at the root, from the installer page (its same-origin Referer): 307 under the capability.
    const referer = `${preview}${cap}wp-admin/install.php`;
    const root = await get(css!, { headers: { referer, cookie: a.owner, 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'style' } });
    assert.equal(root.status, 307);
    assert.equal(root.headers.location, `${cap}wp-admin/css/install.css?ver=6.4.3`);
    const sheet = await get(`${preview}${root.headers.location}`, {
      headers: { referer, cookie: a.owner, 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'style' },
    });
    assert.equal(sheet.status, 200);
    assert.match(sheet.body.toString(), /wp-core-ui/);
    // Without the owner's cookie the root is nobody's, whatever the Referer names.
    assert.equal((await get(css!, { headers: { referer } })).status, 404);
  });

  test('a POST body reaches the app whole, and one over LAB_PREVIEW_MAX_BODY is refused', async () => {
    const cap = await capabilityPath(a, 8085);
    const body = randomBytes(300_000);
    const answer = await get(`${preview}${cap}echo.php`, {
      method: 'POST',
      body,
      headers: { cookie: a.owner, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), `${body.length} ${createHash('md5').update(body).digest('hex')}`);
    const huge = await get(`${preview}${cap}echo.php`, {
      method: 'POST',
      headers: { cookie: a.owner, 'content-length': String(11 * 1024 * 1024), 'sec-fetch-site': 'same-origin' },
    }).catch((err: Error) => ({ status: -1, body: Buffer.from(err.message), headers: {} }));
    assert.equal(huge.status, 413);
  });

  test('a 30 MB response streams: a reader that stops reading stops the server reading from the sandbox', async (t) => {
    const cap = await capabilityPath(a, 8080);
    const readFromSandbox = async () =>
      Number(/^lab_preview_bytes_total\{direction="down"\} (\d+)/m.exec(await (await fetch(new URL('/metrics', server.url))).text())?.[1] ?? 0);
    const before = await readFromSandbox();
    const { body, pausedAt } = await new Promise<{ body: number; pausedAt: number }>((resolve, reject) => {
      const req = request(
        `${preview}${cap}big.bin`,
        { headers: { cookie: a.owner, 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' } },
        (res) => {
          assert.equal(res.statusCode, 200);
          let got = 0;
          res.pause();
          // A reader that stopped: after 2 s, how much did the server pull out of the sandbox meanwhile?
          setTimeout(() => {
            void readFromSandbox().then((now) => {
              res.on('data', (c: Buffer) => (got += c.length));
              res.on('end', () => resolve({ body: got, pausedAt: now - before }));
              res.resume();
            }, reject);
          }, 2000);
        },
      );
      req.on('error', reject);
      req.end();
    });
    // Buffering would have read all 30 MB from the sandbox by then; streaming, what the socket buffers take (~4 MB on loopback).
    t.diagnostic(`read from the sandbox while the reader was stopped: ${pausedAt} bytes`);
    assert.ok(pausedAt < 10 * 1024 * 1024, `read ${pausedAt} bytes from the sandbox while the reader was stopped`);
    assert.equal(body, 30 * 1024 * 1024);
  });

  test('a WebSocket-style upgrade is piped both ways', async () => {
    const cap = await capabilityPath(a, 9000);
    const socket = connect(previewPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET ${cap}echo HTTP/1.1\r\nHost: 127.0.0.1:${previewPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-Fetch-Site: same-origin\r\nCookie: ${a.owner}\r\n\r\n`,
    );
    let got = '';
    socket.on('data', (c) => (got += c.toString()));
    const wait = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(got); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(got, re);
    };
    await wait(/^HTTP\/1\.1 101 /);
    assert.match(got, /Content-Security-Policy: frame-ancestors /);
    socket.write('ping-through-the-preview\n');
    await wait(/ping-through-the-preview/);
    socket.destroy();
  });

  test('no cookie, a guessed capability, another reader, a port nobody publishes: 404 or 502, never anything else', async () => {
    const cap = await capabilityPath(a, 8080);
    // No cookie, no Sec-Fetch headers (a script, curl): 404. A pasted URL in another browser: 404.
    assert.equal((await get(`${preview}${cap}`)).status, 404);
    assert.equal((await get(`${preview}${cap}`, { headers: { 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' } })).status, 404);
    // A guessed capability: 404 even with the owner's cookie.
    assert.equal((await asOwner(a, `/${randomBytes(32).toString('base64url')}/`)).status, 404);
    // Reader B, with B's own owner cookie: A's capability is 404 whatever B claims.
    await capabilityPath(b, 8080);
    for (const site of ['none', 'same-origin', 'cross-site']) {
      assert.equal((await get(`${preview}${cap}`, { headers: { cookie: b.owner, 'sec-fetch-site': site } })).status, 404, site);
    }
    // B's own preview of 8080 reaches B's sandbox, where nothing runs: the Korean 502, with what to do.
    const bCap = await capabilityPath(b, 8080);
    const bOpened = await openPreview(b, 8080);
    assert.equal(bOpened.state, 'no-container');
    const nothing = await asOwner(b, bCap);
    assert.equal(nothing.status, 502);
    assert.match(nothing.body.toString(), /8080 포트에서 응답하는 프로그램이 없습니다/);
    assert.match(nothing.body.toString(), /docker ps/);
    // A port A did not publish: the state says so, the origin answers 502.
    const unpublished = await openPreview(a, 8099);
    assert.equal(unpublished.state, 'not-published');
    assert.equal((await asOwner(a, await capabilityPath(a, 8099))).status, 502);
  });

  test('only 127.0.0.1 in the owner sandbox: not the lab server, not the preview listener, not another sandbox', async () => {
    // The lab server and the preview listener listen on this host's loopback; in the sandbox nothing does.
    const labPort = Number(new URL(server.url).port);
    for (const port of [labPort, previewPort]) {
      const answer = await asOwner(a, await capabilityPath(a, port));
      assert.equal(answer.status, 502, `port ${port}`);
    }
    // B publishes 8081; A asking for 8081 reaches A's sandbox, where nothing listens there.
    await b.term.run('docker run -d --name other -p 8081:80 nginx >/dev/null');
    await until(b.term, 'curl -sf localhost:8081 >/dev/null');
    assert.equal((await asOwner(b, await capabilityPath(b, 8081))).status, 200);
    assert.equal((await asOwner(a, await capabilityPath(a, 8081))).status, 502);
  });

  test('lab-port itself takes a port number and nothing else, and fails closed', async () => {
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--filter',
      `label=${LABEL_OWNER}=${server.instance}`,
      '--filter',
      `label=${LABEL_KIND}=sandbox`,
    ]);
    const container = stdout.split('\n')[0]!;
    assert.ok(container, 'a sandbox of this server');
    for (const args of [
      ['connect', '0'],
      ['connect', '65536'],
      ['connect', '08080'],
      ['connect', '8080x'],
      ['connect', '80 169.254.169.254'],
      ['connect'],
      ['sh'],
    ]) {
      const refused = await run('docker', ['exec', container, '/usr/local/bin/lab-port', ...args]).then(
        () => 0,
        (err: { code?: number }) => err.code,
      );
      assert.equal(refused, 111, args.join(' '));
    }
  });

  test('crafted targets and hosts go nowhere', async () => {
    const cap = await capabilityPath(a, 8080);
    // Written by hand: a URL parser (fetch, node:http with a URL) would resolve the dot segments first.
    for (const path of [`${cap}../`, `${cap}%2e%2e/`, `${cap}.%2E/x`, `${cap}a/../../x`, `${cap}..%2f..%2fx`]) {
      const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${previewPort}\r\nCookie: ${a.owner}\r\nConnection: close\r\n\r\n`;
      assert.match(await raw(previewPort, head), /^HTTP\/1\.1 400 /, path);
    }
    assert.match(
      await raw(previewPort, 'GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1\.1 421 /,
    );
    assert.match(
      await raw(previewPort, `GET http://169.254.169.254/ HTTP/1.1\r\nHost: 127.0.0.1:${previewPort}\r\nConnection: close\r\n\r\n`),
      /^HTTP\/1\.1 400 /,
    );
    assert.match(await raw(previewPort, `GET ${cap} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 421 /);
  });

  test("a previewed page's requests to the lab carry the preview's Origin and are refused; its answers never set lab_ cookies", async () => {
    // What a previewed page's fetch('<lab>/lab/session', {method: 'POST', credentials: 'include'}) sends: its own origin.
    const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers: { origin: preview, cookie: a.cookie } });
    assert.equal(res.status, 403);
    const check = await fetch(new URL(LAB_PREVIEW_PATH, server.url), {
      method: 'POST',
      headers: { origin: preview, cookie: a.cookie },
      body: '{"port":8080}',
    });
    assert.equal(check.status, 403);
    // The app tries to set the lab's cookie: dropped on the way.
    await a.term.run(
      `docker exec wp sh -c 'printf "%s" "<?php setcookie(\\"lab_session\\", \\"stolen\\", 0, \\"/lab\\"); setcookie(\\"app\\", \\"1\\"); echo \\"ok\\";" > /var/www/html/cookie.php'`,
    );
    const cap = await capabilityPath(a, 8085);
    const answer = await asOwner(a, `${cap}cookie.php`);
    assert.equal(answer.body.toString(), 'ok');
    // The app's own cookie passes; its lab_session never does (the preview's own lab_preview_* are the only lab_ ones).
    const set = [answer.headers['set-cookie'] ?? []].flat().map((c) => c.split('=')[0]!);
    assert.ok(set.includes('app'), String(set));
    assert.deepEqual(
      set.filter((name) => name.startsWith('lab_') && !name.startsWith('lab_preview_')),
      [],
    );
  });

  test("every request needs the owner cookie: a page's subresources and upgrades too, not only documents", async () => {
    const cap = await capabilityPath(a, 8080);
    // What the page's own requests carry in a browser; without the cookie (the opaque origin's old exemption): 404.
    for (const dest of ['image', 'style', 'script', 'empty', 'iframe']) {
      const headers = { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': dest, referer: `${preview}${cap}` };
      assert.equal((await get(`${preview}${cap}index.html`, { headers })).status, 404, dest);
      assert.equal((await get(`${preview}${cap}index.html`, { headers: { ...headers, cookie: a.owner } })).status, 200, dest);
    }
    const ws = await capabilityPath(a, 9000);
    const upgrade = (cookie: string) =>
      raw(
        previewPort,
        `GET ${ws}echo HTTP/1.1\r\nHost: 127.0.0.1:${previewPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-Fetch-Site: same-origin\r\n${cookie}\r\n`,
      );
    assert.match(await upgrade(''), /^HTTP\/1\.1 404 /);
    assert.ok(b.owner, "reader B's owner cookie (an earlier test)");
    assert.match(await upgrade(`Cookie: ${b.owner}\r\n`), /^HTTP\/1\.1 404 /);
  });

  test('a root-relative request goes under the capability its Referer names, else the last one opened; never without the owner cookie', async () => {
    const opened = await redeemTicket((await openPreview(a, 8080)).url);
    const nginx = opened.path;
    // The ticket exchange sets both cookies: the owner's, and the capability last opened.
    const last = opened.cookies.find((c) => c.startsWith('lab_preview_last='));
    assert.equal(last, `lab_preview_last=${nginx.slice(1, -1)}`);
    a.owner = opened.owner;
    const wp = await capabilityPath(a, 8085);
    const referer = `${preview}${wp}wp-admin/install.php`;
    const root = (headers: Record<string, string>) =>
      get(`${preview}/wp-admin/css/install.css`, { headers: { 'sec-fetch-site': 'same-origin', ...headers } });
    // The Referer wins over the cookie.
    const byReferer = await root({ referer, cookie: `${a.owner}; ${last}` });
    assert.equal(byReferer.status, 307);
    assert.equal(byReferer.headers.location, `${wp}wp-admin/css/install.css`);
    // No Referer (an app page with a no-referrer policy): the last opened capability.
    const byCookie = await root({ cookie: `${a.owner}; ${last}` });
    assert.equal(byCookie.status, 307);
    assert.equal(byCookie.headers.location, `${nginx}wp-admin/css/install.css`);
    // Neither, a Referer of another origin, or no owner cookie: nobody's.
    assert.equal((await root({ cookie: a.owner })).status, 404);
    assert.equal((await root({ cookie: a.owner, referer: `http://evil.example${wp}` })).status, 404);
    assert.equal((await root({ referer, cookie: last! })).status, 404);
    // A document load under another prefix records it; a subresource does not.
    const load = await asOwner(a, wp, { cookie: `${a.owner}; ${last}` });
    assert.deepEqual(
      [load.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]),
      [`lab_preview_last=${wp.slice(1, -1)}`],
    );
    assert.match(String(load.headers['set-cookie']), /Path=\/; HttpOnly; SameSite=Lax/);
    const sub = await get(`${preview}${nginx}`, {
      headers: { cookie: `${a.owner}; ${last}`, 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'image' },
    });
    assert.equal(sub.status, 200);
    assert.equal(sub.headers['set-cookie'], undefined);
  });

  test('a lab_session cookie sent twice (one tossed by a previewed page) is no session on /lab/session, /lab/ws and /lab/preview', async () => {
    const count = async () =>
      Number(/^lab_rejected_total\{reason="cookie-tossed"\} (\d+)/m.exec(await (await fetch(new URL('/metrics', server.url))).text())?.[1] ?? 0);
    const before = await count();
    const tossed = 'lab_session=tossed-by-the-preview';
    // In either order: the browser sends the tossed one (a longer Path) first.
    for (const cookie of [`${tossed}; ${a.cookie}`, `${a.cookie}; ${tossed}`]) {
      // DELETE ends the session it reads: it reads none.
      const del = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
      assert.equal(del.status, 204);
      const list = await fetch(new URL(LAB_PREVIEW_PATH, server.url), { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
      assert.equal(list.status, 401);
      assert.equal(HttpError.parse(await list.json()).error, 'no-session');
      const term = await LabTerminal.open(server, cookie);
      assert.equal(await term.closed, CLOSE_CODES.Unauthorized.code);
    }
    assert.equal((await count()) - before, 6);
    assert.ok(await server.logged('cookie sent twice'));
    // The reader's session is untouched: resumed, and its shell still runs in the same sandbox.
    const resumed = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers: { origin: server.origin, cookie: a.cookie } });
    assert.equal(resumed.status, 200);
    assert.equal(((await resumed.json()) as { resumed: boolean }).resumed, true);
    assert.match(await a.term.run('docker ps --format {{.Names}} | sort | tr "\\n" " "'), /web wp/);
  });

  test('the preview ends with the session', async () => {
    const cap = await capabilityPath(b, 8081);
    assert.equal((await asOwner(b, cap)).status, 200);
    assert.equal(await endSession(server, b.cookie), 204);
    assert.equal((await asOwner(b, cap)).status, 404);
    assert.equal((await get(`${preview}${cap}`, { headers: { 'sec-fetch-site': 'same-origin' } })).status, 404);
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    assert.ok(Number(/^lab_preview_opens_total (\d+)/m.exec(metrics)?.[1]) >= 10);
    assert.ok(Number(/^lab_preview_bytes_total\{direction="down"\} (\d+)/m.exec(metrics)?.[1]) >= 10 * 1024 * 1024);
    assert.ok(Number(/^lab_preview_errors_total\{reason="not-found"\} (\d+)/m.exec(metrics)?.[1]) > 0);
    assert.ok(await server.logged('"msg":"preview opened"'));
  });
});
