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
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
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

  constructor(root: string) {
    this.root = path.resolve(root);
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
    };
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
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
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
