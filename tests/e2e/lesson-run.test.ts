/**
 * A reader who presses every 실행 of one lesson, top to bottom, in one
 * sandbox, reaches n/n: intended failures (exit=nonzero) show 예상대로 실패
 * and count, long runners (timeout=N) are stopped by the page with Ctrl+C
 * after N s and count, interactive snippets get their input= lines typed.
 * The progress survives a reload and shows in the sidebar and on the start
 * page; the reload's replay leaves a clean prompt. Built site + real lab server + real sandbox + Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { extractChallenges, listLessons } from '../../src/snippets/extract.ts';
import type { LabTestHooks } from '../../src/lab-client/test-hooks.ts';
import { ARTIFACTS, launchBrowser, newPage, snippetResult, startLab, terminalText, waitForPrompt, type Lab } from './harness.ts';

/** container-basics by default: it has every kind (exit=nonzero, input=, timeout=); E2E_LESSON=lessons/… runs another. */
const LESSON = process.env.E2E_LESSON ?? 'lessons/container-basics';

let lab: Lab;
let browser: Browser;

before(async () => {
  lab = await startLab({ LAB_WARM_POOL: '1', ...(process.env.E2E_LAB_ENV ? JSON.parse(process.env.E2E_LAB_ENV) : {}) });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await lab?.stop();
});

test(`every runnable snippet of ${LESSON}, pressed top to bottom, reaches n/n (intended failures and timed stops included)`, async () => {
  const lesson = (await listLessons()).find((l) => l.slug === LESSON)!;
  // The lesson's steps: a challenge's solution is not one (tests/e2e/challenge.test.ts); its challenges count in n/m too.
  const runnable = lesson.snippets.filter((s) => s.step);
  const m = runnable.length + extractChallenges(readFileSync(lesson.file, 'utf8')).length;
  const total = (n: number) => `${n}/${m} 실행${n === m ? ' (완료)' : ''}`;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await newPage(ctx);
    await page.goto(`${lab.url}/${LESSON}/`);
    const ids = await page.$$eval('[data-lab-snippet]:not([data-lab-solution])', (els) => els.map((e) => (e as HTMLElement).dataset.labSnippet!));
    assert.deepEqual(
      ids,
      runnable.map((s) => s.id),
      "the page has the lesson's steps, in order",
    );

    const results: { id: string; code: string; meta: string; state: string; status: string; seconds: number }[] = [];
    for (const [i, snippet] of runnable.entries()) {
      if (i > 0) {
        const ready = await waitForPrompt(page, 120_000).then(
          () => true,
          () => false,
        );
        if (!ready) {
          const tail = (await terminalText(page)).split('\n').slice(-8).join(' ⏎ ');
          results.push({
            id: snippet.id,
            code: snippet.code.split('\n')[0]!,
            meta: snippet.metaString,
            state: 'stuck',
            status: `no prompt before it: ${tail}`,
            seconds: 120,
          });
          break;
        }
      }
      const started = Date.now();
      const wrapper = page.locator('[data-lab-snippet]').nth(i);
      // Some snippets sit in a collapsed <details> (a script's listing): open it as a reader would.
      await wrapper.evaluate((el) => {
        for (let d = el.closest('details'); d; d = d.parentElement?.closest('details') ?? null) d.open = true;
      });
      await wrapper.scrollIntoViewIfNeeded();
      await wrapper.locator('button[data-lab-run]').click();
      const result = await snippetResult(page, snippet.id, 300_000).catch((e: Error) => ({ state: 'timeout', status: e.message.slice(0, 200) }));
      results.push({
        id: snippet.id,
        code: snippet.code.split('\n')[0]!,
        meta: snippet.metaString,
        ...result,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      if (result.state === 'timeout') break;
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}/lesson-run.json`, JSON.stringify(results, null, 2));
    console.log(results.map((r) => `${r.state.padEnd(5)} ${String(r.seconds).padStart(3)} s  ${r.status}  ← ${r.code} [${r.meta}]`).join('\n'));

    for (const [i, r] of results.entries()) {
      const meta = runnable[i]!.meta;
      assert.equal(r.state, 'ok', `${r.code}: ${r.status}`);
      if (meta.timeout !== undefined && /멈췄습니다/.test(r.status)) continue; // stopped as intended
      if (meta.exit !== 0) assert.match(r.status, /^✓ 예상대로 실패 \(종료 코드 [1-9]\d*\)$/, r.code);
      else if (meta.timeout === undefined) assert.equal(r.status, '✓', r.code);
    }
    assert.equal(results.length, runnable.length);
    const n = runnable.length;
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `${n}/${m} 실행`);
    if (runnable.some((s) => s.meta.timeout !== undefined)) {
      assert.ok(
        results.some((r) => /정해진 시간 뒤 Ctrl\+C로 멈췄습니다/.test(r.status)),
        'the page stopped a long runner',
      );
    }

    // Progress survives a reload, and shows in the sidebar and on the start page.
    await page.reload();
    await page.waitForFunction(() => /실행$/.test(document.querySelector('[data-lab-progress]')?.textContent ?? ''));
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `${n}/${m} 실행`);
    assert.equal(await page.locator(`#starlight__sidebar a[href="/${LESSON}/"] .lab-sidebar-progress`).textContent(), `${n}/${m}`);
    // The reload replays the terminal; old queries in it (busybox sh asks for the
    // cursor position) are not answered again onto bash's prompt.
    await page.waitForFunction(() => (globalThis as unknown as { __lab?: LabTestHooks }).__lab?.state().kind === 'connected', null, {
      timeout: 30_000,
    });
    await waitForPrompt(page, 30_000).catch(async (error: Error) => {
      const state = await page.evaluate(() => {
        const lab = (globalThis as unknown as { __lab: LabTestHooks }).__lab;
        return { connection: lab.state().kind, shell: lab.shellState(), idle: lab.idle(), tail: lab.text().split('\n').slice(-6) };
      });
      throw new Error(`no prompt after the reload: ${JSON.stringify(state)} (${error.message})`);
    });
    await page.waitForTimeout(1_000);
    const lastLine = (await terminalText(page)).trimEnd().split('\n').at(-1)!;
    assert.match(lastLine, /^lab:~\$$/, `a clean prompt after the replay, got ${JSON.stringify(lastLine)}`);
    await page.goto(`${lab.url}/`);
    assert.equal(await page.locator(`[data-lab-lesson-progress="${LESSON}"]`).textContent(), total(n));
    await page.screenshot({ path: `${ARTIFACTS}/lesson-run-start-page.png` });
    assert.deepEqual(page.errors, []);
  } finally {
    await ctx.request.delete(`${lab.url}/lab/session`, { headers: { Origin: lab.url } }).catch(() => {});
    await ctx.close();
  }
});
