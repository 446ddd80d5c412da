/**
 * Port preview end to end (issue 11): a reader presses 실행 on the lesson's
 * `docker run -d --name nginx -p 8080:80 nginx`, then 미리보기 :8080, and
 * reads "Welcome to nginx!" in the panel under the snippet and in a new
 * tab; a second reader (another browser context, with a session of its own)
 * gets 404 for the first reader's preview; a port whose program starts late
 * shows "기다리는 중" and then the page, and once its container is removed
 * says so with what to do; the WordPress stand-in (published
 * with `-p 80`, a port the engine picks) opens from the dock's 포트 list
 * through its redirect, with its stylesheet (a root-relative URL: placed by
 * the Referer the preview's own origin sends); and a page served from the
 * reader's sandbox whose script tries the lab's cookie, `/lab/session` and
 * a tossed `lab_session` cookie of another path gets none of them (the lab
 * server logs the refused preview origin and counts the tossed cookie).
 * Built site + real lab server + real sandbox + Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { LAB_SESSION_PATH, LAB_WS_PATH } from '../../lab-server/src/protocol.ts';
import { ko } from '../../src/lab-client/messages.ko.ts';
import { FRAME_SANDBOX } from '../../src/lab-client/preview-panel.ts';
import {
  clickRun,
  countOccurrences,
  findSnippet,
  launchBrowser,
  newPage,
  snippetResult,
  startLab,
  terminalText,
  typeInTerminal,
  waitForPrompt,
  waitForTerminal,
  type Lab,
} from './harness.ts';

let lab: Lab;
let browser: Browser;
let reader: BrowserContext;
let page: Page & { errors: string[] };

before(async () => {
  lab = await startLab({ LAB_WARM_POOL: '1' });
  browser = await launchBrowser();
  reader = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await newPage(reader);
});

after(async () => {
  await browser?.close();
  await lab?.stop();
});

/** The document inside a preview panel's iframe, once it shows `text`. */
async function frameShowing(panel: string, text: string, timeout = 60_000): Promise<Frame> {
  await page.waitForSelector(`${panel}[data-state="ready"] iframe`, { timeout });
  const frame = await (await page.$(`${panel} iframe`))!.contentFrame();
  assert.ok(frame, 'the panel has an iframe with a document');
  await frame.waitForFunction((t) => document.body?.innerText.includes(t) ?? false, text, { timeout, polling: 200 });
  return frame;
}

/**
 * Runs a shell line in the reader's terminal and waits until it has succeeded:
 * it ends with `echo <marker>-$((40+2))`, so the echo of the typed line itself
 * (which says `$((40+2))`) is never taken for the output `<marker>-42`.
 */
async function shell(line: string, marker: string): Promise<void> {
  await waitForPrompt(page, 120_000);
  const before = countOccurrences(await terminalText(page), `${marker}-42`);
  await typeInTerminal(page, `${line} && echo ${marker}-$((40+2))\r`);
  await waitForTerminal(page, (t) => countOccurrences(t, `${marker}-42`) > before, 180_000);
  await waitForPrompt(page, 120_000);
}

/** Opens the dock's 포트 list and presses 미리보기 on `port`; returns the dock panel's selector. */
async function previewFromDock(port: number): Promise<string> {
  const toggle = page.locator('.lab-dock [data-action="ports"]');
  if ((await toggle.getAttribute('aria-expanded')) === 'true') await page.locator('[data-lab-ports-reload]').click();
  else await toggle.click();
  const open = page.locator(`.lab-ports__list [data-lab-preview-open="${port}"]`);
  await open.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
    throw new Error(`${e.message}\nport list: ${await page.locator('.lab-dock__ports').innerText()}`);
  });
  await open.click();
  return `.lab-dock .lab-preview[data-lab-preview="${port}"]`;
}

