import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findShellMarks } from '../../lab-server/src/shell-marks.ts';

// The parser's own table tests are in lab-server/src/shell-marks.test.ts;
// these pin what the runner relies on (run-snippet.ts).

test('the runner finds the marks around a command and the output between C and D', () => {
  const text = '\x1b]133;A\x07lab:~$ \x1b]133;B\x07echo hi\r\n\x1b]133;C\x07hi\r\n\x1b]133;D;0\x1b\\\x1b]133;A\x07';
  const marks = findShellMarks(text);
  assert.deepEqual(
    marks.map((m) => m.kind),
    ['A', 'B', 'C', 'D', 'A'],
  );
  assert.equal(text.slice(marks[2]!.end, marks[3]!.start), 'hi\r\n');
});

test('a D without a status has a null exit (the runner records no code), a non-zero status is kept', () => {
  const exit = (text: string) => {
    const mark = findShellMarks(text)[0];
    return mark?.kind === 'D' ? mark.exit : 'not a D';
  };
  assert.equal(exit('\x1b]133;D\x07'), null);
  assert.equal(exit('\x1b]133;D;130\x07'), 130);
  assert.equal(exit('\x1b]133;D;1;aid=2\x07'), 1);
});
