import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findShellMarks } from './shell-marks.ts';

test('finds OSC 133 marks with BEL and ST terminators and exit codes', () => {
  const text = '\x1b]133;A\x07lab:~$ \x1b]133;B\x07echo hi\r\n\x1b]133;C\x07hi\r\n\x1b]133;D;0\x1b\\\x1b]133;A\x07';
  const marks = findShellMarks(text);
  assert.deepEqual(marks.map((m) => m.kind), ['A', 'B', 'C', 'D', 'A']);
  assert.equal(marks[3]!.exit, 0);
  assert.equal(text.slice(marks[2]!.end, marks[3]!.start), 'hi\r\n');
});

test('a D mark without a status has no exit, a non-zero status is kept', () => {
  assert.equal(findShellMarks('\x1b]133;D\x07')[0]!.exit, undefined);
  assert.equal(findShellMarks('\x1b]133;D;130\x07')[0]!.exit, 130);
});