test('nginx -p 8080:80: 미리보기 shows "Welcome to nginx!" under the snippet and in a new tab; another reader gets 404', async () => {
  const snippet = findSnippet(/^docker run -d --name nginx -p 8080:80 nginx$/m);
  await page.goto(`${lab.url}${snippet.page}`);
  // The snippet sits in a collapsed <details> (a script's listing): open it as a reader would.
  await page.evaluate((code) => {
    const button = [...document.querySelectorAll<HTMLElement>('button[data-lab-run]')].find((b) => b.dataset.code === code)!;
    for (let d = button.closest('details'); d; d = d.parentElement?.closest('details') ?? null) d.open = true;
  }, snippet.code);
  const id = await clickRun(page, snippet.code);
  const wrapper = `[data-lab-snippet="${id}"]`;
  assert.equal(await page.locator(`${wrapper} [data-lab-preview-open]`).count(), 0, 'no 미리보기 before the run');
  assert.equal((await snippetResult(page, id, 240_000)).state, 'ok');

  const open = page.locator(`${wrapper} [data-lab-preview-open="8080"]`);
  assert.equal(await open.textContent(), ko.preview.open(8080));
  await open.click();
  assert.equal(await open.getAttribute('aria-expanded'), 'true');
  const panel = `${wrapper} .lab-preview[data-lab-preview="8080"]`;
  const frame = await frameShowing(panel, 'Welcome to nginx!');
  assert.equal(await page.locator(`${panel} iframe`).getAttribute('sandbox'), FRAME_SANDBOX);
  assert.equal(await page.locator(`${panel} [role="status"]`).textContent(), ko.preview.ready(8080));
  const previewOrigin = new URL(frame.url()).origin;
  assert.notEqual(previewOrigin, lab.url, 'the preview is served from another origin');
  // Its own origin, not an opaque one (an opaque origin sends no Referer and no cookie: root-relative assets 404).
  assert.equal(await frame.evaluate(() => self.origin), previewOrigin);

  // 새 탭에서 열기: a plain link with a ticket of its own; it holds a fresh one after the click.
  const link = page.locator(`${panel} .lab-preview__tab`);
  await link.waitFor({ timeout: 30_000 }); // shown once its own ticket has come
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  const used = await link.getAttribute('href');
  const [tab] = await Promise.all([reader.waitForEvent('page'), link.click()]);
  await tab.waitForLoadState('load');
  assert.match(await tab.locator('body').innerText(), /Welcome to nginx!/);
  assert.equal(await tab.evaluate(() => window.opener), null);
  const previewUrl = tab.url();
  assert.equal(new URL(previewUrl).origin, previewOrigin);
  await page.waitForFunction(([sel, old]) => document.querySelector(sel)?.getAttribute('href') !== old, [
    `${panel} .lab-preview__tab`,
    used,
  ] as const);

  // A second reader, with a session of their own, cannot open the first reader's preview (nor the used ticket).
  const other = await browser.newContext();
  try {
    const session = await other.request.post(`${lab.url}${LAB_SESSION_PATH}`, { headers: { origin: lab.url } });
    assert.ok(session.ok(), `the second reader has a session (${session.status()})`);
    const stranger = await other.newPage();
    for (const url of [previewUrl, used!]) {
      const response = await stranger.goto(url);
      assert.equal(response?.status(), 404, url);
      assert.doesNotMatch(await stranger.locator('body').innerText(), /Welcome to nginx!/);
    }
  } finally {
    await other.close();
  }
  await tab.close();

  // At 375 px the panel and its controls fit the phone's width.
  await page.setViewportSize({ width: 375, height: 800 });
  const fit = await page.evaluate((sel) => {
    const panel = document.querySelector(sel)!;
    const rights = [panel, ...panel.querySelectorAll('button, a, iframe')].map((e) => e.getBoundingClientRect().right);
    return { page: document.documentElement.scrollWidth, widest: Math.max(...rights) };
  }, panel);
  assert.ok(fit.page <= 375 && fit.widest <= 375, JSON.stringify(fit));
  await page.setViewportSize({ width: 1280, height: 900 });

  // 닫기 removes the panel and gives the button back.
  await page.locator(`${panel} [data-lab-preview-close]`).click();
  assert.equal(await page.locator(panel).count(), 0);
  assert.equal(await open.getAttribute('aria-expanded'), 'false');
});

