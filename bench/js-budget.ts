/**
 * JavaScript budget of the built site: how much JavaScript (gzip) each page
 * needs before it settles, i.e. before the reader's first 실행 can matter.
 * Counted: every <script> in the page (inline ones by their own text,
 * external ones by file) plus, for module scripts, their static imports,
 * transitively. Not counted: dynamic import() targets, which load later:
 * the terminal (src/lab-client) once the page has settled (after `load`, in
 * the first idle period: src/lab-client/preload.ts), on intent or on 실행,
 * as issue 12 asks; Pagefind's search UI when search is opened. The browser
 * test (tests/site/browser.test.ts) checks this figure against what Chromium
 * actually fetches before the page's `lab:idle-preload` mark.
 *
 *   npm run budget:js            table for every page, then the lesson maximum
 *   npm run budget:js -- --json  machine-readable
 *
 * Gzip is zlib's default level 6 (servers commonly use 6; the lab server's
 * level 9 only makes files smaller), each file compressed on its own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { init, parse } from 'es-module-lexer';
import { DIST, builtPages } from '../tests/site/helpers.ts';
import { ensureSiteBuilt } from '../tests/support/site-build.ts';

export const BUDGET_BYTES = 30 * 1024;

export interface ScriptCost {
  /** '/_astro/x.js' or 'inline #n'. */
  name: string;
  bytes: number;
  gzip: number;
}

export interface PageBudget {
  page: string;
  scripts: ScriptCost[];
  gzip: number;
  bytes: number;
}

const gz = (text: string | Buffer) => gzipSync(text).length;

/** Static imports of a module (not dynamic import()), as specifiers. */
function staticImports(code: string): string[] {
  const [imports] = parse(code);
  // d === -1: static import/export-from; d > -1: dynamic import(); d === -2: import.meta.
  return imports.filter((i) => i.d === -1 && i.n).map((i) => i.n!);
}

/** The JavaScript a built page loads before any interaction. */
export function pageBudget(htmlFile: string): PageBudget {
  const html = readFileSync(htmlFile, 'utf8');
  const scripts: ScriptCost[] = [];
  const seen = new Set<string>();
  const visitModule = (urlPath: string) => {
    if (seen.has(urlPath)) return;
    seen.add(urlPath);
    const code = readFileSync(path.join(DIST, urlPath));
    scripts.push({ name: urlPath, bytes: code.length, gzip: gz(code) });
    for (const spec of staticImports(code.toString('utf8'))) {
      visitModule(new URL(spec, `http://x${urlPath}`).pathname);
    }
  };
  let inline = 0;
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    const attrs = m[1]!;
    const body = m[2]!;
    const type = /\btype="([^"]*)"/.exec(attrs)?.[1];
    if (type && type !== 'module' && type !== 'text/javascript') continue; // JSON data etc.
    const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
    if (src) {
      visitModule(new URL(src, 'http://x/').pathname);
    } else if (body.trim() !== '') {
      inline += 1;
      scripts.push({ name: `inline #${inline}`, bytes: Buffer.byteLength(body), gzip: gz(body) });
      if (type === 'module') for (const spec of staticImports(body)) visitModule(new URL(spec, 'http://x/').pathname);
    }
  }
  return {
    page: path.relative(DIST, htmlFile),
    scripts,
    gzip: scripts.reduce((s, c) => s + c.gzip, 0),
    bytes: scripts.reduce((s, c) => s + c.bytes, 0),
  };
}

export async function siteBudget(): Promise<PageBudget[]> {
  await init;
  return builtPages().map((page) => pageBudget(path.join(DIST, page)));
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  ensureSiteBuilt({ quiet: true }); // a stale dist/ would measure yesterday's JavaScript
  const pages = await siteBudget();
  const lessons = pages.filter((p) => p.page.startsWith('lessons/'));
  const worst = lessons.reduce((a, b) => (b.gzip > a.gzip ? b : a));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ budgetBytes: BUDGET_BYTES, maxLessonGzip: worst.gzip, pages }, null, 2));
  } else {
    console.log('JavaScript loaded before the page settles (the terminal preloads after; gzip, level 6):\n');
    for (const p of pages) console.log(`  ${kb(p.gzip).padStart(8)}  ${p.page}  (${p.scripts.length} scripts, ${kb(p.bytes)} raw)`);
    console.log(`\n  scripts of ${worst.page}:`);
    for (const s of worst.scripts) console.log(`  ${kb(s.gzip).padStart(8)}  ${s.name}`);
    console.log(`\nlesson page maximum: ${kb(worst.gzip)} gzip of ${kb(BUDGET_BYTES)} budget (${worst.page})`);
  }
  if (worst.gzip > BUDGET_BYTES) process.exitCode = 1;
}
