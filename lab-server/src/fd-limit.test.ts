import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNofile, readNofile } from './fd-limit.ts';

test('parses the Max open files line of /proc/PID/limits', () => {
  const text =
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                1048576              files\n';
  assert.deepEqual(parseNofile(text), { soft: 20000, hard: 1048576 });
  assert.equal(parseNofile('Max open files            unlimited            unlimited            files')?.hard, Number.MAX_SAFE_INTEGER);
  assert.equal(parseNofile('nothing'), undefined);
  assert.ok((readNofile()?.soft ?? 0) > 0);
});
