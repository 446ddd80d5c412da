import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionCapacity } from './capacity.ts';

const GiB = 1024 ** 3;
const sandbox = { memoryBytes: 1.5 * GiB, diskBytes: 4 * GiB };

test('a small host gets fewer sessions than the default, and says which resource limits it', () => {
  // 8 GiB, 60 GiB free: memory holds (8 - 1) / 1.5 = 4, disk 60 / 8 = 7.
  const r = sessionCapacity({ totalMemoryBytes: 8 * GiB, freeDiskBytes: [60 * GiB] }, sandbox, 20);
  assert.deepEqual(r, { maxSessions: 4, byMemory: 4, byDisk: 7, limitedBy: 'memory' });
  const d = sessionCapacity({ totalMemoryBytes: 64 * GiB, freeDiskBytes: [100 * GiB, 30 * GiB] }, sandbox, 20);
  assert.equal(d.maxSessions, 3);
  assert.equal(d.limitedBy, 'disk');
});

test('a big host keeps the default; a tiny one still allows one session', () => {
  assert.equal(sessionCapacity({ totalMemoryBytes: 256 * GiB, freeDiskBytes: [2000 * GiB] }, sandbox, 20).maxSessions, 20);
  assert.equal(sessionCapacity({ totalMemoryBytes: 256 * GiB, freeDiskBytes: [] }, sandbox, 20).limitedBy, 'default');
  const tiny = sessionCapacity({ totalMemoryBytes: 1 * GiB, freeDiskBytes: [1 * GiB] }, sandbox, 20);
  assert.equal(tiny.maxSessions, 1);
});
