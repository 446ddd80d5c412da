/**
 * Shared by the site tests: where the built site is, a static server for it,
 * the seed documents and their lessons, and small HTML helpers (parsed with
 * Sätteri's HTML parser, which the site build already depends on).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { htmlToHast } from 'satteri';
import { ARTIFACTS, DIST, ROOT } from '../support/paths.ts';

export { ARTIFACTS, DIST, ROOT };
/** The seed documents as the project received them (beside the repository in CI). */
export const SHARED_SEEDS_DIR = path.resolve(ROOT, '../shared/seeds');
/** A copy kept in the repository so the tests also run on a clone without ../shared. */
export const COPIED_SEEDS_DIR = path.join(ROOT, 'tests/site/seeds');
/** Compare against the originals whenever they are there; the copy is checked against them (fidelity.test.ts). */
export const SEEDS_DIR = existsSync(SHARED_SEEDS_DIR) ? SHARED_SEEDS_DIR : COPIED_SEEDS_DIR;

/** Seed document → lesson route. */
export const SEED_LESSONS: Record<string, string> = {
  '004_1ad18004f0ae6957.txt': 'lessons/docker-intro',
  '001_90eb9dceb1d58174.txt': 'lessons/container-basics',
  '002_9368db45eafe0fd6.txt': 'lessons/container-lifecycle',
  '000_cec2dba980946f13.txt': 'lessons/isolation-and-operations',
};

/** Fails early with a clear message when the site has not been built. */
export function requireBuild(): void {
  if (!existsSync(path.join(DIST, 'index.html'))) {
    throw new Error('dist/ is missing: run `npm run build` (or `npm run test:site`, which builds when needed)');
  }
}

/** dist/ file of a route: 'lessons/docker-intro' → dist/lessons/docker-intro/index.html. */
export function pageFile(route: string): string {
  const clean = route.replace(/^\/+|\/+$/g, '');
  return clean === '' || clean === 'index' ? path.join(DIST, 'index.html') : path.join(DIST, clean, 'index.html');
}

export function readPage(route: string): string {
  return readFileSync(pageFile(route), 'utf8');
}

/** Every .html file under dist/, as paths relative to dist/. */
export function builtPages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.html')) out.push(path.relative(DIST, full));
    }
  };
  walk(DIST);
  return out.sort();
}

// ---------------------------------------------------------------- HTML (hast)

export interface HNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: HNode[];
}

export function parseHtml(html: string): HNode {
  return htmlToHast(html) as unknown as HNode;
}

export function* walk(node: HNode): Generator<HNode> {
  yield node;
  for (const child of node.children ?? []) yield* walk(child);
}

export function classes(node: HNode): string[] {
  const value = node.properties?.className;
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/\s+/) : [];
}

export function textOf(node: HNode): string {
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

export const isElement = (node: HNode, ...tags: string[]) => node.type === 'element' && (tags.length === 0 || tags.includes(node.tagName ?? ''));

/** Removes all whitespace: the fidelity tests compare text this way. */
export const squash = (text: string) => text.replace(/\s+/g, '');

// ---------------------------------------------------------------- static server

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

/** Serves dist/ the way a static host does (dir/ → dir/index.html, 404.html). */
export async function serveDist(): Promise<StaticServer> {
  requireBuild();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.join(DIST, decodeURIComponent(url.pathname));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Type': TYPES['.html']! }).end(readFileSync(path.join(DIST, '404.html')));
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------- page structure

export interface BuiltCodeBlock {
  lang: string;
  /** Code text, one line per Expressive Code line. */
  code: string;
  /** data-lab-snippet of the wrapper, if runnable. */
  snippetId?: string;
  /** The wrapper has a 실행 button. */
  hasRunButton: boolean;
  /** The wrapper carries a norun note. */
  norunNote?: string;
}

/** The page's main content (Starlight's markdown container). */
export function mainContent(root: HNode): HNode {
  for (const node of walk(root)) if (classes(node).includes('sl-markdown-content')) return node;
  throw new Error('no .sl-markdown-content on the page');
}

/** Every code block Expressive Code rendered, in document order. */
export function codeBlocksOf(root: HNode): BuiltCodeBlock[] {
  const blocks: BuiltCodeBlock[] = [];
  for (const wrapper of walk(root)) {
    if (!classes(wrapper).includes('expressive-code')) continue;
    const pre = [...walk(wrapper)].find((n) => isElement(n, 'pre'));
    if (!pre) continue;
    const lines = [...walk(pre)].filter((n) => classes(n).includes('ec-line')).map((n) => textOf(n).replace(/\n$/, ''));
    const norun = [...walk(wrapper)].find((n) => classes(n).includes('lab-norun'));
    const label = norun ? [...walk(norun)].find((n) => classes(n).includes('lab-norun__label')) : undefined;
    blocks.push({
      lang: String(pre.properties?.dataLanguage ?? ''),
      code: lines.join('\n'),
      snippetId: typeof wrapper.properties?.dataLabSnippet === 'string' ? wrapper.properties.dataLabSnippet : undefined,
      hasRunButton: [...walk(wrapper)].some((n) => isElement(n, 'button') && n.properties?.dataLabRun !== undefined),
      norunNote: norun
        ? textOf(norun)
            .slice(label ? textOf(label).length : 0)
            .trim()
        : undefined,
    });
  }
  return blocks;
}

/** The page's <main> (title and content; not the sidebars or the search dialog). */
export function mainElement(root: HNode): HNode {
  for (const node of walk(root)) if (isElement(node, 'main')) return node;
  throw new Error('no <main> on the page');
}

/** Headings in <main> (the title h1 included) as [level, text], in order. */
export function headingsOf(root: HNode): [number, string][] {
  const out: [number, string][] = [];
  for (const node of walk(mainElement(root))) {
    const m = /^h([1-6])$/.exec(node.tagName ?? '');
    if (m && node.type === 'element') out.push([Number(m[1]), textOf(node).trim()]);
  }
  return out;
}
