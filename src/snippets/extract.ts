/**
 * Reads a lesson (MDX) and returns its code blocks in document order, with
 * their parsed snippet meta. Used by the site tests and by the lesson runner
 * (which runs every runnable block of a lesson, in order, in one sandbox).
 *
 *     import { extractSnippetsFromFile, listLessons } from '../src/snippets/extract.ts';
 *     for (const lesson of await listLessons()) {
 *       for (const s of lesson.snippets.filter((s) => s.step)) {   // s.runnable includes challenge solutions
 *         // s.code, s.id, s.meta.exit, s.meta.expect, s.meta.timeout, s.meta.input …
 *       }
 *     }
 *
 * Parsing uses Sätteri's MDX parser, the same one Astro 7 uses to build the
 * page, with the same features switched on (GFM, frontmatter, math, `:::`
 * directives for Starlight asides): a block is seen here exactly when it is
 * rendered there, nested in lists, asides or <details> included.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mdxToMdast } from 'satteri';
import { isLessonStep, isRunnable, lintMeta, parseMeta, type SnippetMeta } from './meta.ts';
import { snippetId } from './id.ts';

export interface ExtractedSnippet {
  /** 0-based position among the document's code blocks. */
  index: number;
  /** The fence's language as written ('' when none). */
  lang: string;
  /** The code between the fences (no trailing newline). */
  code: string;
  /** The raw meta string after the language ('' when none). */
  metaString: string;
  /** Parsed meta (see meta.ts). */
  meta: SnippetMeta;
  /** True for shell blocks not marked norun: they get a 실행 button. */
  runnable: boolean;
  /**
   * A lesson step: runnable and not a challenge's solution (`challenge=<id>`,
   * `meta.challenge`). The lesson runner runs these and the page counts them
   * in n/m; a solution runs only in the runner's challenge mode.
   */
  step: boolean;
  /** First 12 hex of sha256(code): data-lab-snippet on the page. */
  id: string;
  /** 1-based line of the opening fence in the source file. */
  line: number;
  /** Problems with the markup (empty when fine); see lintMeta. */
  problems: string[];
}

export interface Lesson {
  /** Route and progress key, e.g. 'lessons/docker-intro' ('index' for the start page). */
  slug: string;
  /** Absolute path of the MDX file. */
  file: string;
  snippets: ExtractedSnippet[];
}

/** The Markdown features Astro runs for this site (astro.config.mjs keeps them in sync). */
export const MARKDOWN_FEATURES = {
  gfm: true,
  frontmatter: true,
  math: true,
  directive: true,
  smartPunctuation: false,
} as const;

interface MdastLike {
  type: string;
  name?: string | null;
  attributes?: { type: string; name?: string; value?: unknown }[];
  lang?: string | null;
  meta?: string | null;
  value?: string;
  position?: { start: { line: number } };
  children?: MdastLike[];
}

/** Code blocks of an MDX source, in document order. Throws on MDX syntax errors. */
export function extractSnippets(source: string): ExtractedSnippet[] {
  const tree = mdxToMdast(source, { features: MARKDOWN_FEATURES }) as unknown as MdastLike;
  const blocks: ExtractedSnippet[] = [];
  const walk = (node: MdastLike) => {
    if (node.type === 'code') {
      const lang = node.lang ?? '';
      const metaString = node.meta ?? '';
      const code = node.value ?? '';
      const meta = parseMeta(metaString);
      blocks.push({
        index: blocks.length,
        lang,
        code,
        metaString,
        meta,
        runnable: isRunnable(lang, meta),
        step: isLessonStep(lang, meta),
        id: snippetId(code),
        line: node.position?.start.line ?? 0,
        problems: lintMeta(lang, meta),
      });
      return;
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(tree);
  return blocks;
}

export interface ExtractedChallenge {
  /** <Challenge id="…">: the check's name (content/challenges/<id>.sh) and the page's data-lab-challenge. */
  id: string;
  title: string;
  /** 1-based line of the <Challenge> element. */
  line: number;
}

/** The `<Challenge id title>` elements (src/components/Challenge.astro) of an MDX source, in order. */
export function extractChallenges(source: string): ExtractedChallenge[] {
  const tree = mdxToMdast(source, { features: MARKDOWN_FEATURES }) as unknown as MdastLike;
  const out: ExtractedChallenge[] = [];
  const attr = (node: MdastLike, name: string) => {
    const value = node.attributes?.find((a) => a.type === 'mdxJsxAttribute' && a.name === name)?.value;
    return typeof value === 'string' ? value : '';
  };
  const walk = (node: MdastLike) => {
    if (node.type === 'mdxJsxFlowElement' && node.name === 'Challenge') {
      out.push({ id: attr(node, 'id'), title: attr(node, 'title'), line: node.position?.start.line ?? 0 });
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(tree);
  return out;
}

export async function extractSnippetsFromFile(file: string): Promise<ExtractedSnippet[]> {
  return extractSnippets(await readFile(file, 'utf8'));
}

/** The content folder the site loads lessons from (src/content.config.ts). */
export const CONTENT_DIR = fileURLToPath(new URL('../../content/', import.meta.url));

/** 'content/lessons/docker-intro.mdx' → 'lessons/docker-intro' (the page's route). */
export function lessonSlug(file: string, contentDir: string = CONTENT_DIR): string {
  return (
    relative(contentDir, file)
      .split(sep)
      .join('/')
      .replace(/\.mdx?$/, '')
      .replace(/(^|\/)index$/, '$1')
      .replace(/\/$/, '') || 'index'
  );
}

/**
 * Every lesson file under content/ (the same files the glob loader loads:
 * *.md / *.mdx not starting with _), sorted by path.
 */
export async function listLessons(contentDir: string = CONTENT_DIR): Promise<Lesson[]> {
  const entries = await readdir(contentDir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.mdx?$/.test(e.name) && !e.name.startsWith('_'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !relative(contentDir, f).split(sep).includes('recordings'))
    .sort();
  return Promise.all(files.map(async (file) => ({ slug: lessonSlug(file, contentDir), file, snippets: await extractSnippetsFromFile(file) })));
}
