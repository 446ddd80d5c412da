/**
 * The built site in a real browser (Debian's Chromium via playwright-core):
 * pages render without console errors; 실행 buttons sit on exactly the
 * runnable blocks, are reachable by keyboard and (for a reader who saves
 * data) load the terminal only when pressed, else once the page settled; Korean search with particles finds the right lesson; headings are
 * in order; reading works without JavaScript; the page fits 375 px; and the
 * JavaScript fetched before the page settled stays within the budget.
 * Screenshots (light/dark × desktop/375 px) go to artifacts/site/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { extractChallenges, listLessons, type Lesson } from '../../src/snippets/extract.ts';
import { challengeKey } from '../../src/lab-client/progress.ts';
import { BUDGET_BYTES, pageBudget } from '../../bench/js-budget.ts';
import { init as lexerReady } from 'es-module-lexer';
import { ARTIFACTS, pageFile, serveDist, type StaticServer } from './helpers.ts';
import { launchChromium } from '../chromium.ts';

const SHOTS = path.join(ARTIFACTS, 'site');
const LESSON_FOR_SHOTS = 'lessons/container-lifecycle';

let server: StaticServer;
let browser: Browser;
let lessons: Lesson[];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await serveDist();
  browser = await launchChromium();
  lessons = await listLessons();
  await lexerReady;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** What a lesson's n/m counts: its steps (not challenge solutions) and its challenges (`challenge:<id>`). */
const progressIds = (lesson: Lesson) => [
  ...new Set([
    ...lesson.snippets.filter((s) => s.step).map((s) => s.id),
    ...extractChallenges(readFileSync(lesson.file, 'utf8')).map((c) => challengeKey(c.id)),
  ]),
];
const route = (slug: string) => (slug === 'index' ? '/' : `/${slug}/`);

interface Watched {
  page: Page;
  context: BrowserContext;
  errors: string[];
  scripts: string[];
}

async function open(
  slug: string,
  options: { theme?: 'light' | 'dark'; width?: number; javaScript?: boolean; saveData?: boolean } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    javaScriptEnabled: options.javaScript ?? true,
    locale: 'ko-KR',
  });
  if (options.theme) await context.addInitScript((t) => localStorage.setItem('starlight-theme', t), options.theme);
  // Chromium has no switch for the Save-Data hint: navigator.connection as a data-saving reader's browser reports it.
  if (options.saveData)
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'connection', { configurable: true, get: () => ({ saveData: true, effectiveType: '4g' }) }),
    );
  const page = await context.newPage();
  const errors: string[] = [];
  const scripts: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    if (r.request().resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  await page.goto(server.url + route(slug), { waitUntil: 'networkidle' });
  return { page, context, errors, scripts };
}

describe('every page', () => {
  for (const slug of [
    'index',
    'lessons/docker-intro',
    'lessons/container-basics',
    'lessons/container-lifecycle',
    'lessons/isolation-and-operations',
  ]) {
    test(`${slug}: renders without console errors or failed requests`, async () => {
      const { page, context, errors } = await open(slug);
      await page.waitForTimeout(300); // idle callbacks
      assert.deepEqual(errors, []);
      assert.ok((await page.locator('.sl-markdown-content').innerText()).length > 100);
      await context.close();
    });

    test(`${slug}: headings go down one level at a time`, async () => {
      const { page, context } = await open(slug);
      const levels = await page.locator('main :is(h1,h2,h3,h4,h5,h6)').evaluateAll((hs) => hs.map((h) => Number(h.tagName[1])));
      assert.equal(levels[0], 1);
      for (let i = 1; i < levels.length; i++) assert.ok(levels[i]! <= levels[i - 1]! + 1, `h${levels[i - 1]} → h${levels[i]} at heading ${i + 1}`);
      await context.close();
    });
  }
});

