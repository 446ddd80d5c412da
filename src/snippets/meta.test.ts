import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEscapes, inputKeystrokes, isLessonStep, isRunnable, lintMeta, parseMeta, tokenizeMeta } from './meta.ts';

test('no meta: runnable shell block expecting exit 0', () => {
  const meta = parseMeta(null);
  assert.deepEqual(
    { exit: meta.exit, expect: meta.expect, reject: meta.reject, errors: meta.errors },
    { exit: 0, expect: [], reject: [], errors: [] },
  );
  assert.equal(isRunnable('bash', meta), true);
  assert.equal(isRunnable('sh', meta), true);
  assert.equal(isRunnable('shell', meta), true);
  assert.equal(isRunnable('Bash', meta), true);
});

test('non-shell languages never run', () => {
  for (const lang of ['dockerfile', 'powershell', 'text', 'output', '', null, undefined]) {
    assert.equal(isRunnable(lang, parseMeta('')), false, String(lang));
  }
});

test('norun with a Korean reason makes a shell block not runnable', () => {
  const meta = parseMeta('norun="Windows Git Bash에서 쓰는 팁입니다"');
  assert.equal(meta.norun, 'Windows Git Bash에서 쓰는 팁입니다');
  assert.equal(isRunnable('bash', meta), false);
  assert.deepEqual(meta.errors, []);
});

test('norun without a reason is an error', () => {
  assert.match(parseMeta('norun=""').errors.join(), /reason/);
  assert.match(parseMeta('norun').errors.join(), /needs a value/);
});

test('exit accepts numbers and nonzero only', () => {
  assert.equal(parseMeta('exit=1').exit, 1);
  assert.equal(parseMeta('exit=125').exit, 125);
  assert.equal(parseMeta('exit=nonzero').exit, 'nonzero');
  assert.match(parseMeta('exit=maybe').errors.join(), /exit must be/);
  assert.match(parseMeta('exit=256').errors.join(), /exit must be/);
});

test('expect and reject repeat; order is kept', () => {
  const meta = parseMeta('expect="Welcome to nginx" expect=\'"Status": "running"\' reject=Error');
  assert.deepEqual(meta.expect, ['Welcome to nginx', '"Status": "running"']);
  assert.deepEqual(meta.reject, ['Error']);
});

test('timeout is a positive number of seconds', () => {
  assert.equal(parseMeta('timeout=5').timeout, 5);
  assert.equal(parseMeta('timeout=2.5').timeout, 2.5);
  assert.match(parseMeta('timeout=0').errors.join(), /timeout/);
  assert.match(parseMeta('timeout=-3').errors.join(), /timeout/);
  assert.match(parseMeta('timeout=soon').errors.join(), /timeout/);
});

test('input decodes \\n, \\t, \\xHH, \\\\ and quotes', () => {
  assert.equal(parseMeta('input="wget -O - http://web:80/\\nexit"').input, 'wget -O - http://web:80/\nexit');
  assert.equal(parseMeta('input="\\x10\\x11"').input, '\x10\x11');
  assert.equal(decodeEscapes('a\\tb\\\\c\\"d\\\'e'), 'a\tb\\c"d\'e');
  // Unknown escapes are kept as written (a reason may mention a backslash).
  assert.equal(decodeEscapes('줄 끝의 \\ 연장'), '줄 끝의 \\ 연장');
});

test('Expressive Code options live alongside ours', () => {
  const meta = parseMeta('title="실습용" {2-3} "docker" /ps -a/ wrap mark={1} timeout=10 expect="PID"');
  assert.equal(meta.title, '실습용');
  assert.equal(meta.timeout, 10);
  assert.deepEqual(meta.expect, ['PID']);
  assert.deepEqual(meta.errors, []);
  assert.deepEqual(
    meta.options.map((o) => [o.key, o.kind]),
    [
      ['title', 'string'],
      ['', 'range'],
      ['', 'string'],
      ['', 'regexp'],
      ['wrap', 'flag'],
      ['mark', 'range'],
      ['timeout', 'string'],
      ['expect', 'string'],
    ],
  );
});

test('keys are case-insensitive; unterminated quotes are reported', () => {
  assert.equal(parseMeta('EXIT=nonzero').exit, 'nonzero');
  assert.match(parseMeta('expect="open').errors.join(), /unterminated/);
  assert.deepEqual(tokenizeMeta('   '), []);
});

test('single-valued keys given twice are reported', () => {
  assert.match(parseMeta('exit=1 exit=2').errors.join(), /more than once/);
});

test('lint: lab expectations on a block that never runs are a mistake', () => {
  assert.deepEqual(lintMeta('bash', parseMeta('expect="x" timeout=3')), []);
  assert.match(lintMeta('dockerfile', parseMeta('expect="x"')).join(), /does not run/);
  assert.match(lintMeta('bash', parseMeta('norun="이유" exit=1')).join(), /does not run/);
  assert.match(lintMeta('text', parseMeta('norun="이유"')).join(), /never runs anyway/);
});

test('input= becomes keystrokes: lines with text get Enter, control-key lines go as they are, empty lines vanish', () => {
  const table: [string, string[]][] = [
    ['ps\nexit', ['ps\r', 'exit\r']],
    ['wget -O - http://web:80/\nexit', ['wget -O - http://web:80/\r', 'exit\r']],
    ['\x10\x11', ['\x10\x11']],
    ['exit\n\nexit', ['exit\r', 'exit\r']],
    ['한글\n', ['한글\r']],
  ];
  for (const [input, keys] of table) assert.deepEqual(inputKeystrokes(input), keys, JSON.stringify(input));
});

test('challenge=<id> marks a challenge solution: runnable, but not a lesson step', () => {
  const meta = parseMeta('title="해답" challenge=zombie-init');
  assert.equal(meta.challenge, 'zombie-init');
  assert.deepEqual(meta.errors, []);
  assert.equal(isRunnable('bash', meta), true);
  assert.equal(isLessonStep('bash', meta), false);
  assert.equal(isLessonStep('bash', parseMeta('title="x"')), true);
  assert.equal(isLessonStep('bash', parseMeta('norun="이유"')), false);
  assert.match(parseMeta('challenge="Bad Id"').errors.join(), /challenge must be an id/);
  assert.match(parseMeta('challenge=a challenge=b').errors.join(), /more than once/);
  assert.match(lintMeta('dockerfile', parseMeta('challenge=a')).join(), /challenge on a block that does not run/);
});
