import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDone, judgeRun, readExpectation, type Expectation, type Outcome, type RunResult } from './outcome.ts';

const plain: Expectation = { exit: 0 };
const mustFail: Expectation = { exit: 'nonzero' };
const exit125: Expectation = { exit: 125 };
const longRunner: Expectation = { exit: 0, timeout: 5 };
const ran = (exit: number | null, interrupted = false): RunResult => ({ exit, interrupted });

test('a run is judged against the lesson: intended failures and intended stops are done, the rest says what was expected', () => {
  const table: [string, Expectation, RunResult, Outcome, boolean][] = [
    ['exit 0 as expected', plain, ran(0), { kind: 'pass' }, true],
    ['a failure nobody asked for', plain, ran(1), { kind: 'unexpected', exit: 1, expected: 0 }, false],
    ['exit=nonzero and it failed', mustFail, ran(125), { kind: 'expected-failure', exit: 125 }, true],
    ['exit=nonzero but it succeeded', mustFail, ran(0), { kind: 'unexpected', exit: 0, expected: 'nonzero' }, false],
    ['exit=125 and 125', exit125, ran(125), { kind: 'expected-failure', exit: 125 }, true],
    ['exit=125 but 1', exit125, ran(1), { kind: 'unexpected', exit: 1, expected: 125 }, false],
    ['timeout=: stopped by the page, 130', longRunner, ran(130, true), { kind: 'stopped', byPage: true }, true],
    ['timeout=: stopped by the page, program exits 0 on SIGINT', longRunner, ran(0, true), { kind: 'stopped', byPage: true }, true],
    ['timeout=: stopped by the page but an odd status', longRunner, ran(137, true), { kind: 'unexpected', exit: 137, expected: 'stopped' }, false],
    ['timeout=: the reader pressed Ctrl+C first', longRunner, ran(130), { kind: 'stopped', byPage: false }, true],
    ['timeout=: ended by itself with 0', longRunner, ran(0), { kind: 'pass' }, true],
    ['timeout= with exit=nonzero, ended by itself failing', { exit: 'nonzero', timeout: 20 }, ran(1), { kind: 'expected-failure', exit: 1 }, true],
    ['Ctrl+C on a snippet that is no long runner', plain, ran(130), { kind: 'unexpected', exit: 130, expected: 0 }, false],
    ['no exit status from the shell', plain, ran(null), { kind: 'no-exit' }, false],
  ];
  for (const [name, expectation, result, outcome, done] of table) {
    const judged = judgeRun(expectation, result);
    assert.deepEqual(judged, outcome, name);
    assert.equal(isDone(judged), done, `${name}: done`);
  }
});

test("the expectation is read from the wrapper's data attributes; missing or bad ones mean the defaults", () => {
  const table: [Record<string, string | undefined>, Expectation][] = [
    [{}, { exit: 0 }],
    [{ labExit: 'nonzero' }, { exit: 'nonzero' }],
    [{ labExit: '125' }, { exit: 125 }],
    [{ labExit: 'oops' }, { exit: 0 }],
    [{ labTimeout: '5' }, { exit: 0, timeout: 5 }],
    [{ labTimeout: '0.5' }, { exit: 0, timeout: 0.5 }],
    [{ labTimeout: 'x' }, { exit: 0 }],
    [
      { labInput: 'ps\nexit', labExit: 'nonzero', labTimeout: '20' },
      { exit: 'nonzero', timeout: 20, input: 'ps\nexit' },
    ],
    [{ labInput: '' }, { exit: 0 }],
  ];
  for (const [data, expected] of table) assert.deepEqual(readExpectation(data), expected, JSON.stringify(data));
});
