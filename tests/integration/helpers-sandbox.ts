/**
 * Starts real sandboxes with plain `docker run`, using exactly the flags in
 * lab-server/src/sandbox-spec.ts, next to a test mirror serving the volume
 * that scripts/build-images.sh filled. Every container and volume is named
 * itest-img-* and removed by cleanup().
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  MIRROR_CREATE_SPEC,
  MIRROR_DATA_VOLUME,
  MIRROR_SOCKET_VOLUME,
  SANDBOX_HOST_CONFIG,
  SANDBOX_IMAGE,
  SANDBOX_READY,
  SANDBOX_SHELL,
  sandboxCreateSpec,
  type CreateSpec,
  type HostConfigSpec,
} from '../../lab-server/src/sandbox-spec.ts';

const run = promisify(execFile);
export const PREFIX = 'itest-img-';
const MIRROR = `${PREFIX}mirror`;
const MIRROR_SOCK = `${PREFIX}mirror-sock`;
export const SECCOMP_FILE = fileURLToPath(new URL('../../lab-server/images/sandbox/seccomp.json', import.meta.url));

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

/** `docker run` flags for a HostConfig from sandbox-spec.ts (the CLI takes a file for seccomp). */
export function hostConfigFlags(hc: HostConfigSpec, replaceVolume: Record<string, string> = {}): string[] {
  const flags: string[] = [];
  for (const cap of hc.CapDrop) flags.push('--cap-drop', cap);
  for (const cap of hc.CapAdd) flags.push('--cap-add', cap);
  for (const opt of hc.SecurityOpt) {
    flags.push('--security-opt', opt.startsWith('seccomp=') ? `seccomp=${SECCOMP_FILE}` : opt);
  }
  flags.push('--cgroupns', hc.CgroupnsMode, '--network', hc.NetworkMode);
  for (const [path, opts] of Object.entries(hc.Tmpfs)) flags.push('--tmpfs', `${path}:${opts}`);
  for (const m of hc.Mounts) {
    const source = replaceVolume[m.Source ?? ''] ?? m.Source;
    flags.push('--mount', `type=${m.Type},source=${source},target=${m.Target}${m.ReadOnly ? ',readonly' : ''}`);
  }
  if (hc.ReadonlyRootfs) flags.push('--read-only');
  if (hc.Privileged) flags.push('--privileged');
  return flags;
}

function createFlags(spec: CreateSpec, replaceVolume: Record<string, string>): string[] {
  const flags = hostConfigFlags(spec.HostConfig, replaceVolume);
  for (const e of spec.Env) flags.push('--env', e);
  for (const [k, v] of Object.entries(spec.Labels)) flags.push('--label', `${k}=${v}`);
  flags.push('--label', 'lab.test=itest-img');
  return flags;
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
  const spec = { ...MIRROR_CREATE_SPEC, HostConfig: { ...MIRROR_CREATE_SPEC.HostConfig, RestartPolicy: undefined } };
  await docker([
    'run', '-d', '--name', MIRROR,
    ...createFlags(spec, { [MIRROR_SOCKET_VOLUME]: MIRROR_SOCK }),
    spec.Image, ...(spec.Cmd ?? []),
  ]);
}

export interface Sandbox {
  name: string;
  /** Milliseconds from `docker run` to the readiness file. */
  bootMs: number;
  /** Runs a script in the reader's shell (lab-shell -> bash -l -c). */
  sh(script: string, timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
}

export async function startSandbox(suffix: string): Promise<Sandbox> {
  const name = `${PREFIX}${suffix}`;
  const data = `${name}-data`;
  await dockerRc(['rm', '-f', name]);
  await dockerRc(['volume', 'rm', data]);
  const spec = sandboxCreateSpec(data);
  const t0 = Date.now();
  await docker([
    'run', '-d', '--name', name, '--hostname', 'sandbox',
    ...createFlags(spec, { [MIRROR_SOCKET_VOLUME]: MIRROR_SOCK }),
    SANDBOX_IMAGE,
  ]);
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
    sh: (script, timeoutMs = 120_000) =>
      dockerRc(['exec', '-i', '-e', 'LAB_NO_MOTD=1', name, ...SANDBOX_SHELL.command, '-c', script], timeoutMs),
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

export { SANDBOX_HOST_CONFIG };
