/**
 * Link and image checker over the built site (dist/): every internal link,
 * anchor, stylesheet, script and image resolves; no image comes from another
 * site (the lessons must work offline, on a training network); CSS url()s
 * (KaTeX fonts) resolve too. External links (<a href="https://…">) are allowed
 * but listed, never fetched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DIST, builtPages, isElement, parseHtml, requireBuild, walk, type HNode } from './helpers.ts';

requireBuild();

// The site's own origin (astro.config.mjs `site`): canonical URLs use it.
const SITE_ORIGIN = 'http://localhost:4321';

interface Ref {
  page: string;
  kind: 'link' | 'image' | 'asset';
  url: string;
}

/** dist/ file for an internal URL path, or undefined when nothing serves it. */
function resolveFile(urlPath: string): string | undefined {
  const decoded = decodeURIComponent(urlPath);
  const full = path.join(DIST, decoded);
  const candidates = decoded.endsWith('/') ? [path.join(full, 'index.html')] : [full, `${full}.html`, path.join(full, 'index.html')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const idsCache = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let ids = idsCache.get(file);
  if (!ids) {
    ids = new Set();
    for (const node of walk(parseHtml(readFileSync(file, 'utf8')))) {
      const id = node.properties?.id ?? (isElement(node, 'a') ? node.properties?.name : undefined);
      if (typeof id === 'string') ids.add(id);
    }
    idsCache.set(file, ids);
  }
  return ids;
}

function srcsetUrls(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim().split(/\s+/)[0]!)
        .filter(Boolean)
    : [];
}

