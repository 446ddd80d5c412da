/**
 * npm run bench:sandbox — numbers for the sandbox layer, measured with the
 * lab server's own driver (same flags, limits, readiness check and spare
 * shell as a real session) on the real engine:
 *
 *   1. cold start: container create -> inner Docker ready (median, p90 of N);
 *   2. density: N idle sandboxes side by side (booted two at a time, then
 *      left alone), each measured: memory (cgroup working set, plus its
 *      containerd shim outside the cgroup), idle CPU, tasks (pids), disk
 *      (data volume and writable layer); the host's MemAvailable and the
 *      engine's own RSS before and after; every one asked to answer at the
 *      end; extrapolated to a 24 GiB host and the first limit named;
 *   3. the first `docker run --rm nginx nginx -v` in a fresh sandbox (pull
 *      from the mirror, then run) against a second run with the image
 *      present, and against the first run after the pool's pre-pull
 *      (prepull.ts, LAB_PREPULL), with the disk the pre-pull costs.
 *
 * Env: BENCH_BOOTS (default 12), BENCH_IDLE (sandboxes kept idle, default
 * 20), BENCH_IDLE_WAIT (s, default 30), BENCH_RUNS (default 3), plus every
 * LAB_* variable of lab-server/src/config.ts (limits, runtime, image).
 * Everything it creates carries lab.owner=bench-<random> and is removed at
 * the end, on Ctrl-C too.
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
import { prepull } from '../lab-server/src/sandbox/prepull.ts';
import { SANDBOX_READY, SANDBOX_SHELL, mirrorSpec } from '../lab-server/src/sandbox/spec.ts';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { percentile } from './stats.ts';

const BOOTS = Number(process.env.BENCH_BOOTS ?? 12);
const IDLE = Number(process.env.BENCH_IDLE ?? 20);
const IDLE_WAIT_S = Number(process.env.BENCH_IDLE_WAIT ?? 30);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The host the density figure is extrapolated to, and what its OS, engine and lab server keep for themselves. */
const HOST_BYTES = 24 * 1024 ** 3;
const HOST_RESERVE_BYTES = 2 * 1024 ** 3;
/** The lesson image of the docker run row: the one most snippets use (prepull.ts). */
const RUN_IMAGE = 'nginx';

const instance = `bench-${randomBytes(3).toString('hex')}`;
const config = loadConfig({ ...process.env, LAB_INSTANCE: instance });
const log = pino({ level: 'warn' });
const docker = new Docker();
const naming = new Naming(instance);
const volumes = await createDataVolumes({ docker, mode: config.sandbox.diskMode, dir: config.sandbox.diskDir, bytes: config.sandbox.diskBytes, log });
const driver = sandboxDriverFromConfig({ docker, naming, sandbox: config.sandbox, volumes, egress: undefined, log });

