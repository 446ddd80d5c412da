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
