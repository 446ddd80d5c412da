/**
 * Terminal benchmark, measured in Chromium against the real lab server and
 * real sandboxes (npm run bench:terminal). Every click is a real mouse click
 * (Playwright moves the pointer and presses), timed inside the page from the
 * click event's own timeStamp to the first output chunk the client received
 * (performance.now(), same clock), so Playwright's latency is not part of it.
 *
 * Click rows (medians and p95 of N samples each; issue 12's table):
 * - terminal already open in this page (the output is the paste's echo);
 * - first click after a page load, the session exists (a new tab);
 * - new reader, warm pool (LAB_WARM_POOL=1; waits until the pool holds one);
 * - new reader, no pool: the sandbox boots on the click (LAB_WARM_POOL=0).
 * Rows 2-4 in up to three ways: a click right after the `load` event, the
 * pointer moved onto 실행 and pressed at once (nothing had time to happen
 * before it); after the pointer rested BENCH_HOVER_MS on 실행 first (a
 * person's hover; the page starts preparing the terminal on it); and (rows
 * 2 and 3) after the reader read for BENCH_READ_MS after `load`, then clicked
 * without a hover (a reader reads before the first 실행: the page prepares
 * the terminal once it has settled; docs/benchmarks.md, Method, says why
 * 1 s). For those rows the breakdown (client code evaluated, styles ready,
 * session response, hello sent, ...) is printed too. Row 1 twice, alternating:
 * Playwright's click (mousedown and mouseup back to back) and a click held
 * BENCH_PRESS_MS as a person's is; its breakdown says when the click's
 * listeners ran and when the paste left the page.
 *
 * Then, in the open tab: keystroke round trip (p50, p99), flood throughput
 * into the page, Ctrl-C during a flood to the next prompt.
 *
 * Env: BENCH_PARTS (open,flood,reload,cold,pool), BENCH_OPEN (20), BENCH_RELOAD (10), BENCH_POOL (8), BENCH_COLD (6)
 * samples; BENCH_HOVER_MS (250), BENCH_READ_MS (1000), BENCH_PRESS_MS (80). Sandboxes are removed at the end, on
 * Ctrl-C too (each lab server has its own LAB_INSTANCE).
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findSnippet, launchBrowser, startLab, waitForPrompt, type Lab } from '../tests/e2e/harness.ts';
import type { LabTestHooks } from '../src/lab-client/test-hooks.ts';
import { percentile, summary } from './stats.ts';

declare global {
  // eslint-disable-next-line no-var
  var __lab: LabTestHooks | undefined;
  // eslint-disable-next-line no-var
  var __clickAt: number | undefined;
  // eslint-disable-next-line no-var
  var __clickDispatchedAt: number | undefined;
}

const N_OPEN = Number(process.env.BENCH_OPEN ?? 20);
const N_RELOAD = Number(process.env.BENCH_RELOAD ?? 10);
const N_POOL = Number(process.env.BENCH_POOL ?? 8);
const N_COLD = Number(process.env.BENCH_COLD ?? 6);
const HOVER_MS = Number(process.env.BENCH_HOVER_MS ?? 250);
const READ_MS = Number(process.env.BENCH_READ_MS ?? 1000);
const PRESS_MS = Number(process.env.BENCH_PRESS_MS ?? 80);
/**
 * How a reader comes to the click: right after load, after a hover, after
 * reading; and how long the button is held (Playwright's default 0 ms, or a
 * person's press: the terminal-open row only). docs/benchmarks.md, Method.
 */
interface Approach {
  hoverMs: number;
  readMs: number;
  pressMs?: number;
}
const AT_ONCE: Approach = { hoverMs: 0, readMs: 0 };
const HOVER: Approach = { hoverMs: HOVER_MS, readMs: 0 };
const READ: Approach = { hoverMs: 0, readMs: READ_MS };
const PRESS: Approach = { hoverMs: 0, readMs: 0, pressMs: PRESS_MS };
const approachKey = (a: Approach) => (a.readMs ? `read${a.readMs}` : `hover${a.hoverMs}`);
const approachLabel = (a: Approach) => (a.readMs ? `, click ${a.readMs} ms after load` : a.hoverMs ? `, ${a.hoverMs} ms hover` : '');
/** Which parts run: open (open terminal, keystrokes), flood (floods and Ctrl-C in the open terminal), reload, cold, pool. */
const parts = new Set((process.env.BENCH_PARTS ?? 'open,flood,reload,cold,pool').split(','));