function refsOf(page: string, root: HNode): Ref[] {
  const refs: Ref[] = [];
  const add = (kind: Ref['kind'], url: unknown) => {
    if (typeof url === 'string' && url !== '') refs.push({ page, kind, url });
  };
  for (const node of walk(root)) {
    if (node.type !== 'element') continue;
    const p = node.properties ?? {};
    switch (node.tagName) {
      case 'a':
        add('link', p.href);
        break;
      case 'img':
        add('image', p.src);
        for (const u of srcsetUrls(p.srcSet)) add('image', u);
        break;
      case 'source':
        for (const u of srcsetUrls(p.srcSet)) add('image', u);
        break;
      case 'image': // SVG <image href>
        add('image', p.href ?? p.xLinkHref);
        break;
      case 'link': {
        // Things the browser loads; canonical/sitemap/alternate are metadata, not requests.
        const rel = Array.isArray(p.rel) ? p.rel.map(String) : String(p.rel ?? '').split(/\s+/);
        if (rel.some((r) => r.includes('icon'))) add('image', p.href);
        else if (rel.some((r) => ['stylesheet', 'preload', 'modulepreload', 'manifest'].includes(r))) add('asset', p.href);
        break;
      }
      case 'script':
        add('asset', p.src);
        break;
    }
    if (typeof p.style === 'string') for (const m of p.style.matchAll(/url\(\s*['"]?([^'")]+)/g)) add('image', m[1]);
  }
  return refs;
}

const pages = builtPages();
const allRefs = pages.flatMap((page) => refsOf(page, parseHtml(readFileSync(path.join(DIST, page), 'utf8'))));

function classify(ref: Ref): { internal: URL } | { external: URL } | { other: string } {
  const base = new URL(`/${ref.page.replace(/index\.html$/, '').replace(/\.html$/, '')}`, SITE_ORIGIN);
  let url: URL;
  try {
    url = new URL(ref.url, base);
  } catch {
    return { other: ref.url };
  }
  if (url.protocol === 'mailto:' || url.protocol === 'tel:') return { other: ref.url };
  return url.origin === SITE_ORIGIN ? { internal: url } : { external: url };
}

test('the checker sees the site: pages, links, images, assets', () => {
  assert.ok(pages.includes('index.html') && pages.length >= 5, `pages: ${pages.join(', ')}`);
  assert.ok(allRefs.filter((r) => r.kind === 'link').length > 50);
  assert.ok(allRefs.some((r) => r.kind === 'asset'));
});

test('no broken internal link, anchor or asset', () => {
  const broken: string[] = [];
  for (const ref of allRefs) {
    const c = classify(ref);
    if (!('internal' in c)) continue;
    const file = resolveFile(c.internal.pathname);
    if (!file) {
      broken.push(`${ref.page}: ${ref.url} (no such file)`);
      continue;
    }
    if (c.internal.hash.length > 1 && file.endsWith('.html')) {
      const id = decodeURIComponent(c.internal.hash.slice(1));
      if (!idsOf(file).has(id)) broken.push(`${ref.page}: ${ref.url} (no element with id "${id}")`);
    }
  }
  assert.deepEqual(broken, []);
});

test('no external, broken or missing image', () => {
  const bad: string[] = [];
  for (const ref of allRefs.filter((r) => r.kind === 'image')) {
    const c = classify(ref);
    if ('external' in c) bad.push(`${ref.page}: external image ${ref.url}`);
    else if ('internal' in c && !resolveFile(c.internal.pathname)) bad.push(`${ref.page}: missing image ${ref.url}`);
    else if ('other' in c && !ref.url.startsWith('data:')) bad.push(`${ref.page}: odd image URL ${ref.url}`);
  }
  assert.deepEqual(bad, []);
});

test('no stylesheet or script from another site', () => {
  const external = allRefs.filter((r) => r.kind === 'asset' && 'external' in classify(r)).map((r) => `${r.page}: ${r.url}`);
  assert.deepEqual(external, []);
});

test('CSS url()s (KaTeX fonts, icons) resolve and stay on the site', () => {
  const cssDir = path.join(DIST, '_astro');
  const bad: string[] = [];
  for (const name of readdirSync(cssDir).filter((n) => n.endsWith('.css'))) {
    const css = readFileSync(path.join(cssDir, name), 'utf8');
    for (const m of css.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) {
      const url = m[1]!;
      if (url.startsWith('data:') || url.startsWith('#')) continue;
      if (/^[a-z]+:/i.test(url) || url.startsWith('//')) {
        bad.push(`${name}: external ${url}`);
        continue;
      }
      const target = url.startsWith('/') ? path.join(DIST, url) : path.join(cssDir, url);
      if (!existsSync(target.split(/[?#]/)[0]!)) bad.push(`${name}: missing ${url}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the lesson TOC of seed 001 points at real headings', () => {
  const file = path.join(DIST, 'lessons/container-basics/index.html');
  const toc = allRefs.filter((r) => r.page === 'lessons/container-basics/index.html' && r.kind === 'link' && r.url.startsWith('#'));
  const expected = [
    '컨테이너의-정의',
    '컨테이너의-생명주기-lifecycle',
    '실습---컨테이너의-생명주기-lifecycle',
    '컨테이너-재시작-정책',
    '도커-서비스-운영-팁',
  ];
  for (const id of expected) {
    assert.ok(
      toc.some((r) => decodeURIComponent(r.url.slice(1)) === id),
      `TOC link #${id}`,
    );
    assert.ok(idsOf(file).has(id), `heading id ${id}`);
  }
});

test('the former ./entrypoint/README.md link leads to the ENTRYPOINT/CMD section', () => {
  const link = allRefs.find(
    (r) => r.page === 'lessons/container-basics/index.html' && decodeURIComponent(r.url).includes('docker-intro/#docker-명령어'),
  );
  assert.ok(link, 'link to /lessons/docker-intro/#docker-명령어');
  assert.ok(!allRefs.some((r) => r.url.includes('entrypoint/README')));
});

test('external links are plain links to documentation (listed, not fetched)', () => {
  const external = [...new Set(allRefs.filter((r) => r.kind === 'link' && 'external' in classify(r)).map((r) => r.url))].sort();
  assert.deepEqual(external, ['https://jqlang.org/download/', 'https://learn.microsoft.com/en-us/windows/package-manager/winget/']);
});
