/**
 * Serves the built site (dist/) from the lab server, so site and labs share
 * one origin by default (the session cookie can then be SameSite=Strict and
 * no CORS is involved).
 *
 * - Paths are decoded, normalized and resolved inside the root; anything
 *   escaping it (../, encoded or not, NUL bytes, symlinks pointing out) is a
 *   404, never a file outside dist/.
 * - Astro's directory URLs: /lesson/ -> lesson/index.html; /lesson -> 301 to
 *   /lesson/ (relative links in the page depend on the slash).
 * - /_astro/ files carry a content hash in their name: cached for a year,
 *   immutable. Everything else revalidates (ETag) so a rebuilt site shows.
 * - Text files are gzipped once and kept in memory (the site is small).
 * - No descriptor outlives its connection. Files up to MAX_MEMORY_FILE are
 *   read whole (the descriptor is closed at once) and kept in a bounded
 *   cache; a response waiting behind pipelined requests holds only a
 *   reference to that buffer. Larger files are streamed, and the stream is
 *   destroyed when the response or its socket closes. Measured before: a
 *   read stream piped into a response queued behind pipelined requests was
 *   never destroyed when the client reset the connection, so 100 clients
 *   sending 20 pipelined GETs each left 1,992 descriptors open for good
 *   (tests/integration/lab-server-abuse.test.ts); now none.
 * - Every page gets a strict Content-Security-Policy: scripts only from this
 *   origin or inline ones whose SHA-256 is listed (computed per page from
 *   its own inline <script>s, so Astro's hoisted scripts run and nothing
 *   injected does), no plugins, no <base>, and `frame-ancestors 'none'`
 *   (plus X-Frame-Options for old browsers): no other site may frame the
 *   lessons (clickjacking a 실행 button). Styles may be inline (Starlight
 *   and xterm.js set style attributes). Frames: only the port preview's
 *   origin (`frame-src`, preview/origins.ts), nothing else.
 */
import { createReadStream } from 'node:fs';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const gzip = promisify(gzipCb);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/;
const MAX_GZIP_FILE = 4 * 1024 * 1024;
const MAX_GZIP_CACHE = 64 * 1024 * 1024;
/** Files up to this size are served from memory (read whole, descriptor closed at once). */
const MAX_MEMORY_FILE = 4 * 1024 * 1024;
const MAX_MEMORY_CACHE = 64 * 1024 * 1024;

/** Streams in flight per socket, destroyed together when the socket closes (one listener per socket). */
const streamsOf = new WeakMap<Socket, Set<{ destroy(): void }>>();
function destroyWithSocket(socket: Socket, stream: { destroy(): void; once(e: 'close', f: () => void): unknown }): void {
  if (socket.destroyed) return stream.destroy();
  let set = streamsOf.get(socket);
  if (!set) {
    const streams = (set = new Set());
    streamsOf.set(socket, streams);
    socket.once('close', () => {
      for (const s of streams) s.destroy();
      streams.clear();
    });
  }
  set.add(stream);
  stream.once('close', () => set.delete(stream));
}