test('a port whose program is not listening yet: "기다리는 중…" first, then the page; once the container is gone, what to do', async () => {
  // nginx starts only once the test creates /tmp/go in the container: the wait does not depend on timing.
  await shell(`docker run -d --name late -p 8082:80 nginx sh -c 'until [ -e /tmp/go ]; do sleep 0.2; done; exec nginx -g "daemon off;"'`, 'late');
  const panel = await previewFromDock(8082);
  await page.waitForSelector(`${panel}[data-state="waiting"]`, { timeout: 30_000 });
  assert.equal(await page.locator(`${panel} [role="status"]`).textContent(), ko.preview.waiting(8082));
  assert.equal(await page.locator(`${panel} iframe`).count(), 0, 'no page while nothing answers');
  await shell('docker exec late touch /tmp/go', 'go');
  await frameShowing(panel, 'Welcome to nginx!');
  // The container goes away: 새로 고침 says so at once, with what to do, and shows no page.
  await shell('docker rm -f late', 'removed');
  await page.locator(`${panel} [data-lab-preview-reload]`).click();
  await page.waitForSelector(`${panel}[data-state="message"]`, { timeout: 30_000 });
  assert.equal(await page.locator(`${panel} [role="status"]`).textContent(), ko.preview.notPublished(8082));
  assert.equal(await page.locator(`${panel} iframe`).count(), 0);
  assert.equal(await page.locator(`${panel} .lab-preview__tab`).isVisible(), false);
});

test("a previewed page's script reads no lab cookie, cannot call /lab/session, and cannot take the session by tossing a cookie", async () => {
  const labCookies = async () =>
    (await reader.cookies(`${lab.url}${LAB_WS_PATH}`)).filter((c) => c.name.startsWith('lab_')).map((c) => `${c.name}=${c.value}; ${c.path}`);
  const before = await labCookies();
  const session = before.find((c) => c.startsWith('lab_session=') && c.endsWith('; /lab'));
  assert.ok(session, `the reader has a lab session cookie to steal: ${before}`);
  // A page the sandbox serves that tries all three, and writes what it got into its body.
  const probe = `<!doctype html><title>probe</title><pre id="out">running</pre><script>
const out = {};
try { out.cookie = 'read: ' + document.cookie; } catch (e) { out.cookie = 'blocked: ' + e.name; }
const call = (method) => fetch(${JSON.stringify(lab.url + LAB_SESSION_PATH)}, { method, credentials: 'include' })
  .then((r) => r.text().then((t) => 'status ' + r.status + ' ' + t.slice(0, 200)), (e) => 'blocked: ' + e.name);
// Cookies are not isolated by port: this lands in the lab host's jar, sent before the real one to /lab/ws.
document.cookie = 'lab_session=tossed; path=${LAB_WS_PATH}';
const socket = () => new Promise((resolve) => {
  const ws = new WebSocket(${JSON.stringify(lab.url.replace(/^http/, 'ws') + LAB_WS_PATH)});
  ws.onopen = () => resolve('open');
  ws.onclose = (e) => resolve('closed ' + e.code);
});
Promise.all([call('POST'), call('GET'), socket()]).then(([post, get, ws]) => {
  out.post = post; out.get = get; out.ws = ws;
  document.getElementById('out').textContent = 'done ' + JSON.stringify(out);
});
</script>`;
  const b64 = Buffer.from(probe).toString('base64');
  await shell(
    `mkdir -p probe && echo ${b64} | base64 -d > probe/index.html && docker run -d --name probe -p 8081:80 -v "$PWD/probe":/usr/share/nginx/html:ro nginx`,
    'probe',
  );
  const panel = await previewFromDock(8081);
  const frame = await frameShowing(panel, 'done ');
  const previewOrigin = new URL(frame.url()).origin;
  const out = JSON.parse((await frame.locator('#out').innerText()).replace(/^done /, '')) as Record<string, string>;
  assert.doesNotMatch(out.cookie!, /lab_/, `no lab cookie in the preview: ${out.cookie}`);
  for (const call of [out.post!, out.get!]) assert.doesNotMatch(call, /^status 2/, `the lab answered the preview: ${call}`);
  assert.notEqual(out.ws, 'open', 'the lab WebSocket refused the preview');
  // The lab server saw the POST and refused it for its origin: the preview's own.
  const log = readFileSync(lab.logFile, 'utf8');
  const refused = log.split('\n').filter((l) => l.includes('session request refused: origin'));
  assert.ok(
    refused.some((l) => l.includes(`"origin":"${previewOrigin}"`)),
    `refused for ${previewOrigin}: ${refused.join('\n')}`,
  );
  // The tossed cookie is in the browser, sent with the reader's own to /lab/ws: the lab counted and logged it, read as no session.
  const after = await labCookies();
  assert.ok(after.includes(session), 'the real session cookie is untouched');
  assert.ok(after.includes(`lab_session=tossed; ${LAB_WS_PATH}`), `the toss landed: ${after}`);
  assert.match(log, /cookie sent twice/);
  const metrics = await (await fetch(`${lab.url}/metrics`)).text();
  assert.ok(Number(/^lab_rejected_total\{reason="cookie-tossed"\} (\d+)/m.exec(metrics)?.[1]) >= 1, 'counted as cookie-tossed');
  // The reader's next 실행 still runs in the same sandbox (the probe's file is still there).
  await shell('test -s probe/index.html', 'same-sandbox');
  // While the tossed cookie lives, a new WebSocket of this reader is refused too (no session, never the page's): the next test's page needs one.
  await reader.clearCookies({ name: 'lab_session', path: LAB_WS_PATH });
});

