/**
 * The "예상 출력" under each snippet comes from content/recordings/, written by
 * `npm run test:lessons -- --record` from a real run. This fails as soon as a
 * lesson's runnable snippets and its recording disagree (a snippet added,
 * edited or removed without re-recording), naming the command that fixes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listLessons } from '../../src/snippets/extract.ts';
import { readRecordings } from '../../src/snippets/recordings.ts';

const lessons = (await listLessons()).filter((l) => l.snippets.some((s) => s.runnable));

test('there are lessons with runnable snippets', () => {
  assert.ok(lessons.length >= 4, `expected the four lessons, found ${lessons.map((l) => l.slug).join(', ')}`);
});

for (const lesson of lessons) {
  test(`recorded output of ${lesson.slug} matches its runnable snippets`, () => {
    const hint = `re-record with: npm run test:lessons -- --record --lesson ${lesson.slug}`;
    const recorded = readRecordings(lesson.slug);
    assert.ok(recorded, `no recording for ${lesson.slug}; ${hint}`);
    const want = lesson.snippets
      .filter((s) => s.step)
      .map((s) => s.id)
      .sort(); // challenge solutions are not recorded
    const have = Object.keys(recorded.snippets).sort();
    const missing = lesson.snippets.filter((s) => s.step && !have.includes(s.id)).map((s) => `line ${s.line}`);
    const extra = have.filter((id) => !want.includes(id));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `stale recording for ${lesson.slug}; ${hint}`);
  });
}