/** The page's policy: `inlineScripts` are the SHA-256 sources of its own inline scripts. */
export function contentSecurityPolicy(
  inlineScripts: readonly string[],
  connectSources: readonly string[] = [],
  frameSources: readonly string[] = [],
): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${inlineScripts.map((h) => ` '${h}'`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${connectSources.map((c) => ` ${c}`).join('')}`,
    ...(frameSources.length ? [`frame-src ${frameSources.join(' ')}`] : []),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** SHA-256 sources ('sha256-…') of the inline scripts of an HTML page, as the browser hashes them. */
export function inlineScriptHashes(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\ssrc\s*=/i.test(m[1]!)) continue;
    out.add(`sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}`);
  }
  return [...out];
}

export const contentType = (file: string): string => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

interface Found {
  file: string;
  size: number;
  mtimeMs: number;
}

export class StaticSite {
  readonly root: string;
  private realRoot: string | undefined;
  private readonly gzipCache = new Map<string, { key: string; data: Buffer }>();
  private gzipCacheBytes = 0;
  private readonly fileCache = new Map<string, { key: string; data: Buffer }>();
  private fileCacheBytes = 0;

  /** Besides 'self', where pages may connect (the labs' origin, when it is another: LAB_PUBLIC_ORIGIN). */
  private readonly connectSources: string[];
  /** What pages may frame: the port preview's origin (preview/origins.ts; its port is known once it listens). */
  private readonly frameSources: () => readonly string[];

  constructor(root: string, opts: { connectSources?: string[]; frameSources?: () => readonly string[] } = {}) {
    this.root = path.resolve(root);
    this.connectSources = opts.connectSources ?? [];
    this.frameSources = opts.frameSources ?? (() => []);
  }

  /** Resolves a URL path to a file inside the root, or a redirect, or nothing. */
  async resolve(urlPath: string): Promise<{ found: Found } | { redirect: string } | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
    const normalized = path.posix.normalize(`/${decoded}`);
    if (normalized.split('/').includes('..')) return undefined;
    const full = path.join(this.root, normalized);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) return undefined;

    const candidates = normalized.endsWith('/') ? [path.join(full, 'index.html')] : [full, `${full}.html`];
    for (const candidate of candidates) {
      const st = await stat(candidate).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        if (await stat(path.join(candidate, 'index.html')).catch(() => undefined)) return { redirect: `${urlPath}/` };
        continue;
      }
      if (!st.isFile()) continue;
      if (!(await this.inside(candidate))) return undefined;
      return { found: { file: candidate, size: st.size, mtimeMs: st.mtimeMs } };
    }
    return undefined;
  }

  /** Symlinks must not lead out of the root. */
  private async inside(file: string): Promise<boolean> {
    this.realRoot ??= await realpath(this.root).catch(() => this.root);
    const real = await realpath(file).catch(() => undefined);
    return real !== undefined && (real === this.realRoot || real.startsWith(this.realRoot + path.sep));
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const result = await this.resolve(url.pathname);
    if (result && 'redirect' in result) {
      res.writeHead(301, { Location: result.redirect + url.search, 'Cache-Control': 'no-cache' }).end();
      return;
    }
    if (!result) return this.notFound(req, res);
    const { found } = result;
    const immutable = url.pathname.startsWith('/_astro/');
    await this.send(req, res, found, 200, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  }

  private async notFound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const page = await this.resolve('/404.html');
    if (page && 'found' in page) return this.send(req, res, page.found, 404, 'no-cache');
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : '404 Not Found');
  }

  private async send(req: IncomingMessage, res: ServerResponse, found: Found, status: number, cacheControl: string): Promise<void> {
    const type = contentType(found.file);
    const etag = `W/"${found.size.toString(36)}-${Math.floor(found.mtimeMs).toString(36)}"`;
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Cache-Control': cacheControl,
      'X-Content-Type-Options': 'nosniff',
      ETag: etag,
      'Last-Modified': new Date(found.mtimeMs).toUTCString(),
      'X-Frame-Options': 'DENY',
    };
    if (type.startsWith('text/html')) {
      const html = found.size <= MAX_MEMORY_FILE ? (await this.contents(found, etag)).toString('utf8') : '';
      headers['Content-Security-Policy'] = contentSecurityPolicy(inlineScriptHashes(html), this.connectSources, this.frameSources());
    }
    if (status === 200 && req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (COMPRESSIBLE.test(type)) headers.Vary = 'Accept-Encoding';
    if (acceptsGzip && COMPRESSIBLE.test(type) && found.size > 1024 && found.size <= MAX_GZIP_FILE) {
      const data = await this.gzipped(found, etag);
      res.writeHead(status, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': String(data.length) });
      res.end(req.method === 'HEAD' ? undefined : data);
      return;
    }
    res.writeHead(status, { ...headers, 'Content-Length': String(found.size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (found.size <= MAX_MEMORY_FILE) {
      const data = await this.contents(found, etag);
      if (data.length === found.size) {
        res.end(data);
        return;
      }
      // Changed on disk between stat and read: this response is already promised found.size bytes.
      res.destroy();
      return;
    }
    const stream = createReadStream(found.file);
    destroyWithSocket(req.socket, stream);
    // pipeline destroys the file stream when the response closes or fails, and vice versa.
    pipeline(stream, res, () => undefined);
  }

  private async contents(found: Found, key: string): Promise<Buffer> {
    const cached = this.fileCache.get(found.file);
    if (cached && cached.key === key) return cached.data;
    const data = await readFile(found.file);
    if (cached) {
      this.fileCache.delete(found.file);
      this.fileCacheBytes -= cached.data.length;
    }
    if (this.fileCacheBytes + data.length <= MAX_MEMORY_CACHE) {
      this.fileCache.set(found.file, { key, data });
      this.fileCacheBytes += data.length;
    }
    return data;
  }

  private async gzipped(found: Found, key: string): Promise<Buffer> {
    const cached = this.gzipCache.get(found.file);
    if (cached && cached.key === key) return cached.data;
    const data = await gzip(await readFile(found.file), { level: 9 });
    if (cached) this.gzipCacheBytes -= cached.data.length;
    if (this.gzipCacheBytes + data.length <= MAX_GZIP_CACHE) {
      this.gzipCache.set(found.file, { key, data });
      this.gzipCacheBytes += data.length;
    } else if (cached) {
      this.gzipCache.delete(found.file);
    }
    return data;
  }
}
