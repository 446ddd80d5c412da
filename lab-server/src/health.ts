/**
 * GET /healthz: 200 only when a new session would get a working sandbox:
 * the engine answers, the sandbox image is there, the configured container
 * runtime (LAB_RUNTIME, e.g. sysbox-runc) is installed in the engine, and the
 * mirror runs (else `docker pull` in a sandbox fails). 503 lists every reason, so an operator
 * (or a load balancer) sees what is missing. Results are cached for
 * a moment so a busy load balancer does not hammer the engine.
 */
import type Docker from 'dockerode';
import type { LabStats } from './lab.ts';

export interface HealthResult {
  ok: boolean;
  reasons: string[];
  sessions: number;
  sandboxes: { ready: number; booting: number; assigned: number };
}

export interface HealthDeps {
  docker: Docker;
  image: string;
  /** LAB_RUNTIME; undefined means the engine's default. */
  runtime?: string;
  /** Undefined when the mirror is fine, else why not. */
  mirrorProblem: () => Promise<string | undefined>;
  stats: () => Pick<LabStats, 'shuttingDown' | 'sessions' | 'sandboxes'>;
  cacheMs?: number;
}

export class Health {
  private readonly deps: HealthDeps;
  private cached: { at: number; reasons: string[] } | undefined;
  private inflight: Promise<string[]> | undefined;

  constructor(deps: HealthDeps) {
    this.deps = deps;
  }

  async check(): Promise<HealthResult> {
    const d = this.deps;
    const { shuttingDown, sessions, sandboxes } = d.stats();
    let reasons: string[];
    if (shuttingDown) reasons = ['shutting down'];
    else if (this.cached && Date.now() - this.cached.at < (d.cacheMs ?? 2000)) reasons = this.cached.reasons;
    else {
      this.inflight ??= this.probe().finally(() => (this.inflight = undefined));
      reasons = await this.inflight;
      this.cached = { at: Date.now(), reasons };
    }
    return { ok: reasons.length === 0, reasons, sessions, sandboxes };
  }

  private async probe(): Promise<string[]> {
    const d = this.deps;
    try {
      await d.docker.ping({ abortSignal: AbortSignal.timeout(3000) } as never);
    } catch (err) {
      return [`Docker engine unreachable: ${String((err as Error).message ?? err)}`];
    }
    const reasons: string[] = [];
    try {
      await d.docker.getImage(d.image).inspect();
    } catch {
      reasons.push(`sandbox image ${d.image} missing (run: bash scripts/build-images.sh)`);
    }
    if (d.runtime) {
      try {
        const runtimes = Object.keys(((await d.docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {});
        if (!runtimes.includes(d.runtime)) {
          reasons.push(
            `container runtime ${d.runtime} (LAB_RUNTIME) is not configured in the Docker engine; it has: ${runtimes.join(', ') || 'none listed'}`,
          );
        }
      } catch (err) {
        reasons.push(`could not list the engine's container runtimes: ${String((err as Error).message ?? err)}`);
      }
    }
    const mirror = await d.mirrorProblem().catch((err) => `mirror check failed: ${String(err)}`);
    if (mirror) reasons.push(mirror);
    return reasons;
  }
}
