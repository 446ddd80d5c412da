/**
 * The seam between the lab and the container engine. Everything above this
 * interface (sessions, terminals, the warm pool, the WebSocket gateway) knows
 * sandboxes only as handles and shells as byte streams; everything Docker
 * specific (flags, labels, exec, cgroups) lives in docker-driver.ts.
 */
import type { Duplex } from 'node:stream';
import type { PublishedPort, SandboxPhase } from '../protocol.ts';

/** Boot progress: a phase and a 0..1 fraction, monotonic within one boot. */
export type ProgressFn = (phase: SandboxPhase, progress: number) => void;

export interface SandboxHandle {
  /** Random id chosen by the lab before creation; names and labels derive from it. */
  readonly id: string;
  readonly containerId: string;
  readonly createdAt: number;
  /** Milliseconds from create() until usable: a session's boot once its shell printed (the engine may still be starting), a pool boot once inner Docker is ready too. */
  readonly bootMs: number;
}

export interface Shell {
  /** Raw TTY bytes: read = shell output, write = keyboard input. */
  readonly stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the process is gone (null if unknown). */
  readonly exited: Promise<number | null>;
  /** Stops reading and writing; the process itself dies with its sandbox. */
  close(): void;
}

export interface DiskUsage {
  /** Bytes used on the data volume (every path the reader can write: /var/lib/docker, /root, /tmp, ...). */
  data: number;
  /** The data volume's size when it is hard-limited (loop volumes), else undefined. */
  dataLimit: number | undefined;
  /** Bytes in the sandbox container's own writable layer (read-only root: a second line only). */
  rootfs: number;
}

export interface OwnedObject {
  type: 'container' | 'volume' | 'network';
  /** Docker id (containers, networks) or name (volumes). */
  ref: string;
  name: string;
  kind: string;
  /** The lab.sandbox label, for objects that belong to a sandbox. */
  sandboxId: string | undefined;
  /** Epoch ms when Docker created it (0 if unknown). */
  createdAt: number;
}

/** A challenge check: a bash script run like the reader's shell, without a TTY, bounded in time and output. */
export interface CheckRun {
  /** Shown in the check's own error messages as bash's $0. */
  name: string;
  script: string;
  timeoutMs: number;
  /** At most this many bytes of output are kept (the last ones); the rest is read and discarded. */
  maxOutputBytes: number;
}

export interface CheckOutcome {
  /** Exit status; null when it was stopped at its time limit. */
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr as they came, the last maxOutputBytes of it. */
  output: string;
  /** Bytes discarded beyond the limit. */
  discarded: number;
}

/** What a sandbox's inner engine publishes (port preview): its ports, and how many containers run at all. */
export interface PortListing {
  ports: PublishedPort[];
  containers: number;
}

/**
 * The port preview's way into sandboxes (lab-server/src/preview), beside
 * SandboxDriver so the lab's own fakes need not know it.
 */
export interface SandboxPorts {
  /** One TCP connection to 127.0.0.1:port in the sandbox's inner world, as a byte stream; `stderr` says why it failed. */
  openPort(sandbox: SandboxHandle, port: number): Promise<Duplex & { readonly stderr: string }>;
  /** The inner engine's published TCP ports (read from inside, bounded in time and size) and whether each accepts connections. */
  listPorts(sandbox: SandboxHandle): Promise<PortListing>;
}

export interface SandboxDriver {
  /**
   * Creates and starts a sandbox and waits until it is usable: a session's
   * boot once its first shell printed (that shell holds its prompt until the
   * inner engine answers; runCheck waits for the engine too), a warm-pool
   * boot once its inner Docker engine answers. `sessionLabel` is the
   * session's hash prefix, or undefined for a warm-pool sandbox (assigned
   * later). On failure, whatever was created is
   * removed before the promise rejects.
   */
  create(sandboxId: string, sessionLabel: string | undefined, onProgress: ProgressFn, signal?: AbortSignal): Promise<SandboxHandle>;
  /** `bash -l` as root in /root on a TTY of the given size. */
  openShell(sandbox: SandboxHandle, cols: number, rows: number): Promise<Shell>;
  /** Runs a check script in the reader's user-namespaced world (lab-shell, no TTY); never throws for the script's own failure. */
  runCheck(sandbox: SandboxHandle, run: CheckRun): Promise<CheckOutcome>;
  /** Removes the sandbox's container, volume and network; idempotent. */
  destroy(sandboxId: string): Promise<void>;
  isRunning(sandbox: SandboxHandle): Promise<boolean>;
  /** What the sandbox wrote to disk: inner Docker data and its own writable layer. */
  diskUsage(sandbox: SandboxHandle): Promise<DiskUsage>;
  /** Every container, volume and network carrying this server's lab.owner label. */
  listOwned(): Promise<OwnedObject[]>;
  removeOwned(object: OwnedObject): Promise<void>;
}

/** A sandbox's CPU and memory right now (class mode: the instructor's table). */
export interface SandboxUsage {
  /** CPU in percent of one core, averaged over the engine's sampling interval (about 1 s). */
  cpuPercent: number;
  /** Memory in use, page cache not counted (what `docker stats` shows). */
  memoryBytes: number;
}

/** Class mode's way to read sandbox usage (classroom/seats.ts caches it), beside SandboxDriver so the lab's own fakes need not know it. */
export interface SandboxStats {
  stats(sandbox: SandboxHandle): Promise<SandboxUsage>;
}
