/**
 * The cold boot's cuts (issue 12, docs/benchmarks.md "Cold boot"), on the
 * real engine through the lab server's own driver:
 *   - a session's boot hands over its first shell before the inner engine
 *     answers; that shell holds its first prompt until the engine does, so
 *     a command typed at the first prompt (what the page pastes) works;
 *   - a challenge check run right after the boot waits for the engine;
 *   - lab-shell's wait for the inner world (LAB_SHELL_WAIT_S, set by the
 *     driver on that first shell) skips no check: without an inner world it
 *     still refuses (111), after the wait, and it refuses a bad value.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import pino from 'pino';
import { loadConfig } from '../../lab-server/src/config.ts';
import { createDataVolumes, type DataVolumes } from '../../lab-server/src/sandbox/data-volume.ts';
import type { Shell } from '../../lab-server/src/sandbox/driver.ts';
import { sandboxDriverFromConfig, type DockerSandboxDriver } from '../../lab-server/src/sandbox/docker-driver.ts';
import { runExec } from '../../lab-server/src/sandbox/exec.ts';
import { Naming, newSandboxId } from '../../lab-server/src/sandbox/labels.ts';
import { OSC133, SANDBOX_IMAGE, SANDBOX_SHELL } from '../../lab-server/src/sandbox/spec.ts';
import { dockerRc } from './helpers-sandbox.ts';

const docker = new Docker();
const instance = `itest-boot-${randomBytes(3).toString('hex')}`;
const log = pino({ level: 'warn' });
let driver: DockerSandboxDriver;
let volumes: DataVolumes;
const bare = `${instance}-bare`;
/** OSC 133 D;<exit> (OSC133.commandEndPrefix, then the status and BEL). */
const COMMAND_END = /\x1b\]133;D;(\d+)\x07/;

/** Reads the shell until `done` says so; every chunk with its arrival time. */
function readUntil(
  shell: Shell,
  done: (out: string) => boolean,
  timeoutMs = 60_000,
): Promise<{ out: string; chunks: { at: number; text: string }[] }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const chunks: { at: number; text: string }[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out; output so far: ${JSON.stringify(out.slice(-500))}`)), timeoutMs);
    const onData = (c: Buffer) => {
      const text = c.toString('utf8');
      chunks.push({ at: Date.now(), text });
      out += text;
      if (done(out)) {
        clearTimeout(timer);
        shell.stream.off('data', onData);
        resolve({ out, chunks });
      }
    };
    shell.stream.on('data', onData);
  });
}

describe('cold boot: the first shell before the engine', { timeout: 300_000 }, () => {
  before(async () => {
    const config = loadConfig({ ...process.env, LAB_INSTANCE: instance });
    volumes = await createDataVolumes({ docker, mode: config.sandbox.diskMode, dir: config.sandbox.diskDir, bytes: config.sandbox.diskBytes, log });
    driver = sandboxDriverFromConfig({ docker, naming: new Naming(instance), sandbox: config.sandbox, volumes, egress: undefined, log });
  });
  after(async () => {
    for (const o of await driver.listOwned()) await driver.removeOwned(o).catch(() => undefined);
    await volumes.prune(new Set());
    await dockerRc(['rm', '-f', bare]);
  });

  test('the first shell prints before the engine is ready, and docker answers at its first prompt', async () => {
    const id = newSandboxId();
    const sandbox = await driver.create(id, 'itest', () => undefined);
    const shell = await driver.openShell(sandbox, 100, 30);
    const greeting = await readUntil(shell, (out) => out.includes(OSC133.promptEnd));
    const firstByteAt = greeting.chunks[0]!.at;
    const promptAt = greeting.chunks.at(-1)!.at;
    shell.stream.write("docker version --format 'server={{.Server.Version}}'\r");
    const answer = await readUntil(shell, (out) => COMMAND_END.test(out));
    // The readiness file's mtime, on the same clock: the entrypoint writes it once its own probe of the engine answered.
    const ready = await runExec(docker, sandbox.containerId, ['stat', '-c', '%.3Y', '/run/lab/ready'], 10_000);
    const readyAt = Number(ready.stdout.trim()) * 1000;
    shell.close();
    await driver.destroy(id);
    assert.equal(ready.code, 0, ready.stderr);
    assert.ok(
      firstByteAt < readyAt,
      `the shell printed ${firstByteAt - readyAt} ms after the engine was ready: it was not started before the engine`,
    );
    assert.ok(promptAt > firstByteAt, 'the prompt came with the first byte');
    assert.match(answer.out, /server=\d+\.\d+/);
    assert.equal(COMMAND_END.exec(answer.out)?.[1], '0', answer.out);
    assert.doesNotMatch(answer.out, /Cannot connect|Is the docker daemon running/);
  });

  test('a challenge check started right after the boot waits for the engine', async () => {
    const id = newSandboxId();
    const sandbox = await driver.create(id, 'itest', () => undefined);
    const outcome = await driver.runCheck(sandbox, {
      name: 'boot-check',
      // The engine answers at once: a check never races the boot (the docker
      // CLI alone would hide it, it blocks on the socket dockerd creates early).
      script: 'curl -sf --max-time 0.2 --unix-socket /var/run/docker.sock http://docker/_ping && echo " engine=up"',
      timeoutMs: 30_000,
      maxOutputBytes: 4096,
    });
    await driver.destroy(id);
    assert.equal(outcome.exitCode, 0, outcome.output);
    assert.match(outcome.output, /OK engine=up/);
  });

  test('lab-shell told to wait still refuses without an inner world, after the wait, and refuses a bad wait', async () => {
    // The sandbox image with its entrypoint replaced: no inner world is ever published.
    const made = await dockerRc(['run', '-d', '--name', bare, '--network', 'none', '--entrypoint', 'sleep', SANDBOX_IMAGE, '300']);
    assert.equal(made.code, 0, made.stderr);
    // What the entrypoint makes before anything else (host root's /run/lab), so only the missing world is wrong.
    assert.equal((await dockerRc(['exec', bare, 'mkdir', '-m', '0755', '-p', '/run/lab'])).code, 0);
    const shell = (env: string) => dockerRc(['exec', '-e', env, '-u', 'root', bare, ...SANDBOX_SHELL.command, '-c', 'echo SHELL'], 60_000);
    const t0 = Date.now();
    const waited = await shell('LAB_SHELL_WAIT_S=1');
    const waitedMs = Date.now() - t0;
    assert.equal(waited.code, 111, waited.stdout + waited.stderr);
    assert.doesNotMatch(waited.stdout, /SHELL/);
    assert.match(waited.stderr, /^lab-shell: no inner world/m);
    assert.ok(waitedMs >= 1000, `refused after ${waitedMs} ms: it did not wait`);
    for (const bad of ['LAB_SHELL_WAIT_S=1x', 'LAB_SHELL_WAIT_S=61']) {
      const r = await shell(bad);
      assert.equal(r.code, 111, `${bad}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^lab-shell: .*LAB_SHELL_WAIT_S/m, bad);
    }
  });
});
