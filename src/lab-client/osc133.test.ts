import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandTracker, type Mark } from './osc133.ts';

const A: Mark = { kind: 'A' };
const B: Mark = { kind: 'B' };
const C: Mark = { kind: 'C' };
const D = (exit: number | null): Mark => ({ kind: 'D', exit });

test('a snippet: armed, C starts it, D ends it with its exit code', () => {
  const t = new CommandTracker();
  assert.equal(t.idle, false, 'unknown state is not idle');
  t.handle(A);
  t.handle(B);
  assert.equal(t.idle, true);
  t.arm('s1');
  assert.equal(t.idle, false);
  assert.deepEqual(t.handle(C), [{ type: 'start', id: 's1' }]);
  assert.deepEqual(t.handle(D(0)), [{ type: 'end', id: 's1', exit: 0 }]);
  assert.deepEqual(t.handle(A), []);
  assert.equal(t.idle, false, 'prompt still drawing');
  t.handle(B);
  assert.equal(t.idle, true);
});

test('failing snippet reports its exit code', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('bad');
  t.handle(C);
  assert.deepEqual(t.handle(D(3)), [{ type: 'end', id: 'bad', exit: 3 }]);
});

test('commands the reader typed are not attributed to any snippet', () => {
  const t = new CommandTracker();
  t.handle(B);
  assert.deepEqual(t.handle(C), []);
  assert.equal(t.state, 'running');
  assert.equal(t.idle, false, 'a typed command is running: not idle');
  assert.deepEqual(t.handle(D(1)), []);
  t.handle(A);
  t.handle(B);
  assert.equal(t.idle, true);
});

test('marks replayed before arming do not complete a later snippet', () => {
  const t = new CommandTracker();
  // replay after a reload: an old command and its prompt
  for (const m of [A, B, C, D(0), A, B]) assert.deepEqual(t.handle(m), []);
  t.arm('s2');
  assert.deepEqual(t.handle(C), [{ type: 'start', id: 's2' }]);
  assert.deepEqual(t.handle(D(0)), [{ type: 'end', id: 's2', exit: 0 }]);
});

test('a pasted block that runs no command ends at the next prompt without exit code', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('comments');
  t.lineAccepted();
  assert.deepEqual(t.handle(A), [{ type: 'end', id: 'comments', exit: null }]);
  t.handle(B);
  assert.equal(t.idle, true);
});

test('prompt redraws while readline inserts a multi-line paste do not end the snippet', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('heredoc');
  // readline redraws the prompt (with its marks) to show the pasted lines
  assert.deepEqual(t.handle(A), []);
  assert.deepEqual(t.handle(B), []);
  assert.equal(t.idle, false, 'still pending');
  t.lineAccepted();
  assert.deepEqual(t.handle(C), [{ type: 'start', id: 'heredoc' }]);
  assert.deepEqual(t.handle(D(0)), [{ type: 'end', id: 'heredoc', exit: 0 }]);
});

test('line acceptance outside a snippet changes nothing', () => {
  const t = new CommandTracker();
  t.lineAccepted();
  assert.equal(t.accepted, false);
  t.handle(B);
  t.arm('x');
  assert.equal(t.accepted, false, 'arming resets acceptance');
});

test('only the first C after the paste belongs to the snippet', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('s');
  t.handle(C);
  assert.deepEqual(t.handle(C), [], 'a second C does not restart it');
  assert.deepEqual(t.handle(D(0)), [{ type: 'end', id: 's', exit: 0 }]);
  assert.deepEqual(t.handle(C), []);
  assert.deepEqual(t.handle(D(2)), [], 'later commands are not the snippet');
});

test('disarm and reset release the snippet', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('x');
  assert.equal(t.disarm(), 'x');
  assert.equal(t.disarm(), null);
  assert.equal(t.idle, true);
  t.arm('y');
  t.handle(C);
  assert.deepEqual(t.reset(), [{ type: 'end', id: 'y', exit: null }]);
  assert.equal(t.state, 'unknown');
  assert.equal(t.integrated, true);
});

test('a D without C (syntax error) ends the armed snippet with its status', () => {
  const t = new CommandTracker();
  t.handle(B);
  t.arm('syntax');
  t.lineAccepted();
  assert.deepEqual(t.handle(D(2)), [{ type: 'end', id: 'syntax', exit: 2 }]);
  assert.deepEqual(t.handle(A), []);
});
