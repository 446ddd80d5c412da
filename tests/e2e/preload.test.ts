/**
 * The terminal prepared before the first click (issue 12): once a page with
 * 실행 buttons has settled, it loads the lab client, its styles and font and
 * creates xterm in the closed dock, with no pointer or key event, and with
 * no session request, no socket and no sandbox (viewing a page allocates
 * nothing). The first 실행 then runs in that prepared terminal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { clickRun, findSnippet, launchBrowser, newPage, snippetResult, startLab, terminalText, type Lab } from './harness.ts';

let lab: Lab;
let browser: Browser;
let ctx: BrowserContext | undefined;

before(async () => {
  lab = await startLab({ LAB_WARM_POOL: '0' });
  browser = await launchBrowser();
});

after(async () => {
  await ctx?.request.delete(`${lab.url}/lab/session`, { headers: { Origin: lab.url } }).catch(() => {});
  await browser?.close();
  await lab?.stop();
});

/** Sandboxes the server holds, in every state (lab_sandboxes gauge). */
async function sandboxes(): Promise<number> {
  const metrics = await (await fetch(`${lab.url}/metrics`)).text();
  return [...metrics.matchAll(/^lab_sandboxes\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

test('a page with 실행 prepares the terminal once it settled: no input event, no session request, no socket, no sandbox', async () => {
  const snippet = findSnippet(/busybox:1\.29\b[^\n]*\becho\b/);
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Any event that counts as intent (or could) is recorded: the preload must not need one.
  await ctx.addInitScript(() => {
    const seen: string[] = ((globalThis as unknown as { __inputs: string[] }).__inputs = []);
    for (const type of ['pointerover', 'pointermove', 'pointerdown', 'mouseover', 'touchstart', 'keydown', 'focusin'])
      document.addEventListener(type, () => seen.push(type), true);
  });
  const page = await newPage(ctx);
  const labRequests: string[] = [];
  const sockets: string[] = [];
  page.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.startsWith('/lab/') || pathname.startsWith('/join/')) labRequests.push(`${r.method()} ${pathname}`);
  });
  page.on('websocket', (ws) => sockets.push(ws.url()));

  await page.goto(lab.url + snippet.page, { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('lab:terminal-created').length > 0, null, { timeout: 30_000 });
  const seen = await page.evaluate(() => {
    const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? -1;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return {
      inputs: (globalThis as unknown as { __inputs: string[] }).__inputs,
      loadEnd: nav.loadEventEnd,
      preload: at('lab:idle-preload'),
      client: at('lab:client-loaded'),
      created: at('lab:terminal-created'),
      xterm: document.querySelector('.lab-dock .xterm') !== null,
      dock: document.querySelector<HTMLElement>('.lab-dock')?.dataset.mode,
      styled: [...document.styleSheets].some((sheet) => [...sheet.cssRules].some((rule) => /\.xterm\b/.test(rule.cssText))),
    };
  });
  assert.deepEqual(seen.inputs, [], 'prepared without any pointer or key event');
  assert.ok(seen.preload >= seen.loadEnd, `idle preload at ${seen.preload} ms, after load (${seen.loadEnd} ms)`);
  assert.ok(seen.client > seen.preload && seen.created > seen.client, JSON.stringify(seen));
  assert.equal(seen.xterm, true, 'xterm created in the dock');
  assert.equal(seen.dock, 'closed', 'the dock stays closed until 실행');
  assert.equal(seen.styled, true, "xterm's stylesheet is in");
  await page.waitForTimeout(1_000); // anything the preload would still send
  assert.deepEqual([...labRequests], [], 'no request to the lab before 실행');
  assert.deepEqual([...sockets], [], 'no socket before 실행');
  assert.equal(await sandboxes(), 0, 'no sandbox for a reader who only viewed the page');

  // The first 실행 runs in the prepared terminal: one xterm, output and ✓.
  const id = await clickRun(page, snippet.code);
  assert.deepEqual(await snippetResult(page, id, 180_000), { state: 'ok', status: '✓' });
  const expected = /\becho\s+["']?([^"'\n]+?)["']?\s*$/m.exec(snippet.code)![1]!;
  assert.ok(
    (await terminalText(page)).split('\n').some((line) => line.trim() === expected),
    'the snippet printed its line',
  );
  assert.equal(await page.locator('.lab-dock .xterm').count(), 1);
  assert.ok(labRequests.includes('POST /lab/session'), labRequests.join(', '));
  assert.equal(sockets.length, 1);
  assert.deepEqual(page.errors, []);
});