test("the WordPress stand-in (published with -p 80) opens from the dock's 포트 list, through its redirect", async () => {
  const snippet = findSnippet(/sh provision\.sh client1/);
  await page.goto(`${lab.url}${snippet.page}`);
  const id = await clickRun(page, snippet.code);
  assert.equal((await snippetResult(page, id, 300_000)).state, 'ok');
  // `-p 80`: the engine picked the host port; only the dock's list knows it.
  assert.equal(await page.locator(`[data-lab-snippet="${id}"] [data-lab-preview-open]`).count(), 0);
  await page.locator('.lab-dock [data-action="ports"]').click();
  const row = page.locator('.lab-ports__list li', { hasText: 'wp_client1' });
  await row.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
    const list = await page.locator('.lab-dock__ports').innerText();
    const tail = (await terminalText(page)).split('\n').slice(-15).join('\n');
    throw new Error(`${e.message}\nport list: ${list}\nterminal:\n${tail}`);
  });
  const port = Number(await row.getAttribute('data-lab-port'));
  assert.ok(port > 0, `wp_client1 publishes a port: ${port}`);
  const sheets: Array<{ status: number; type: string }> = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/wp-admin/css/install.css')) sheets.push({ status: r.status(), type: r.headers()['content-type'] ?? '' });
  });
  await row.locator('[data-lab-preview-open]').click();
  const frame = await frameShowing(`.lab-dock .lab-preview[data-lab-preview="${port}"]`, 'WordPress');
  assert.equal(await frame.title(), 'WordPress › Installation');
  // It got there by the app's own redirect (302 to an absolute URL built from Host, placed under the preview's capability).
  assert.match(new URL(frame.url()).pathname, /^\/[A-Za-z0-9_-]{43}\/wp-admin\/install\.php$/);
  assert.match(await frame.locator('body').innerText(), /Database: connected to mysql/);
  // Its stylesheet, linked at the root (`/wp-admin/css/install.css`), loaded: 307 by its Referer, then 200 text/css, applied.
  await frame.waitForFunction(
    () => [...document.styleSheets].some((s) => s.href?.includes('/wp-admin/css/install.css') && s.cssRules.length > 0),
    undefined,
    { timeout: 30_000 },
  );
  assert.ok(
    sheets.some((s) => s.status === 200 && s.type.startsWith('text/css')),
    JSON.stringify(sheets),
  );
  // The list's 새 탭: its own tab, cut off from the lab page.
  const [tab] = await Promise.all([reader.waitForEvent('page'), row.locator('[data-lab-preview-tab]').click()]);
  await tab.waitForURL((url) => url.protocol.startsWith('http') && !url.pathname.startsWith('/__lab/'), { timeout: 30_000 });
  await tab.waitForLoadState('load');
  assert.equal(await tab.title(), 'WordPress › Installation');
  assert.equal(await tab.evaluate(() => window.opener), null);
  await tab.close();
  assert.deepEqual(page.errors, []);
});
