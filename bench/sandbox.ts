/**
 * npm run bench:sandbox — numbers for the sandbox layer, measured with the
 * lab server's own driver (same flags, limits, readiness check and spare
 * shell as a real session) on the real engine:
 *
 *   1. cold start, one boot at a time, step by step (boot-timeline.ts): the
 *      server's steps (volume, create, start, create() resolved), the
 *      entrypoint's marks, the inner dockerd's log, and the reader's first
 *      terminal: first byte, first prompt, and `docker version` typed at
 *      that prompt answered (the reader's real wait); medians over N;
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
 * Env: BENCH_PARTS (boot,idle,run: which of 1-3, idle and run go together;
 * default all), BENCH_BOOTS
 * (default 12), BENCH_IDLE (sandboxes kept idle, default
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
import { OSC133, SANDBOX_READY, SANDBOX_SHELL, mirrorSpec } from '../lab-server/src/sandbox/spec.ts';
import type { Shell } from '../lab-server/src/sandbox/driver.ts';
import { READY_FILE_STEP, parseDockerdLog, parseMarks, relativeSteps, timelineTable } from './boot-timeline.ts';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { percentile } from './stats.ts';

const PARTS = new Set((process.env.BENCH_PARTS ?? 'boot,idle,run').split(',').map((p) => p.trim()));
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
  const s = await driver.create(id, 'bench', () => undefined);
  // A session's boot is handed over once its shell printed; these rows need the engine itself.
  const ready = await runExec(docker, s.containerId, [...SANDBOX_READY.waitCommand], 30_000);
  if (ready.code !== 0) throw new Error(`sandbox ${id}: engine not ready`);
  return s;
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
  const cold: ColdBoot[] = [];
  for (let i = 0; PARTS.has('boot') && i < BOOTS; i++) {
    const b = await coldBoot();
    cold.push(b);
    process.stdout.write(
      `  boot ${i + 1}/${BOOTS}: usable ${b.usable} ms, first byte ${b.firstByte} ms, docker answered ${b.dockerAnswer} ms, engine ready ${b.engineReady} ms\n`,
    );
  }
  if (PARTS.has('boot')) printCold(cold);
  if (!PARTS.has('idle') && !PARTS.has('run')) {
    console.log(JSON.stringify({ cold: coldJson(cold) }));
    return;
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
      cold: coldJson(cold),
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

interface ColdBoot {
  /** Every step, ms after driver.create() was called. */
  steps: [string, number][];
  /** create() resolved: the sandbox is handed to the session. */
  usable: number;
  firstByte: number;
  prompt: number;
  /** `docker version` typed at the first prompt printed the server's version (the reader's first snippet done). */
  dockerAnswer: number;
  /** The entrypoint wrote /run/lab/ready (the old "cold start" row's end). */
  engineReady: number;
}

const SERVER_STEPS = { volume: 'server: data volume created', created: 'server: container created', started: 'server: container started' } as const;

/** One cold boot through the driver, then the reader's first terminal on it; the sandbox is removed at the end. */
async function coldBoot(): Promise<ColdBoot> {
  const id = newSandboxId();
  live.add(id);
  const t0 = Date.now();
  const server = new Map<string, number>();
  const at = (step: string) => server.has(step) || server.set(step, Date.now());
  const s = await driver.create(id, 'bench', (phase, progress) => {
    if (phase === 'creating' && progress > 0.1) at(SERVER_STEPS.volume);
    else if (phase === 'starting') at(SERVER_STEPS.created);
    else if (phase === 'engine') at(SERVER_STEPS.started);
  });
  const usable = Date.now();
  server.set('server: create() resolved, shell handed to the session', usable);
  const shell = await driver.openShell(s, 100, 30);
  const reader = await firstTerminal(shell);
  shell.close();
  server.set('reader: first byte', reader.firstByte);
  server.set('reader: first prompt', reader.prompt);
  server.set('reader: `docker version` answered', reader.dockerAnswer);
  const logs = await runExec(
    docker,
    s.containerId,
    ['sh', '-c', "cat /var/log/lab/timeline 2>/dev/null; stat -c 'ready-file %.9Y' /run/lab/ready; head -c 262144 /var/log/lab/dockerd.log"],
    30_000,
  );
  const marks = parseMarks(logs.stdout);
  const steps = relativeSteps(t0, server, marks, parseDockerdLog(logs.stdout));
  const engineReady = steps.find(([step]) => step === READY_FILE_STEP)?.[1] ?? NaN;
  await destroy(id);
  return {
    steps,
    usable: usable - t0,
    firstByte: reader.firstByte - t0,
    prompt: reader.prompt - t0,
    dockerAnswer: reader.dockerAnswer - t0,
    engineReady,
  };
}

/** What a reader's page sees on its first terminal: the first byte, the first prompt, then a command typed at it answered. */
function firstTerminal(shell: Shell): Promise<{ firstByte: number; prompt: number; dockerAnswer: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let firstByte = 0;
    let prompt = 0;
    const timer = setTimeout(() => reject(new Error(`no docker answer in 60 s; output: ${JSON.stringify(out.slice(-400))}`)), 60_000);
    const onData = (chunk: Buffer) => {
      const now = Date.now();
      firstByte ||= now;
      out += chunk.toString('utf8');
      if (!prompt && out.includes(OSC133.promptEnd)) {
        prompt = now;
        out = '';
        shell.stream.write("docker version --format 'server {{.Server.Version}}'\r");
      } else if (prompt && /server \d/.test(out) && out.includes(OSC133.commandEndPrefix)) {
        clearTimeout(timer);
        shell.stream.off('data', onData);
        resolve({ firstByte, prompt, dockerAnswer: now });
      }
    };
    shell.stream.on('data', onData);
  });
}

function printCold(cold: ColdBoot[]) {
  if (cold.length === 0) return;
  const col = (xs: number[]) => `median ${Math.round(median(xs))} ms, p95 ${Math.round(quantile(xs, 0.95))} ms`;
  console.log(`\ncold boot timeline (n=${cold.length}; ms after driver.create(), median of each step; +ms: the median gap to the row before)`);
  for (const row of timelineTable(
    cold.map((b) => b.steps),
    median,
  )) {
    console.log(
      `  ${String(Math.round(row.at)).padStart(6)}  +${String(Math.round(row.gap)).padEnd(5)} ${row.step}${row.seen < cold.length ? ` (in ${row.seen} of ${cold.length})` : ''}`,
    );
  }
  console.log(`  create -> shell handed to the session: ${col(cold.map((b) => b.usable))}`);
  console.log(`  create -> reader's first byte: ${col(cold.map((b) => b.firstByte))}`);
  console.log(`  create -> reader's first prompt: ${col(cold.map((b) => b.prompt))}`);
  console.log(`  create -> \`docker version\` at that prompt answered: ${col(cold.map((b) => b.dockerAnswer))}`);
  console.log(`  create -> inner Docker ready (/run/lab/ready; the earlier "cold start" row): ${col(cold.map((b) => b.engineReady))}`);
}

function coldJson(cold: ColdBoot[]) {
  const pick = (f: (b: ColdBoot) => number) => ({ median: median(cold.map(f)), p95: quantile(cold.map(f), 0.95) });
  return {
    n: cold.length,
    usable: pick((b) => b.usable),
    firstByte: pick((b) => b.firstByte),
    prompt: pick((b) => b.prompt),
    dockerAnswer: pick((b) => b.dockerAnswer),
    engineReady: pick((b) => b.engineReady),
    timeline: timelineTable(
      cold.map((b) => b.steps),
      median,
    ),
  };
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
