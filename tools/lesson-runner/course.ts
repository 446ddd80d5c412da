/**
 * The course as a reader meets it: the lessons in the order of the site's
 * sidebar. That order has one home, the `sidebar` of Starlight in
 * astro.config.mjs; this module reads it from there (parsed with TypeScript's
 * parser, without running the config, which would load Astro) rather than
 * keeping a second list that could drift.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ASTRO_CONFIG = fileURLToPath(new URL('../../astro.config.mjs', import.meta.url));

/**
 * Slugs of the sidebar's entries in order, groups flattened. Entries may be
 * a slug string, `{ slug }`, a group `{ items: [...] }`, or a `{ link }` to
 * elsewhere (no lesson, skipped). An `autogenerate` group has no order of its
 * own in the config, so it is refused rather than guessed.
 */
export function sidebarSlugs(configSource: string): string[] {
  const file = ts.createSourceFile('astro.config.mjs', configSource, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const sidebars: ts.ArrayLiteralExpression[] = [];
  const find = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && node.name.getText(file) === 'sidebar' && ts.isArrayLiteralExpression(node.initializer)) {
      sidebars.push(node.initializer);
    }
    ts.forEachChild(node, find);
  };
  find(file);
  if (sidebars.length !== 1) throw new Error(`expected one \`sidebar: [...]\` in astro.config.mjs, found ${sidebars.length}`);

  const slugs: string[] = [];
  const entry = (node: ts.Expression) => {
    if (ts.isStringLiteralLike(node)) {
      slugs.push(node.text);
      return;
    }
    if (!ts.isObjectLiteralExpression(node)) throw new Error(`sidebar entry not understood: ${node.getText(file)}`);
    const prop = (name: string) =>
      node.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(file) === name)?.initializer;
    const slug = prop('slug');
    const items = prop('items');
    if (slug && ts.isStringLiteralLike(slug)) slugs.push(slug.text);
    else if (items && ts.isArrayLiteralExpression(items)) items.elements.forEach(entry);
    else if (prop('autogenerate')) throw new Error('an autogenerate sidebar group has no order of its own; list the lessons in astro.config.mjs');
    else if (!prop('link')) throw new Error(`sidebar entry not understood: ${node.getText(file)}`);
  };
  sidebars[0]!.elements.forEach(entry);
  return slugs;
}

/** Puts `lessons` in sidebar order; `outside` are lessons the sidebar does not list (not part of the course). */
export function inCourseOrder<L extends { slug: string }>(lessons: readonly L[], slugs: readonly string[]): { course: L[]; outside: L[] } {
  const bySlug = new Map(lessons.map((l) => [l.slug, l]));
  const missing = slugs.filter((s) => !bySlug.has(s));
  if (missing.length) throw new Error(`the sidebar lists pages that have no file under content/: ${missing.join(', ')}`);
  return {
    course: slugs.map((s) => bySlug.get(s)!),
    outside: lessons.filter((l) => !slugs.includes(l.slug)),
  };
}

/** The sidebar's order from this site's astro.config.mjs. */
export function siteSidebarSlugs(): string[] {
  return sidebarSlugs(readFileSync(ASTRO_CONFIG, 'utf8'));
}
