/**
 * How the sandbox and the mirror containers are run: the one description,
 * in dockerode's (Engine API) shapes, used by the driver, the mirror, the
 * benchmark and the integration tests' helper. The driver adds what is per
 * deployment (name, limits, ownership labels, network, runtime).
 *
 * Every value was measured on the engine these lessons run on (Docker 20.10,
 * cgroup v1 host, kernel 6.x); lab-server/images/sandbox/README.md has the
 * findings. In short:
 * - not --privileged: it fails anyway ("unable to apply caps") and would give
 *   the host's devices and every capability;
 * - capabilities: Docker's 14 defaults + SYS_ADMIN + NET_ADMIN, nothing more.
 *   Each default is needed because the inner engine grants it to the inner
 *   containers (dropping any one fails every `docker run` inside);
 * - seccomp: our own profile (images/sandbox/seccomp.json), default-deny, not
 *   unconfined; keyring calls answer ENOSYS so nested runc skips them;
 * - no-new-privileges, no devices, no host paths, never the host's Docker socket;
 * - the reader's shell and the inner dockerd run in a user namespace inside
 *   the sandbox (root there is host uid 100000), so CAP_SYS_ADMIN cannot be
 *   turned against the host (a fresh /proc mount could otherwise rewrite the
 *   host's kernel.core_pattern). That namespace is OWNED by a uid unique per
 *   sandbox (SANDBOX_USERNS_OWNER_ENV), not by host root: the kernel charges
 *   per-user counts (inotify instances, user namespaces, nproc, sigpending,
 *   mqueue) to the owner, and with root as owner 128 inotify instances in one
 *   sandbox broke `tail -f` in every other one and fs.watch in the lab server;
 * - read-only root filesystem: every path the reader can write is on the
 *   sandbox's size-limited disk (an unlinked file in the writable layer took
 *   4.9 GiB against a 4 GiB limit: SizeRw cannot see it); nothing the inner
 *   root can write is read by the outer root (/run belongs to host root).
 */
import type Docker from 'dockerode';
import seccompProfile from '../../images/sandbox/seccomp.json' with { type: 'json' };
import type { MirrorSpec } from './mirror.ts';

/** dockerode's types, plus CgroupnsMode (API 1.41, absent there) and the fields this module always fills made required. */
export type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host'; Mounts: Docker.MountSettings[]; Tmpfs: Record<string, string> };
export type CreateOptions = Docker.ContainerCreateOptions & { Image: string; Env: string[]; Labels: Record<string, string>; HostConfig: HostConfig };

// ------------------------------------------------------------------ names

export const SANDBOX_IMAGE = 'lab/sandbox:latest';
export const REGISTRY_IMAGE = 'lab/registry:latest';

/** Named volume holding every lesson image (filled by scripts/build-images.sh). */
export const MIRROR_DATA_VOLUME = 'lab-mirror-data';
/** Named volume holding the mirror's unix socket; mounted read-only into every sandbox. */
export const MIRROR_SOCKET_VOLUME = 'lab-mirror-sock';
/** Where that volume is mounted, in the mirror and in each sandbox. */
export const MIRROR_SOCKET_DIR = '/run/lab-mirror';
export const MIRROR_SOCKET = `${MIRROR_SOCKET_DIR}/registry.sock`;
/** Socket of the optional pull-through cache (same volume). */
export const PROXY_SOCKET = `${MIRROR_SOCKET_DIR}/proxy.sock`;
/** Named volume of the optional pull-through cache. */
export const PROXY_CACHE_VOLUME = 'lab-mirror-cache';

/**
 * Inside the sandbox, socat bridges these loopback ports to the mirror sockets
 * (the inner dockerd's two --registry-mirror). Above Linux's ephemeral range
 * (ip_local_port_range 32768-60999) and outside common use, so a reader's
 * `docker run -p 5000:5000` or `-p 80:80` never finds them taken.
 */
export const SANDBOX_MIRROR_PORT = 61500;
export const SANDBOX_PROXY_PORT = 61501;
/**
 * ghcr.io resolves to this address inside the sandbox; a nat OUTPUT rule sends
 * its port 80 to SANDBOX_MIRROR_PORT, so no socket holds port 80.
 */
