/**
 * The image mirror: one read-only registry container that every sandbox
 * pulls from through a unix socket in a shared volume (the sandboxes have no
 * network). Its container spec comes from spec.ts; this module only
 * makes sure it runs:
 *
 * - running with the current image and config -> adopted as is
 * - stopped, older image, other REGISTRY_* env -> (re)created and started
 * - images not built yet (no registry image or no mirror data volume)
 *                                             -> left alone; /healthz says why
 *
 * The mirror outlives lab server restarts and is shared by every lab server
 * instance on the engine (the reconciler never removes lab.kind=mirror).
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { CreateOptions } from './spec.ts';

export interface MirrorSpec {
  /** Container name (fixed: there is one mirror per engine). */
  name: string;
  /** Volumes that must exist before it can run (the pushed images). */
  requiredVolumes: string[];
  /** Volumes it creates if missing (the socket volume). */
  ensureVolumes: string[];
  create: CreateOptions;
}

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

/** The registry's configuration given by environment (e.g. the cache's upstream), order-independent. */
const registryEnv = (env: readonly string[] | null | undefined) =>
  (env ?? [])
    .filter((e) => e.startsWith('REGISTRY_'))
    .sort()
    .join('\n');

export class Mirror {
  private readonly docker: Docker;
  private readonly spec: MirrorSpec;
  private readonly labels: Record<string, string>;
  private readonly log: Logger;

  constructor(docker: Docker, spec: MirrorSpec, labels: Record<string, string>, log: Logger) {
    this.docker = docker;
    this.spec = spec;
    this.labels = labels;
    this.log = log.child({ mirror: spec.name });
  }

  /** Starts or adopts the mirror. Resolves with a problem description, or undefined when it runs. */
  async ensure(): Promise<string | undefined> {
    const { docker, spec } = this;
    let imageId: string;
    try {
      imageId = (await docker.getImage(spec.create.Image).inspect()).Id;
    } catch {
      return `mirror image ${spec.create.Image} missing (run: bash scripts/build-images.sh)`;
    }
    for (const volume of spec.requiredVolumes) {
      try {
        await docker.getVolume(volume).inspect();
      } catch {
        return `mirror volume ${volume} missing (run: bash scripts/build-images.sh)`;
      }
    }
    const container = docker.getContainer(spec.name);
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await container.inspect();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const sameConfig = info !== undefined && registryEnv(info.Config.Env) === registryEnv(spec.create.Env);
    if (info && info.State.Running && info.Image === imageId && sameConfig) {
      this.log.info('mirror adopted');
      return undefined;
    }
    if (info) {
      this.log.info({ running: info.State.Running, current: info.Image === imageId, sameConfig }, 'recreating mirror');
      await container.remove({ force: true }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
    for (const volume of spec.ensureVolumes) {
      await docker.createVolume({ Name: volume, Labels: { ...this.labels, 'lab.kind': 'mirror' } }).catch(() => undefined);
    }
    try {
      const created = await docker.createContainer({
        ...spec.create,
        name: spec.name,
        Labels: { ...(spec.create.Labels ?? {}), ...this.labels },
      });
      await created.start();
    } catch (err) {
      // Another lab server on this engine may have won the race: adopt its mirror.
      const again = await container.inspect().catch(() => undefined);
      if (again?.State.Running) return undefined;
      throw err;
    }
    this.log.info('mirror started');
    return undefined;
  }

  /** Undefined when the mirror container runs, else why not (for /healthz). */
  async problem(): Promise<string | undefined> {
    try {
      const info = await this.docker.getContainer(this.spec.name).inspect();
      if (!info.State.Running) return `mirror container ${this.spec.name} is not running`;
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return `mirror container ${this.spec.name} does not exist (images not built?)`;
      throw err;
    }
  }
}