describe('실행 buttons', () => {
  test('present on every runnable block, absent on the others, named with 실행', async () => {
    for (const lesson of lessons) {
      const { page, context } = await open(lesson.slug);
      // Lab blocks inside <details> are hidden until opened: open them all.
      await page.locator('details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      const runnable = lesson.snippets.filter((s) => s.runnable);
      const wrappers = await page.locator('.expressive-code').evaluateAll((els) =>
        els.map((el) => ({
          id: (el as HTMLElement).dataset.labSnippet ?? null,
          buttons: el.querySelectorAll('button[data-lab-run]').length,
          code: el.querySelector<HTMLElement>('button[data-lab-run]')?.dataset.code ?? null,
          norun: el.querySelector('.lab-norun')?.textContent ?? null,
        })),
      );
      assert.equal(wrappers.length, lesson.snippets.length, lesson.slug);
      lesson.snippets.forEach((s, i) => {
        const w = wrappers[i]!;
        assert.equal(w.buttons, s.runnable ? 1 : 0, `${lesson.slug} block ${i + 1}: buttons`);
        assert.equal(w.id, s.runnable ? s.id : null, `${lesson.slug} block ${i + 1}: id`);
        if (s.runnable) assert.equal(w.code, s.code, `${lesson.slug} block ${i + 1}: data-code`);
        if (s.meta.norun) assert.ok(w.norun?.includes(s.meta.norun), `${lesson.slug} block ${i + 1}: norun reason shown`);
      });
      // The accessibility tree names each button with 실행.
      assert.equal(await page.getByRole('button', { name: /실행/ }).count(), runnable.length, `${lesson.slug}: buttons named 실행`);
      if (runnable.length > 0) {
        assert.match((await page.locator('[data-lab-progress]').first().textContent()) ?? '', new RegExp(`^0/${progressIds(lesson).length} 실행$`));
        assert.equal(await page.locator('[data-lab-progress]').first().isVisible(), true);
      }
      await context.close();
    }
  });

  test('keyboard: Tab reaches a 실행 button; with Save-Data, Enter loads the terminal on demand only', async () => {
    const { page, context, scripts } = await open('lessons/docker-intro', { saveData: true });
    await page.waitForTimeout(300);
    const before = [...scripts];
    assert.ok(!before.some((s) => s.includes('lab-client')), `terminal code loaded before the click: ${before.join(', ')}`);
    // The terminal's stylesheets come with it, not as render-blocking links on every lesson.
    const hasLabStyles = () =>
      [...document.styleSheets].some((sheet) => [...sheet.cssRules].some((rule) => /\.xterm\b|\.lab-dock\b/.test(rule.cssText)));
    const labStyled = () => page.evaluate(hasLabStyles);
    assert.equal(await labStyled(), false, 'xterm / dock styles present before 실행');
    let focused = '';
    for (let i = 0; i < 200 && focused !== 'run'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement?.matches('button[data-lab-run]') ? 'run' : ''));
    }
    assert.equal(focused, 'run', 'a 실행 button is in the tab order');
    const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    assert.match(label, /^실행: /);
    const loaded = page.waitForResponse((r) => r.url().includes('/lab-client'));
    await page.keyboard.press('Enter');
    await loaded;
    // The client now owns the status line (no lab server here: it reports that).
    await page.waitForFunction(() => (document.querySelector('[data-lab-snippet] [data-lab-status]')?.textContent ?? '') !== '');
    // The styles load beside the terminal code (issue 12), not before the status line: wait for them (fails after 15 s).
    await page.waitForFunction(hasLabStyles, undefined, { timeout: 15_000 });
    await context.close();
  });

  test('progress: n/m 실행 reads lab-progress:<lesson> from localStorage', async () => {
    const lesson = lessons.find((l) => l.slug === 'lessons/container-basics')!;
    const ids = progressIds(lesson);
    const solution = lesson.snippets.find((s) => s.meta.challenge !== undefined)!;
    const context = await browser.newContext();
    await context.addInitScript(
      (v) => localStorage.setItem('lab-progress:lessons/container-basics', v),
      // a solution snippet run with 실행 is recorded, but only its challenge counts
      JSON.stringify([ids[0], ids[2], 'stale0000000', solution.id, challengeKey('restart-count')]),
    );
    const page = await context.newPage();
    await page.goto(`${server.url}/lessons/container-basics/`);
    assert.equal(await page.locator('[data-lab-progress]').textContent(), `3/${ids.length} 실행`);
    assert.equal(await page.locator(`[data-lab-snippet="${ids[0]}"]`).getAttribute('data-lab-done'), '');
    assert.equal(await page.locator('[data-lab-challenge="restart-count"]').getAttribute('data-lab-done'), '');
    assert.equal(await page.locator('[data-lab-challenge="exec-note"]').getAttribute('data-lab-done'), null);
    await context.close();
  });

  test('도전 과제: hints one at a time, the solution only on request, 확인 next to a live status', async () => {
    const { page, context, scripts } = await open('lessons/docker-intro', { saveData: true });
    const challenge = page.locator('[data-lab-challenge="zombie"]');
    assert.match((await challenge.locator('h3').textContent()) ?? '', /도전 과제\s*좀비 프로세스 만들기/);
    const hints = challenge.locator('details[data-lab-hint]');
    assert.equal(await hints.count(), 2);
    assert.deepEqual(await hints.evaluateAll((hs) => hs.map((h) => (h as HTMLElement).hidden)), [false, true], 'only the first hint is offered');
    await hints.nth(0).locator('summary').click();
    await page.waitForFunction(() => !document.querySelectorAll<HTMLElement>('[data-lab-challenge="zombie"] details[data-lab-hint]')[1]!.hidden);
    // The solution: collapsed behind 해답 보기, a runnable snippet marked as this challenge's.
    const solution = challenge.locator('details.lab-solution');
    assert.equal(await solution.locator('summary').textContent(), '해답 보기');
    assert.equal(await solution.evaluate((d) => (d as HTMLDetailsElement).open), false);
    assert.equal(await solution.locator('[data-lab-snippet][data-lab-solution="zombie"] button[data-lab-run]').isVisible(), false);
    await solution.locator('summary').click();
    assert.equal(await solution.locator('[data-lab-snippet][data-lab-solution="zombie"] button[data-lab-run]').isVisible(), true);
    const check = challenge.getByRole('button', { name: '확인' });
    assert.equal(await check.count(), 1);
    assert.equal(await challenge.locator('[data-lab-check-status]').getAttribute('aria-live'), 'polite');
    assert.ok(!scripts.some((s) => s.includes('lab-client')), 'nothing of the lab loaded before 확인');
    await context.close();
  });
});

