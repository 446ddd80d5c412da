/**
 * npm run bench:sandbox — numbers for the sandbox layer, measured with the
 * lab server's own driver (same flags, limits and readiness check as a real
 * session) on the real engine:
 *
 *   1. cold start: container create -> inner Docker ready (median, p90 of N)
 *   2. idle memory per sandbox, from the container's cgroup stats
 *   3. `docker pull nginx` inside a fresh sandbox, through the mirror (median of R)
 *
 * Env: BENCH_BOOTS (default 12), BENCH_IDLE (sandboxes kept idle, default 4),
 * BENCH_IDLE_WAIT (s, default 10), BENCH_PULLS (default 3), plus every LAB_*
 * variable of lab-server/src/config.ts (limits, runtime, image).
 * Everything it creates carries lab.owner=bench-<random> and is removed at the end.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import pino from 'pino';
import { loadConfig } from '../lab-server/src/config.ts';
import { createDataVolumes } from '../lab-server/src/sandbox/data-volume.ts';
import type { SandboxHandle } from '../lab-server/src/sandbox/driver.ts';
import { runExec } from '../lab-server/src/sandbox/exec.ts';
import { Naming, newSandboxId } from '../lab-server/src/sandbox/labels.ts';
import { Mirror } from '../lab-server/src/sandbox/mirror.ts';
import { sandboxDriverFromConfig } from '../lab-server/src/sandbox/docker-driver.ts';
import { SANDBOX_SHELL, mirrorSpec } from '../lab-server/src/sandbox/spec.ts';

const BOOTS = Number(process.env.BENCH_BOOTS ?? 12);
const IDLE = Number(process.env.BENCH_IDLE ?? 4);
const IDLE_WAIT_S = Number(process.env.BENCH_IDLE_WAIT ?? 10);
const PULLS = Number(process.env.BENCH_PULLS ?? 3);

const instance = `bench-${randomBytes(3).toString('hex')}`;
const config = loadConfig({ ...process.env, LAB_INSTANCE: instance });
const log = pino({ level: 'warn' });
const docker = new Docker();
const naming = new Naming(instance);
const volumes = await createDataVolumes({ docker, mode: config.sandbox.diskMode, dir: config.sandbox.diskDir, bytes: config.sandbox.diskBytes, log });
const driver = sandboxDriverFromConfig({ docker, naming, sandbox: config.sandbox, volumes, egress: undefined, log });

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mib = (b: number) => (b / 1024 ** 2).toFixed(1);
const secs = (ms: number) => (ms / 1000).toFixed(2);

const live = new Set<string>();
async function boot(): Promise<SandboxHandle> {
  const id = newSandboxId();
  live.add(id);
  return driver.create(id, 'bench', () => undefined);
}
async function destroy(id: string) {
  await driver.destroy(id);
  live.delete(id);
}

async function cleanup() {
  await Promise.allSettled([...live].map((id) => driver.destroy(id)));
  for (const o of await driver.listOwned()) if (o.kind !== 'mirror') await driver.removeOwned(o).catch(() => undefined);
  await volumes.prune(new Set());
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

async function main() {
  console.log(`sandbox bench on Docker ${(await docker.version()).Version}, image ${config.sandbox.image}`);
  console.log(
    `limits: ${config.sandbox.nanoCpus / 1e9} CPU, ${mib(config.sandbox.memoryBytes)} MiB, ${config.sandbox.pidsLimit} pids, ${mib(config.sandbox.diskBytes)} MiB disk (${volumes.mode}), runtime ${config.sandbox.runtime ?? 'default'}`,
  );
  const problem = await new Mirror(docker, mirrorSpec(), naming.labels('mirror'), log).ensure();
  if (problem) console.log(`warning: ${problem} (the pull benchmark needs the mirror)`);

  // 1. Cold start, one at a time (what a session waits for when the pool is empty).
  const boots: number[] = [];
  for (let i = 0; i < BOOTS; i++) {
    const s = await boot();
    boots.push(s.bootMs);
    process.stdout.write(`  boot ${i + 1}/${BOOTS}: ${secs(s.bootMs)} s\n`);
    await destroy(s.id);
  }

  // 2. Idle memory: IDLE sandboxes side by side, left alone, then their cgroups read.
  const idle: SandboxHandle[] = [];
  for (let i = 0; i < IDLE; i++) idle.push(await boot());
  await new Promise((r) => setTimeout(r, IDLE_WAIT_S * 1000));
  const usage: number[] = [];
  const workingSet: number[] = [];
  const rss: number[] = [];
  for (const s of idle) {
    const stats = (await docker.getContainer(s.containerId).stats({ stream: false })) as unknown as {
      memory_stats: { usage: number; stats: Record<string, number> };
    };
    const m = stats.memory_stats;
    const inactive = m.stats.total_inactive_file ?? m.stats.inactive_file ?? 0;
    usage.push(m.usage);
    workingSet.push(m.usage - inactive);
    rss.push(m.stats.total_rss ?? m.stats.anon ?? 0);
  }
  await Promise.all(idle.map((s) => destroy(s.id)));

  // 3. docker pull nginx in a fresh sandbox (from the mirror, through the socket bridge).
  const pulls: number[] = [];
  for (let i = 0; i < PULLS; i++) {
    const s = await boot();
    const t = Date.now();
    const result = await runExec(docker, s.containerId, [...SANDBOX_SHELL.command, '-c', 'docker pull -q nginx'], 300_000);
    const ms = Date.now() - t;
    if (result.code !== 0) throw new Error(`docker pull nginx failed: ${result.stdout}${result.stderr}`);
    pulls.push(ms);
    process.stdout.write(`  pull ${i + 1}/${PULLS}: ${secs(ms)} s\n`);
    await destroy(s.id);
  }

  console.log('\nresults');
  console.log(
    `  cold start to inner Docker ready (n=${boots.length}): median ${secs(median(boots))} s, p90 ${secs(quantile(boots, 0.9))} s, min ${secs(Math.min(...boots))} s, max ${secs(Math.max(...boots))} s`,
  );
  console.log(
    `  idle memory per sandbox (n=${idle.length}, after ${IDLE_WAIT_S} s): working set median ${mib(median(workingSet))} MiB (rss ${mib(median(rss))} MiB, usage incl. page cache ${mib(median(usage))} MiB)`,
  );
  console.log(
    `  docker pull nginx inside a sandbox (n=${pulls.length}): median ${secs(median(pulls))} s, min ${secs(Math.min(...pulls))} s, max ${secs(Math.max(...pulls))} s`,
  );
  console.log(
    JSON.stringify({
      bootMs: { median: median(boots), p90: quantile(boots, 0.9), samples: boots },
      idleMemoryBytes: { workingSetMedian: median(workingSet), rssMedian: median(rss), usageMedian: median(usage) },
      pullNginxMs: { median: median(pulls), samples: pulls },
    }),
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
