/**
 * Adapter from sandbox-spec.ts (the images side's data: how the sandbox and
 * mirror containers must be run, measured next to the images) to the shapes
 * the driver and the mirror module take. Deliberately thin: flags are
 * decided there, per-deployment values (limits, names, labels, network,
 * runtime) here in the lab server.
 */
import type Docker from 'dockerode';
import {
  MIRROR_CONTAINER_NAME,
  MIRROR_CREATE_SPEC,
  MIRROR_DATA_VOLUME,
  MIRROR_SOCKET_VOLUME,
  PROXY_CACHE_VOLUME,
  PROXY_MIRROR_CONTAINER_NAME,
  PROXY_MIRROR_CREATE_SPEC,
  SANDBOX_DISK_DIR,
  SANDBOX_ENV,
  SANDBOX_HOST_CONFIG,
  SANDBOX_LABELS,
  SANDBOX_READY,
  SANDBOX_SHELL,
  SANDBOX_USERNS_OWNER_ENV,
  SANDBOX_USERNS_OWNER_LABEL,
  sandboxUsernsOwner,
} from '../sandbox-spec.ts';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DataVolumes } from './data-volume.ts';
import { DockerSandboxDriver, type SandboxTemplate } from './docker-driver.ts';
import type { EgressFirewall } from './egress-firewall.ts';
import { raiseHostInotifyLimits } from './host-limits.ts';
import type { Naming } from './labels.ts';
import type { MirrorSpec } from './mirror.ts';

export function sandboxTemplate(image: string): SandboxTemplate {
  // The network is the lab server's decision (none, or a per-sandbox bridge with LAB_EGRESS).
  const { NetworkMode: _network, ...hostConfig } = SANDBOX_HOST_CONFIG;
  return {
    image,
    hostConfig: hostConfig as Docker.HostConfig,
    env: [...SANDBOX_ENV],
    labels: { ...SANDBOX_LABELS },
    dataDir: SANDBOX_DISK_DIR,
    usernsOwner: { env: SANDBOX_USERNS_OWNER_ENV, label: SANDBOX_USERNS_OWNER_LABEL, pick: sandboxUsernsOwner },
    readyCommand: [...SANDBOX_READY.command],
    readyPollMs: SANDBOX_READY.pollIntervalMs,
    shell: {
      command: [...SANDBOX_SHELL.command],
      user: SANDBOX_SHELL.user,
      workingDir: SANDBOX_SHELL.workingDir,
      env: [...SANDBOX_SHELL.env],
    },
  };
}

/**
 * The optional pull-through cache (LAB_HUB_CACHE=on): Docker Hub, or the
 * organisation's own mirror of it (LAB_HUB_UPSTREAM), for hosts that reach
 * one. The registry reads REGISTRY_PROXY_* over its proxy.yml.
 */
export function hubCacheSpec(hub: NonNullable<Config['hubCache']>): MirrorSpec {
  const env = [`REGISTRY_PROXY_REMOTEURL=${hub.upstream}`];
  if (hub.username && hub.password) env.push(`REGISTRY_PROXY_USERNAME=${hub.username}`, `REGISTRY_PROXY_PASSWORD=${hub.password}`);
  const create = { ...PROXY_MIRROR_CREATE_SPEC, Env: [...PROXY_MIRROR_CREATE_SPEC.Env, ...env] };
  return {
    name: PROXY_MIRROR_CONTAINER_NAME,
    image: PROXY_MIRROR_CREATE_SPEC.Image,
    requiredVolumes: [],
    ensureVolumes: [MIRROR_SOCKET_VOLUME, PROXY_CACHE_VOLUME],
    create: create as unknown as Docker.ContainerCreateOptions,
  };
}

export function mirrorSpec(): MirrorSpec {
  return {
    name: MIRROR_CONTAINER_NAME,
    image: MIRROR_CREATE_SPEC.Image,
    requiredVolumes: [MIRROR_DATA_VOLUME],
    ensureVolumes: [MIRROR_SOCKET_VOLUME],
    create: MIRROR_CREATE_SPEC as unknown as Docker.ContainerCreateOptions,
  };
}

/**
 * The Docker sandbox driver as the configuration asks for it: the one recipe
 * shared by the server's composition root (main.ts) and the benchmark.
 */
export function sandboxDriverFromConfig(deps: {
  docker: Docker;
  naming: Naming;
  sandbox: Config['sandbox'];
  volumes: DataVolumes;
  egress: EgressFirewall | undefined;
  log: Logger;
}): DockerSandboxDriver {
  const { sandbox } = deps;
  // Headroom for the host's own root processes (the server included); each
  // sandbox keeps its own lower bound either way (host-limits.ts).
  raiseHostInotifyLimits(deps.log);
  return new DockerSandboxDriver({
    docker: deps.docker,
    naming: deps.naming,
    template: sandboxTemplate(sandbox.image),
    limits: { nanoCpus: sandbox.nanoCpus, memoryBytes: sandbox.memoryBytes, pidsLimit: sandbox.pidsLimit },
    runtime: sandbox.runtime,
    egress: deps.egress,
    volumes: deps.volumes,
    bootTimeoutMs: sandbox.bootTimeoutMs,
    log: deps.log,
  });
}