describe('progress across lessons', () => {
  test('the start page lists every lesson with its n/m and the sidebar shows it, from localStorage (so it survives reloads)', async () => {
    const basics = lessons.find((l) => l.slug === 'lessons/container-basics')!;
    const intro = lessons.find((l) => l.slug === 'lessons/docker-intro')!;
    const basicsIds = progressIds(basics);
    const introIds = progressIds(intro);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.evaluate(
      ([a, b]) => {
        localStorage.setItem('lab-progress:lessons/container-basics', JSON.stringify(a));
        localStorage.setItem('lab-progress:lessons/docker-intro', JSON.stringify(b));
      },
      [basicsIds.slice(0, 2), introIds] as const,
    );
    await page.reload();
    const count = (slug: string) => page.locator(`[data-lab-overview] [data-lab-lesson-progress="${slug}"]`).textContent();
    assert.equal(await page.locator('[data-lab-overview]').isVisible(), true);
    assert.equal(await count('lessons/container-basics'), `2/${basicsIds.length} 실행`);
    assert.equal(await count('lessons/docker-intro'), `${introIds.length}/${introIds.length} 실행 (완료)`);
    const badge = (slug: string) => page.locator(`#starlight__sidebar a[href="/${slug}/"] .lab-sidebar-progress`);
    assert.equal(await badge('lessons/container-basics').textContent(), `2/${basicsIds.length}`);
    assert.equal(await badge('lessons/docker-intro').getAttribute('data-complete'), '');
    assert.match((await badge('lessons/docker-intro').getAttribute('aria-label')) ?? '', /완료/);
    // On a lesson page too, and after a reload.
    await page.goto(`${server.url}/lessons/container-lifecycle/`);
    await page.reload();
    assert.equal(await badge('lessons/container-basics').textContent(), `2/${basicsIds.length}`);
    assert.equal(await page.locator('[data-lab-overview]').count(), 0, 'the list is on the start page only');
    await context.close();
  });
});

