/**
 * Class mode end to end (issue 13, "Done when"): built site + real lab
 * server + real sandboxes + Chromium.
 *
 * An instructor logs in at /instructor/ and creates a class with 3 seats,
 * then presses 샌드박스 미리 준비 (the warm pool grows to 3). Four learners
 * (four browser contexts, all from 127.0.0.1, so one IP as behind a
 * classroom NAT) join at /join/ and press 실행: three get terminals served
 * from the warm pool, the fourth sees its place in the queue (kept across a
 * reload) and gets a terminal by itself once the instructor ends a
 * learner's session. The
 * instructor sees progress after a 실행, mirrors a learner's terminal (the
 * same output), receives a help request (with markup in it, shown as text)
 * and clears it. The lab server is restarted on the same LAB_DB_PATH and the
 * class, roster and progress are still in the console.
 *
 * Also: every control on both pages has a label or a name (no axe offline:
 * checked here), the join page refuses a name with markup in Korean, and a
 * 375 px screenshot of the join page is kept in artifacts/e2e.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ko } from '../../src/lab-client/messages.ko.ts';
import { classKo } from '../../src/classroom-client/messages.ko.ts';
import {
  ARTIFACTS,
  findSnippet,
  launchBrowser,
  newPage,
  snippetResult,
  startLab,
  typeInTerminal,
  waitForTerminal,
  clickRun,
  type Lab,
} from './harness.ts';
import type { LabTestHooks } from '../../src/lab-client/test-hooks.ts';
import { metric as classMetric } from '../support/classroom.ts';

const TOKEN = `e2e-admin-${process.pid}-0123456789abcdef`;
const SEATS = 3;
const LEARNERS = ['김하나', '이두리', '박세나', '최네오'];
const dbDir = mkdtempSync(path.join(tmpdir(), 'lab-class-e2e-'));
const env = { LAB_WARM_POOL: '1', LAB_DB_PATH: path.join(dbDir, 'lab.db'), LAB_ADMIN_TOKEN: TOKEN };

let lab: Lab;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  lab = await startLab(env);
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await lab?.stop();
  rmSync(dbDir, { recursive: true, force: true });
});

/** Content-Security-Policy violations any page of the test reported (the server's strict CSP must hold on the class pages). */
const cspViolations: string[] = [];

async function context(width: number, height: number): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport: { width, height } });
  c.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  contexts.push(c);
  return c;
}

/** One sample of the lab's /metrics (tests/support/classroom.ts), 0 when absent. */
const metric = (name: string, labels: Record<string, string>) => classMetric({ url: lab.url, origin: lab.url }, name, labels);

async function until(what: string, check: () => Promise<boolean>, timeout = 120_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Inputs without a label and buttons or links without a name, as a screen reader would meet them. */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const visible = (el: Element) => !(el as HTMLElement).closest('[hidden]');
    const bad: string[] = [];
    for (const el of document.querySelectorAll<HTMLInputElement>('main input, main textarea, main select')) {
      if (!visible(el) || el.type === 'hidden') continue;
      const named = (el.labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) bad.push(`input#${el.id || el.name}`);
    }
    for (const el of document.querySelectorAll<HTMLElement>('main button, main a[href]')) {
      if (!visible(el)) continue;
      if (!(el.getAttribute('aria-label') || el.textContent?.trim())) bad.push(`${el.tagName.toLowerCase()}.${el.className}`);
    }
    return bad;
  });
}

const labState = (page: Page) => page.evaluate(() => (globalThis as unknown as { __lab?: LabTestHooks }).__lab?.state().kind ?? 'none');
const dockStatus = (page: Page) =>
  page
    .locator('.lab-dock__text')
    .textContent()
    .then((t) => t ?? '');

