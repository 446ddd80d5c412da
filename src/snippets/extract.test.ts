import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractChallenges, extractSnippets, lessonSlug, listLessons } from './extract.ts';
import { snippetId } from './id.ts';

const LESSON = `---
title: 예시
---
import { Aside } from '@astrojs/starlight/components';

## 1. 실행

\`\`\`bash
docker run -d --name web nginx
\`\`\`

- 목록 안의 블록:

  \`\`\`bash exit=nonzero expect="is already in use"
  docker run -d --name web nginx
  \`\`\`

:::tip[Windows 팁]
\`\`\`bash norun="Windows Git Bash 전용 팁입니다"
MSYS_NO_PATHCONV=1 docker run ...
\`\`\`
:::

<details>
<summary>예상 화면</summary>

\`\`\`bash title="실습용" input="ps\\nexit"
docker run --rm -it busybox sh
\`\`\`

</details>

$$
\\frac{a}{b}
$$

\`\`\`dockerfile
ENTRYPOINT ["/usr/bin/tini", "--"]
\`\`\`

\`\`\`
plain text
\`\`\`
`;

test('finds every code block in order, nested ones included', () => {
  const blocks = extractSnippets(LESSON);
  assert.deepEqual(
    blocks.map((b) => [b.index, b.lang, b.runnable, b.line]),
    [
      [0, 'bash', true, 8],
      [1, 'bash', true, 14],
      [2, 'bash', false, 19],
      [3, 'bash', true, 27],
      [4, 'dockerfile', false, 37],
      [5, '', false, 41],
    ],
  );
  assert.equal(blocks[1]!.code, 'docker run -d --name web nginx');
  assert.equal(blocks[1]!.meta.exit, 'nonzero');
  assert.deepEqual(blocks[1]!.meta.expect, ['is already in use']);
  assert.equal(blocks[2]!.meta.norun, 'Windows Git Bash 전용 팁입니다');
  assert.equal(blocks[3]!.meta.input, 'ps\nexit');
  assert.equal(blocks[3]!.meta.title, '실습용');
  assert.equal(blocks[3]!.metaString, 'title="실습용" input="ps\\nexit"');
  assert.ok(blocks.every((b) => b.problems.length === 0));
});

test('id is the first 12 hex of sha256 over the code', () => {
  const [first] = extractSnippets(LESSON);
  const expected = createHash('sha256').update('docker run -d --name web nginx').digest('hex').slice(0, 12);
  assert.equal(first!.id, expected);
  assert.equal(snippetId('docker run -d --name web nginx'), expected);
  assert.match(first!.id, /^[0-9a-f]{12}$/);
});

test('multi-line code keeps its lines, continuations and here-documents', () => {
  const [block] = extractSnippets('```bash\ncat > a.sh <<\'EOF\'\necho "$1"\nEOF\ndocker run \\\n  --rm alpine\n```\n');
  assert.equal(block!.code, 'cat > a.sh <<\'EOF\'\necho "$1"\nEOF\ndocker run \\\n  --rm alpine');
});

test('markup problems are reported per block', () => {
  const [block] = extractSnippets('```dockerfile expect="x"\nFROM alpine\n```\n');
  assert.match(block!.problems.join(), /does not run/);
});

test('MDX syntax errors throw instead of silently dropping blocks', () => {
  assert.throws(() => extractSnippets('<details>\n\n```bash\nls\n```\n'));
});

test('lesson slugs follow the content folder layout', () => {
  assert.equal(lessonSlug('/site/content/lessons/docker-intro.mdx', '/site/content'), 'lessons/docker-intro');
  assert.equal(lessonSlug('/site/content/index.mdx', '/site/content'), 'index');
  assert.equal(lessonSlug('/site/content/guide/index.md', '/site/content'), 'guide');
});

test('listLessons reads the same files the glob loader does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lessons-'));
  try {
    await mkdir(join(dir, 'lessons'));
    await mkdir(join(dir, 'recordings'));
    await writeFile(join(dir, 'index.mdx'), '# 시작\n');
    await writeFile(join(dir, 'lessons', 'a.mdx'), '```bash\nls\n```\n');
    await writeFile(join(dir, 'lessons', '_draft.mdx'), '```bash\nrm -rf /\n```\n');
    await writeFile(join(dir, 'recordings', 'x.json'), '{}');
    const lessons = await listLessons(dir);
    assert.deepEqual(
      lessons.map((l) => [l.slug, l.snippets.length]),
      [
        ['index', 0],
        ['lessons/a', 1],
      ],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('challenges: <Challenge id title> elements in order; their solutions are runnable but not lesson steps', () => {
  const source = [
    "import Challenge from '../../src/components/Challenge.astro';",
    '',
    '```bash',
    'echo step',
    '```',
    '',
    '<Challenge id="zombie" title="좀비 만들기">',
    '',
    'Task.',
    '',
    '<Solution slot="solution">',
    '',
    '```bash challenge="zombie"',
    'echo solution',
    '```',
    '',
    '</Solution>',
    '',
    '</Challenge>',
  ].join('\n');
  assert.deepEqual(extractChallenges(source), [{ id: 'zombie', title: '좀비 만들기', line: 7 }]);
  const blocks = extractSnippets(source);
  assert.deepEqual(
    blocks.map((b) => [b.code, b.runnable, b.step, b.meta.challenge]),
    [
      ['echo step', true, true, undefined],
      ['echo solution', true, false, 'zombie'],
    ],
  );
});