describe('terminal font', () => {
  test("Hangul is drawn at the terminal's cell width: each syllable advances exactly two cells (screenshot)", async () => {
    // No lab server here: 실행 still loads the terminal (it reports the lab as unreachable).
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ko-KR' });
    await context.addInitScript(() => localStorage.setItem('lab-renderer', 'dom'));
    const page = await context.newPage();
    await page.goto(`${server.url}/lessons/docker-intro/`);
    await page.locator('button[data-lab-run]').first().click();
    await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
    const sample = '가나다라마 한글 출력 확인';
    await page.evaluate(
      (text) =>
        new Promise<void>((resolve) =>
          (globalThis as unknown as { __lab: import('../../src/lab-client/test-hooks.ts').LabTestHooks }).__lab.writeRaw(
            new TextEncoder().encode(`\x1b[2J\x1b[H${text}\r\nabcdefghij 0123456789\r\n`),
            resolve,
          ),
        ),
      sample,
    );
    await page.evaluate(() => document.fonts.ready);
    const m = await page.evaluate(() => {
      const lab = (globalThis as unknown as { __lab: import('../../src/lab-client/test-hooks.ts').LabTestHooks }).__lab;
      const hangul = lab.fontMetrics('가');
      // What the terminal drew with before: the site's monospace stack, whose Hangul comes from a fallback font.
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = `14px ${getComputedStyle(document.documentElement).getPropertyValue('--__sl-font-mono')}`;
      const before = { hangul: context.measureText('가').width, latin: context.measureText('W').width };
      return { hangul, word: lab.fontMetrics('가나다라마'), latin: lab.fontMetrics('abcdefghij'), before };
    });
    console.log(
      `terminal font ${m.hangul.family}: cell ${m.hangul.cellWidth.toFixed(3)} px, '가' advance ${m.hangul.advance.toFixed(3)} px ` +
        `(${(m.hangul.advance / m.hangul.cellWidth).toFixed(3)} cells), '가나다라마' ${m.word.advance.toFixed(3)} px, 10 Latin ${m.latin.advance.toFixed(3)} px; ` +
        `before (site monospace + fallback): '가' ${m.before.hangul.toFixed(3)} px for two ${m.before.latin.toFixed(3)} px cells`,
    );
    assert.equal(m.hangul.loaded, true, 'the Hangul part of the terminal font is loaded');
    assert.match(m.hangul.family, /^"Nanum Gothic Coding"/);
    assert.ok(
      Math.abs(m.hangul.advance - 2 * m.hangul.cellWidth) < 0.5,
      `'가' advances ${m.hangul.advance} px, two cells are ${2 * m.hangul.cellWidth} px`,
    );
    assert.ok(Math.abs(m.word.advance - 10 * m.word.cellWidth) < 1, `five syllables ${m.word.advance} px vs ten cells ${10 * m.word.cellWidth} px`);
    assert.ok(Math.abs(m.latin.advance - 10 * m.latin.cellWidth) < 1, `ten Latin letters ${m.latin.advance} px vs ten cells`);
    await page.locator('.lab-dock').screenshot({ path: path.join(SHOTS, 'terminal-hangul.png') });
    await context.close();
  });
});

