/**
 * scripts/build-images.sh builds every folder under lab-server/images/lessons,
 * in an order it derives from the FROM lines (no list to keep in step by hand).
 * `--print-order` prints that order without touching Docker; these tests check
 * it on the real tree and on scratch trees (a new folder, a cycle, a folder
 * without an images file).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/build-images.sh');
const LESSONS = path.join(ROOT, 'lab-server/images/lessons');

function printOrder(imagesDir?: string): { code: number | null; order: string[]; stderr: string } {
  const r = spawnSync('bash', [SCRIPT, '--print-order'], {
    encoding: 'utf8',
    env: { ...process.env, ...(imagesDir ? { LAB_IMAGES_DIR: imagesDir } : {}) },
  });
  return { code: r.status, order: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
}

const withTag = (name: string) => (/:[^/]*$/.test(name) ? name : `${name}:latest`);

/** Tag -> folder, from each folder's `images` file (words without `=`). */
function providers(lessons: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const dir of readdirSync(lessons)) {
    for (const line of readFileSync(path.join(lessons, dir, 'images'), 'utf8').split('\n')) {
      for (const word of line.replace(/#.*/, '').split(/\s+/).filter(Boolean)) if (!word.includes('=')) map.set(withTag(word), dir);
    }
  }
  return map;
}

function fromImages(dockerfile: string): string[] {
  return readFileSync(dockerfile, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0]?.toUpperCase() === 'FROM')
    .map((w) => w.slice(1).find((x) => !x.startsWith('--'))!)
    .filter((x) => x !== 'scratch');
}

/** A scratch lessons tree: name -> [FROM lines' images, tags it builds]. */
function scratchTree(folders: Record<string, { from: string[]; tags?: string[] }>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'lab-build-order-'));
  for (const [name, { from, tags }] of Object.entries(folders)) {
    const dir = path.join(root, 'lessons', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'Dockerfile'), from.map((f) => `FROM ${f}\n`).join('') + 'CMD ["sh"]\n');
    if (tags) writeFileSync(path.join(dir, 'images'), `# tags\n${tags.join(' ')}\n`);
  }
  return root;
}

describe('build-images.sh: which lesson images, in which order', () => {
  test('every folder under lab-server/images/lessons is built once, after the folders it is built FROM', () => {
    const { code, order, stderr } = printOrder();
    assert.equal(code, 0, stderr);
    assert.deepEqual([...order].sort(), readdirSync(LESSONS).sort());
    const provider = providers(LESSONS);
    for (const [i, dir] of order.entries()) {
      for (const from of fromImages(path.join(LESSONS, dir, 'Dockerfile'))) {
        const p = provider.get(withTag(from));
        if (p && p !== dir) assert.ok(order.indexOf(p) < i, `${dir} is built FROM ${from} (from ${p}), so after it: ${order.join(' ')}`);
      }
    }
  });

  test('a new folder is picked up: alphabetical, each after what it is built FROM (untagged FROM = :latest)', () => {
    const root = scratchTree({
      alpha: { from: ['zeta:1'], tags: ['alpha:latest'] },
      mid: { from: ['lab/x'], tags: ['mid'] },
      x: { from: ['lab/debian:bookworm', 'scratch'], tags: ['x:1', 'lab/x:latest'] },
      zeta: { from: ['--platform=linux/amd64 lab/debian:bookworm'], tags: ['zeta:1', 'zeta:latest'] },
    });
    try {
      const { code, order, stderr } = printOrder(root);
      assert.equal(code, 0, stderr);
      assert.deepEqual(order, ['x', 'mid', 'zeta', 'alpha']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a cycle fails loudly, naming the folders', () => {
    const root = scratchTree({
      a: { from: ['b:latest'], tags: ['a'] },
      b: { from: ['a'], tags: ['b'] },
      c: { from: ['lab/debian:bookworm'], tags: ['c'] },
    });
    try {
      const { code, stderr } = printOrder(root);
      assert.notEqual(code, 0);
      assert.match(stderr, /cycle/);
      assert.match(stderr, /  a FROM the images of: b/);
      assert.match(stderr, /  b FROM the images of: a/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a folder without an images file fails loudly instead of being skipped', () => {
    const root = scratchTree({ ok: { from: ['lab/debian:bookworm'], tags: ['ok'] }, wip: { from: ['lab/debian:bookworm'] } });
    try {
      const { code, stderr } = printOrder(root);
      assert.notEqual(code, 0);
      assert.match(stderr, /lessons\/wip has no images file/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