const snippet = findSnippet(/busybox:1\.29\b[^\n]*\becho\b/);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Click {
  firstByte: number;
  done: number;
  /** ms after the click (negative: before it); undefined when not seen. */
  clientLoaded?: number;
  stylesReady?: number;
  terminalCreated?: number;
  sessionResponse?: number;
  attached?: number;
  /** The page's idle preload began (src/scripts/run-buttons.ts), negative when before the click. */
  idlePreload?: number;
  /** Terminal already open: the paste and its Enter were handed to the socket. */
  pasteSent?: number;
  /** The click's listeners began (after its timestamp: the page was busy, e.g. with the mousedown's focus change). */
  dispatched?: number;
  /** The page's WebSocket said hello (the last one: its connection of this click). */
  helloSent?: number;
  /** Warm pool: the sandbox taken was still pulling the lesson images (LAB_PREPULL) when the reader took it. */
  prepullRunning?: boolean;
}

/** Whether the sandbox of the last warm-pool take had not logged its pre-pull's end before the take (one log, in order). */
function prepullRunningAtTake(logFile: string): boolean {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  const taken = lines.findLastIndex((l) => l.includes('sandbox taken from the warm pool'));
  if (taken < 0) return false;
  const sandbox = (JSON.parse(lines[taken]!) as { sandbox: string }).sandbox;
  const pulled = lines.findIndex((l) => l.includes(`"sandbox":"${sandbox}"`) && /pre-pull/.test(l));
  return pulled < 0 || pulled > taken;
}

async function newReaderContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The click's own timestamp, taken before the page's handlers run.
  await context.addInitScript(() =>
    document.addEventListener(
      'click',
      (e) => {
        if (!(e.target as Element | null)?.closest?.('button[data-lab-run]')) return;
        globalThis.__clickAt = e.timeStamp;
        globalThis.__clickDispatchedAt = performance.now(); // the click's listeners run (later than its timestamp when the page is busy)
      },
      true,
    ),
  );
  return context;
}

async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(lab!.url + snippet.page, { waitUntil: 'load' });
  return page;
}

/**
 * A real click on the snippet's 실행 (after resting the pointer `hoverMs` on
 * it, or `readMs` after the page's load event); times from the click event.
 */
