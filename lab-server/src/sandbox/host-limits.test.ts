import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { HOST_INOTIFY_MINIMUMS, raiseHostInotifyLimits } from './host-limits.ts';

test('host inotify limits: raised to the minimum when below, never lowered; untouched when not allowed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'host-limits-'));
  try {
    const low = path.join(dir, 'low');
    const high = path.join(dir, 'high');
    writeFileSync(low, '128\n');
    writeFileSync(high, '99999\n');
    const log = pino({ level: 'silent' });
    assert.deepEqual(raiseHostInotifyLimits(log, { [low]: 1024 }, false), {});
    assert.equal(readFileSync(low, 'utf8'), '128\n');
    const changed = raiseHostInotifyLimits(log, { [low]: 1024, [high]: 1024 }, true);
    assert.deepEqual(changed, { [low]: [128, 1024] });
    assert.equal(readFileSync(low, 'utf8'), '1024\n');
    assert.equal(readFileSync(high, 'utf8'), '99999\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(HOST_INOTIFY_MINIMUMS['/proc/sys/fs/inotify/max_user_instances']! > 128);
});
