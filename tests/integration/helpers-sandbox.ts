/**
 * Starts real sandboxes from exactly the create options the lab server uses
 * (lab-server/src/sandbox/spec.ts, through dockerode), next to a test mirror
 * serving the volume that scripts/build-images.sh filled. Every container
 * and volume is named itest-img-* and removed by cleanup().
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import {
  MIRROR_CREATE_SPEC,
  MIRROR_DATA_VOLUME,
  MIRROR_SOCKET_VOLUME,
  SANDBOX_READY,
  SANDBOX_SHELL,
  sandboxCreateSpec,
  type CreateOptions,
} from '../../lab-server/src/sandbox/spec.ts';

const run = promisify(execFile);
export const PREFIX = 'itest-img-';
const MIRROR = `${PREFIX}mirror`;
const MIRROR_SOCK = `${PREFIX}mirror-sock`;

export async function docker(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  return run('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
}

/** Like docker(), but resolves with the exit code instead of throwing. */
export async function dockerRc(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await docker(args, timeoutMs);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Creates and starts `spec` as `name`, its mirror socket volume swapped for the test mirror's. */
async function runSpec(name: string, spec: CreateOptions): Promise<void> {
  const Mounts = spec.HostConfig.Mounts.map((m) => (m.Source === MIRROR_SOCKET_VOLUME ? { ...m, Source: MIRROR_SOCK } : m));
  const container = await new Docker().createContainer({
    ...spec,
    name,
    Labels: { ...spec.Labels, 'lab.test': 'itest-img' },
    HostConfig: { ...spec.HostConfig, Mounts },
  });
  await container.start();
}

/**
 * Starts the test mirror on the built lab-mirror-data volume, or keeps it
 * when it already runs (another test file of this run may be using it).
 */
export async function startMirror(): Promise<void> {
  const running = await dockerRc(['inspect', '-f', '{{.State.Running}}', MIRROR]);
  if (running.code === 0 && running.stdout.trim() === 'true') return;
  await dockerRc(['rm', '-f', MIRROR]);
  await docker(['volume', 'inspect', MIRROR_DATA_VOLUME]).catch(() => {
    throw new Error(`volume ${MIRROR_DATA_VOLUME} missing: run npm run images first`);
  });
  await docker(['volume', 'create', MIRROR_SOCK]);
  await runSpec(MIRROR, { ...MIRROR_CREATE_SPEC, HostConfig: { ...MIRROR_CREATE_SPEC.HostConfig, RestartPolicy: { Name: 'no' } } });
}

export interface Sandbox {
  name: string;
  /** Milliseconds from create to the readiness file. */
  bootMs: number;
  /** Runs a script in the reader's shell (lab-shell -> bash -l -c). */
  sh(script: string, timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
}

export async function startSandbox(suffix: string): Promise<Sandbox> {
  const name = `${PREFIX}${suffix}`;
  const data = `${name}-data`;
  await dockerRc(['rm', '-f', name]);
  await dockerRc(['volume', 'rm', data]);
  const t0 = Date.now();
  await runSpec(name, sandboxCreateSpec(data));
  for (;;) {
    const r = await dockerRc(['exec', name, ...SANDBOX_READY.command], 10_000);
    if (r.code === 0) break;
    if (Date.now() - t0 > SANDBOX_READY.timeoutMs) {
      const logs = await dockerRc(['logs', '--tail', '30', name]);
      throw new Error(`sandbox ${name} not ready: ${logs.stdout}${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, SANDBOX_READY.pollIntervalMs));
  }
  const bootMs = Date.now() - t0;
  return {
    name,
    bootMs,
    sh: (script, timeoutMs = 120_000) => dockerRc(['exec', '-i', '-e', 'LAB_NO_MOTD=1', name, ...SANDBOX_SHELL.command, '-c', script], timeoutMs),
  };
}

/** Removes one sandbox started by startSandbox (container and data volume). */
export async function removeSandbox(sb: Sandbox): Promise<void> {
  await dockerRc(['rm', '-f', '-v', sb.name]);
  await dockerRc(['volume', 'rm', '-f', `${sb.name}-data`]);
}

/** Removes every itest-img-* container and volume this helper made. */
export async function cleanup(): Promise<void> {
  const { stdout } = await dockerRc(['ps', '-aq', '--filter', `name=^${PREFIX}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length) await dockerRc(['rm', '-f', '-v', ...ids]);
  const vols = await dockerRc(['volume', 'ls', '-q', '--filter', `name=^${PREFIX}`]);
  const names = vols.stdout.split('\n').filter((v) => v.startsWith(PREFIX));
  if (names.length) await dockerRc(['volume', 'rm', '-f', ...names]);
}
