import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputSkip, containsInterrupt, findPromptMark } from './interrupt-skip.ts';

test('interrupt keys: Ctrl-C, Ctrl-\\ and Ctrl-Z anywhere in the input; nothing else', () => {
  assert.equal(containsInterrupt(Buffer.from('\x03')), true);
  assert.equal(containsInterrupt(Buffer.from('ab\x1c')), true);
  assert.equal(containsInterrupt(Buffer.from('\x1a')), true);
  assert.equal(containsInterrupt(Buffer.from('echo 컨테이너\r\x04')), false);
});

test('prompt marks: A and D count, B and C and other OSCs do not', () => {
  assert.equal(findPromptMark(Buffer.from('yy\x1b]133;D;130\x07')), 2);
  assert.equal(findPromptMark(Buffer.from('\x1b]133;C\x07\x1b]133;A\x07')), 8);
  assert.equal(findPromptMark(Buffer.from('\x1b]133;B\x07\x1b]0;title\x07')), -1);
  assert.equal(findPromptMark(Buffer.from('\x1b]133;')), -1, 'a prefix without its kind is not a mark yet');
  assert.equal(findPromptMark(Buffer.from('\x1b]133;D;130')), -1, 'nor a mark without its terminator');
});

test('a skip drops everything before the mark, finds a mark split at any byte, and counts what it dropped', () => {
  const flood = 'y\n'.repeat(50);
  const tail = '\x1b]133;D;130\x07lab$ ';
  const whole = Buffer.from(flood + tail);
  for (let cut = 1; cut < whole.length; cut++) {
    const skip = new OutputSkip();
    const first = skip.feed(whole.subarray(0, cut));
    // Once done, the terminal sends later chunks as they are.
    const result = first.done ? { ...first, rest: Buffer.concat([first.rest, whole.subarray(cut)]) } : skip.feed(whole.subarray(cut));
    assert.equal(result.done, true, `cut at ${cut}`);
    if (!result.done) continue;
    assert.equal(result.rest.toString(), tail, `cut at ${cut}`);
    assert.equal(result.dropped, flood.length, `cut at ${cut}`);
  }
});

test('giving up returns the bytes held back (a mark still incomplete), so nothing after the bound is lost', () => {
  const skip = new OutputSkip();
  assert.deepEqual(skip.feed(Buffer.from('0123456789\x1b]133;D;1')), { done: false });
  const { rest, dropped } = skip.giveUp();
  assert.equal(dropped, 10);
  assert.equal(rest.toString(), '\x1b]133;D;1');
});
