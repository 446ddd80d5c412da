/**
 * The one "rebuild the site if stale" check, for every suite that needs
 * dist/ (site tests, e2e, benchmarks, the lesson runner's page checks).
 *
 * dist/ is stale when dist/index.html is older than any input of the build.
 * The inputs are not a hand-kept list of files, which drifts (one copy knew
 * about public/, another about lab-server/src/protocol.ts): they are the
 * build's roots (content, src, public, the Astro config, the package and lock
 * files, tsconfig) plus every file outside them that a root file imports by a
 * relative path, followed transitively (the page imports the lab server's
 * wire protocol, which lives outside src/).
 *
 * The suites that share dist/ run one after another (npm test, test:site), so
 * one check-then-build at a time is enough.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DIST, ROOT } from './paths.ts';

const ROOTS = [
  'content',
  'src',
  'public',
  'astro.config.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  // Read, not imported: src/snippets/stand-ins.ts lists the stand-in image tags from lab-server/images/lessons/*/images.
  'lab-server/images/lessons',
];
/** Files whose relative imports are followed (MDX and .astro import like modules do). */
const IMPORTING = /\.(?:[cm]?[jt]s|tsx?|astro|mdx?)$/;
/** `from './x'`, `import './x'`, `import('./x')`: relative specifiers only (packages are covered by the lock file). */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

function filesUnder(p: string, out: string[]): void {
  const st = statSync(p);
  if (!st.isDirectory()) {
    out.push(p);
    return;
  }
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    filesUnder(path.join(p, name), out);
  }
}

/** Every input of the site build under `root`, absolute paths, sorted. */
export function buildInputs(root: string = ROOT): string[] {
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const r of ROOTS.map((p) => path.join(root, p)).filter(existsSync)) filesUnder(r, queue);
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!IMPORTING.test(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      const target = path.resolve(path.dirname(file), m[2]!.replace(/[?#].*$/, ''));
      if (!seen.has(target) && existsSync(target) && statSync(target).isFile()) queue.push(target);
    }
  }
  return [...seen].sort();
}

/** Why dist/ under `root` needs a build, or undefined when it is up to date. */
export function staleness(root: string = ROOT): string | undefined {
  const index = path.join(root, path.relative(ROOT, DIST), 'index.html');
  if (!existsSync(index)) return 'dist/ has no index.html';
  const built = statSync(index).mtimeMs;
  const newer = buildInputs(root).find((f) => statSync(f).mtimeMs > built);
  return newer ? `${path.relative(root, newer)} is newer than dist/` : undefined;
}

/** Builds the site when dist/ is missing or older than any input; says what it did unless `quiet`. */
export function ensureSiteBuilt(options: { quiet?: boolean } = {}): void {
  const why = staleness();
  if (!why) {
    if (!options.quiet) console.log('site: dist/ is up to date');
    return;
  }
  if (!options.quiet) console.log(`site: building (${why})…`);
  execFileSync(path.join(ROOT, 'node_modules/.bin/astro'), ['build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
  });
}
