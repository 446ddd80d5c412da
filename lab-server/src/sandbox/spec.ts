/**
 * Adapter from sandbox-spec.ts (the images side's data: how the sandbox and
 * mirror containers must be run) to the shapes the driver and the mirror
 * module take. PROVISIONAL until sandbox-spec.ts lands: the values below
 * follow lab-server/images/sandbox and registry.
 */
import type { SandboxTemplate } from './docker-driver.ts';
import type { MirrorSpec } from './mirror.ts';

export const MIRROR_SOCKET_VOLUME = 'lab-mirror-sock';
export const MIRROR_DATA_VOLUME = 'lab-mirror-data';

export function sandboxTemplate(image: string): SandboxTemplate {
  return {
    image,
    hostConfig: {
      CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
      SecurityOpt: ['seccomp=unconfined'],
      CgroupnsMode: 'private',
      Mounts: [{ Type: 'volume', Source: MIRROR_SOCKET_VOLUME, Target: '/run/lab-mirror', ReadOnly: true }],
    } as SandboxTemplate['hostConfig'],
    dataDir: '/var/lib/docker',
    readyCommand: ['test', '-f', '/run/lab/ready'],
    shellCommand: ['/usr/local/bin/lab-shell'],
  };
}

export function mirrorSpec(): MirrorSpec {
  return {
    name: 'lab-mirror',
    image: 'lab/registry:latest',
    requiredVolumes: [MIRROR_DATA_VOLUME],
    ensureVolumes: [MIRROR_SOCKET_VOLUME],
    create: {
      Cmd: ['serve', '/etc/docker/registry/serve.yml'],
      HostConfig: {
        NetworkMode: 'none',
        RestartPolicy: { Name: 'unless-stopped' },
        Mounts: [
          { Type: 'volume', Source: MIRROR_DATA_VOLUME, Target: '/var/lib/docker-registry', ReadOnly: true },
          { Type: 'volume', Source: MIRROR_SOCKET_VOLUME, Target: '/run/lab-mirror' },
        ],
      },
    },
  };
}
