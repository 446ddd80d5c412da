import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputTail, checkCommand } from './check-exec.ts';
import { SANDBOX_SHELL } from './spec.ts';

test('the output tail keeps the last bytes and counts the rest', () => {
  const tail = new OutputTail(8);
  tail.push(Buffer.from('0123456'));
  tail.push(Buffer.from('789ab'));
  assert.equal(tail.text(), '456789ab');
  assert.equal(tail.discarded, 4);
  for (let i = 0; i < 1000; i++) tail.push(Buffer.from('xxxxxxxxxxxxxxxx'));
  tail.push(Buffer.from('end'));
  assert.equal(tail.text(), 'xxxxxend');
  assert.equal(tail.discarded, 4 + 16_000 + 3);
});

test('a multibyte character cut at the start of the tail is dropped, not garbled', () => {
  const tail = new OutputTail(4);
  tail.push(Buffer.from('가나'));
  assert.equal(tail.text(), '나');
});

test('the check runs as lab-shell -c SCRIPT NAME under timeout, the script as one argument', () => {
  const cmd = checkCommand({ name: 'challenge-one', script: 'echo "a b"; exit 1', timeoutMs: 15_000 });
  assert.deepEqual(cmd, ['timeout', '-k', '2', '15.000', ...SANDBOX_SHELL.command, '-c', 'echo "a b"; exit 1', 'challenge-one']);
});
