/**
 * Which lesson images (the local stand-ins of the start page's table
 * "실습용 대체 이미지") a snippet names, so its recorded 예상 출력 can say the
 * output comes from a stand-in, not from the Docker Hub image.
 *
 * The tags are read at build time from lab-server/images/lessons/<image>/images:
 * one image per line, its tags first (whitespace-separated), then optional
 * build args (NAME=value); `#` starts a comment. Tags under lab/ are the
 * images' own names, never written in a lesson, so they are skipped.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LESSON_IMAGES_DIR = fileURLToPath(new URL('../../lab-server/images/lessons/', import.meta.url));

/** Where the start page's stand-in table is (its heading's id). */
export const STAND_IN_TABLE_HREF = '/#실습용-대체-이미지';

/** The tags of one `images` file. */
export function parseImagesFile(text: string): string[] {
  const tags: string[] = [];
  for (const line of text.split('\n')) {
    for (const word of line.replace(/#.*/, '').trim().split(/\s+/)) {
      if (word === '' || word.includes('=') || word.startsWith('lab/')) continue;
      tags.push(word);
    }
  }
  return tags;
}

/** Every lesson image tag, in folder order. */
export function loadStandInTags(dir: string = LESSON_IMAGES_DIR): string[] {
  if (!existsSync(dir)) return [];
  const tags: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'images');
    if (existsSync(file)) tags.push(...parseImagesFile(readFileSync(file, 'utf8')));
  }
  return [...new Set(tags)];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The stand-in tags `code` names, each once, in the order of `tags`. A tag
 * matches as a whole image reference: `nginx` or `nginx:latest` for
 * nginx:latest (`latest` may be left out, as Docker does), but not `my-nginx`,
 * `nginx:1.25`, `/home/nginx` or `nginx.conf`.
 */
export function standInImages(code: string, tags: readonly string[]): string[] {
  const found: string[] = [];
  for (const tag of tags) {
    const names = tag.endsWith(':latest') ? [tag, tag.slice(0, -':latest'.length)] : [tag];
    const re = new RegExp(`(?<![\\w./:@-])(?:${names.map(escape).join('|')})(?![\\w:/@-]|\\.\\w)`);
    if (re.test(code)) found.push(tag);
  }
  return found;
}
