import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputKeystrokes } from './run-snippet.ts';

test('each scripted line with text is followed by Enter', () => {
  assert.deepEqual(inputKeystrokes('wget -O - http://web:80/\nexit'), ['wget -O - http://web:80/\r', 'exit\r']);
});

test('control-only input (Ctrl-P Ctrl-Q detach) is sent as is', () => {
  assert.deepEqual(inputKeystrokes('\x10\x11'), ['\x10\x11']);
});

test('empty lines are dropped', () => {
  assert.deepEqual(inputKeystrokes('ls\n\nexit\n'), ['ls\r', 'exit\r']);
});