export const SANDBOX_GHCR_ADDRESS = '127.0.0.2';

/**
 * Where the per-sandbox disk volume is mounted. Its root stays host root's;
 * the entrypoint binds subdirectories of it onto every directory the inner
 * world writes (SANDBOX_DISK_PATHS), so the volume's size limit covers them
 * all (/var/lib/docker included: overlay2 cannot sit on overlay).
 */
export const SANDBOX_DISK_DIR = '/var/lib/lab-disk';
/** Every path the reader can write that is not a memory-bounded tmpfs (checked by the integration tests). */
export const SANDBOX_DISK_PATHS = ['/var/lib/docker', '/root', '/tmp', '/var/tmp', '/etc/docker'] as const;

/** Host uid that root inside the sandbox's user namespace is (uid/gid 0..65535 -> BASE..). */
export const SANDBOX_USERNS_BASE = 100000;
/**
 * Env var naming the host uid that owns the sandbox's user namespace (the
 * driver picks one per sandbox, see sandboxUsernsOwner; the entrypoint picks
 * a random one when absent). Kernel per-user counts are charged to it.
 */
export const SANDBOX_USERNS_OWNER_ENV = 'LAB_USERNS_OWNER';
/**
 * Per-sandbox bounds on the kernel's per-user counts (/proc/sys/user/*),
 * below the host's per-user values (here: inotify 128 instances / 192536
 * watches, 96365 of each namespace type, fanotify 128 groups). The
 * entrypoint sets them on an intermediate user namespace between the host
 * and the sandbox's world, which the inner root cannot write: the whole
 * sandbox is charged there as one user. Its default LAB_USERNS_LIMITS is this
 * list (checked by the unit test); set LAB_USERNS_LIMITS in the container's
 * env to change it. Why these values: idle, dockerd and containerd hold no
 * inotify instance (`docker logs -f` takes one); an inner container uses 5 namespaces and the pids limit (1024)
 * caps the number of containers long before 1024 namespaces of a type.
 */
export const SANDBOX_USERNS_LIMITS: Readonly<Record<string, number>> = {
  max_inotify_instances: 64,
  max_inotify_watches: 16384,
  max_user_namespaces: 64,
  max_fanotify_groups: 16,
  max_fanotify_marks: 8192,
  max_net_namespaces: 1024,
  max_mnt_namespaces: 1024,
  max_pid_namespaces: 1024,
  max_ipc_namespaces: 1024,
  max_uts_namespaces: 1024,
  max_cgroup_namespaces: 1024,
  max_time_namespaces: 1024,
};
/** Label carrying the same uid, so an operator sees which sandbox owns what. */
export const SANDBOX_USERNS_OWNER_LABEL = 'lab.userns-owner';
/** Owner uids come from [MIN, MIN + SPAN): far above real users and the 100000.. mapping. */
export const SANDBOX_USERNS_OWNER_MIN = 1_000_000_000;
export const SANDBOX_USERNS_OWNER_SPAN = 1_000_000_000;

// ------------------------------------------------------------------ sandbox

/** Docker's default capability set: the inner engine hands these to inner containers. */
// prettier-ignore
export const DOCKER_DEFAULT_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID',
  'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/** The seccomp profile as JSON text, the form the Engine API takes in `seccomp=<json>`. */
export const SECCOMP_PROFILE_JSON: string = JSON.stringify(seccompProfile);

