/**
 * The lessons as content: the glob loader in src/content.config.ts turns
 * every content/**\/*.mdx into a page; every code block has a language and
 * valid snippet markup; and the page shows exactly the snippets the
 * extractor (and so the lesson runner) sees: same ids, same order, a 실행
 * button on each runnable block and on no other, the norun reason on each
 * norun block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { listLessons } from '../../src/snippets/extract.ts';
import { codeBlocksOf, headingsOf, isElement, mainContent, pageFile, parseHtml, requireBuild, type HNode } from './helpers.ts';

requireBuild();
const lessons = await listLessons();

test('content/ holds the start page and the four lessons', () => {
  assert.deepEqual(lessons.map((l) => l.slug).sort(), [
    'index',
    'lessons/container-basics',
    'lessons/container-lifecycle',
    'lessons/docker-intro',
    'lessons/isolation-and-operations',
  ]);
});

for (const lesson of lessons) {
  test(`${lesson.slug}: the glob loader built it with its frontmatter title`, () => {
    const source = readFileSync(lesson.file, 'utf8');
    const title = /^title:\s*(?:"(.*)"|(.*))$/m.exec(source);
    assert.ok(title, 'frontmatter title');
    assert.match(source, /^description: \S/m, 'frontmatter description');
    const page = parseHtml(readFileSync(pageFile(lesson.slug), 'utf8'));
    assert.deepEqual(headingsOf(page)[0], [1, (title[1] ?? title[2])!.trim()]);
  });

  test(`${lesson.slug}: every code block has a language and valid snippet markup`, () => {
    const problems = lesson.snippets.flatMap((s) => [
      ...(s.lang === '' ? [`line ${s.line}: code block without a language`] : []),
      ...s.problems.map((p) => `line ${s.line}: ${p}`),
    ]);
    assert.deepEqual(problems, []);
  });

  test(`${lesson.slug}: runnable snippets have distinct ids`, () => {
    const ids = lesson.snippets.filter((s) => s.runnable).map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test(`${lesson.slug}: the page shows exactly the extracted snippets`, () => {
    const built = codeBlocksOf(mainContent(parseHtml(readFileSync(pageFile(lesson.slug), 'utf8'))));
    assert.equal(built.length, lesson.snippets.length, 'one rendered block per code block');
    lesson.snippets.forEach((s, i) => {
      const b = built[i]!;
      const where = `block ${i + 1} (line ${s.line})`;
      assert.equal(b.code, s.code, `${where}: code`);
      assert.equal(b.snippetId, s.runnable ? s.id : undefined, `${where}: data-lab-snippet`);
      assert.equal(b.hasRunButton, s.runnable, `${where}: 실행 button`);
      assert.equal(b.norunNote, s.meta.norun, `${where}: norun note`);
    });
  });
}

test('per-lesson counts (runnable / norun / other)', () => {
  const rows = lessons.map((l) => ({
    lesson: l.slug,
    runnable: l.snippets.filter((s) => s.runnable).length,
    norun: l.snippets.filter((s) => s.meta.norun !== undefined).length,
    other: l.snippets.filter((s) => !s.runnable && s.meta.norun === undefined).length,
  }));
  console.table(rows);
  assert.ok(rows.every((r) => r.lesson === 'index' || r.runnable > 0));
});

test('every `:::` callout became a Starlight aside (none left as raw text)', () => {
  for (const lesson of lessons) {
    const source = readFileSync(lesson.file, 'utf8');
    const callouts = source.match(/^\s*:::(note|tip|caution|danger)\b/gm)?.length ?? 0;
    const html = readFileSync(pageFile(lesson.slug), 'utf8');
    const asides = html.match(/<aside aria-label="[^"]*" class="starlight-aside starlight-aside--/g)?.length ?? 0;
    assert.equal(asides, callouts, lesson.slug);
    assert.ok(!textOfMain(html).includes(':::'), `${lesson.slug}: raw ::: in the page`);
  }
});

/** Prose of the lesson: main content without code blocks and recorded output (`:::80` is an IPv6 port there). */
function textOfMain(html: string): string {
  const prose = (node: HNode): string =>
    node.type === 'text' ? (node.value ?? '') : isElement(node, 'pre') ? '' : (node.children ?? []).map(prose).join('');
  return prose(mainContent(parseHtml(html)));
}
