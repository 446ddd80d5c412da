/**
 * End-to-end harness: the built site served by the real lab server (on a
 * random port, with its own LAB_INSTANCE so its Docker objects are ours to
 * clean up), real sandboxes, and Debian's Chromium through playwright-core.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../chromium.ts';
import { startLabServer, newInstance, removeOwned } from '../support/lab-server.ts';
import { ARTIFACTS as ALL_ARTIFACTS, DIST, ROOT } from '../support/paths.ts';
import { ensureSiteBuilt } from '../support/site-build.ts';

export { ROOT, ensureSiteBuilt };
export const ARTIFACTS = path.join(ALL_ARTIFACTS, 'e2e');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Lab {
  /** http://localhost:<port>: the host name a reader's browser uses. */
  url: string;
  port: number;
  instance: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Builds the site if stale, starts the lab server (tests/support) with its log in artifacts/e2e, and waits until it is healthy. */
export async function startLab(env: Record<string, string> = {}): Promise<Lab> {
  ensureSiteBuilt({ quiet: true });
  const instance = newInstance(`e2e-${process.pid}`);
  const logFile = path.join(ARTIFACTS, `${instance}.log`);
  const server = await startLabServer({ env, instance, logFile });
  return {
    url: `http://localhost:${server.port}`,
    port: server.port,
    instance,
    process: server.proc,
    logFile,
    stop: async () => {
      await server.stop('SIGTERM', 20_000);
      try {
        removeOwned(instance);
      } catch {
        // best effort: a failing cleanup must not hide the test result
      }
    },
  };
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
  const dist = DIST;
  const out: SiteSnippet[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== '_astro' && name !== 'pagefind') walk(full);
      } else if (name.endsWith('.html')) {
        const html = readFileSync(full, 'utf8');
        const rel =
          '/' +
          path
            .relative(dist, full)
            .replace(/index\.html$/, '')
            .replace(/\.html$/, '/');
        // Attribute values may hold `>` (a heredoc's `cat > file`): a tag ends only outside quotes.
        for (const m of html.matchAll(/<button\b(?:[^>"']|"[^"]*"|'[^']*')*>/g)) {
          if (!/\sdata-lab-run[\s=>]/.test(m[0])) continue;
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
