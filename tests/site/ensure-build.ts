/**
 * `npm run test:site` step 1: build the site when dist/ is missing or older
 * than anything it is built from (content, src, config, package.json). One
 * build at a time on this machine (the same lock as the e2e harness), since
 * several suites share dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DIST, ROOT } from './helpers.ts';

function newest(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    max = Math.max(max, newest(path.join(p, name)));
  }
  return max;
}

const sources = ['content', 'src', 'public', 'astro.config.mjs', 'package.json'].map((p) => path.join(ROOT, p)).filter(existsSync);
const index = path.join(DIST, 'index.html');
const stale = !existsSync(index) || statSync(index).mtimeMs < Math.max(...sources.map(newest));

if (stale) {
  console.log('test:site: building the site (dist/ is missing or older than its sources)…');
  execFileSync('flock', ['/tmp/astro-build.lock', path.join(ROOT, 'node_modules/.bin/astro'), 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
  });
} else {
  console.log('test:site: dist/ is up to date');
}