const quantile = (xs: number[], q: number) => percentile(xs, q * 100);
const median = (xs: number[]) => percentile(xs, 50);
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

  // 2. Density: IDLE sandboxes side by side, two boots at a time, then left alone.
  const hostBefore = hostMemory();
  const idle: SandboxHandle[] = [];
  for (let i = 0; i < IDLE; i += 2) {
    idle.push(...(await Promise.all(Array.from({ length: Math.min(2, IDLE - i) }, () => boot()))));
    process.stdout.write(`  idle sandboxes: ${idle.length}/${IDLE}\n`);
  }
  await new Promise((r) => setTimeout(r, IDLE_WAIT_S * 1000));
  const each = await Promise.all(idle.map((s) => measureIdle(s)));
  await new Promise((r) => setTimeout(r, 10_000));
  const cpuAfter = await Promise.all(idle.map((s) => cpuNs(s)));
  const hostAfter = hostMemory();
  const answering = (
    await Promise.all(
      idle.map((s) =>
        runExec(docker, s.containerId, [...SANDBOX_READY.command], 30_000).then(
          (r) => r.code === 0,
          () => false,
        ),
      ),
    )
  ).filter(Boolean).length;
  const cpuShare = each.map((e, i) => (cpuAfter[i]! - e.cpuNs) / 10e9); // of one core, over 10 s
  await Promise.all(idle.map((s) => destroy(s.id)));

  const workingSet = each.map((e) => e.workingSet);
  const shim = each.map((e) => e.shimRss);
  const tasks = each.map((e) => e.tasks);
  const disk = each.map((e) => e.disk);
  const perSandboxMemory = median(workingSet) + median(shim) + Math.max(0, (hostAfter.engineRss - hostBefore.engineRss) / IDLE);
  const hostDelta = (hostBefore.available - hostAfter.available) / IDLE;
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const freeDisk = Number(execFileSync('df', ['-k', '--output=avail', '/var/lib/docker'], { encoding: 'utf8' }).trim().split('\n')[1]) * 1024;
  const fits = {
    memory: Math.floor((HOST_BYTES - HOST_RESERVE_BYTES) / perSandboxMemory), // hostDelta is a cross-check only: other work on the host moves it
    pids: Math.floor((pidMax * 0.8) / (median(tasks) + 12)), // + the shim's threads; 20% left to the host
    disk: Math.floor(freeDisk / median(disk)),
    cpu: Math.floor((2 * 0.5) / Math.max(median(cpuShare), 1e-6)), // idle sandboxes may take half of 2 cores
  };
  const limit = (Object.entries(fits) as [keyof typeof fits, number][]).reduce((a, b) => (b[1] < a[1] ? b : a));

  // 3. docker run of a lesson image: fresh sandbox (pull + run), again (present), and after the pool's pre-pull.
  const first: number[] = [];
  const again: number[] = [];
  const prepulled: number[] = [];
  const prepullMs: number[] = [];
  const prepullDisk: number[] = [];
  const run = async (s: SandboxHandle) => {
    const t = Date.now();
    const result = await runExec(docker, s.containerId, [...SANDBOX_SHELL.command, '-c', `docker run --rm ${RUN_IMAGE} nginx -v`], 300_000);
    if (result.code !== 0) throw new Error(`docker run ${RUN_IMAGE} failed: ${result.stdout}${result.stderr}`);
    return Date.now() - t;
  };
  for (let i = 0; i < RUNS; i++) {
    const fresh = await boot();
    first.push(await run(fresh));
    again.push(await run(fresh));
    await destroy(fresh.id);
    const pooled = await boot();
    const before = (await driver.diskUsage(pooled)).data;
    prepullMs.push(await prepull(docker, pooled.containerId, config.sandbox.prepull, 300_000));
    prepullDisk.push((await driver.diskUsage(pooled)).data - before);
    prepulled.push(await run(pooled));
    await destroy(pooled.id);
    process.stdout.write(
      `  docker run ${i + 1}/${RUNS}: first ${secs(first.at(-1)!)} s, again ${secs(again.at(-1)!)} s, after pre-pull ${secs(prepulled.at(-1)!)} s\n`,
    );
  }

  console.log('\nresults');
  console.log(
    `  cold start to inner Docker ready (n=${boots.length}): median ${secs(median(boots))} s, p90 ${secs(quantile(boots, 0.9))} s, min ${secs(Math.min(...boots))} s, max ${secs(Math.max(...boots))} s`,
  );
  console.log(
    `  idle sandbox (n=${IDLE}, after ${IDLE_WAIT_S} s; median): memory ${mib(median(workingSet))} MiB working set + ${mib(median(shim))} MiB shim, engine +${mib(Math.max(0, (hostAfter.engineRss - hostBefore.engineRss) / IDLE))} MiB; host MemAvailable -${mib(hostDelta)} MiB each; CPU ${(median(cpuShare) * 100).toFixed(2)}% of a core; ${median(tasks)} tasks; disk ${mib(median(disk))} MiB; ${answering}/${IDLE} answering`,
  );
  console.log(
    `  idle sandboxes per 24 GiB host: memory ${fits.memory}, pids (pid_max ${pidMax}) ${fits.pids}, disk (${(freeDisk / 1024 ** 3).toFixed(0)} GiB free) ${fits.disk}, idle CPU (half of 2 cores) ${fits.cpu}; the limit: ${limit[0]} (${limit[1]})  target >= 150: ${limit[1] >= 150 ? 'met' : 'MISSED'}`,
  );
  const ratio = median(first) / median(again);
  const ratioPrepulled = median(prepulled) / median(again);
  console.log(
    `  docker run --rm ${RUN_IMAGE} (n=${RUNS}): first in a fresh sandbox ${secs(median(first))} s, image present ${secs(median(again))} s: ratio ${ratio.toFixed(2)}; after the pool's pre-pull ${secs(median(prepulled))} s: ratio ${ratioPrepulled.toFixed(2)}  target <= 1.3: ${ratioPrepulled <= 1.3 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  pre-pull of ${config.sandbox.prepull.join(', ')}: ${secs(median(prepullMs))} s, ${mib(median(prepullDisk))} MiB more disk per pooled sandbox (${((median(prepullDisk) * 100) / 1024 ** 3).toFixed(1)} GiB per 100)`,
  );
  console.log(
    JSON.stringify({
      bootMs: { median: median(boots), p90: quantile(boots, 0.9), samples: boots },
      idle: {
        n: IDLE,
        workingSet: median(workingSet),
        shimRss: median(shim),
        hostDelta,
        cpuShare: median(cpuShare),
        tasks: median(tasks),
        disk: median(disk),
        answering,
        fits,
      },
      dockerRunMs: { first, again, prepulled, ratio, ratioPrepulled },
      prepull: { images: config.sandbox.prepull, ms: prepullMs, diskBytes: prepullDisk },
    }),
  );
}

