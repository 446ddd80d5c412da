import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('the check runs under timeout through lab-shell, the script as one argument of a shell that reads no startup file', () => {
  const cmd = checkCommand({ name: 'challenge-one', script: 'echo "a b"; exit 1', timeoutMs: 15_000 });
  assert.deepEqual(cmd.slice(0, 4 + SANDBOX_SHELL.command.length + 1), ['timeout', '-k', '2', '15.000', ...SANDBOX_SHELL.command, '-c']);
  assert.deepEqual(cmd.slice(-2), ['challenge-one', 'echo "a b"; exit 1']);
  assert.match(cmd.at(-3)!, /exec \/bin\/bash --noprofile --norc -c "\$1" "\$0"$/);
});

test('the handoff runs the script with $0 = its name, HOME=/root, no startup files (local bash)', () => {
  const cmd = checkCommand({ name: 'challenge-one', script: 'echo "$0 $HOME $PWD"; exit 3', timeoutMs: 15_000 });
  const handoff = cmd.at(-3)!;
  const out = spawnSync('bash', ['-c', handoff, cmd.at(-2)!, cmd.at(-1)!], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/nonexistent', BASH_ENV: '/dev/null' },
  });
  assert.equal(out.stdout, 'challenge-one /root /root\n');
  assert.equal(out.status, 3);
});
