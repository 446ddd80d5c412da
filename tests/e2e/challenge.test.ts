/**
 * 도전 과제 end to end (issue 14): before the reader has done anything, 확인
 * shows the check's Korean message (what is still missing); the reader
 * types the challenge's solution into the terminal by hand, presses 확인
 * again and sees ✓ 통과, and the lesson's progress moves (page, sidebar,
 * after a reload). The check runs in the reader's sandbox through the lab
 * server, never in the reader's terminal. An id the server does not know
 * gets the Korean 404 text. Built site + real lab server + real sandbox + Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { extractChallenges, listLessons } from '../../src/snippets/extract.ts';
import { ko } from '../../src/lab-client/messages.ko.ts';
import { ARTIFACTS, launchBrowser, newPage, startLab, terminalText, typeInTerminal, waitForPrompt, waitForTerminal, type Lab } from './harness.ts';

const LESSON = 'lessons/container-basics';
const CHALLENGE = 'exec-note';

let lab: Lab;
let browser: Browser;

before(async () => {
  lab = await startLab({ LAB_WARM_POOL: '1' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await lab?.stop();
});

/** Presses 확인 and waits for the verdict: the state and what the reader reads. */
async function check(page: Page, id: string): Promise<{ state: string; status: string; message: string }> {
  const sel = `[data-lab-challenge="${id}"]`;
  await page.locator(`${sel} button[data-lab-check]`).click();
  await page.waitForFunction(
    (sel) => ['passed', 'failed', 'error'].includes(document.querySelector<HTMLElement>(sel)?.dataset.labCheckState ?? ''),
    sel,
    {
      timeout: 180_000,
      polling: 100,
    },
  );
  return page.evaluate((sel) => {
    const el = document.querySelector<HTMLElement>(sel)!;
    const message = el.querySelector<HTMLElement>('[data-lab-check-message]')!;
    return {
      state: el.dataset.labCheckState!,
      status: el.querySelector('[data-lab-check-status]')!.textContent ?? '',
      message: message.hidden ? '' : (message.textContent ?? ''),
    };
  }, sel);
}

test(`${LESSON}: 확인 says what is missing, the solution typed by hand passes, and the lesson's progress moves`, async () => {
  const lesson = (await listLessons()).find((l) => l.slug === LESSON)!;
  const solution = lesson.snippets.find((s) => s.meta.challenge === CHALLENGE)!;
  const steps = new Set(lesson.snippets.filter((s) => s.step).map((s) => s.id)).size;
  const m = steps + extractChallenges(readFileSync(lesson.file, 'utf8')).length;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await newPage(ctx);
    await page.goto(`${lab.url}/${LESSON}/`);
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `0/${m} 실행`);

    // A fresh sandbox: the check fails and says which part is missing.
    const first = await check(page, CHALLENGE);
    assert.equal(first.state, 'failed', JSON.stringify(first));
    assert.equal(first.status, ko.challenge.failed);
    assert.match(first.message, /toolbox라는 이름의 컨테이너가 없습니다/);
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `0/${m} 실행`);

    // The reader types the solution into the terminal.
    await waitForPrompt(page, 120_000);
    await typeInTerminal(page, `${solution.code.replaceAll('\n', '\r')}\r`);
    await waitForTerminal(page, (t) => /^hello docker$/m.test(t), 120_000);
    await waitForPrompt(page, 60_000);

    const second = await check(page, CHALLENGE);
    assert.equal(second.state, 'passed', JSON.stringify(second));
    assert.equal(second.status, ko.challenge.passed);
    assert.match(second.message, /✓/);
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `1/${m} 실행`);
    assert.equal(await page.locator(`[data-lab-challenge="${CHALLENGE}"]`).getAttribute('data-lab-done'), '');
    // The check ran in the sandbox, not in the reader's terminal.
    assert.doesNotMatch(await terminalText(page), /State\.Running|note\.txt에 hello docker/);

    // An id the server has no check for: the Korean 404 text.
    await page.locator(`[data-lab-challenge="restart-count"]`).evaluate((el) => ((el as HTMLElement).dataset.labChallenge = 'no-such-challenge'));
    const unknown = await check(page, 'no-such-challenge');
    assert.equal(unknown.state, 'error');
    assert.equal(unknown.message, ko.challenge.unknown);

    // Progress survives a reload and shows in the sidebar.
    await page.reload();
    await page.waitForFunction(() => /실행$/.test(document.querySelector('[data-lab-progress]')?.textContent ?? ''));
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `1/${m} 실행`);
    assert.equal(await page.locator(`#starlight__sidebar a[href="/${LESSON}/"] .lab-sidebar-progress`).textContent(), `1/${m}`);
    await page.screenshot({ path: `${ARTIFACTS}/challenge-passed.png`, fullPage: false });
    assert.deepEqual(page.errors, []);
  } finally {
    await ctx.request.delete(`${lab.url}/lab/session`, { headers: { Origin: lab.url } }).catch(() => {});
    await ctx.close();
  }
});