/** Everything but the per-sandbox disk volume, name, limits and network. */
export const SANDBOX_HOST_CONFIG = {
  CapDrop: ['ALL'],
  // SYS_ADMIN: mounts (cgroups, overlay2, the user namespace's proc/sysfs), namespaces.
  // NET_ADMIN: the inner bridge, veths and iptables NAT for `-p`.
  CapAdd: [...DOCKER_DEFAULT_CAPS, 'SYS_ADMIN', 'NET_ADMIN'],
  SecurityOpt: [`seccomp=${SECCOMP_PROFILE_JSON}`, 'no-new-privileges'],
  // Private: the entrypoint re-mounts the cgroup hierarchies rooted at the
  // sandbox's own cgroup, and the kernel refuses new cgroup v1 hierarchies
  // outside the initial cgroup namespace.
  CgroupnsMode: 'private',
  Privileged: false,
  Devices: [],
  Tmpfs: {
    // The OUTER /run: the readiness file and the inner world's pid, host
    // root's 0755. The inner world mounts its own /run over it (its sockets
    // and pid files never land here).
    '/run': 'rw,nosuid,nodev,noexec,size=16m,mode=0755',
    // Outer logs (dockerd's stdout included): their own tmpfs, so a full log
    // cannot fill /run.
    '/var/log/lab': 'rw,nosuid,nodev,noexec,size=16m,mode=0755',
  },
  Mounts: [{ Type: 'volume', Source: MIRROR_SOCKET_VOLUME, Target: MIRROR_SOCKET_DIR, ReadOnly: true }],
  // No network at all: images come through the mirror's unix socket (the
  // driver gives a per-sandbox bridge instead with LAB_EGRESS=on).
  NetworkMode: 'none',
  // Nothing the reader writes lands in the container's writable layer (no
  // size limit on this host's overlay2); see SANDBOX_DISK_PATHS.
  ReadonlyRootfs: true,
} satisfies HostConfig;

/**
 * An owner uid for a new sandbox's user namespace, not in `taken` (the live
 * sandboxes' owners). Random over a span of 10^9, so two lab servers on one
 * host practically never pick the same one either.
 */
export function sandboxUsernsOwner(taken: ReadonlySet<number> = new Set(), random: () => number = Math.random): number {
  for (;;) {
    const uid = SANDBOX_USERNS_OWNER_MIN + Math.floor(random() * SANDBOX_USERNS_OWNER_SPAN);
    if (!taken.has(uid)) return uid;
  }
}

/** One sandbox's container: its disk volume and user-namespace owner are the caller's. */
export function sandboxCreateSpec(diskVolume: string, usernsOwner: number = sandboxUsernsOwner(), image: string = SANDBOX_IMAGE): CreateOptions {
  return {
    Image: image,
    Hostname: 'sandbox',
    Env: ['LANG=C.UTF-8', 'LC_ALL=C.UTF-8', 'TERM=xterm-256color', `${SANDBOX_USERNS_OWNER_ENV}=${usernsOwner}`],
    Labels: { 'lab.role': 'sandbox', [SANDBOX_USERNS_OWNER_LABEL]: String(usernsOwner) },
    HostConfig: {
      ...SANDBOX_HOST_CONFIG,
      Mounts: [...SANDBOX_HOST_CONFIG.Mounts, { Type: 'volume', Source: diskVolume, Target: SANDBOX_DISK_DIR }],
    },
  };
}

/**
 * Readiness: the entrypoint writes /run/lab/ready (outer /run, host root's)
 * once the inner engine's API answers when asked from inside the inner world
 * (measured: 1.0-1.5 s after start on an idle host). `command` asks once;
 * `waitCommand` is one exec that polls inside the sandbox (20 ms, at most
 * `waitS`) and exits 0 once the file is there: an exec per 50 ms probe took
 * 100-200 ms of the outer engine each on 2 cores, during the boot it delays.
 */
const READY_WAIT_S = 5;
export const SANDBOX_READY = {
  command: ['test', '-f', '/run/lab/ready'],
  waitS: READY_WAIT_S,
  waitCommand: ['sh', '-c', `i=0; until [ -f /run/lab/ready ]; do i=$((i + 1)); [ "$i" -le ${READY_WAIT_S * 50} ] || exit 1; sleep 0.02; done`],
  pollIntervalMs: 50,
  timeoutMs: 30_000,
} as const;

/**
 * The reader's shell: exec with Tty, as root. lab-shell enters the sandbox's
 * user namespace (where the inner dockerd runs) and starts `bash -l` in /root,
 * which prints the OSC 133 marks (A/B prompt, C command start, D;<exit>).
 * It fails closed (exit 111) rather than give a shell outside that namespace.
 */
