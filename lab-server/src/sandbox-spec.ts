/**
 * How the sandbox and the mirror containers must be run: pure data in Docker
 * Engine API shapes (HostConfig, ContainerCreateOptions), owned by the images
 * side next to lab-server/images/. The lab server builds its containers from
 * this and adds what is per deployment (names, limits, labels, its network).
 *
 * Every value here was measured on the engine these lessons run on (Docker
 * 20.10, cgroup v1 host, kernel 6.x); lab-server/images/sandbox/README.md has
 * the findings. In short:
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
import seccompProfile from '../images/sandbox/seccomp.json' with { type: 'json' };

// ------------------------------------------------------------------ types
// The subset of the Engine API this module fills (kept local so the module
// has no runtime or type dependency on dockerode).

export interface MountSpec {
  Type: 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

export interface HostConfigSpec {
  CapDrop: string[];
  CapAdd: string[];
  SecurityOpt: string[];
  CgroupnsMode: 'private' | 'host';
  Privileged: false;
  Devices: [];
  Tmpfs: Record<string, string>;
  Mounts: MountSpec[];
  NetworkMode: string;
  ReadonlyRootfs?: boolean;
  RestartPolicy?: { Name: string };
}

export interface CreateSpec {
  Image: string;
  Cmd?: string[];
  Env: string[];
  Labels: Record<string, string>;
  WorkingDir?: string;
  HostConfig: HostConfigSpec;
}

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

/** The inner engine's data-root: must be a volume (overlay2 cannot sit on overlay). */
export const SANDBOX_DATA_DIR = '/var/lib/docker';
/**
 * Where the per-sandbox disk volume is mounted. Its root stays host root's;
 * the entrypoint binds subdirectories of it onto every directory the inner
 * world writes (SANDBOX_DISK_PATHS), so the volume's size limit covers them all.
 */
export const SANDBOX_DISK_DIR = '/var/lib/lab-disk';
/** Every path the reader can write that is not a memory-bounded tmpfs (checked by the integration tests). */
export const SANDBOX_DISK_PATHS = [SANDBOX_DATA_DIR, '/root', '/tmp', '/var/tmp', '/etc/docker'] as const;

