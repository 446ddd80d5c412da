import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './paths.ts';
import { buildInputs, staleness } from './site-build.ts';

const root = mkdtempSync(path.join(tmpdir(), 'site-build-'));
after(() => rmSync(root, { recursive: true, force: true }));

const put = (rel: string, text: string, secondsAgo: number) => {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(file, t, t);
};
const touch = (rel: string) => {
  const t = Date.now() / 1000;
  utimesSync(path.join(root, rel), t, t);
};

// A small project: the page imports a module outside src/, which imports another.
put('src/page.ts', "import { x } from '../lib/protocol.ts';\nconst y = await import('./lazy.ts');\n", 100);
put('src/lazy.ts', 'export {};\n', 100);
put('lib/protocol.ts', "export * from './wire.ts';\n", 100);
put('lib/wire.ts', 'export const x = 1;\n', 100);
put('lib/server-only.ts', 'export {};\n', 100);
put('public/favicon.svg', '<svg/>', 100);
put('content/lesson.mdx', '# lesson\n', 100);
put('astro.config.mjs', "import './src/page.ts';\n", 100);
put('dist/index.html', '<!doctype html>', 50);

test('inputs are the build roots plus whatever they import from outside them, transitively', () => {
  const inputs = buildInputs(root).map((f) => path.relative(root, f));
  for (const f of ['src/page.ts', 'src/lazy.ts', 'lib/protocol.ts', 'lib/wire.ts', 'public/favicon.svg', 'content/lesson.mdx', 'astro.config.mjs']) {
    assert.ok(inputs.includes(f), `${f} is an input`);
  }
  assert.ok(!inputs.includes('lib/server-only.ts'), 'a file nothing imports is not an input');
  assert.ok(!inputs.some((f) => f.startsWith('dist/')), 'the output is not an input');
});

test('dist/ older than a transitively imported file outside src/ is stale; a file nothing imports does not matter', () => {
  assert.equal(staleness(root), undefined);
  touch('lib/server-only.ts');
  assert.equal(staleness(root), undefined);
  touch('lib/wire.ts');
  assert.match(staleness(root) ?? '', /lib\/wire\.ts is newer/);
});

test('a newer file in public/ makes dist/ stale', () => {
  put('dist/index.html', '<!doctype html>', 0);
  assert.equal(staleness(root), undefined);
  const t = Date.now() / 1000 + 5;
  utimesSync(path.join(root, 'public/favicon.svg'), t, t);
  assert.match(staleness(root) ?? '', /public\/favicon\.svg is newer/);
});

test('a missing dist/index.html is stale', () => {
  rmSync(path.join(root, 'dist'), { recursive: true });
  assert.equal(staleness(root), 'dist/ has no index.html');
});

test("this site's build inputs include public/ and the lab server's wire protocol the page imports", () => {
  const inputs = buildInputs().map((f) => path.relative(ROOT, f));
  assert.ok(inputs.includes('lab-server/src/protocol.ts'));
  assert.ok(inputs.some((f) => f.startsWith('public/')));
  assert.ok(inputs.includes('astro.config.mjs'));
  assert.ok(!inputs.some((f) => f.startsWith('lab-server/src/sandbox/')), 'server internals the page never imports are not inputs');
});