interface IdleSample {
  workingSet: number;
  shimRss: number;
  tasks: number;
  disk: number;
  cpuNs: number;
}

type Stats = {
  memory_stats: { usage: number; stats: Record<string, number> };
  pids_stats?: { current?: number };
  cpu_stats: { cpu_usage: { total_usage: number } };
};

async function measureIdle(s: SandboxHandle): Promise<IdleSample> {
  const stats = (await docker.getContainer(s.containerId).stats({ stream: false })) as unknown as Stats;
  const m = stats.memory_stats;
  const inactive = m.stats.total_inactive_file ?? m.stats.inactive_file ?? 0;
  const usage = await driver.diskUsage(s);
  return {
    workingSet: m.usage - inactive,
    shimRss: shimRss(s.containerId),
    tasks: stats.pids_stats?.current ?? 0,
    disk: usage.data + usage.rootfs,
    cpuNs: stats.cpu_stats.cpu_usage.total_usage,
  };
}

async function cpuNs(s: SandboxHandle): Promise<number> {
  return ((await docker.getContainer(s.containerId).stats({ stream: false })) as unknown as Stats).cpu_stats.cpu_usage.total_usage;
}

/** RSS of the container's containerd shim (host memory outside the container's cgroup). */
function shimRss(containerId: string): number {
  try {
    const pid = execFileSync('pgrep', ['-f', `containerd-shim-runc-v2 .*-id ${containerId}`], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]!;
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0; // not on this host (a remote engine): left out
  }
}

/** Host MemAvailable and the outer engine's RSS (dockerd + containerd); shared with everything else running here. */
function hostMemory(): { available: number; engineRss: number } {
  const available = Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  let engineRss = 0;
  for (const name of ['dockerd', 'containerd']) {
    try {
      for (const pid of execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n')) {
        // Every sandbox's inner engine is a dockerd too, in a container's cgroup: not the host's engine.
        if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('/docker/')) continue;
        engineRss += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      }
    } catch {
      // not running here
    }
  }
  return { available, engineRss };
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
