/**
 * How many sessions this host can hold, when LAB_MAX_SESSIONS is not set.
 * Measured before: the fixed default of 20 sessions x 1.5 GiB exceeded the
 * host's memory (no swap), and 20 x (4 GiB hard + 4 GiB soft) disk exceeded
 * its free disk, so a full server would have been OOM-killed or filled its
 * disk instead of answering 503 over-capacity.
 *
 * - memory: total memory minus a reserve for the host (the engine, this
 *   server, the mirror: max(1 GiB, 10%)), divided by LAB_SANDBOX_MEMORY;
 * - disk: free space where the sandboxes' data lives, divided by twice
 *   LAB_SANDBOX_DISK (the hard-limited data volume plus the writable layer,
 *   which is only checked, so may reach the limit too);
 * - never below 1 (the site still works and says over-capacity), never
 *   above the default.
 */
export interface HostResources {
  totalMemoryBytes: number;
  /** Free bytes on each filesystem sandboxes write to; the smallest counts. */
  freeDiskBytes: number[];
}

export interface CapacityResult {
  maxSessions: number;
  byMemory: number;
  byDisk: number | undefined;
  limitedBy: 'default' | 'memory' | 'disk';
}

export function sessionCapacity(host: HostResources, perSandbox: { memoryBytes: number; diskBytes: number }, fallback: number): CapacityResult {
  const reserve = Math.max(1024 ** 3, host.totalMemoryBytes * 0.1);
  const byMemory = Math.max(0, Math.floor((host.totalMemoryBytes - reserve) / perSandbox.memoryBytes));
  const free = host.freeDiskBytes.filter((n) => Number.isFinite(n) && n >= 0);
  const byDisk = free.length > 0 ? Math.floor(Math.min(...free) / (2 * perSandbox.diskBytes)) : undefined;
  let maxSessions = fallback;
  let limitedBy: CapacityResult['limitedBy'] = 'default';
  if (byMemory < maxSessions) {
    maxSessions = byMemory;
    limitedBy = 'memory';
  }
  if (byDisk !== undefined && byDisk < maxSessions) {
    maxSessions = byDisk;
    limitedBy = 'disk';
  }
  return { maxSessions: Math.max(1, maxSessions), byMemory, byDisk, limitedBy };
}
