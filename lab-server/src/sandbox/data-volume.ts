/**
 * The per-sandbox volume for the inner engine's /var/lib/docker, and how its
 * size is limited. "Disk full" is a top complaint about hosted Docker labs,
 * and one reader filling the host's disk would end everyone's lab.
 *
 * Measured on this host (ext4 under /var/lib/docker, Docker 20.10): there is
 * no quota for `local` volumes or overlay2 upper dirs (that needs xfs with
 * pquota), and a writer in a sandbox puts down ~450 MB/s, so a periodic check
 * alone would overshoot by gigabytes between two checks. Hence two modes:
 *
 * - loop (default when possible): each sandbox gets a sparse file of
 *   LAB_SANDBOX_DISK bytes formatted ext4 and attached to a loop device; the
 *   volume is a `local` volume mounting that device. The limit is hard (the
 *   reader sees "no space left on device"), host usage is what is really
 *   written (sparse + discard), and setting it up costs ~20 ms. Needs root on
 *   the engine's host (losetup, mkfs.ext4) and a local engine.
 * - watch: a plain volume; DiskCheck (lab-server/src/disk-check.ts) measures usage with
 *   du every LAB_DISK_CHECK_INTERVAL, warns at 80% and ends the session at
 *   100%. Works with any engine, remote ones included, but is a soft limit.
 *
 * The volume holds every path the reader can write (the inner engine's
 * data, /root, /tmp, /var/tmp, /etc/docker: the entrypoint binds its
 * subdirectories there) and the sandbox's root filesystem is read-only, so
 * in loop mode the limit covers all of them. Before (issue 8) /root and /tmp
 * sat in the container's writable layer, watched through Docker's SizeRw
 * only: an unlinked-but-open file there wrote 4.9 GiB against 4 GiB. SizeRw
 * is still watched in both modes, as a second line.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Logger } from 'pino';

const run = promisify(execFile);

export type DiskMode = 'loop' | 'watch';

export interface DataVolumes {
  readonly mode: DiskMode;
  /** Creates the sandbox's data volume (named `name`) with `labels`. */
  create(sandboxId: string, name: string, labels: Record<string, string>): Promise<void>;
  /** After the volume is removed: frees what backed it. Idempotent. */
  release(sandboxId: string): Promise<void>;
  /** Frees backing files of sandboxes not in `keep` (after a crash). */
  prune(keep: ReadonlySet<string>): Promise<void>;
}

class PlainVolumes implements DataVolumes {
  readonly mode = 'watch' as const;
  private readonly docker: Docker;
  constructor(docker: Docker) {
    this.docker = docker;
  }
  async create(_sandboxId: string, name: string, labels: Record<string, string>) {
    await this.docker.createVolume({ Name: name, Labels: labels });
  }
  async release() {}
  async prune() {}
}

class LoopVolumes implements DataVolumes {
  readonly mode = 'loop' as const;
  private readonly docker: Docker;
  private readonly dir: string;
  private readonly bytes: number;
  private readonly log: Logger;

  constructor(docker: Docker, dir: string, bytes: number, log: Logger) {
    this.docker = docker;
    this.dir = dir;
    this.bytes = bytes;
    this.log = log;
  }

  private file(sandboxId: string) {
    return path.join(this.dir, `${sandboxId}.img`);
  }

  async create(sandboxId: string, name: string, labels: Record<string, string>) {
    const file = this.file(sandboxId);
    // (Again each time: prune removes the directory when nothing is owned.)
    await mkdir(this.dir, { recursive: true });
    await run('truncate', ['-s', String(this.bytes), file]);
    // No reserved blocks (it is all the reader's), no journal (scratch data,
    // removed with the sandbox), lazy init so formatting a sparse file is instant.
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', 'nodiscard,lazy_itable_init=1', file]);
    const { stdout } = await run('losetup', ['--find', '--show', file]);
    const device = stdout.trim();
    try {
      await this.docker.createVolume({
        Name: name,
        Driver: 'local',
        // discard: space freed inside (docker rmi) is punched out of the sparse file.
        DriverOpts: { type: 'ext4', device, o: 'discard' },
        Labels: { ...labels, 'lab.disk': 'loop' },
      });
    } catch (err) {
      await this.release(sandboxId);
      throw err;
    }
  }

  async release(sandboxId: string) {
    const file = this.file(sandboxId);
    // A device still mounted is only marked autoclear; it goes with the unmount.
    const { stdout } = await run('losetup', ['--associated', file, '--noheadings', '--output', 'NAME']).catch(() => ({ stdout: '' }));
    for (const device of stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      await run('losetup', ['--detach', device]).catch((err) => this.log.warn({ device, err: String(err) }, 'losetup -d failed'));
    }
    await rm(file, { force: true });
  }

  async prune(keep: ReadonlySet<string>) {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const id = name.endsWith('.img') ? name.slice(0, -4) : undefined;
      if (!id || keep.has(id)) continue;
      this.log.info({ sandbox: id }, 'removing orphaned sandbox disk');
      await this.release(id);
    }
    // Nothing owned any more (shutdown): leave no empty directory behind.
    if (keep.size === 0) await rmdir(this.dir).catch(() => undefined);
  }
}

export interface DataVolumeOptions {
  docker: Docker;
  mode: 'auto' | DiskMode;
  dir: string;
  bytes: number;
  log: Logger;
}

/** Loop volumes when asked or (auto) when this process can make them; else plain volumes. */
export async function createDataVolumes(opts: DataVolumeOptions): Promise<DataVolumes> {
  const { docker, mode, dir, bytes, log } = opts;
  if (mode === 'watch') return new PlainVolumes(docker);
  const problem = await loopProblem(dir);
  if (!problem) {
    log.info({ dir, bytes }, 'sandbox disks: size-limited loop volumes');
    return new LoopVolumes(docker, dir, bytes, log);
  }
  if (mode === 'loop') throw new Error(`LAB_DISK_MODE=loop but loop volumes are not possible here: ${problem}`);
  log.warn({ reason: problem }, 'sandbox disks: periodic usage checks only (soft limit)');
  return new PlainVolumes(docker);
}

async function loopProblem(dir: string): Promise<string | undefined> {
  const dockerHost = process.env.DOCKER_HOST ?? '';
  if (dockerHost !== '' && !dockerHost.startsWith('unix://')) return 'the Docker engine is remote';
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control';
  try {
    await run('losetup', ['--version']);
    await run('mkfs.ext4', ['-V']);
  } catch {
    return 'losetup or mkfs.ext4 missing';
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    return `cannot create ${dir}: ${String(err)}`;
  }
  return undefined;
}
