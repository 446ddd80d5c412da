import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, type Expectations } from './judge.ts';

const base: Expectations = { exit: 0, expect: [], reject: [] };

test('exit 0 with expected text passes', () => {
  assert.deepEqual(judge({ ...base, expect: ['ok'] }, { exit: 0, output: 'ok\n', interrupted: false }), { pass: true, reasons: [] });
});

test('wrong exit status and missing text both reported', () => {
  const v = judge({ ...base, expect: ['Welcome'] }, { exit: 125, output: 'Conflict', interrupted: false });
  assert.equal(v.pass, false);
  assert.deepEqual(v.reasons, ['exit 125, expected 0', 'missing "Welcome"']);
});

test('expected failure needs a non-zero status', () => {
  assert.equal(judge({ ...base, exit: 'nonzero' }, { exit: 125, output: '', interrupted: false }).pass, true);
  assert.equal(judge({ ...base, exit: 'nonzero' }, { exit: 0, output: '', interrupted: false }).pass, false);
});

test('rejected text fails the snippet', () => {
  assert.equal(judge({ ...base, reject: ['Error'] }, { exit: 0, output: 'Error: x', interrupted: false }).pass, false);
});

test('interrupted long-running snippets are judged on output, not on the Ctrl-C status', () => {
  const expected = { ...base, timeout: 3, expect: ['GET /'] };
  assert.equal(judge(expected, { exit: 130, output: '"GET / HTTP/1.1" 200', interrupted: true }).pass, true);
  assert.equal(judge(expected, { exit: 130, output: 'nothing', interrupted: true }).pass, false);
  assert.equal(judge(expected, { exit: 125, output: 'GET /', interrupted: true }).pass, false);
});

test('a snippet that never finished fails', () => {
  assert.deepEqual(judge(base, { exit: null, output: '', interrupted: true }).reasons, ['did not finish']);
});
