/**
 * src/components/Search.astro is a fenced copy of Starlight's Search component
 * (see its header). This test rebuilds upstream's file from our copy, outside
 * the `// [lab] begin` … `// [lab] end` fences as is, inside a fence only the
 * `// [upstream] ` lines, and compares it with the installed Starlight's file.
 * After a Starlight upgrade it fails until the copy is taken again from the
 * new version and our fenced changes are re-applied, so the override never
 * silently keeps an old Starlight's markup, styles or fixes.
 * It also checks that Starlight's i18n data for Korean (src/content/i18n/ko.json)
 * has every Pagefind string Starlight passes to the search dialog.
 * Needs no build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { i18nSchema } from '@astrojs/starlight/schema';
const ROOT = path.resolve(import.meta.dirname, '../..');

const OURS = path.join(ROOT, 'src/components/Search.astro');
const require = createRequire(path.join(ROOT, 'package.json'));
/** Installed Starlight's own component (its package exports ./components/*). */
const UPSTREAM = require.resolve('@astrojs/starlight/components/Search.astro');
const STARLIGHT_DIR = path.resolve(path.dirname(UPSTREAM), '../..');
const starlightVersion: string = JSON.parse(readFileSync(path.join(STARLIGHT_DIR, 'package.json'), 'utf8')).version;

/** Upstream's text as our copy records it; throws on unbalanced fences. */
function upstreamFromCopy(copy: string): string {
  const out: string[] = [];
  let fenced = false;
  for (const [i, line] of copy.split('\n').entries()) {
    const marker = line.trim();
    if (marker === '// [lab] begin') {
      if (fenced) throw new Error(`line ${i + 1}: [lab] begin inside a fence`);
      fenced = true;
    } else if (marker === '// [lab] end') {
      if (!fenced) throw new Error(`line ${i + 1}: [lab] end without begin`);
      fenced = false;
    } else if (fenced) {
      const m = /^\s*\/\/ \[upstream\] (.*)$/.exec(line);
      if (m) out.push(m[1]);
    } else {
      out.push(line);
    }
  }
  if (fenced) throw new Error('a [lab] fence is not closed');
  return out.join('\n');
}

test('the fences are read as intended', () => {
  const copy = ['a', '// [lab] begin', '// [upstream] \tb', 'ours', '\t// [lab] end', 'c'].join('\n');
  assert.equal(upstreamFromCopy(copy), 'a\n\tb\nc');
  assert.throws(() => upstreamFromCopy('// [lab] begin\nx'), /not closed/);
});

test(`Search.astro is Starlight ${starlightVersion}'s component plus our fenced changes`, () => {
  const copy = readFileSync(OURS, 'utf8');
  const header = /copied from @astrojs\/starlight (\S+)/.exec(copy);
  assert.ok(header, 'the header names the Starlight version the copy was taken from');
  const rebuilt = upstreamFromCopy(copy);
  const upstream = readFileSync(UPSTREAM, 'utf8');
  if (rebuilt !== upstream) {
    const a = rebuilt.split('\n');
    const b = upstream.split('\n');
    let i = 0;
    while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
    assert.fail(
      `Starlight's Search.astro (installed: ${starlightVersion}, copy taken from ${header[1]}) differs from the copy ` +
        `in src/components/Search.astro at upstream line ${i + 1}:\n  upstream: ${JSON.stringify(b[i])}\n  copy:     ${JSON.stringify(a[i])}\n` +
        `Copy ${path.relative(ROOT, UPSTREAM)} again, re-apply the [lab] fences and update the version in the header.`,
    );
  }
  assert.equal(header[1], starlightVersion, 'the header names the installed Starlight version');
});

test('src/content/i18n/ko.json has every Pagefind string of Starlight i18n', () => {
  const keys = Object.keys(i18nSchema().shape).filter((k) => k.startsWith('pagefind.'));
  assert.ok(keys.length > 0);
  const ko: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, 'src/content/i18n/ko.json'), 'utf8'));
  assert.deepEqual(
    keys.filter((k) => !ko[k]),
    [],
    'Pagefind strings without Korean text (Pagefind would show Starlight’s English)',
  );
  for (const k of keys) assert.match(ko[k], /[가-힣]/, `${k} is Korean`);
});
