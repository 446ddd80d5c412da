/**
 * SandboxDriver on the Docker Engine API (dockerode; DOCKER_HOST or the local
 * socket). One sandbox = one container running its own dockerd, plus a named
 * volume for its /var/lib/docker (overlay2 cannot sit on overlay) and, with
 * LAB_EGRESS=on, its own bridge network.
 *
 * The container itself (flags, env, mounts, readiness, shell) is spec.ts's;
 * this file adds what is per deployment: name, limits, labels, network, runtime.
 *
 * Limits, and why each one:
 * - NanoCpus: a busy sandbox gets at most its share, the host stays
 *   responsive (a fork bomb spins inside its quota).
 * - Memory = MemorySwap, OOM killer on: inner containers live in child
 *   cgroups of the sandbox (private cgroup namespace), so their memory counts
 *   against this limit; a memory bomb is killed inside the sandbox.
 * - PidsLimit: a fork bomb hits the ceiling instead of the host's pid table.
 *   dockerd, containerd and shims use a few hundred threads, hence ~1024.
 * - Disk: the sandbox's root filesystem is read-only and every path the
 *   reader writes is on the data volume, size-limited where possible
 *   (data-volume.ts); usage is also measured periodically through
 *   diskUsage() (lab.ts), the only limit in LAB_DISK_MODE=watch.
 * - Kernel per-user counts (inotify instances, user namespaces, nproc,
 *   sigpending, mqueue): each sandbox's user namespace is owned by its own
 *   host uid (sandboxUsernsOwner), unique among this driver's live
 *   sandboxes, so each sandbox has its own budget of the host's per-user
 *   limits (fs.inotify.max_user_instances = 128 here) instead of all sharing
 *   host root's with each other and with the lab server.
 */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DataVolumes } from './data-volume.ts';
import type { EgressFirewall } from './egress-firewall.ts';
import { runCheckExec } from './check-exec.ts';
import { runExec } from './exec.ts';
import { prepull } from './prepull.ts';
import { listPortsExec, openPortExec, type ExecSocket } from './port-exec.ts';
import { raiseHostInotifyLimits } from './host-limits.ts';
import { hostVolumeDeps, hostVolumeUsage } from './volume-usage.ts';
import { LABEL_KIND, LABEL_SANDBOX, Naming, POOL_SESSION } from './labels.ts';
import type {
  CheckOutcome,
  CheckRun,
  DiskUsage,
  OwnedObject,
  PortListing,
  ProgressFn,
  SandboxDriver,
  SandboxHandle,
  SandboxPorts,
  Shell,
} from './driver.ts';
import type { SandboxStats, SandboxUsage } from './driver.ts';
import { SANDBOX_DISK_DIR, SANDBOX_READY, SANDBOX_SHELL, sandboxCreateSpec, sandboxUsernsOwner } from './spec.ts';

export interface DockerDriverOptions {
  docker: Docker;
  naming: Naming;
  /** Image, limits, runtime and boot timeout from the configuration. */
  sandbox: Config['sandbox'];
  egress: EgressFirewall | undefined;
  /** How data volumes are made and size-limited (data-volume.ts). */
  volumes: DataVolumes;
  log: Logger;
}

/** The driver as the configuration asks for it (main.ts and the benchmark). */
export function sandboxDriverFromConfig(opts: DockerDriverOptions): DockerSandboxDriver {
  // Headroom for the host's own root processes (the server included); each
  // sandbox keeps its own lower bound either way (host-limits.ts).
  raiseHostInotifyLimits(opts.log);
  return new DockerSandboxDriver(opts);
}

