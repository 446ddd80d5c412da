/**
 * The JavaScript budget (bench/js-budget.ts) as a test: every lesson page
 * loads at most 30 KB gzip of JavaScript before the first 실행, and none of
 * it is the terminal (xterm, the lab client), which loads on demand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET_BYTES, siteBudget } from '../../bench/js-budget.ts';
import { requireBuild } from './helpers.ts';

requireBuild();
const pages = await siteBudget();

for (const page of pages.filter((p) => p.page.startsWith('lessons/'))) {
  test(`${page.page}: ${(page.gzip / 1024).toFixed(1)} KB gzip before the first 실행 (budget ${BUDGET_BYTES / 1024} KB)`, () => {
    assert.ok(page.gzip <= BUDGET_BYTES);
    const terminal = page.scripts.filter((s) => /lab-client|xterm|addon-/.test(s.name));
    assert.deepEqual(terminal, [], 'terminal code must load only on 실행');
    assert.ok(
      page.scripts.some((s) => s.name.includes('PageTitle')),
      'the run-buttons script is on the page',
    );
  });
}
