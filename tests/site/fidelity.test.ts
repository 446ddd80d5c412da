/**
 * Content fidelity: every heading, code block (with its language), text
 * block (paragraph, list item, table cell, quote) and <details> summary of
 * each seed document appears in its built lesson, in the same order,
 * ignoring whitespace and markup. What may differ is listed here, with why:
 * images (external screenshots, replaced on purpose) and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { markdownToMdast } from 'satteri';
import {
  COPIED_SEEDS_DIR,
  SEEDS_DIR,
  SHARED_SEEDS_DIR,
  SEED_LESSONS,
  codeBlocksOf,
  headingsOf,
  isElement,
  mainContent,
  parseHtml,
  readPage,
  requireBuild,
  squash,
  textOf,
  walk,
} from './helpers.ts';

interface Md {
  type: string;
  depth?: number;
  lang?: string | null;
  value?: string;
  url?: string;
  children?: Md[];
}

/** Text of an mdast node as a reader sees it: text and inline code, no raw HTML, no images. */
function mdText(node: Md): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value ?? '';
  if (node.type === 'html' || node.type === 'image') return '';
  if (node.type === 'break') return '\n';
  return (node.children ?? []).map(mdText).join('');
}

function* mdWalk(node: Md): Generator<Md> {
  yield node;
  for (const child of node.children ?? []) yield* mdWalk(child);
}

interface Seed {
  headings: [number, string][];
  code: { lang: string; code: string }[];
  texts: string[];
  images: string[];
  summaries: string[];
}

function readSeed(file: string): Seed {
  const source = readFileSync(path.join(SEEDS_DIR, file), 'utf8');
  const tree = markdownToMdast(source, { features: { gfm: true, frontmatter: true, math: true } }) as unknown as Md;
  const seed: Seed = { headings: [], code: [], texts: [], images: [], summaries: [] };
  for (const node of mdWalk(tree)) {
    if (node.type === 'heading') seed.headings.push([node.depth!, mdText(node).trim()]);
    if (node.type === 'code') seed.code.push({ lang: node.lang ?? '', code: node.value ?? '' });
    if (node.type === 'image') seed.images.push(node.url ?? '');
    // Leaf text blocks: paragraphs (also inside list items and quotes) and table cells.
    if (node.type === 'paragraph' || node.type === 'tableCell') {
      const text = mdText(node).trim();
      if (text !== '') seed.texts.push(text);
    }
    if (node.type === 'html') {
      for (const m of (node.value ?? '').matchAll(/<summary>([\s\S]*?)<\/summary>/g)) seed.summaries.push(m[1]!.replace(/<[^>]+>/g, '').trim());
    }
  }
  return seed;
}

/** Asserts that `items` occur in `haystack` in order (each after the previous match). */
function assertInOrder<T>(items: T[], haystack: T[], same: (a: T, b: T) => boolean, what: string, show: (t: T) => string) {
  let from = 0;
  for (const item of items) {
    const at = haystack.findIndex((h, i) => i >= from && same(item, h));
    assert.ok(at !== -1, `${what} missing or out of order: ${show(item)}`);
    from = at + 1;
  }
}

requireBuild();

for (const [file, route] of Object.entries(SEED_LESSONS)) {
  const seed = readSeed(file);
  const page = parseHtml(readPage(route));
  const content = mainContent(page);

  test(`${route}: every heading of ${file}, same level, in order`, () => {
    assert.ok(seed.headings.length > 0);
    assertInOrder(
      seed.headings,
      headingsOf(page),
      (a, b) => a[0] === b[0] && squash(a[1]) === squash(b[1]),
      'heading',
      (h) => `h${h[0]} ${h[1]}`,
    );
  });

  test(`${route}: every code block of ${file}, with its language, in order`, () => {
    const built = codeBlocksOf(content);
    assert.ok(seed.code.length > 0);
    assertInOrder(
      seed.code,
      built,
      (s, b) =>
        squash(s.code) === squash(b.code) &&
        // A language the author gave is kept; a missing one was chosen (bash for commands, text otherwise).
        (s.lang ? s.lang.toLowerCase() === b.lang.toLowerCase() : ['bash', 'text'].includes(b.lang)),
      'code block',
      (s) => `[${s.lang || 'no language'}] ${s.code.split('\n')[0]}`,
    );
  });

  test(`${route}: every paragraph, list item, quote and table cell of ${file}`, () => {
    const pageText = squash(textOf(content));
    const missing = seed.texts.filter((t) => !pageText.includes(squash(t)));
    assert.deepEqual(missing, []);
  });

  test(`${route}: every <details> of ${file} is a working collapsible with its summary`, () => {
    const summaries = [...walk(content)]
      .filter((n) => isElement(n, 'details'))
      .map((d) => {
        const summary = (d.children ?? []).find((c) => isElement(c, 'summary'));
        assert.ok(summary, '<details> without its own <summary> does not collapse properly');
        return textOf(summary).trim();
      });
    assertInOrder(
      seed.summaries,
      summaries,
      (a, b) => squash(a) === squash(b),
      'details',
      (s) => s,
    );
  });

  test(`${route}: the source's images are gone (external screenshots), none added`, () => {
    for (const url of seed.images) assert.match(url, /^https:\/\/github\.com\/user-attachments\//, 'an unexpected kind of image in the seed');
    assert.equal([...walk(content)].filter((n) => isElement(n, 'img')).length, 0);
  });
}

test('every seed document has its lesson', () => {
  const seeds = readSeedsDir();
  assert.deepEqual(seeds, Object.keys(SEED_LESSONS).sort());
});

// Only where the originals are beside the clone (always in CI).
if (existsSync(SHARED_SEEDS_DIR))
  test('the in-repo copy of the seeds matches the originals', () => {
    for (const name of Object.keys(SEED_LESSONS)) {
      assert.equal(readFileSync(path.join(COPIED_SEEDS_DIR, name), 'utf8'), readFileSync(path.join(SHARED_SEEDS_DIR, name), 'utf8'), name);
    }
  });

function readSeedsDir(): string[] {
  return readdirSync(SEEDS_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort();
}