/** The spare shell's TTY until a page says its size (the first attach resizes it). */
const SPARE_SHELL_SIZE = { cols: 80, rows: 24 } as const;
/** A pre-pull that takes longer is given up (the mirror is local: nginx takes 1-3 s). */
const PREPULL_TIMEOUT_MS = 120_000;
/** Longest a boot waits for the spare shell's first byte (started with the container, it printed 0.3-0.7 s later at load 11; a slow host must not hold the sandbox back). */
const SPARE_SHELL_WAIT_MS = 2000;

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The parts of the Engine API's container stats that usageFromStats reads. */
export interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** `docker stats`'s arithmetic: CPU delta over system delta times CPUs (percent of one core); memory minus inactive page cache. */
export function usageFromStats(s: EngineStats): SandboxUsage {
  const cpu = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const system = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpu > 0 && system > 0 ? (cpu / system) * cpus * 100 : 0;
  const stats = s.memory_stats?.stats ?? {};
  // cgroup v2 names it inactive_file, v1 total_inactive_file (docker CLI: calculateMemUsageUnixNoCache).
  const cache = stats.inactive_file ?? stats.total_inactive_file ?? 0;
  const usage = s.memory_stats?.usage ?? 0;
  return { cpuPercent: Math.round(cpuPercent * 10) / 10, memoryBytes: Math.max(0, usage - (cache < usage ? cache : 0)) };
}

export class DockerSandboxDriver implements SandboxDriver, SandboxPorts {
  private readonly docker: Docker;
  private readonly naming: Naming;
  private readonly opts: DockerDriverOptions;
  private readonly log: Logger;
  /** User-namespace owner uid of each sandbox this driver created and has not destroyed. */
  private readonly owners = new Map<string, number>();
  /**
   * A shell started with the container (see create), for its first terminal.
   * Starting one (exec create + start + resize, then lab-shell: perl, nsenter,
   * bash -l) took 230-320 ms from hello to the first byte with a warm-pool
   * sandbox on the 2-core bench machine; with the shell already there the
   * first byte is the prompt it printed while waiting (docs/benchmarks.md).
   */
  private readonly spareShells = new Map<string, Promise<Shell>>();
  /** Data volume mount points as the engine reports them (diskUsage on the host). */
  private readonly hostVolumes = hostVolumeDeps((name) => this.docker.getVolume(name).inspect());
  /** Each booted sandbox's inner engine readiness (create starts the shell before it); never rejects. */
  private readonly engines = new Map<string, Promise<void>>();

  constructor(opts: DockerDriverOptions) {
    this.opts = opts;
    this.docker = opts.docker;
    this.naming = opts.naming;
    this.log = opts.log;
  }

