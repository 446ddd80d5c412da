import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTerminalOutput, findShellMarks } from './terminal-text.ts';

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

test('strips colours, cursor moves, OSC titles and bracketed-paste toggles', () => {
  const raw = '\x1b[?2004h\x1b]0;title\x07\x1b[1;32mgreen\x1b[0m text\x1b[K\r\n\x1b[?2004l';
  assert.equal(cleanTerminalOutput(raw), 'green text\n');
});

test('carriage return overwrites the line like a terminal would', () => {
  assert.equal(cleanTerminalOutput('10%\r50%\r100%\n'), '100%\n');
  assert.equal(cleanTerminalOutput('abcdef\rXY\n'), 'XYcdef\n');
  assert.equal(cleanTerminalOutput('a\r\r\nb'), 'a\nb');
});

test('keeps Hangul and tabs, drops other control bytes', () => {
  assert.equal(cleanTerminalOutput('한글\tok\x07\x00'), '한글\tok');
});