async function clickRun(page: Page, { hoverMs, readMs, pressMs = 0 }: Approach, terminalOpen: boolean): Promise<Click> {
  const button = page.locator('button[data-lab-run]').nth(await buttonIndex(page));
  await button.scrollIntoViewIfNeeded();
  if (terminalOpen) await page.evaluate(() => void ((globalThis as { __next?: Promise<number> }).__next = globalThis.__lab!.nextOutput()));
  if (readMs > 0) {
    const sinceLoad = await page.evaluate(
      () => performance.now() - (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
    );
    await sleep(Math.max(0, readMs - sinceLoad));
  }
  if (hoverMs > 0) {
    await button.hover();
    await sleep(hoverMs);
  }
  await button.click({ delay: pressMs });
  return page.evaluate(async (terminalOpen) => {
    const deadline = performance.now() + 240_000;
    while (globalThis.__clickAt === undefined || !globalThis.__lab || (!terminalOpen && globalThis.__lab.firstOutputAt() === 0)) {
      if (performance.now() > deadline) throw new Error('no output in 240 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const clickAt = globalThis.__clickAt;
    const first = terminalOpen ? await (globalThis as unknown as { __next: Promise<number> }).__next : globalThis.__lab.firstOutputAt();
    while (!globalThis.__lab.idle()) {
      if (performance.now() > deadline) throw new Error('snippet not done in 240 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const mark = (name: string) => performance.getEntriesByName(name).at(-1)?.startTime;
    const session = performance.getEntriesByType('resource').find((e) => e.name.includes('/lab/session')) as PerformanceResourceTiming | undefined;
    const rel = (t: number | undefined) => (t === undefined ? undefined : t - clickAt);
    globalThis.__clickAt = undefined;
    return {
      firstByte: first - clickAt,
      done: performance.now() - clickAt,
      clientLoaded: rel(mark('lab:client-loaded')),
      stylesReady: rel(mark('lab:styles-ready')),
      terminalCreated: rel(mark('lab:terminal-created')),
      attached: rel(mark('lab:attached')),
      sessionResponse: rel(session?.responseEnd),
      idlePreload: rel(mark('lab:idle-preload')),
      dispatched: rel(globalThis.__clickDispatchedAt),
      helloSent: terminalOpen ? undefined : rel(mark('lab:hello-sent')),
      pasteSent: terminalOpen ? rel(mark('lab:paste-sent')) : undefined,
    };
  }, terminalOpen);
}

async function buttonIndex(page: Page): Promise<number> {
  return page.evaluate(
    (code) => [...document.querySelectorAll<HTMLElement>('button[data-lab-run]')].findIndex((b) => b.dataset.code === code),
    snippet.code,
  );
}

/** Ends the reader's session now (its sandbox goes at once, not at the idle timeout). */
async function endSession(page: Page): Promise<void> {
  await page.evaluate(() => fetch('/lab/session', { method: 'DELETE', credentials: 'include' }).then(() => undefined));
}

async function poolReady(): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
    const metrics = await (await fetch(`${lab!.url}/metrics`)).text();
    if (/^lab_sandboxes\{state="ready"\} [1-9]/m.test(metrics)) return;
  }
  throw new Error('warm pool not refilled in 120 s');
}

const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
const row = (label: string, xs: number[], target?: number) => {
  const s = summary(xs);
  const verdict = target === undefined ? '' : `  target p95 <= ${target} ms: ${s.p95 <= target ? 'met' : 'MISSED'}`;
  return `${label.padEnd(58)} median ${fmt(s.median)}, p95 ${fmt(s.p95)} (n=${s.n}, min ${fmt(s.min)}, max ${fmt(s.max)})${verdict}`;
};
/** Where the time of these clicks went: the median of each mark, and the marks of the slowest click (an outlier's cause). */
const breakdown = (clicks: Click[], terminalOpen = false) => {
  const med = (pick: (c: Click) => number | undefined) => {
    const xs = clicks.map(pick).filter((x): x is number => x !== undefined);
    return xs.length ? fmt(summary(xs).median) : '-';
  };
  const slowest = clicks.reduce((a, b) => (b.firstByte > a.firstByte ? b : a));
  const one = (pick: (c: Click) => number | undefined) => {
    const x = pick(slowest);
    return x === undefined ? '-' : fmt(x);
  };
  const marks = (at: typeof med) =>
    terminalOpen
      ? `click listeners ran ${at((c) => c.dispatched)}, paste sent ${at((c) => c.pasteSent)}, first byte ${at((c) => c.firstByte)}`
      : `click listeners ran ${at((c) => c.dispatched)}, idle preload began ${at((c) => c.idlePreload)}, client code evaluated ${at((c) => c.clientLoaded)}, styles+font ready ${at((c) => c.stylesReady)}, terminal created ${at((c) => c.terminalCreated)}, session response ${at((c) => c.sessionResponse)}, hello sent ${at((c) => c.helloSent)}, attached ${at((c) => c.attached)}, first byte ${at((c) => c.firstByte)}, snippet done ${at((c) => c.done)}`;
  return `    where (median, from the click): ${marks(med)}\n    where (the slowest click): ${marks(one)}`;
};

/**
 * Every reader of this benchmark comes from 127.0.0.1, one new session every
 * few seconds: the per-client creation limit (LAB_SESSION_RATE, 6 a minute
 * after a burst of 10) made later readers wait for a 429's retry, 3-10 s,
 * in the rows measured last (the 1-in-8 warm-pool outlier of earlier runs,
 * 10 in 12 once found). Readers of a real site come from their own addresses.
 */
const BENCH_LAB_ENV = { LAB_SESSION_RATE: '100000', LAB_SESSION_BURST: '100000' };
/** A row measured through a refusal measures the refusal: any rejected request fails the benchmark. */
async function assertNothingRefused(): Promise<void> {
  if (!lab) return;
  const text = await (await fetch(`${lab.url}/metrics`)).text();
  const refused = [...text.matchAll(/^lab_rejected_total\{reason="([^"]+)"\} (\d+)/gm)].filter((m) => Number(m[2]) > 0);
  if (refused.length > 0) throw new Error(`the lab refused requests during the clicks: ${refused.map((m) => `${m[1]} × ${m[2]}`).join(', ')}`);
}

let lab: Lab | undefined;
let browser: Browser | undefined;
async function cleanup() {
  await browser?.close().catch(() => undefined);
  await lab?.stop();
  lab = undefined;
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

const results: string[] = [];
const json: Record<string, unknown> = {};
const record = (key: string, label: string, clicks: Click[], target?: number) => {
  results.push(
    row(
      label,
      clicks.map((c) => c.firstByte),
      target,
    ),
  );
  json[key] = { firstByte: summary(clicks.map((c) => c.firstByte)), done: summary(clicks.map((c) => c.done)) };
};

try {
  browser = await launchBrowser();
  // A. A booted sandbox: the terminal open in this page, a new tab of the same reader.
  if (parts.has('open') || parts.has('reload') || parts.has('cold')) lab = await startLab({ ...BENCH_LAB_ENV, LAB_WARM_POOL: '0' });
  if (parts.has('open')) {
    const reader = await newReaderContext(browser);
    const first = await openPage(reader);
    await clickRun(first, AT_ONCE, false); // boots the reader's sandbox; not a sample of these rows
    await waitForPrompt(first);

    // Alternating, so both rows see the same load.
    const open: Click[] = [];
    const pressed: Click[] = [];
    for (let i = 0; i < N_OPEN; i++) {
      open.push(await clickRun(first, AT_ONCE, true));
      await waitForPrompt(first);
      pressed.push(await clickRun(first, PRESS, true));
      await waitForPrompt(first);
    }
    record('openTerminal', 'click -> first output, terminal already open', open, 50);
    results.push(breakdown(open, true));
    record(`openTerminal_press${PRESS_MS}`, `click -> first output, terminal already open, ${PRESS_MS} ms press`, pressed, 50);
    results.push(breakdown(pressed, true));

    // Keystroke round trip at the prompt: one byte in, its echo out.
    await waitForPrompt(first);
    const rtts = await first.evaluate(async () => {
      const lab = globalThis.__lab!;
      const out: number[] = [];
      for (let i = 0; i < 300; i++) {
        const next = lab.nextOutput();
        const t0 = performance.now();
        lab.input(i % 40 === 39 ? '\x15' : 'a'); // Ctrl-U now and then keeps the line short
        out.push((await next) - t0);
        await new Promise((r) => setTimeout(r, 3));
      }
      lab.input('\x15');
      return out;
    });
    const keys = rtts.slice(20); // the first keystrokes warm up the path
    results.push(`keystroke round trip, one terminal (n=${keys.length}): p50 ${fmt(percentile(keys, 50))}, p99 ${fmt(percentile(keys, 99))}`);
    json.keystroke = { p50: percentile(keys, 50), p99: percentile(keys, 99) };

    if (parts.has('flood')) {
      // Flood into the page: short lines (yes: y\r\n, the worst case for a
      // terminal, one scroll per 3 bytes) and 80-column lines (like base64 or logs).
      for (const [label, command] of [
        ['yes', 'yes | head -c 67108864'],
        ['80-col lines', 'yes "$(printf %078d 0)" | head -c 67108864'],
      ] as const) {
        await waitForPrompt(first);
        const flood = await first.evaluate(async (command) => {
          const lab = globalThis.__lab!;
          const before = lab.received();
          lab.input(`${command}\r`);
          const start = await lab.nextOutput();
          while (lab.shellState() !== 'running') await new Promise((r) => setTimeout(r, 5));
          while (lab.shellState() !== 'input') await new Promise((r) => setTimeout(r, 5));
          const seconds = (performance.now() - start) / 1000;
          return { bytes: lab.received() - before, seconds, renderer: lab.renderer() };
        }, command);
        results.push(
          `flood into the page, ${label} (${flood.renderer}): ${(flood.bytes / 1e6 / flood.seconds).toFixed(1)} MB/s (${(flood.bytes / 1e6).toFixed(0)} MB in ${flood.seconds.toFixed(1)} s)`,
        );
      }

      // Ctrl-C in a flood: from the key to the prompt drawn after it.
      const interrupts: number[] = [];
      for (let i = 0; i < 7; i++) {
        await waitForPrompt(first);
        interrupts.push(
          await first.evaluate(async () => {
            const lab = globalThis.__lab!;
            lab.input('yes\r');
            while (lab.shellState() !== 'running') await new Promise((r) => setTimeout(r, 5));
            await new Promise((r) => setTimeout(r, 2000));
            const prompt = lab.nextPrompt();
            const t0 = performance.now();
            lab.input('\x03');
            return (await prompt) - t0;
          }),
        );
      }
      results.push(
        `Ctrl-C in a yes flood -> prompt (n=${interrupts.length}): median ${fmt(percentile(interrupts, 50))}, max ${fmt(Math.max(...interrupts))}`,
      );
    }
    await endSession(first);
    await reader.close();
  }

  if (parts.has('reload')) {
    // The rows above left the terminal's buffer full of flood output (a new tab would replay it): a new reader.
    const again = await newReaderContext(browser);
    const boot = await openPage(again);
    await clickRun(boot, AT_ONCE, false);
    await boot.close();
    for (const approach of [AT_ONCE, HOVER, READ]) {
      const reload: Click[] = [];
      for (let i = 0; i < N_RELOAD; i++) {
        const tab = await openPage(again);
        reload.push(await clickRun(tab, approach, false));
        await tab.close();
      }
      record(`pageLoad_${approachKey(approach)}`, `click -> first output, after page load, session exists${approachLabel(approach)}`, reload, 150);
      results.push(breakdown(reload));
    }

    await endSession(await openPage(again));
    await again.close();
  }

  // B. New readers without a pool: each click boots a sandbox.
  if (parts.has('cold')) {
    for (const approach of [AT_ONCE, HOVER]) {
      const cold: Click[] = [];
      for (let i = 0; i < N_COLD; i++) {
        const context = await newReaderContext(browser);
        const page = await openPage(context);
        cold.push(await clickRun(page, approach, false));
        await endSession(page);
        await context.close();
        await sleep(1500); // the previous sandbox's removal is not part of the next boot
      }
      record(`cold_${approachKey(approach)}`, `click -> first output, new reader, sandbox boots${approachLabel(approach)}`, cold, 1200);
      results.push(breakdown(cold));
    }
  }
  await assertNothingRefused();
  await lab?.stop();
  lab = undefined;

  // C. New readers served from the warm pool.
  if (parts.has('pool')) {
    lab = await startLab({ ...BENCH_LAB_ENV, LAB_WARM_POOL: '1' });
    for (const approach of [AT_ONCE, HOVER, READ]) {
      const pooled: Click[] = [];
      for (let i = 0; i < N_POOL; i++) {
        await poolReady();
        const context = await newReaderContext(browser);
        const page = await openPage(context);
        const click = await clickRun(page, approach, false);
        click.prepullRunning = prepullRunningAtTake(lab.logFile);
        pooled.push(click);
        await endSession(page);
        await context.close();
      }
      record(`warmPool_${approachKey(approach)}`, `click -> first output, new reader, warm pool${approachLabel(approach)}`, pooled, 300);
      results.push(breakdown(pooled));
      const during = pooled.filter((c) => c.prepullRunning);
      results.push(
        `    taken while its pre-pull still ran: ${during.length} of ${pooled.length}${during.length ? ` (their first byte: ${during.map((c) => fmt(c.firstByte)).join(', ')})` : ''}`,
      );
    }
    await assertNothingRefused();
  }
} finally {
  await cleanup();
}
console.log('\nterminal benchmark (Chromium, real lab server and sandboxes)');
for (const line of results) console.log(`  ${line}`);
console.log(JSON.stringify(json));