describe('Korean search (Pagefind) with particles', () => {
  const cases: { query: string; top?: string; includes: string[] }[] = [
    {
      query: '컨테이너를',
      includes: ['lessons/docker-intro', 'lessons/container-basics', 'lessons/container-lifecycle', 'lessons/isolation-and-operations'],
    },
    { query: '볼륨으로', includes: ['lessons/container-lifecycle', 'lessons/isolation-and-operations', 'lessons/container-basics'] },
    { query: '재시작하려면', includes: ['lessons/container-basics', 'lessons/container-lifecycle', 'lessons/isolation-and-operations'] },
    // Plain Pagefind finds only pages with the exact inflected form for these two.
    { query: '이미지를', includes: ['lessons/container-lifecycle', 'lessons/docker-intro'] },
    { query: '멈추려면', includes: ['lessons/container-lifecycle'] },
    { query: '좀비를', top: 'lessons/docker-intro', includes: ['lessons/docker-intro'] },
    { query: '가용성을', top: 'lessons/container-lifecycle', includes: ['lessons/container-lifecycle'] },
    { query: '네임스페이스로', top: 'lessons/isolation-and-operations', includes: ['lessons/isolation-and-operations'] },
  ];

  test('typed into the search dialog, each query lists the right lessons', async () => {
    const { page, context, errors } = await open('index');
    await page.getByRole('button', { name: '검색' }).click();
    const input = page.locator('#starlight__search input');
    await input.waitFor();
    for (const c of cases) {
      await input.fill('');
      await input.fill(c.query);
      await page.waitForFunction((q) => {
        const msg = document.querySelector('.pagefind-ui__message')?.textContent ?? '';
        return msg.includes(q) || document.querySelectorAll('.pagefind-ui__result').length > 0;
      }, c.query);
      await page.waitForTimeout(400); // let the result list settle after the last keystroke
      const found = await page
        .locator('.pagefind-ui__result-title .pagefind-ui__result-link')
        .evaluateAll((as) => as.map((a) => new URL((a as HTMLAnchorElement).href).pathname.replace(/^\/|\/$/g, '')));
      for (const slug of c.includes) assert.ok(found.includes(slug), `"${c.query}" should find ${slug}; found ${found.join(', ') || 'nothing'}`);
      if (c.top) assert.equal(found[0], c.top, `"${c.query}" top result`);
      // Pagefind's own messages are in Korean too ("…에 대한 결과 N개").
      assert.match((await page.locator('.pagefind-ui__message').textContent()) ?? '', /에 대한 결과 \d+개/);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('reading without JavaScript', () => {
  test('a lesson reads and its <details> open with JavaScript off', async () => {
    const { page, context } = await open('lessons/container-basics', { javaScript: false });
    assert.ok((await page.locator('.sl-markdown-content').innerText()).includes('컨테이너의 정의'));
    assert.ok(await page.locator('pre[data-language="bash"]').first().isVisible());
    const details = page.locator('.sl-markdown-content details').nth(1);
    await details.locator('summary').click();
    assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true);
    assert.equal(await page.locator('.katex, .sl-markdown-content').first().isVisible(), true);
    await context.close();
  });

  test('math is rendered (KaTeX), never raw $$', async () => {
    const { page, context } = await open('lessons/container-lifecycle', { javaScript: false });
    assert.equal(await page.locator('.katex-display').count(), 2);
    assert.ok(!(await page.locator('main').innerText()).includes('$$'));
    await context.close();
  });
});

describe('JavaScript budget', () => {
  test(`a lesson fetches at most ${BUDGET_BYTES / 1024} KB gzip of JavaScript before it settles (then it preloads the terminal)`, async () => {
    for (const lesson of lessons.filter((l) => l.slug.startsWith('lessons/'))) {
      const { page, context } = await open(lesson.slug);
      await page.waitForTimeout(1500); // idle-time loaders would show up here
      await page.mouse.move(5, 600); // pointer over the page, not over search
      // The page settled (src/lab-client/preload.ts) and began preloading the terminal: scripts fetched before that are the budget's.
      const { preloadAt, fetched } = await page.evaluate(() => ({
        preloadAt: performance.getEntriesByName('lab:idle-preload')[0]?.startTime,
        fetched: performance
          .getEntriesByType('resource')
          .filter((r) => (r as PerformanceResourceTiming).initiatorType === 'script' || r.name.endsWith('.js'))
          .map((r) => ({ path: new URL(r.name).pathname, at: r.startTime })),
      }));
      assert.ok(preloadAt !== undefined, `${lesson.slug}: the terminal was not preloaded once the page settled`);
      const before = fetched.filter((f) => f.at < preloadAt).map((f) => f.path);
      assert.ok(
        fetched.some((f) => f.at >= preloadAt && f.path.includes('lab-client')),
        `${lesson.slug}: preload fetched no lab client`,
      );
      const budget = pageBudget(pageFile(lesson.slug));
      const counted = new Set(budget.scripts.map((s) => s.name));
      const uncounted = before.filter((s) => !counted.has(s));
      assert.deepEqual(uncounted, [], `${lesson.slug}: fetched before it settled but not counted by bench/js-budget.ts`);
      assert.ok(budget.gzip <= BUDGET_BYTES, `${lesson.slug}: ${budget.gzip} bytes gzip`);
      await context.close();
    }
  });

  test('Pagefind UI loads only when search is opened', async () => {
    const { page, context, scripts } = await open('lessons/docker-intro');
    await page.waitForTimeout(1500);
    assert.ok(!scripts.some((s) => /ui-core|pagefind/.test(s)), scripts.join(', '));
    await page.keyboard.press('Control+k');
    await page.locator('#starlight__search input').waitFor();
    assert.ok(scripts.some((s) => /ui-core/.test(s)));
    await context.close();
  });
});

describe('themes and small screens', () => {
  for (const theme of ['light', 'dark'] as const) {
    for (const width of [1280, 375]) {
      test(`${LESSON_FOR_SHOTS} in ${theme} at ${width} px: theme applied, no sideways scrolling, screenshot`, async () => {
        const { page, context, errors } = await open(LESSON_FOR_SHOTS, { theme, width });
        assert.equal(await page.locator('html').getAttribute('data-theme'), theme);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
        // The 실행 button stays inside the viewport and big enough to tap.
        const box = await page.locator('button[data-lab-run]').first().boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width && box.height >= 30, JSON.stringify(box));
        // Text contrast of our own chrome (WCAG AA: 4.5:1).
        for (const selector of ['button[data-lab-run]', '.lab-norun', '.lab-progress']) {
          const ratio = await page.locator(selector).first().evaluate(contrastRatio);
          assert.ok(ratio >= 4.5, `${selector}: contrast ${ratio.toFixed(2)}:1 in ${theme}`);
        }
        const name = `${LESSON_FOR_SHOTS.replace('lessons/', '')}-${theme}-${width}`;
        await page.locator('[data-lab-snippet]').first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
        await page.screenshot({ path: path.join(SHOTS, `${name}-full.png`), fullPage: true });
        assert.deepEqual(errors, []);
        await context.close();
      });
    }
  }
});

/** Contrast of an element's text colour against the first opaque background behind it (runs in the page). */
function contrastRatio(el: Element): number {
  const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
  const luminance = ([r, g, b]: number[]) => {
    const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const fg = parse(getComputedStyle(el).color);
  let node: Element | null = el;
  let bg = [255, 255, 255];
  while (node) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3]! > 0.9)) {
      bg = c.slice(0, 3);
      break;
    }
    node = node.parentElement;
  }
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  return (a! + 0.05) / (b! + 0.05);
}
