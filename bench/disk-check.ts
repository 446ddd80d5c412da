/**
 * npm run bench:disk-check — what the periodic disk check costs a reader's
 * keystrokes, the old way against the new (issue 12, keystroke round trip;
 * lab-server/src/sandbox/volume-usage.ts).
 *
 * One session on its own lab server (LAB_DISK_MODE=loop, its own checks
 * off), a probe terminal at a prompt. In blocks taken in turn (so all three
 * see the same load on a shared host): keystroke round trips while disk
 * checks of the sandbox run back to back the old way (`docker exec df`, the
 * driver's fallback, plus the SizeRw inspect), the new way (statfs of the
 * loop volume on the host plus the same inspect), and with no check. Also
 * the CPU each check costs the control plane: the outer dockerd and
 * containerd, the sandbox's containerd shim with the runc children it
 * reaped, the sandbox's cgroup and this process (dockerd is shared with
 * whatever else the engine serves: an upper bound).
 *
 * Env: BENCH_BLOCKS (8), BENCH_KEYS (40 per block). Needs root on the
 * engine's host (loop volumes, /proc of dockerd). The server removes its
 * sandbox when it stops, on Ctrl-C too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { runExec } from '../lab-server/src/sandbox/exec.ts';
import { SANDBOX_DISK_DIR } from '../lab-server/src/sandbox/spec.ts';
import { hostVolumeDeps, hostVolumeUsage } from '../lab-server/src/sandbox/volume-usage.ts';
import { sleep } from '../tests/support/lab-server.ts';
import { openTerminal } from '../tests/support/terminal.ts';
import { containerCpuSeconds, keystrokes, labPath } from './keystrokes.ts';
import { BenchServer } from './lifecycle.ts';
import { summary, type Summary } from './stats.ts';

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 8);
const KEYS = Number(process.env.BENCH_KEYS ?? 40);
const lab = new BenchServer();

/** CPU milliseconds used so far by a process and the children it reaped (/proc/<pid>/stat utime+stime+cutime+cstime). */
function processCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function main() {
  const server = await lab.start({ env: { LAB_WARM_POOL: '0', LAB_DISK_MODE: 'loop', LAB_DISK_CHECK_INTERVAL: '24h', LAB_PREPULL: 'off' } });
  const { term } = await openTerminal(server);
  await term.waitFor(() => term.text.includes('\x1b]133;B'), 60_000, 'prompt');
  const docker = new Docker();
  const filters = JSON.stringify({ label: [`lab.owner=${server.instance}`, 'lab.kind=sandbox'] });
  const [info] = await docker.listContainers({ filters });
  const id = info!.Id;
  const volume = info!.Mounts.find((m) => m.Destination === SANDBOX_DISK_DIR)!.Name!;
  const hostVolumes = hostVolumeDeps((name) => docker.getVolume(name).inspect());
  const sizeRw = () => docker.getContainer(id).inspect({ size: true } as Docker.ContainerInspectOptions);
  const checks = {
    exec: () => Promise.all([runExec(docker, id, ['df', '-kP', SANDBOX_DISK_DIR], 30_000), sizeRw()]),
    statfs: async () => {
      const [usage] = await Promise.all([hostVolumeUsage(volume, hostVolumes), sizeRw()]);
      if (!usage) throw new Error('the loop volume is not mounted where this process can see it');
    },
  };

  const dockerd = Number(readFileSync('/var/run/docker.pid', 'utf8'));
  const containerd = Number(execFileSync('pgrep', ['-o', '-f', '^containerd --config /var/run/docker/containerd']).toString().trim());
  const shim = Number(
    execFileSync('pgrep', ['-f', `containerd-shim-runc-v2 .*-id ${id}`])
      .toString()
      .trim(),
  );
  const cpuMs = () => {
    const own = process.cpuUsage();
    // Where the sandbox's cgroup is not readable, its own share is left out (the shim and its runc are still counted).
    const sandbox = containerCpuSeconds(id) * 1000 || 0;
    return processCpuMs(dockerd) + processCpuMs(containerd) + processCpuMs(shim) + sandbox + (own.user + own.system) / 1000;
  };

  const probe = labPath(term);
  await keystrokes([probe], 0); // warm-up

  const kinds = ['exec', 'statfs', 'none'] as const;
  const samples = { exec: [] as number[], statfs: [] as number[], none: [] as number[] };
  const done = { exec: 0, statfs: 0 };
  const cpu = { exec: 0, statfs: 0 };
  for (let block = 0; block < BLOCKS; block++) {
    for (const kind of kinds) {
      let running = kind !== 'none';
      const c0 = cpuMs();
      const background = (async () => {
        while (running && kind !== 'none') {
          await checks[kind]();
          done[kind]++;
        }
      })();
      samples[kind].push(...(await keystrokes([probe], KEYS, 0))[0]!);
      running = false;
      await background;
      if (kind !== 'none') cpu[kind] += cpuMs() - c0;
      await sleep(200);
    }
  }

  const line = (s: Summary) => `p50 ${s.median.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms`;
  const result = Object.fromEntries(kinds.map((k) => [k, summary(samples[k])])) as Record<(typeof kinds)[number], Summary>;
  console.log('\nresults (keystroke round trip, n per row = blocks x keys)');
  for (const k of ['exec', 'statfs'] as const)
    console.log(
      `  checks back to back, ${k === 'exec' ? 'docker exec df (old)' : 'statfs on the host (new)'} (n=${result[k].n}): ${line(result[k])}; ${done[k]} checks, ${(cpu[k] / done[k]).toFixed(1)} ms CPU each`,
    );
  console.log(`  no check (n=${result.none.n}): ${line(result.none)}`);
  console.log(JSON.stringify({ keystroke: result, checks: done, cpuMsPerCheck: { exec: cpu.exec / done.exec, statfs: cpu.statfs / done.statfs } }));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => lab.stop());