/** Host uid that root inside the sandbox's user namespace is (uid/gid 0..65535 -> BASE..). */
export const SANDBOX_USERNS_BASE = 100000;
/**
 * Env var naming the host uid that owns the sandbox's user namespace (the
 * lab server picks one per sandbox, see sandboxUsernsOwner; the entrypoint
 * picks a random one when absent). Kernel per-user counts are charged to it.
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

// ----------------------------------------------------------- capabilities

/** Docker's default capability set: the inner engine hands these to inner containers. */
export const DOCKER_DEFAULT_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID',
  'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/**
 * SYS_ADMIN: mounts (cgroups, overlay2, the user namespace's proc/sysfs), namespaces.
 * NET_ADMIN: the inner bridge, veths and iptables NAT for `-p`.
 */
export const SANDBOX_EXTRA_CAPS = ['SYS_ADMIN', 'NET_ADMIN'] as const;

export const SANDBOX_CAPS: string[] = [...DOCKER_DEFAULT_CAPS, ...SANDBOX_EXTRA_CAPS];

// ------------------------------------------------------------------ seccomp

/** The profile as JSON text, the form the Engine API takes in `seccomp=<json>`. */
export const SECCOMP_PROFILE_JSON: string = JSON.stringify(seccompProfile);

export const SANDBOX_SECURITY_OPT: string[] = [`seccomp=${SECCOMP_PROFILE_JSON}`, 'no-new-privileges'];

// ------------------------------------------------------------------ sandbox

/** Everything but the per-sandbox data volume, name, limits and network. */
export const SANDBOX_HOST_CONFIG: HostConfigSpec = {
  CapDrop: ['ALL'],
  CapAdd: SANDBOX_CAPS,
  SecurityOpt: SANDBOX_SECURITY_OPT,
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
  // No network at all: images come through the mirror's unix socket.
  NetworkMode: 'none',
  // Nothing the reader writes lands in the container's writable layer (no
  // size limit on this host's overlay2); see SANDBOX_DISK_PATHS.
  ReadonlyRootfs: true,
};

export const SANDBOX_ENV: string[] = ['LANG=C.UTF-8', 'LC_ALL=C.UTF-8', 'TERM=xterm-256color'];

export const SANDBOX_LABELS: Record<string, string> = { 'lab.role': 'sandbox' };

/** The per-sandbox disk volume (the inner engine's data and every other writable path). */
export function sandboxDataMount(volumeName: string): MountSpec {
  return { Type: 'volume', Source: volumeName, Target: SANDBOX_DISK_DIR };
}

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

/** A full create spec for one sandbox (names and limits are the caller's). */
export function sandboxCreateSpec(dataVolume: string, usernsOwner: number = sandboxUsernsOwner()): CreateSpec {
  return {
    Image: SANDBOX_IMAGE,
    Env: [...SANDBOX_ENV, `${SANDBOX_USERNS_OWNER_ENV}=${usernsOwner}`],
    Labels: { ...SANDBOX_LABELS, [SANDBOX_USERNS_OWNER_LABEL]: String(usernsOwner) },
    HostConfig: {
      ...SANDBOX_HOST_CONFIG,
      Mounts: [...SANDBOX_HOST_CONFIG.Mounts, sandboxDataMount(dataVolume)],
    },
  };
}

/**
 * Readiness: the entrypoint writes /run/lab/ready (outer /run, host root's)
 * once the inner engine's API answers when asked from inside the inner world
 * (measured: 1.0-1.5 s after start on an idle host). Poll with exec.
 */
export const SANDBOX_READY = {
  command: ['test', '-f', '/run/lab/ready'],
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

/** The read-only registry every sandbox pulls from (one per engine). */
export const MIRROR_CONTAINER_NAME = 'lab-mirror';

/**
 * Both registry containers only serve files and listen on a socket file: no
 * capabilities, no new privileges, read-only root, private cgroup namespace.
 */
function registryContainer(opts: { config: string; role: string; tmpfsSize: string; data: { volume: string; readOnly: boolean }; network: string }): CreateSpec {
  return {
    Image: REGISTRY_IMAGE,
    Cmd: ['serve', `/etc/docker/registry/${opts.config}`],
    Env: [],
    Labels: { 'lab.role': opts.role },
    HostConfig: {
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      CgroupnsMode: 'private',
      Privileged: false,
      Devices: [],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${opts.tmpfsSize}` },
      Mounts: [
        { Type: 'volume', Source: opts.data.volume, Target: '/var/lib/docker-registry', ReadOnly: opts.data.readOnly },
        { Type: 'volume', Source: MIRROR_SOCKET_VOLUME, Target: MIRROR_SOCKET_DIR },
      ],
      NetworkMode: opts.network,
      ReadonlyRootfs: true,
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

/** The offline mirror reads its volume and needs no network at all. */
export const MIRROR_CREATE_SPEC: CreateSpec = registryContainer({
  config: 'serve.yml',
  role: 'mirror',
  tmpfsSize: '16m',
  data: { volume: MIRROR_DATA_VOLUME, readOnly: true },
  network: 'none',
});

/**
 * Optional pull-through cache of Docker Hub for hosts WITH internet (not
 * tested here: the build machines have none). Sandboxes ask it, through
 * 127.0.0.1:SANDBOX_PROXY_PORT -> PROXY_SOCKET, only for images the offline mirror lacks.
 * It needs a network that reaches registry-1.docker.io; the sandboxes still
 * have none.
 */
export const PROXY_MIRROR_CONTAINER_NAME = 'lab-mirror-proxy';

export const PROXY_MIRROR_CREATE_SPEC: CreateSpec = registryContainer({
  config: 'proxy.yml',
  role: 'mirror-proxy',
  tmpfsSize: '64m',
  data: { volume: PROXY_CACHE_VOLUME, readOnly: false },
  network: 'bridge',
});

/**
 * Where a lesson image name lives in the mirror (what build-images.sh pushes):
 * Docker Hub official images under library/, other Hub names as they are,
 * ghcr.io/... without the host (inside the sandbox ghcr.io resolves to the
 * same mirror).
 */
export function mirrorRepository(image: string): string {
  let name = image;
  let tag = 'latest';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (name.startsWith('ghcr.io/')) name = name.slice('ghcr.io/'.length);
  else if (!name.includes('/')) name = `library/${name}`;
  return `${name}:${tag}`;
}
