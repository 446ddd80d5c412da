import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listLessons } from '../../src/snippets/extract.ts';
import { inCourseOrder, sidebarSlugs, siteSidebarSlugs } from './course.ts';

const config = (sidebar: string) => `
import starlight from '@astrojs/starlight';
export default defineConfig({ integrations: [starlight({ title: 't', sidebar: ${sidebar} })] });
`;

test('the sidebar order flattens groups and accepts slug strings and { slug } entries', () => {
  const slugs = sidebarSlugs(
    config(`[
      { slug: 'index', label: 'start' },
      { label: 'lessons', items: ['lessons/b', { label: 'nested', items: ["lessons/a"] }, 'lessons/c'] },
      { label: 'elsewhere', link: 'https://example.org' },
    ]`),
  );
  assert.deepEqual(slugs, ['index', 'lessons/b', 'lessons/a', 'lessons/c']);
});

test('an autogenerate group is refused: it has no order to read', () => {
  assert.throws(() => sidebarSlugs(config(`[{ label: 'x', autogenerate: { directory: 'lessons' } }]`)), /autogenerate/);
});

test('a config without a sidebar is refused', () => {
  assert.throws(() => sidebarSlugs(config('undefined').replace('sidebar: undefined', '')), /found 0/);
});

test('lessons are put in sidebar order; lessons the sidebar does not list are kept apart', () => {
  const lessons = [{ slug: 'lessons/a' }, { slug: 'lessons/b' }, { slug: 'lessons/extra' }, { slug: 'index' }];
  const { course, outside } = inCourseOrder(lessons, ['index', 'lessons/b', 'lessons/a']);
  assert.deepEqual(
    course.map((l) => l.slug),
    ['index', 'lessons/b', 'lessons/a'],
  );
  assert.deepEqual(
    outside.map((l) => l.slug),
    ['lessons/extra'],
  );
});

test('a sidebar entry without a lesson file is an error, not a silently shorter course', () => {
  assert.throws(() => inCourseOrder([{ slug: 'index' }], ['index', 'lessons/gone']), /lessons\/gone/);
});

test("this site's sidebar lists every page under content/, so the course mode runs them all", async () => {
  const pages = (await listLessons()).map((l) => l.slug).sort();
  assert.deepEqual([...siteSidebarSlugs()].sort(), pages);
});
