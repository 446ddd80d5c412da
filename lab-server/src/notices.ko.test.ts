import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NOTICE } from './notices.ko.ts';

test('the skipped-output notice gives a size a reader can read, on a line of its own', () => {
  assert.match(NOTICE.outputSkipped(40 * 1024), /출력 40 KB를 건너뛰었습니다/);
  assert.match(NOTICE.outputSkipped(100), /출력 1 KB를/);
  assert.match(NOTICE.outputSkipped(1.35e6), /출력 1\.3 MB를/);
  assert.ok(NOTICE.outputSkipped(1).startsWith('\r\n') && NOTICE.outputSkipped(1).endsWith('\r\n'));
});

test('disk notices name the usage and the limit in GiB', () => {
  assert.match(NOTICE.diskWarn(3.3 * 1024 ** 3, 4 * 1024 ** 3), /3\.3 \/ 4\.0 GiB/);
  assert.match(NOTICE.diskFull(4.2 * 1024 ** 3, 4 * 1024 ** 3), /한도\(4\.0 GiB\)를 넘어\(4\.2 GiB\)/);
});

test('class notices are one line of their own, and text from the instructor carries no escape sequence', () => {
  const line = NOTICE.classNotice('instructor', 'hi\x1b]0;pwned\x07\r\nrm -rf /\u009b31m');
  assert.ok(line.startsWith('\r\n') && line.endsWith('\r\n'));
  assert.equal(line.slice(2, -2).match(/[\r\n\x07\u009b]/), null);
  assert.equal([...line.matchAll(/\x1b/g)].length, 2, 'only the notice colour on and off');
  assert.match(line, /\[랩 · 강사\] hi \]0;pwned rm -rf \/ 31m/);
  assert.match(NOTICE.classNotice('time-warning', NOTICE.classTimeWarning(10)), /약 10분 남았습니다/);
});