async function loginInstructor(page: Page): Promise<void> {
  await page.goto(`${lab.url}/instructor/`);
  await page.getByLabel('관리자 토큰').fill(TOKEN);
  await page.getByRole('button', { name: '로그인', exact: true }).click();
  await page.locator('[data-app]').waitFor({ state: 'visible' });
}

/** The instructor's table row of a learner: its cells' text by column. */
async function row(page: Page, name: string): Promise<Record<string, string>> {
  return page.evaluate((name) => {
    const tr = [...document.querySelectorAll('[data-learners-body] tr')].find((r) => r.querySelector('[data-col="name"]')?.textContent === name);
    if (!tr) return {};
    const out: Record<string, string> = {};
    for (const cell of tr.querySelectorAll<HTMLElement>('[data-col]')) {
      const key = cell.dataset.col === 'lesson' ? `lesson:${[...tr.children].indexOf(cell)}` : cell.dataset.col!;
      out[key] = cell.textContent ?? '';
    }
    return out;
  }, name);
}

test(
  'a class of 3 seats: 4 learners from one IP, a queue, progress, a mirror, help, and a restart that keeps it all',
  { timeout: 900_000 },
  async () => {
    // --- the instructor creates the class and prewarms it
    const instructor = await newPage(await context(1280, 900));
    instructor.on('dialog', (d) => void d.accept());
    await loginInstructor(instructor);
    await instructor.getByText('새 수업 만들기').click();
    await instructor.getByLabel('수업 이름').fill('e2e 도커 입문 & "1반"');
    await instructor.getByLabel('자리 수').fill(String(SEATS));
    await instructor.getByLabel('수업 시간(분)').fill('60');
    await instructor.getByRole('button', { name: '만들기', exact: true }).click();
    await instructor.locator('[data-class]').waitFor({ state: 'visible' });
    assert.equal(await instructor.locator('[data-class-name]').textContent(), 'e2e 도커 입문 & "1반"', 'the class name is shown as typed');
    const code = (await instructor.locator('[data-class-code]').textContent())!;
    assert.match(code, /^[A-Z2-9]{6}$/);
    const joinUrl = await instructor.locator('[data-join-link]').inputValue();
    assert.equal(joinUrl, `${lab.url}/join/?code=${code}`);
    assert.deepEqual(await unnamedControls(instructor), [], 'every control of the console has a label or a name');

    await instructor.getByRole('button', { name: '샌드박스 미리 준비' }).click();
    await until('the warm pool to hold the 3 seats', async () => (await metric('lab_sandboxes', { state: 'ready' })) >= SEATS, 300_000);
    const warmBefore = await metric('lab_sandbox_acquired_total', { source: 'warm' });

    // --- the join page: a 375 px look, labels, a refused name, then four learners
    const first = await newPage(await context(375, 800));
    await first.goto(joinUrl);
    assert.equal(await first.getByLabel('참가 코드').inputValue(), code, 'the join link fills in the code');
    assert.deepEqual(await unnamedControls(first), []);
    await first.screenshot({ path: path.join(ARTIFACTS, 'classroom-join-375.png'), fullPage: true });
    await first.getByLabel('이름', { exact: true }).fill('<b>굵게</b>');
    await first.getByRole('button', { name: classKo.join.submit }).click();
    assert.equal(await first.locator('[data-join-message]').textContent(), ko.classroom.errors['name-markup']);

    const learners: Awaited<ReturnType<typeof newPage>>[] = [first];
    for (let i = 1; i < LEARNERS.length; i++) learners.push(await newPage(await context(375, 800)));
    for (const [i, page] of learners.entries()) {
      if (i > 0) await page.goto(joinUrl);
      await page.getByLabel('이름', { exact: true }).fill(LEARNERS[i]!);
      await page.getByRole('button', { name: classKo.join.submit }).click();
      await page.locator('[data-join-done]').waitFor({ state: 'visible' });
      assert.match((await page.locator('[data-join-welcome]').textContent())!, new RegExp(LEARNERS[i]!));
    }

    // --- everyone presses 실행 on the start page's first snippet (the class's first lesson)
    const snippet = findSnippet(/안녕하세요, Docker!/, '/');
    const ids: string[] = [];
    for (const page of learners) {
      await page.getByRole('link', { name: '수업 시작하기' }).click();
      await page.waitForURL(`${lab.url}/`);
      ids.push(await clickRun(page, snippet.code));
    }
    const results = await Promise.all(learners.slice(0, SEATS).map((page, i) => snippetResult(page, ids[i]!, 240_000)));
    assert.deepEqual(
      results.map((r) => r.state),
      ['ok', 'ok', 'ok'],
    );
    assert.ok(
      (await metric('lab_sandbox_acquired_total', { source: 'warm' })) - warmBefore >= SEATS,
      'the three seats were served from the warm pool',
    );
    const fourth = learners[SEATS]!;
    await until('the fourth learner to see its place in the queue', async () => (await dockStatus(fourth)).startsWith('대기 순번 1번'));
    assert.equal(await labState(fourth), 'queued');
    await fourth.screenshot({ path: path.join(ARTIFACTS, 'classroom-queued-375.png') });
    // The place is the learner's (the server keys it by the learner cookie): a reload keeps it.
    await fourth.reload();
    await until('the place to be kept across a reload', async () => (await dockStatus(fourth).catch(() => '')).startsWith('대기 순번 1번'), 30_000);

    // --- the instructor's live table: 4 learners, progress after 실행, a queue of 1
    await until('the table to show the learners and their progress', async () => {
      const r = await row(instructor, LEARNERS[0]!);
      return Object.entries(r).some(([k, v]) => k.startsWith('lesson:') && v.startsWith('✓ 1'));
    });
    assert.equal(await instructor.locator('[data-learners-body] tr').count(), LEARNERS.length);
    await until('the queue length', async () => (await instructor.locator('[data-queue]').textContent()) === classKo.console.queue(1));

    // --- mirror: the instructor sees what the first learner's terminal shows
    await instructor.getByRole('button', { name: `${LEARNERS[0]}: 터미널 미러 보기` }).click();
    const mirrorText = () => instructor.evaluate(() => (globalThis as unknown as { __mirror?: { text(): string } }).__mirror?.text() ?? '');
    await until('the mirror to replay the recent output', async () => (await mirrorText()).includes('안녕하세요, Docker!'), 30_000);
    await typeInTerminal(first, 'echo mirror-$((6*7))\r');
    await waitForTerminal(first, (t) => t.includes('mirror-42'));
    await until('the mirror to show the same new output', async () => (await mirrorText()).includes('mirror-42'), 30_000);
    await instructor.getByRole('button', { name: '미러 닫기' }).click();

    // --- help: a learner asks (markup in the line), the console shows it as text with a badge, the instructor clears it
    const asker = learners[1]!;
    await asker.getByRole('button', { name: ko.classroom.help }).click();
    await asker.getByLabel(ko.classroom.helpLabel).fill('<img src=x> docker ps가 안 돼요');
    await asker.getByRole('button', { name: ko.classroom.helpSend, exact: true }).click();
    await asker.getByText(ko.classroom.helpSent).waitFor();
    await asker.screenshot({ path: path.join(ARTIFACTS, 'classroom-help-375.png') });
    const helpItem = instructor.locator('[data-help-list] li');
    await helpItem.first().waitFor({ timeout: 15_000 });
    assert.match((await helpItem.first().textContent())!, /<img src=x> docker ps가 안 돼요/);
    assert.equal(await instructor.locator('[data-help-list] img').count(), 0, 'the help line is text, never markup');
    assert.equal(await instructor.locator('[data-help-badge]').textContent(), '1');
    await instructor.screenshot({ path: path.join(ARTIFACTS, 'classroom-console-1280.png'), fullPage: true });
    assert.match((await instructor.locator('[data-console-status]').textContent())!, new RegExp(`도움 요청: ${LEARNERS[1]}`));
    await instructor.getByRole('button', { name: `${LEARNERS[1]}: 해결로 표시` }).click();
    await until('the help request to be cleared', async () => (await helpItem.count()) === 0, 15_000);

    // --- a message to all: shown in each connected learner's dock, as text
    await instructor.getByLabel('모든 참가자에게 메시지').fill('10분 쉬고 <3장>부터 합니다');
    await instructor.getByRole('button', { name: '보내기', exact: true }).click();
    const notice = learners[2]!.locator('.lab-dock__notice');
    await notice.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await notice.textContent(), `${ko.classroom.notice.instructor}: 10분 쉬고 <3장>부터 합니다`);

    // --- +10분 for the whole class moves its end
    const endBefore = await instructor.locator('[data-class-meta]').textContent();
    await instructor.getByRole('button', { name: '모두 +10분' }).click();
    await until(
      'the class end to move',
      async () => (await instructor.locator('[data-console-status]').textContent()) === classKo.console.done.extend,
    );
    await until('the new end time', async () => (await instructor.locator('[data-class-meta]').textContent()) !== endBefore, 15_000);

    // --- the CSV export: Excel's BOM, a row per learner and lesson with the names as typed
    const csv = await instructor.context().request.get(await instructor.locator('[data-csv]').evaluate((a) => (a as HTMLAnchorElement).href));
    assert.equal(csv.status(), 200);
    const csvText = (await csv.body()).toString('utf8');
    assert.ok(csvText.startsWith('\uFEFF'), 'UTF-8 BOM for Excel');
    for (const name of LEARNERS) assert.ok(csvText.includes(name), `${name} in the CSV`);

    // --- a seat frees: the instructor ends the first learner; the fourth connects by itself and its 실행 runs
    await instructor.getByRole('button', { name: `${LEARNERS[0]}: 세션 끝내기` }).click();
    await until('the first learner to be told', async () => (await dockStatus(first)) === ko.error.endedByInstructor, 30_000);
    await until('the fourth learner to connect by itself', async () => (await labState(fourth)) === 'connected', 120_000);
    assert.equal((await snippetResult(fourth, await clickRun(fourth, snippet.code), 240_000)).state, 'ok');
    for (const page of learners) assert.deepEqual(page.errors, []);
    assert.deepEqual(cspViolations, [], 'no CSP violation on /instructor/, /join/ or the lesson pages');
    assert.deepEqual(instructor.errors, []);

    // --- restart on the same database: the class, its roster and progress are still there
    const classHash = new URL(instructor.url()).hash;
    await lab.stop();
    lab = await startLab(env);
    await instructor.goto(`${lab.url}/instructor/${classHash}`);
    await instructor.getByLabel('관리자 토큰').fill(TOKEN);
    await instructor.getByRole('button', { name: '로그인', exact: true }).click();
    await instructor.locator('[data-class]').waitFor({ state: 'visible' });
    assert.equal(await instructor.locator('[data-class-code]').textContent(), code);
    await until(
      'the roster after the restart',
      async () => (await instructor.locator('[data-learners-body] tr').count()) === LEARNERS.length,
      30_000,
    );
    const after = await row(instructor, LEARNERS[0]!);
    assert.ok(
      Object.entries(after).some(([k, v]) => k.startsWith('lesson:') && v.startsWith('✓ 1')),
      `progress kept: ${JSON.stringify(after)}`,
    );

    // --- a reload keeps the login (the HttpOnly cookie) and reopens the class named in the address
    await instructor.reload();
    await instructor.locator('[data-class]').waitFor({ state: 'visible' });
    assert.equal(await instructor.locator('[data-login]').isHidden(), true, 'no second login');
    assert.equal(await instructor.locator('[data-class-code]').textContent(), code);
  },
);
