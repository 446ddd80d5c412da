/**
 * The disk check without an exec (issue 12, keystroke round trip: one
 * `docker exec df` per sandbox per check kept a core busy and tripled the
 * keystroke p99 while it ran; lab-server/src/sandbox/volume-usage.ts): on the
 * real engine, through the lab server's own driver, a loop volume's usage
 * is read on the host, equals what df in the sandbox says, and starts no
 * exec in the sandbox (the engine's own event log is the witness).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import pino from 'pino';
import { loadConfig } from '../../lab-server/src/config.ts';
import { createDataVolumes, type DataVolumes } from '../../lab-server/src/sandbox/data-volume.ts';
import { sandboxDriverFromConfig, type DockerSandboxDriver } from '../../lab-server/src/sandbox/docker-driver.ts';
import type { SandboxHandle } from '../../lab-server/src/sandbox/driver.ts';
import { runExec } from '../../lab-server/src/sandbox/exec.ts';
import { Naming, newSandboxId } from '../../lab-server/src/sandbox/labels.ts';
import { SANDBOX_DISK_DIR } from '../../lab-server/src/sandbox/spec.ts';

const docker = new Docker();
const instance = `itest-du-${randomBytes(3).toString('hex')}`;
const log = pino({ level: 'warn' });
const MiB = 1024 ** 2;

/** The engine's exec_create events for `containerId` between two times (seconds, the engine's clock). */
async function execsCreated(containerId: string, since: number, until: number): Promise<string[]> {
  const stream = (await docker.getEvents({
    since,
    until,
    filters: JSON.stringify({ container: [containerId], event: ['exec_create'] }),
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { Action: string }).Action);
}

describe('disk check: a loop volume measured on the host', { timeout: 300_000 }, () => {
  let driver: DockerSandboxDriver;
  let volumes: DataVolumes;
  let sandbox: SandboxHandle;
  before(async () => {
    const config = loadConfig({ ...process.env, LAB_INSTANCE: instance, LAB_DISK_MODE: 'loop', LAB_SANDBOX_DISK: '512m', LAB_PREPULL: '' });
    volumes = await createDataVolumes({ docker, mode: config.sandbox.diskMode, dir: config.sandbox.diskDir, bytes: config.sandbox.diskBytes, log });
    driver = sandboxDriverFromConfig({ docker, naming: new Naming(instance), sandbox: config.sandbox, volumes, egress: undefined, log });
    sandbox = await driver.create(newSandboxId(), 'itest', () => undefined);
  });
  after(async () => {
    for (const o of await driver.listOwned()) await driver.removeOwned(o).catch(() => undefined);
    await volumes.prune(new Set());
  });

  test('usage equals df in the sandbox, and reading it starts no exec there', async () => {
    const wrote = await runExec(docker, sandbox.containerId, ['dd', 'if=/dev/zero', `of=${SANDBOX_DISK_DIR}/fill`, 'bs=1M', 'count=64'], 60_000);
    assert.equal(wrote.code, 0, wrote.stderr);
    await runExec(docker, sandbox.containerId, ['sync'], 30_000);
    const df = await runExec(docker, sandbox.containerId, ['df', '-kP', SANDBOX_DISK_DIR], 30_000);
    const [, size, used] = df.stdout.trim().split('\n').at(-1)!.split(/\s+/).map(Number);

    // The engine's event times have one-second resolution: leave a second on each side.
    await new Promise((r) => setTimeout(r, 1100));
    const since = Math.floor(Date.now() / 1000);
    const usage = await driver.diskUsage(sandbox);
    await new Promise((r) => setTimeout(r, 1100));
    const until = Math.floor(Date.now() / 1000);

    assert.equal(usage.dataLimit, size! * 1024, 'the size df reports');
    assert.ok(Math.abs(usage.data - used! * 1024) < 4 * MiB, `used ${usage.data} vs df ${used! * 1024}`);
    assert.ok(usage.data >= 64 * MiB, 'the 64 MiB written are counted');
    assert.deepEqual(await execsCreated(sandbox.containerId, since, until), [], 'no exec for the disk check');
    // The witness sees an exec when there is one (the assertion above can fail).
    const t0 = Math.floor(Date.now() / 1000);
    await runExec(docker, sandbox.containerId, ['df', '-kP', SANDBOX_DISK_DIR], 30_000);
    await new Promise((r) => setTimeout(r, 1100));
    const seen = await execsCreated(sandbox.containerId, t0, Math.floor(Date.now() / 1000));
    assert.equal(seen.length, 1, `one exec_create for a df exec: ${JSON.stringify(seen)}`);
  });
});
