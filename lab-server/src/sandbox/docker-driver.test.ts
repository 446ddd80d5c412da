import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usageFromStats } from './docker-driver.ts';

test("sandbox usage is docker stats' arithmetic: CPU share of the host's delta times CPUs, memory without inactive page cache", () => {
  const stats = {
    cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 2_500_000_000 }, system_cpu_usage: 18_000_000_000 },
    memory_stats: { usage: 300 * 1024 ** 2, stats: { inactive_file: 100 * 1024 ** 2 } },
  };
  // 0.5 s of CPU over 2 s of both cores' time: a quarter of the host, half a core = 50 % of one core.
  assert.deepEqual(usageFromStats(stats), { cpuPercent: 50, memoryBytes: 200 * 1024 ** 2 });
  assert.deepEqual(
    usageFromStats({ memory_stats: { usage: 10, stats: { total_inactive_file: 4 } } }),
    { cpuPercent: 0, memoryBytes: 6 },
    'cgroup v1 names',
  );
  assert.deepEqual(usageFromStats({}), { cpuPercent: 0, memoryBytes: 0 }, 'a stopped container reports nothing');
});
