import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractChallenges, extractSnippets } from '../../src/snippets/extract.ts';
import { challengeCases, formatChallengeRow } from './challenges.ts';

const lesson = (slug: string, source: string) => ({ slug, snippets: extractSnippets(source), challenges: extractChallenges(source) });

const SOURCE = `
# 수업

\`\`\`bash
echo step
\`\`\`

<Challenge id="one" title="하나">

과제

\`\`\`bash title="해답" challenge="one"
touch /root/one
\`\`\`

</Challenge>

<Challenge id="no-solution" title="해답 없음">
과제
</Challenge>

\`\`\`bash title="해답" challenge="no-element"
true
\`\`\`
`;

test('every challenge of the lessons, its solution, and what is missing (catalog and lessons must agree)', () => {
  const cases = challengeCases([lesson('lessons/a', SOURCE)], new Set(['one', 'no-solution', 'unused']));
  const byId = Object.fromEntries(cases.map((c) => [c.id, c]));
  assert.deepEqual(Object.keys(byId), ['one', 'no-solution', 'no-element', 'unused']);
  assert.equal(byId.one!.problem, undefined);
  assert.equal(byId.one!.solution!.code, 'touch /root/one');
  assert.equal(byId.one!.lesson, 'lessons/a');
  assert.match(byId['no-solution']!.problem!, /no solution block/);
  assert.match(byId['no-element']!.problem!, /no <Challenge id="no-element">/);
  assert.match(byId['no-element']!.problem!, /no check script no-element\.sh/);
  assert.equal(byId.unused!.problem, 'check script that no lesson uses');
});

test('an id used in two lessons is a problem', () => {
  const cases = challengeCases([lesson('lessons/a', SOURCE), lesson('lessons/b', SOURCE)], new Set(['one', 'no-solution']));
  assert.match(cases.find((c) => c.lesson === 'lessons/b' && c.id === 'one')!.problem!, /earlier challenge/);
});

test('a row is one line: multi-line messages are joined, long ones cut', () => {
  const line = formatChallengeRow({
    lesson: 'lessons/a',
    challenge: 'one',
    pass: true,
    before: '첫 줄\n둘째 줄',
    solution: 'exit 0',
    after: '✓',
    seconds: 1.25,
  });
  assert.doesNotMatch(line, /\n/);
  assert.match(line, /^PASS .*첫 줄 ⏎ 둘째 줄 .*exit 0 .*✓ .*1\.3s$/);
});
