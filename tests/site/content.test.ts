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
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CONTENT_DIR, extractChallenges, listLessons } from '../../src/snippets/extract.ts';
import { CHALLENGE_ID } from '../../src/snippets/meta.ts';
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

test('도전 과제: each <Challenge> has a check script (content/challenges/<id>.sh) and one solution of its own; ids are unique; at least two per lesson', () => {
  const dir = path.join(CONTENT_DIR, 'challenges');
  const seen = new Set<string>();
  for (const lesson of lessons.filter((l) => l.slug.startsWith('lessons/'))) {
    const challenges = extractChallenges(readFileSync(lesson.file, 'utf8'));
    assert.ok(challenges.length >= 2, `${lesson.slug}: ${challenges.length} challenges`);
    for (const c of challenges) {
      assert.match(c.id, CHALLENGE_ID, `${lesson.slug} line ${c.line}`);
      assert.ok(c.title !== '', `${c.id}: a title`);
      assert.ok(!seen.has(c.id), `${c.id}: used twice`);
      seen.add(c.id);
      assert.ok(existsSync(path.join(dir, `${c.id}.sh`)), `${c.id}: content/challenges/${c.id}.sh`);
      const solutions = lesson.snippets.filter((s) => s.meta.challenge === c.id);
      assert.equal(solutions.length, 1, `${c.id}: one solution snippet`);
      assert.ok(solutions[0]!.runnable && !solutions[0]!.step, `${c.id}: the solution runs with 실행 but is not a lesson step`);
    }
    for (const s of lesson.snippets.filter((s) => s.meta.challenge !== undefined)) {
      assert.ok(
        challenges.some((c) => c.id === s.meta.challenge),
        `${lesson.slug} line ${s.line}: solution of an unknown challenge`,
      );
    }
  }
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh'));
  assert.deepEqual(scripts.map((f) => f.replace(/\.sh$/, '')).sort(), [...seen].sort(), 'a check script per challenge, none left over');
});

test('도전 과제: the check scripts never reach the built site', () => {
  const dir = path.join(CONTENT_DIR, 'challenges');
  const dist = path.dirname(pageFile('index'));
  const marker = (f: string) => readFileSync(path.join(dir, f), 'utf8').split('\n')[1]!; // the script's own comment line
  const files = readdirSync(dist, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.(html|js|json|sh|txt)$/.test(e.name));
  for (const f of readdirSync(dir)) {
    assert.ok(!files.some((e) => e.name === f), `${f} copied into dist/`);
    const needle = marker(f);
    for (const e of files.filter((e) => e.name.endsWith('.html') || e.name.endsWith('.js'))) {
      assert.ok(!readFileSync(path.join(e.parentPath, e.name), 'utf8').includes(needle), `${f}'s text in ${e.name}`);
    }
  }
});