  async create(sandboxId: string, sessionLabel: string | undefined, onProgress: ProgressFn, signal?: AbortSignal): Promise<SandboxHandle> {
    const started = Date.now();
    const session = sessionLabel ?? POOL_SESSION;
    const naming = this.naming;
    try {
      onProgress('creating', 0.05);
      await this.opts.volumes.create(sandboxId, naming.dataVolume(sandboxId), naming.labels('volume', sandboxId, session));

      let networkMode = 'none';
      if (this.opts.egress) {
        const bridge = naming.bridge(sandboxId);
        await this.docker.createNetwork({
          Name: naming.network(sandboxId),
          Driver: 'bridge',
          Labels: naming.labels('network', sandboxId, session),
          Options: {
            'com.docker.network.bridge.name': bridge,
            'com.docker.network.bridge.enable_icc': 'false',
          },
        });
        await this.opts.egress.protect(bridge);
        networkMode = naming.network(sandboxId);
      }
      signal?.throwIfAborted();
      onProgress('creating', 0.15);

      const { image, nanoCpus, memoryBytes, pidsLimit, runtime } = this.opts.sandbox;
      const owner = sandboxUsernsOwner(new Set(this.owners.values()));
      this.owners.set(sandboxId, owner);
      const spec = sandboxCreateSpec(naming.dataVolume(sandboxId), owner, image);
      const container = await this.docker.createContainer({
        ...spec,
        name: naming.container(sandboxId),
        // LAB_EGRESS tells the entrypoint the container has a network worth routing to.
        Env: [...spec.Env, `LAB_EGRESS=${this.opts.egress ? 1 : 0}`],
        Labels: { ...spec.Labels, ...naming.labels('sandbox', sandboxId, session) },
        HostConfig: {
          ...spec.HostConfig,
          NetworkMode: networkMode,
          NanoCpus: nanoCpus,
          Memory: memoryBytes,
          MemorySwap: memoryBytes,
          OomKillDisable: false,
          PidsLimit: pidsLimit,
          RestartPolicy: { Name: 'no' },
          AutoRemove: false,
          ...(runtime ? { Runtime: runtime } : {}),
        },
      });
      signal?.throwIfAborted();
      onProgress('starting', 0.3);
      await container.start();
      onProgress('engine', 0.4);
      // The first shell starts now, not once the engine answers: lab-shell
      // waits for the inner world (SANDBOX_SHELL.bootEnv), which exists ~0.6 s
      // before the inner dockerd answers, and bash.bashrc holds its first
      // prompt until the engine does. So a reader's boot is usable once the
      // shell printed, and the engine finishes while they read the greeting.
      const spare = this.startShell(container.id, SPARE_SHELL_SIZE.cols, SPARE_SHELL_SIZE.rows, [SANDBOX_SHELL.bootEnv]);
      spare.catch(() => undefined);
      this.spareShells.set(sandboxId, spare);
      const engine = this.waitForEngine(container.id, onProgress, started, signal);
      // Checks, port listings and the pre-pull wait for it (engineReady).
      this.engines.set(
        sandboxId,
        engine.catch(() => undefined),
      );
      const shellUp = this.firstOutput(spare).catch((err) => {
        this.log.warn({ sandbox: sandboxId, err }, 'spare shell failed; the first terminal starts its own');
        return engine;
      });
      // A reader's own boot is theirs as soon as either is there; a pool boot
      // (nobody waiting) only once the engine answers, so the pool never holds
      // a sandbox whose engine may still fail.
      if (sessionLabel === undefined) await Promise.all([engine, shellUp]);
      else await Promise.race([engine.then(() => shellUp), shellUp]);
      const handle: SandboxHandle = { id: sandboxId, containerId: container.id, createdAt: started, bootMs: Date.now() - started };
      if (sessionLabel !== undefined) {
        engine.then(
          () => this.log.info({ sandbox: sandboxId, ms: Date.now() - started }, 'inner engine ready'),
          (err) => {
            // The reader's shell is gone with it: the lab sees the sandbox stop and ends the session.
            this.log.error({ sandbox: sandboxId, err }, 'inner engine failed after the shell started');
            void this.destroy(sandboxId).catch(() => undefined);
          },
        );
      }
      onProgress('shell', 0.95);
      // Pool boots only (prepull.ts says why); not awaited: the sandbox is ready now and a reader may share the pull.
      const images = this.opts.sandbox.prepull;
      if (sessionLabel === undefined && images.length > 0) {
        prepull(this.docker, container.id, images, PREPULL_TIMEOUT_MS).then(
          (ms) => this.log.info({ sandbox: sandboxId, images, ms }, 'lesson images pre-pulled'),
          (err) =>
            // A sandbox removed mid-pull (its reader left within seconds) kills the pull: not a failure worth a warning.
            this.engines.has(sandboxId)
              ? this.log.warn({ sandbox: sandboxId, images, err }, 'pre-pull failed (the reader pulls on first use)')
              : this.log.debug({ sandbox: sandboxId, images, err }, 'pre-pull ended with its sandbox'),
        );
      }
      return handle;
    } catch (err) {
      await this.destroy(sandboxId).catch((cleanupErr) => this.log.warn({ sandbox: sandboxId, err: cleanupErr }, 'cleanup after failed boot'));
      throw err;
    }
  }

