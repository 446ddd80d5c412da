import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalReply } from './terminal-replies.ts';

test('automatic replies are recognised, typed keys and pastes never are', () => {
  const table: [string, boolean][] = [
    ['\x1b[24;5R', true],
    ['\x1b[24;5R\x1b[24;5R\x1b[1;1R', true],
    ['\x1b[?1;2c', true],
    ['\x1b[>0;276;0c', true],
    ['\x1b[0n', true],
    ['\x1b[?2004;1$y', true],
    ['\x1b]11;rgb:1717/1818/1c1c\x07', true],
    ['\x1b]10;rgb:ffff/ffff/ffff\x1b\\', true],
    ['ls\r', false],
    ['\x03', false],
    ['\x1b[A', false],
    ['\x1bOA', false],
    ['\x1b[200~echo 24;5R\x1b[201~', false],
    [';5R', false],
    ['', false],
    ['\x1b[24;5Rls', false],
  ];
  for (const [data, reply] of table) assert.equal(isTerminalReply(data), reply, JSON.stringify(data));
});
