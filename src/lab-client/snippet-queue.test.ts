import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SnippetQueue } from './snippet-queue.ts';

interface J {
  id: string;
  el: string;
}
const job = (id: string, el = id): J => ({ id, el });
const queue = () => new SnippetQueue<J>((a, b) => a.id === b.id && a.el === b.el);

test('the first click runs at once, later clicks wait in click order', () => {
  const q = queue();
  const a = job('a'),
    b = job('b'),
    c = job('c');
  assert.deepEqual(q.add(a), { job: a, added: true, behind: false });
  assert.equal(q.begin(a), true);
  assert.deepEqual(q.add(b), { job: b, added: true, behind: true });
  assert.deepEqual(q.add(c), { job: c, added: true, behind: true });
  assert.equal(q.begin(c), false, 'only the head of the line may start');
  assert.equal(q.begin(b), false, 'nothing starts while one runs');
  assert.equal(
    q.end((j) => j.id === 'a'),
    a,
  );
  assert.equal(q.next, b);
  assert.equal(q.begin(b), true);
  assert.equal(q.length, 1);
});

test('clicking a running or waiting snippet again is the same job, not a second one', () => {
  const q = queue();
  const a = job('a'),
    b = job('b');
  q.add(a);
  q.begin(a);
  q.add(b);
  const table: [J, { job: J; added: boolean; behind: boolean }][] = [
    [job('a'), { job: a, added: false, behind: false }],
    [job('b'), { job: b, added: false, behind: true }],
    [job('a', 'other copy on the page'), { job: job('a', 'other copy on the page'), added: true, behind: true }],
  ];
  for (const [click, expected] of table) assert.deepEqual(q.add(click), expected, `${click.id} ${click.el}`);
  assert.equal(q.length, 2);
});

test('a result for another snippet does not end the running one', () => {
  const q = queue();
  const a = job('a');
  q.add(a);
  q.begin(a);
  assert.equal(
    q.end((j) => j.id === 'zzz'),
    null,
  );
  assert.equal(q.current, a);
  assert.equal(
    q.end(() => true),
    a,
  );
  assert.equal(q.current, null);
  assert.equal(
    q.end(() => true),
    null,
    'nothing runs any more',
  );
});

test('an unreachable lab empties the line, a new sandbox cancels everything (running first)', () => {
  const q = queue();
  const [a, b, c] = [job('a'), job('b'), job('c')];
  for (const j of [a, b, c]) q.add(j);
  q.begin(a);
  assert.deepEqual(q.takeWaiting(), [b, c]);
  assert.equal(q.current, a);
  q.add(b);
  assert.deepEqual(q.takeAll(), [a, b]);
  assert.equal(q.current, null);
  assert.equal(q.length, 0);
});