  /**
   * Waits until the readiness file is there: one exec that polls inside the
   * sandbox (SANDBOX_READY.waitCommand, up to waitS), again while the
   * container runs and the boot timeout allows. Before, an exec per 50 ms
   * probe: each cost the outer engine 100-200 ms on 2 cores during the boot
   * it was waiting for, and the answer came ~half a period late.
   */
  private async waitForEngine(containerId: string, onProgress: ProgressFn, started: number, signal?: AbortSignal) {
    const deadline = started + this.opts.sandbox.bootTimeoutMs;
    let progress = 0.4;
    for (;;) {
      signal?.throwIfAborted();
      const info = await this.docker.getContainer(containerId).inspect();
      if (!info.State.Running) {
        const logs = await this.tail(containerId);
        throw new Error(`sandbox exited during boot (code ${info.State.ExitCode}${info.State.OOMKilled ? ', OOM' : ''}): ${logs}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`inner Docker engine not ready after ${this.opts.sandbox.bootTimeoutMs} ms`);
      const limit = Math.min(left, SANDBOX_READY.waitS * 1000 + 2000);
      const result = await runExec(this.docker, containerId, [...SANDBOX_READY.waitCommand], limit).catch(() => undefined);
      if (result?.code === 0) return;
      progress = Math.min(0.9, progress + (0.9 - progress) * 0.25);
      onProgress('engine', progress);
      await sleep(SANDBOX_READY.pollIntervalMs);
    }
  }

  /** Resolves once the sandbox's inner engine answered (at once for a sandbox this driver did not boot, or whose boot failed). */
  private async engineReady(sandboxId: string): Promise<void> {
    await this.engines.get(sandboxId);
  }

  private async tail(containerId: string): Promise<string> {
    try {
      const buf = (await this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer;
      // Non-TTY logs are multiplexed: drop the 8-byte frame headers crudely for a log line.
      return buf
        .toString('utf8')
        .replace(/[\x00-\x08]/g, '')
        .slice(-800);
    } catch {
      return '(no logs)';
    }
  }

  /**
   * Waits (at most SPARE_SHELL_WAIT_MS) until the shell printed something, so a
   * pooled sandbox counts as ready only once its prompt is there. Reads
   * nothing: the bytes stay in the stream for the terminal that takes it.
   */
  private async firstOutput(spare: Promise<Shell>): Promise<void> {
    const { stream } = await spare;
    if (stream.readableLength > 0) return;
    const onReadable = () => undefined;
    stream.on('readable', onReadable);
    try {
      await Promise.race([once(stream, 'readable'), sleep(SPARE_SHELL_WAIT_MS)]);
    } finally {
      // Without a 'readable' listener the stream flows again once the terminal adds its 'data' listener.
      stream.removeListener('readable', onReadable);
    }
  }

  /** The spare shell when it is still alive (resized to the page), else a new one. */
  async openShell(sandbox: SandboxHandle, cols: number, rows: number): Promise<Shell> {
    const spare = this.spareShells.get(sandbox.id);
    this.spareShells.delete(sandbox.id);
    const shell = await spare?.catch(() => undefined);
    if (shell && !shell.stream.destroyed && !shell.stream.readableEnded) {
      // Not awaited: the prompt it already printed goes out meanwhile; bash redraws on SIGWINCH.
      shell.resize(cols, rows).catch(() => undefined);
      return shell;
    }
    shell?.close();
    return this.startShell(sandbox.containerId, cols, rows);
  }

  private async startShell(containerId: string, cols: number, rows: number, env: readonly string[] = []): Promise<Shell> {
    const container = this.docker.getContainer(containerId);
    const exec = await container.exec({
      Cmd: [...SANDBOX_SHELL.command],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      // Docker's default detach keys (Ctrl-P Ctrl-Q) would end the reader's
      // shell when they detach from their own `docker run -it` / `attach`:
      // the daemon reads this exec's stdin first. A sequence nobody types.
      DetachKeys: 'ctrl-^,ctrl-^,ctrl-^',
      User: SANDBOX_SHELL.user,
      WorkingDir: SANDBOX_SHELL.workingDir,
      Env: [...SANDBOX_SHELL.env, ...env],
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as Duplex;
    // API 1.41 has no ConsoleSize on exec start: size the TTY right after.
    await exec.resize({ h: rows, w: cols }).catch(() => undefined);
    const exited = (async () => {
      if (!stream.readableEnded && !stream.destroyed) {
        await Promise.race([once(stream, 'end'), once(stream, 'close')]).catch(() => undefined);
      }
      try {
        const info = await exec.inspect();
        return info.Running ? null : (info.ExitCode ?? null);
      } catch {
        return null;
      }
    })();
    return {
      stream,
      exited,
      resize: async (c, r) => {
        await exec.resize({ h: r, w: c });
      },
      close: () => stream.destroy(),
    };
  }

  /** A challenge check (check-exec.ts says how it is bounded). */
  async runCheck(sandbox: SandboxHandle, run: CheckRun): Promise<CheckOutcome> {
    await this.engineReady(sandbox.id);
    return runCheckExec(this.docker, sandbox.containerId, run);
  }

  /** A port preview connection (port-exec.ts: one exec of lab-port per upstream connection). */
  openPort(sandbox: SandboxHandle, port: number): Promise<ExecSocket> {
    return openPortExec(this.docker, sandbox.containerId, port);
  }

  /** The inner engine's published ports (port-exec.ts: `lab-port list`, bounded). */
  async listPorts(sandbox: SandboxHandle): Promise<PortListing> {
    await this.engineReady(sandbox.id);
    return listPortsExec(this.docker, sandbox.containerId);
  }

  async destroy(sandboxId: string): Promise<void> {
    const n = this.naming;
    this.owners.delete(sandboxId);
    this.engines.delete(sandboxId);
    void this.spareShells.get(sandboxId)?.then(
      (shell) => shell.close(),
      () => undefined,
    );
    this.spareShells.delete(sandboxId);
    try {
      await this.docker.getContainer(n.container(sandboxId)).remove({ force: true, v: true });
    } catch (err) {
      if (!isNotFound(err) && !String(err).includes('already in progress')) throw err;
    }
    await this.removeVolume(n.dataVolume(sandboxId));
    await this.opts.volumes.release(sandboxId);
    if (this.opts.egress) {
      await this.opts.egress.release(n.bridge(sandboxId));
      try {
        await this.docker.getNetwork(n.network(sandboxId)).remove();
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Volume removal races the container's teardown ("volume is in use"): retry briefly. */
  private async removeVolume(name: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.docker.getVolume(name).remove({ force: true });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (attempt >= 20) throw err;
        await sleep(250);
      }
    }
  }

  /**
   * CPU and memory as `docker stats` computes them, from one non-streaming
   * stats call (the engine samples twice, about 1 s apart, so this takes
   * about a second: callers cache it, classroom/seats.ts).
   */
  async stats(sandbox: SandboxHandle): Promise<SandboxUsage> {
    return usageFromStats((await this.docker.getContainer(sandbox.containerId).stats({ stream: false })) as unknown as EngineStats);
  }

  async isRunning(sandbox: SandboxHandle): Promise<boolean> {
    try {
      return (await this.docker.getContainer(sandbox.containerId).inspect()).State.Running;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Data volume: on a loop volume `df` of its own filesystem (instant); on a
   * plain one `du` (the volume is a separate filesystem, so -x keeps inner
   * containers' overlay mounts out). Writable layer: SizeRw from the engine,
   * a second line only now that the root filesystem is read-only (SizeRw
   * cannot see deleted-but-open files anyway).
   */
  async diskUsage(sandbox: SandboxHandle): Promise<DiskUsage> {
    const loop = this.opts.volumes.mode === 'loop';
    // The writable layer from the engine (one inspect per check); the data
    // volume by statfs on the host when it is mounted here (volume-usage.ts
    // says why), else by an exec in the sandbox.
    const [info, data] = await Promise.all([
      this.docker.getContainer(sandbox.containerId).inspect({ size: true } as Docker.ContainerInspectOptions),
      this.volumeUsage(sandbox, loop),
    ]);
    return { ...data, rootfs: (info as unknown as { SizeRw?: number }).SizeRw ?? 0 };
  }

  private async volumeUsage(sandbox: SandboxHandle, loop: boolean): Promise<Omit<DiskUsage, 'rootfs'>> {
    const host = loop ? await hostVolumeUsage(this.naming.dataVolume(sandbox.id), this.hostVolumes) : undefined;
    return host ? { data: host.used, dataLimit: host.size } : this.volumeUsageByExec(sandbox.containerId, loop);
  }

  /** The data volume's usage asked inside the sandbox: `df` of a loop volume (its size is the limit), else `du`. */
  private async volumeUsageByExec(containerId: string, loop: boolean): Promise<Omit<DiskUsage, 'rootfs'>> {
    const out = await runExec(this.docker, containerId, loop ? ['df', '-kP', SANDBOX_DISK_DIR] : ['du', '-sxk', SANDBOX_DISK_DIR], 30_000);
    if (loop) {
      // Filesystem 1024-blocks Used Available Capacity Mounted-on
      const fields = out.stdout.trim().split('\n').at(-1)?.split(/\s+/) ?? [];
      const size = Number(fields[1]);
      const used = Number(fields[2]);
      if (!Number.isFinite(size) || !Number.isFinite(used)) throw new Error(`df failed: ${out.stderr.slice(0, 200)}`);
      return { data: used * 1024, dataLimit: size * 1024 };
    }
    const kib = Number(/^(\d+)/.exec(out.stdout)?.[1] ?? NaN);
    if (!Number.isFinite(kib)) throw new Error(`du failed: ${out.stderr.slice(0, 200)}`);
    return { data: kib * 1024, dataLimit: undefined };
  }

  async listOwned(): Promise<OwnedObject[]> {
    const filters = this.naming.ownerFilter();
    const [containers, volumes, networks] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listVolumes({ filters }),
      this.docker.listNetworks({ filters }),
    ]);
    const out: OwnedObject[] = [];
    for (const c of containers) {
      out.push({
        type: 'container',
        ref: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        kind: c.Labels[LABEL_KIND] ?? '',
        sandboxId: c.Labels[LABEL_SANDBOX],
        createdAt: c.Created * 1000,
      });
    }
    // Volumes and networks carry the same labels; only where their fields live differs.
    const labelled = (
      type: 'volume' | 'network',
      ref: string,
      name: string,
      labels: Record<string, string> | undefined,
      created: string | undefined,
    ) => {
      const createdAt = Date.parse(created ?? '');
      out.push({
        type,
        ref,
        name,
        kind: labels?.[LABEL_KIND] ?? '',
        sandboxId: labels?.[LABEL_SANDBOX],
        createdAt: Number.isFinite(createdAt) ? createdAt : 0,
      });
    };
    for (const v of volumes.Volumes ?? []) labelled('volume', v.Name, v.Name, v.Labels, (v as { CreatedAt?: string }).CreatedAt);
    for (const net of networks) labelled('network', net.Id, net.Name, net.Labels, net.Created);
    return out;
  }

  async removeOwned(object: OwnedObject): Promise<void> {
    try {
      if (object.type === 'container') await this.docker.getContainer(object.ref).remove({ force: true, v: true });
      else if (object.type === 'volume') {
        await this.removeVolume(object.ref);
        if (object.sandboxId) await this.opts.volumes.release(object.sandboxId);
      } else {
        if (object.sandboxId) await this.opts.egress?.release(this.naming.bridge(object.sandboxId));
        await this.docker.getNetwork(object.ref).remove();
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
