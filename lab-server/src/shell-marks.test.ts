import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findShellMarks, incompleteMarkStart, parseMarkPayload, type Mark } from './shell-marks.ts';

test('a payload reads as its mark; a D carries its exit code only when it is a plain number', () => {
  const table: [string, Mark | null][] = [
    ['A', { kind: 'A' }],
    ['B', { kind: 'B' }],
    ['C', { kind: 'C' }],
    ['C;cmdline=ls -l', { kind: 'C' }],
    ['D;0', { kind: 'D', exit: 0 }],
    ['D;125', { kind: 'D', exit: 125 }],
    ['D;130;aid=7', { kind: 'D', exit: 130 }],
    ['D', { kind: 'D', exit: null }],
    ['D;', { kind: 'D', exit: null }],
    ['D;x', { kind: 'D', exit: null }],
    ['D;-1', { kind: 'D', exit: null }],
    ['D;1.5', { kind: 'D', exit: null }],
    ['E', null],
    ['', null],
    ['AB', null],
  ];
  for (const [payload, expected] of table) assert.deepEqual(parseMarkPayload(payload), expected, JSON.stringify(payload));
});

test('marks in text: BEL and ST terminators, positions, other OSCs ignored', () => {
  const text = '\x1b]133;A\x07lab:~$ \x1b]133;B\x07echo hi\r\n\x1b]0;title\x07\x1b]133;C\x07hi\r\n\x1b]133;D;0\x1b\\\x1b]133;A\x07';
  const marks = findShellMarks(text);
  assert.deepEqual(
    marks.map((m) => m.kind),
    ['A', 'B', 'C', 'D', 'A'],
  );
  assert.deepEqual(marks[3], { kind: 'D', exit: 0, start: text.indexOf('\x1b]133;D'), end: text.indexOf('\x1b]133;D') + 11 });
  assert.equal(text.slice(marks[2]!.end, marks[3]!.start), 'hi\r\n');
});

test('text and a payload give the same mark (one parser for page, runner and server)', () => {
  for (const payload of ['A', 'B', 'C;x', 'D', 'D;0', 'D;2;aid=1', 'D;-3']) {
    const [found] = findShellMarks(`..\x1b]133;${payload}\x07..`);
    const { start: _s, end: _e, ...mark } = found!;
    assert.deepEqual(mark, parseMarkPayload(payload), payload);
  }
  assert.deepEqual(findShellMarks('\x1b]133;Z\x07 \x1b]133;D;1'), [], 'unknown kind and an unterminated mark are not marks');
});

test('an incomplete mark at the end of a chunk is kept from its start; anything else is not', () => {
  const table: [string, number][] = [
    ['abc', 3],
    ['abc\x1b', 3],
    ['abc\x1b]13', 3],
    ['abc\x1b]133;', 3],
    ['abc\x1b]133;D;13', 3],
    ['abc\x1b]133;D;130\x1b', 3],
    ['abc\x1b]133;D;130\x07', 15],
    ['abc\x1b[0m', 7],
    [`abc\x1b]133;${'x'.repeat(300)}`, 309],
  ];
  for (const [text, expected] of table) assert.equal(incompleteMarkStart(text), expected, JSON.stringify(text));
});
