/**
 * The site's Content-Security-Policy (static-site.ts) against the real built
 * pages in Chromium: no violation while a lesson loads, its inline scripts
 * run (their hashes are in the policy), search (Pagefind, WebAssembly) finds
 * something, and a 실행 opens the terminal (xterm.js, WebSocket to 'self').
 * Builds the site first when it is missing or stale (tests/support/site-build.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchChromium } from '../chromium.ts';
import { DIST } from '../support/paths.ts';
import { ensureSiteBuilt } from '../support/site-build.ts';
import { startTestServer } from './test-server.ts';
import { removeOwned, type LabServer } from '../support/lab-server.ts';
import { endSession } from '../support/terminal.ts';

const LESSON = '/lessons/container-basics/';

describe('the built site under its CSP', () => {
  let server: LabServer;
  before(async () => {
    ensureSiteBuilt();
    server = await startTestServer({ LAB_SITE_DIR: DIST });
  });
  after(async () => {
    await server?.stop();
    removeOwned(server.instance);
  });

  test('a lesson loads, searches and opens a terminal without a CSP violation', async (t) => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
      });
      page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
      const res = await page.goto(`${server.url}${LESSON}`, { waitUntil: 'load' });
      assert.match(res?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
      await page.locator('button[data-lab-run]').first().click();
      await page.locator('.xterm').first().waitFor({ timeout: 30_000 });
      await page.locator('site-search button').first().click();
      // Type into the dialog's input once it is there: keys pressed before it takes focus went to the open terminal.
      const input = page.locator('#starlight__search input');
      await input.waitFor({ timeout: 15_000 });
      await input.fill('docker');
      await page.locator('.pagefind-ui__result').first().waitFor({ timeout: 15_000 });
      t.diagnostic(`CSP violations: ${violations.length}`);
      assert.deepEqual(violations, []);
      const cookie = (await page.context().cookies()).find((c) => c.name === 'lab_session');
      if (cookie) await endSession(server, `lab_session=${cookie.value}`);
    } finally {
      await browser.close();
    }
  });
});
