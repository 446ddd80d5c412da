/**
 * Terminal benchmark, measured in Chromium against the real lab server and
 * real sandboxes (npm run bench:terminal):
 *
 * - click to first output byte: a new reader whose sandbox must boot (no warm
 *   pool), a new reader served from the warm pool, and a reader whose sandbox
 *   is already booted (a new tab of the same session);
 * - keystroke round trip page -> server -> sandbox shell echo -> page (p50, p99);
 * - flood throughput into the page (bytes handed to xterm and parsed, MB/s);
 * - Ctrl-C during a flood to the next prompt drawn (median and max of 7).
 *
 * Times are taken inside the page with performance.now(), so Playwright's own
 * latency is not part of them.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { findSnippet, launchBrowser, startLab, waitForPrompt, type Lab } from '../tests/e2e/harness.ts';

interface Probe {
  received(): number;
  shellState(): string;
  renderer(): string;
  nextOutput(): Promise<number>;
  nextPrompt(): Promise<number>;
  input(text: string): boolean;
}
declare global {
  // eslint-disable-next-line no-var
  var __lab: Probe | undefined;
}

const snippet = findSnippet(/busybox:1\.29\b[^\n]*\becho\b/);

/** Clicks 실행 in the page and returns ms to the first output byte and to the snippet's result. */
async function clickToOutput(page: Page): Promise<{ firstByte: number; done: number }> {
  return page.evaluate(async (code) => {
    const button = [...document.querySelectorAll<HTMLElement>('button[data-lab-run]')].find((b) => b.dataset.code === code)!;
    const wrapper = button.closest<HTMLElement>('[data-lab-snippet]')!;
    const t0 = performance.now();
    button.click();
    let firstByte = -1;
    for (;;) {
      if (firstByte < 0 && (globalThis.__lab?.received() ?? 0) > 0) firstByte = performance.now() - t0;
      const state = wrapper.dataset.labState;
      if (firstByte >= 0 && state && !['queued', 'running'].includes(state)) return { firstByte, done: performance.now() - t0 };
      if (performance.now() - t0 > 240_000) throw new Error('no result in 240 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  }, snippet.code);
}

async function freshPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(lab!.url + snippet.page);
  return page;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

let lab: Lab | undefined;
const browser = await launchBrowser();
const results: string[] = [];
try {
  // 1. Cold: no warm pool, the reader's sandbox boots on the first click.
  lab = await startLab({ LAB_WARM_POOL: '0' });
  const reader = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const cold = await clickToOutput(await freshPage(reader));
  results.push(`click -> first output byte, sandbox boots:        ${fmt(cold.firstByte)} (snippet done ${fmt(cold.done)})`);

  // 2. Booted: a new tab of the same reader (same session, sandbox running).
  const tab = await freshPage(reader);
  const warm = await clickToOutput(tab);
  results.push(`click -> first output byte, sandbox booted:       ${fmt(warm.firstByte)} (snippet done ${fmt(warm.done)})`);

  // 3. Keystroke round trip at the prompt: one byte in, its echo out.
  await waitForPrompt(tab);
  const rtts = await tab.evaluate(async () => {
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
  const sorted = rtts.slice(20).sort((a, b) => a - b); // first keystrokes warm up the path
  results.push(`keystroke round trip (n=${sorted.length}):                   p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}`);

  // 4. Flood into the page: short lines (yes: y\r\n, the worst case for a
  // terminal, one scroll per 3 bytes) and 80-column lines (like base64 or logs).
  // The renderer is the client's own choice: WebGL on a GPU, DOM where WebGL
  // would be drawn by the CPU (as in this headless Chromium).
  for (const [label, command] of [
    ['yes', 'yes | head -c 67108864'],
    ['80-col lines', 'yes "$(printf %078d 0)" | head -c 67108864'],
  ] as const) {
    const tab_ = tab;
    await waitForPrompt(tab_);
    const flood = await tab_.evaluate(async (command) => {
      const lab = globalThis.__lab!;
      const before = lab.received();
      lab.input(`${command}\r`);
      const first = await lab.nextOutput();
      // wait for the command to start, then for the prompt after it
      while (lab.shellState() !== 'running') await new Promise((r) => setTimeout(r, 5));
      while (lab.shellState() !== 'input') await new Promise((r) => setTimeout(r, 5));
      const seconds = (performance.now() - first) / 1000;
      return { bytes: lab.received() - before, seconds, renderer: lab.renderer() };
    }, command);
    results.push(
      `flood into the page, ${label} (${flood.renderer}): ${' '.repeat(Math.max(0, 18 - label.length))}${(flood.bytes / 1e6 / flood.seconds).toFixed(1)} MB/s (${(flood.bytes / 1e6).toFixed(0)} MB in ${flood.seconds.toFixed(1)} s)`,
    );
  }

  // 5. Ctrl-C in a flood: from the key to the prompt drawn after it. The page
  // is behind (xterm draws `yes` at a few MB/s), so what matters is how much
  // output still stands between the shell and the page when the job dies.
  const interrupts: number[] = [];
  for (let i = 0; i < 7; i++) {
    await waitForPrompt(tab);
    interrupts.push(
      await tab.evaluate(async () => {
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
  const ints = interrupts.sort((a, b) => a - b);
  results.push(`Ctrl-C in a yes flood -> prompt (n=${ints.length}):           median ${fmt(percentile(ints, 50))}, max ${fmt(ints.at(-1)!)}`);
  await lab.stop();
  lab = undefined;

  // 6. New reader served from the warm pool (a sandbox booted ahead of time).
  lab = await startLab({ LAB_WARM_POOL: '1' });
  // Let the pool fill: the server boots one sandbox at start.
  await new Promise((r) => setTimeout(r, 8000));
  const pooled = await clickToOutput(await freshPage(await browser.newContext({ viewport: { width: 1280, height: 900 } })));
  results.push(`click -> first output byte, new reader, warm pool: ${fmt(pooled.firstByte)} (snippet done ${fmt(pooled.done)})`);
} finally {
  await browser.close();
  await lab?.stop();
}
console.log('\nterminal benchmark (Chromium, real lab server and sandboxes)');
for (const line of results) console.log(`  ${line}`);
