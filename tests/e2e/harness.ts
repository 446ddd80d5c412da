/**
 * End-to-end harness: the built site served by the real lab server (on a
 * random port, with its own LAB_INSTANCE so its Docker objects are ours to
 * clean up), real sandboxes, and Debian's Chromium through playwright-core.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../chromium.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
export const ARTIFACTS = path.join(ROOT, 'artifacts/e2e');


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Newest modification time of the files a site build depends on. */
function newestSourceMtime(): number {
  let newest = 0;
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) walk(path.join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'content', 'astro.config.mjs', 'lab-server/src/protocol.ts', 'package.json']) {
    const full = path.join(ROOT, p);
    if (existsSync(full)) walk(full);
  }
  return newest;
}

/** Builds the site when dist/ is missing or older than its sources (one build at a time on this machine). */
export function ensureSiteBuilt(): void {
  const index = path.join(ROOT, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSourceMtime()) return;
  execFileSync('flock', ['/tmp/astro-build.lock', path.join(ROOT, 'node_modules/.bin/astro'), 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Lab {
  url: string;
  port: number;
  instance: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts lab-server/src/main.ts on a random port and waits until it serves the site. */
export async function startLab(env: Record<string, string> = {}): Promise<Lab> {
  ensureSiteBuilt();
  const port = await freePort();
  const instance = `e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, `${instance}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(NODE, [path.join(ROOT, 'lab-server/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LAB_INSTANCE: instance, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', log, log],
  });
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`lab server exited (${child.exitCode}); see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      const r = await fetch(`${url}/`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`lab server did not start; see ${logFile}`);
    await sleep(200);
  }
  return {
    url,
    port,
    instance,
    process: child,
    logFile,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const exited = new Promise((r) => child.once('exit', r));
        await Promise.race([exited, sleep(20_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      removeDockerObjects(instance);
    },
  };
}

/** Removes whatever this test server left behind (only objects labelled with our instance). */
function removeDockerObjects(instance: string): void {
  const filter = `label=lab.owner=${instance}`;
  const ids = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
  try {
    const containers = ids(['ps', '-aq', '--filter', filter]);
    if (containers.length) execFileSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
    const volumes = ids(['volume', 'ls', '-q', '--filter', filter]);
    if (volumes.length) execFileSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
    const networks = ids(['network', 'ls', '-q', '--filter', filter]);
    if (networks.length) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
  } catch {
    // best effort: a failing cleanup must not hide the test result
  }
}

export async function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

/** A page that records its errors, so a test can assert there were none. */
export async function newPage(context: BrowserContext): Promise<Page & { errors: string[] }> {
  const page = (await context.newPage()) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// ---------------------------------------------------------------------------
// Finding lesson snippets in the built site
// ---------------------------------------------------------------------------

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface SiteSnippet {
  /** Path of the page, e.g. /lessons/containers/ */
  page: string;
  code: string;
}

/** Every runnable snippet of the built site: the code of each button[data-lab-run][data-code]. */
export function siteSnippets(): SiteSnippet[] {
  const dist = path.join(ROOT, 'dist');
  const out: SiteSnippet[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== '_astro' && name !== 'pagefind') walk(full);
      } else if (name.endsWith('.html')) {
        const html = readFileSync(full, 'utf8');
        const rel = '/' + path.relative(dist, full).replace(/index\.html$/, '').replace(/\.html$/, '/');
        for (const m of html.matchAll(/<button\b[^>]*\bdata-lab-run\b[^>]*>/g)) {
          const code = /\bdata-code="([^"]*)"/.exec(m[0])?.[1];
          if (code !== undefined) out.push({ page: rel, code: decodeEntities(code) });
        }
      }
    }
  };
  walk(dist);
  return out;
}

/** The first snippet whose code matches; fails with the list of what exists. */
export function findSnippet(pattern: RegExp, page?: string): SiteSnippet {
  const all = siteSnippets();
  const hit = all.find((s) => pattern.test(s.code) && (page === undefined || s.page === page));
  if (!hit) throw new Error(`no runnable snippet matches ${pattern}${page ? ` on ${page}` : ''}; ${all.length} snippets in dist/`);
  return hit;
}

// ---------------------------------------------------------------------------
// Driving the page
// ---------------------------------------------------------------------------

/** Clicks 실행 on the snippet with exactly this code; returns its wrapper's id. */
export async function clickRun(page: Page, code: string): Promise<string> {
  const id = await page.evaluate((code) => {
    const button = [...document.querySelectorAll<HTMLElement>('button[data-lab-run]')].find((b) => b.dataset.code === code);
    if (!button) throw new Error('snippet button not on page');
    const wrapper = button.closest<HTMLElement>('[data-lab-snippet]')!;
    wrapper.scrollIntoView({ block: 'center' });
    return wrapper.dataset.labSnippet!;
  }, code);
  await page.locator(`[data-lab-snippet="${id}"] button[data-lab-run]`).first().click();
  return id;
}

/** Waits for the snippet's final state (ok, fail, error, sent) and returns it with its status text. */
export async function snippetResult(page: Page, id: string, timeout = 120_000): Promise<{ state: string; status: string }> {
  const sel = `[data-lab-snippet="${id}"]`;
  await page.waitForFunction(
    (sel) => ['ok', 'fail', 'error', 'sent'].includes(document.querySelector<HTMLElement>(sel)?.dataset.labState ?? ''),
    sel,
    { timeout, polling: 100 },
  );
  return page.evaluate((sel) => {
    const el = document.querySelector<HTMLElement>(sel)!;
    return { state: el.dataset.labState!, status: el.querySelector('[data-lab-status]')?.textContent ?? '' };
  }, sel);
}

interface LabProbe {
  text(): string;
  state(): { kind: string };
  shellState(): string;
  idle(): boolean;
  received(): number;
  renderer(): string;
  pending(): number;
}

/** The terminal's whole buffer (scrollback included) as text. */
export async function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { __lab: LabProbe }).__lab.text());
}

export async function probe<T>(page: Page, fn: (lab: LabProbe) => T): Promise<T> {
  return page.evaluate(`(${fn.toString()})(globalThis.__lab)`) as Promise<T>;
}

/** Waits until the terminal text satisfies `predicate` (polling in the page). */
export async function waitForTerminal(page: Page, predicate: (text: string) => boolean, timeout = 60_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = await terminalText(page).catch(() => '');
    if (predicate(text)) return text;
    await sleep(100);
  }
  throw new Error(`terminal never matched; last text:\n${text.slice(-1500)}`);
}

/** Waits until bash sits at a prompt (OSC 133 B seen after the last command) and no snippet is in flight. */
export async function waitForPrompt(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { __lab?: LabProbe }).__lab?.idle() === true, null, {
    timeout,
    polling: 20,
  });
}

export function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Types into the terminal the way a person does: focus it, text, and Enter for each "\r". */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('.lab-dock .xterm-helper-textarea').focus();
  const parts = text.split('\r');
  for (const [i, part] of parts.entries()) {
    if (part) await page.keyboard.insertText(part);
    if (i < parts.length - 1) await page.keyboard.press('Enter');
  }
}
