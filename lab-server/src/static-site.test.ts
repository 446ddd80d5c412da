import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { StaticSite } from './static-site.ts';

let dir: string;
let server: Server;
let base: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'lab-static-'));
  const root = path.join(dir, 'dist');
  mkdirSync(path.join(root, '_astro'), { recursive: true });
  mkdirSync(path.join(root, 'lesson'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<h1>홈</h1>');
  writeFileSync(path.join(root, 'lesson', 'index.html'), '<h1>수업</h1>' + 'x'.repeat(5000));
  writeFileSync(path.join(root, '404.html'), '<h1>없음</h1>');
  writeFileSync(path.join(root, '_astro', 'app.abc123.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'style.css'), 'body{}');
  writeFileSync(path.join(root, 'font.woff2'), Buffer.from([0, 1, 2]));
  // Over the in-memory limit (4 MiB): streamed from a descriptor.
  writeFileSync(path.join(root, 'video.webm'), Buffer.alloc(6 * 1024 * 1024, 1));
  writeFileSync(path.join(root, '_astro', 'big.js'), `//${'x'.repeat(1024 * 1024)}`);
  writeFileSync(path.join(dir, 'secret.txt'), 'top secret');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'leak.txt'));
  const site = new StaticSite(root);
  server = createServer((req, res) => void site.serve(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw request, so the path reaches the server exactly as written (fetch would normalize ../). */
function raw(pathname: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(`${base}${pathname}`, { method, headers, path: pathname }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves index pages with the right content type', async () => {
  const home = await raw('/');
  assert.equal(home.status, 200);
  assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(home.body.toString(), '<h1>홈</h1>');
  assert.equal(home.headers['cache-control'], 'no-cache');
  assert.equal((await raw('/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await raw('/font.woff2')).headers['content-type'], 'font/woff2');
});

test('directory without slash redirects to the slash form', async () => {
  const r = await raw('/lesson?x=1');
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, '/lesson/?x=1');
  assert.equal((await raw('/lesson/')).status, 200);
});

test('hashed assets are immutable', async () => {
  const r = await raw('/_astro/app.abc123.js');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
});

test('unknown paths get the 404 page with status 404', async () => {
  const r = await raw('/nope/');
  assert.equal(r.status, 404);
  assert.equal(r.body.toString(), '<h1>없음</h1>');
});

test('no directory traversal, plain, encoded or through a symlink', async () => {
  for (const p of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/lesson/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/leak.txt',
    '/%00',
    '/..\\secret.txt',
    '/%E0%A4%A',
  ]) {
    const r = await raw(p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes('top secret'), p);
  }
});

test('ETag revalidation and gzip', async () => {
  const first = await raw('/lesson/', { 'accept-encoding': 'gzip' });
  assert.equal(first.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(first.body).toString(), /^<h1>수업<\/h1>x+$/);
  const again = await raw('/lesson/', { 'if-none-match': String(first.headers.etag) });
  assert.equal(again.status, 304);
  const head = await raw('/lesson/', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers['content-length']) > 5000);
});

test('only GET and HEAD', async () => {
  assert.equal((await raw('/', {}, 'POST')).status, 405);
});

test('pages carry a strict CSP listing their own inline scripts, and frame-ancestors none', async () => {
  const { contentSecurityPolicy, inlineScriptHashes } = await import('./static-site.ts');
  const html = '<script type="module">console.log(1)</script><script src="/_astro/x.js"></script><SCRIPT>a()</SCRIPT>';
  const hashes = inlineScriptHashes(html);
  assert.equal(hashes.length, 2);
  assert.match(hashes[0]!, /^sha256-[A-Za-z0-9+/]+=*$/);
  const { createHash } = await import('node:crypto');
  assert.equal(hashes[0], `sha256-${createHash('sha256').update('console.log(1)').digest('base64')}`);
  assert.match(
    contentSecurityPolicy([], ['https://lab.example.org', 'wss://lab.example.org']),
    /connect-src 'self' https:\/\/lab\.example\.org wss:\/\/lab\.example\.org;/,
  );
  const csp = contentSecurityPolicy(hashes);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /object-src 'none'/);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  const res = await fetch(base + '/');
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
});

/** Descriptors of this process open on files under the site (the server runs in this process). */
async function siteFds(): Promise<number> {
  const { readdirSync, readlinkSync } = await import('node:fs');
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

test('pipelined requests then a reset leave no file descriptor open (streamed and in-memory files)', async () => {
  const net = await import('node:net');
  const port = Number(new URL(base).port);
  for (const file of ['/video.webm', '/_astro/big.js']) {
    const sockets = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<import('node:net').Socket>((resolve, reject) => {
            const s = net.connect(port, '127.0.0.1', () => {
              s.on('error', () => undefined); // the reset below
              resolve(s);
            });
            s.once('error', reject);
          }),
      ),
    );
    for (const s of sockets) {
      s.pause(); // never read
      s.write(`GET ${file} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(5));
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sockets) s.resetAndDestroy();
    let open = await siteFds();
    for (let i = 0; i < 100 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      open = await siteFds();
    }
    assert.equal(open, 0, `${file}: descriptors left open`);
  }
  // And a streamed file still arrives whole.
  const video = await raw('/video.webm');
  assert.equal(video.body.length, 6 * 1024 * 1024);
});