export const SANDBOX_SHELL = {
  command: ['/usr/local/bin/lab-shell'],
  user: 'root',
  workingDir: '/root',
  env: ['TERM=xterm-256color', 'LANG=C.UTF-8', 'LC_ALL=C.UTF-8'],
  /**
   * Added to the env of the shell a boot starts right after the container
   * starts: lab-shell waits up to that many seconds for the inner world
   * (every check still applies), and bash.bashrc holds the first prompt
   * until the inner engine answers.
   */
  bootEnv: 'LAB_SHELL_WAIT_S=20',
} as const;

/** OSC 133 marks the sandbox's bash prints (ESC ] 133 ; X BEL). */
export const OSC133 = {
  promptStart: '\x1b]133;A\x07',
  promptEnd: '\x1b]133;B\x07',
  commandStart: '\x1b]133;C\x07',
  /** Followed by `;<exit status>` then BEL. */
  commandEndPrefix: '\x1b]133;D',
} as const;

// ------------------------------------------------------------------ mirror

/**
 * Both registry containers only serve files and listen on a socket file: no
 * capabilities, no new privileges, read-only root, private cgroup namespace.
 */
function registryContainer(
  config: string,
  role: string,
  tmpfsSize: string,
  data: Docker.MountSettings,
  network: string,
  env: string[] = [],
): CreateOptions {
  return {
    Image: REGISTRY_IMAGE,
    Cmd: ['serve', `/etc/docker/registry/${config}`],
    Env: env,
    Labels: { 'lab.role': role },
    HostConfig: {
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      CgroupnsMode: 'private',
      Privileged: false,
      Devices: [],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${tmpfsSize}` },
      Mounts: [data, { Type: 'volume', Source: MIRROR_SOCKET_VOLUME, Target: MIRROR_SOCKET_DIR }],
      NetworkMode: network,
      ReadonlyRootfs: true,
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

/** The read-only registry every sandbox pulls from (one per engine); it reads its volume and needs no network. */
export const MIRROR_CREATE_SPEC = registryContainer(
  'serve.yml',
  'mirror',
  '16m',
  { Type: 'volume', Source: MIRROR_DATA_VOLUME, Target: '/var/lib/docker-registry', ReadOnly: true },
  'none',
);

export const mirrorSpec = (): MirrorSpec => ({
  name: 'lab-mirror',
  requiredVolumes: [MIRROR_DATA_VOLUME],
  ensureVolumes: [MIRROR_SOCKET_VOLUME],
  create: MIRROR_CREATE_SPEC,
});

export const PROXY_MIRROR_CONTAINER_NAME = 'lab-mirror-proxy';

/**
 * The optional pull-through cache (LAB_HUB_CACHE=on) for hosts WITH internet:
 * Docker Hub, or the organisation's own mirror of it (LAB_HUB_UPSTREAM).
 * Sandboxes ask it, through 127.0.0.1:SANDBOX_PROXY_PORT -> PROXY_SOCKET,
 * only for images the offline mirror lacks. It needs a network that reaches
 * the upstream; the sandboxes still have none. The registry reads
 * REGISTRY_PROXY_* over its proxy.yml.
 */
export function hubCacheSpec(hub: { upstream: string; username?: string | undefined; password?: string | undefined }): MirrorSpec {
  const env = [`REGISTRY_PROXY_REMOTEURL=${hub.upstream}`];
  if (hub.username && hub.password) env.push(`REGISTRY_PROXY_USERNAME=${hub.username}`, `REGISTRY_PROXY_PASSWORD=${hub.password}`);
  const cache = { Type: 'volume', Source: PROXY_CACHE_VOLUME, Target: '/var/lib/docker-registry', ReadOnly: false } as const;
  return {
    name: PROXY_MIRROR_CONTAINER_NAME,
    requiredVolumes: [],
    ensureVolumes: [MIRROR_SOCKET_VOLUME, PROXY_CACHE_VOLUME],
    create: registryContainer('proxy.yml', 'mirror-proxy', '64m', cache, 'bridge', env),
  };
}
