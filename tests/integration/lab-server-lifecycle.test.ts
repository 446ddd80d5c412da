/**
 * Lifecycle against the real engine: nothing is orphaned after kill -9 and a
 * restart, idle and expired sessions are reaped, SIGTERM shuts down within
 * its bound and removes every sandbox, and the warm pool serves the first
 * session, pulls the lesson images while it waits and stops pulling when
 * its sandbox goes.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CloseCode } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { docker, newInstance, ownedDisks, ownedObjects, removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { LabTerminal, endSession, healthz, newSession, openTerminal } from '../support/terminal.ts';

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return true;
    await sleep(250);
  }
  return test();
}

describe('lab server lifecycle', () => {
  const instances = new Set<string>();
  const servers: LabServer[] = [];
  const start = async (env: Record<string, string>, instance = newInstance()) => {
    instances.add(instance);
    const s = await startTestServer(env, instance);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    for (const i of instances) removeOwned(i);
  });

  test('after kill -9 and a restart nothing is orphaned', async () => {
    const instance = newInstance('it-crash');
    const first = await start({ LAB_WARM_POOL: '1' }, instance);
    const { term } = await openTerminal(first);
    assert.match(await term.run('docker run -d busybox:1.29 sleep 600 >/dev/null'), /rc=0$/);
    // Session sandbox + the refilled warm-pool sandbox, with their volumes.
    assert.ok(await until(() => ownedObjects(instance).containers.length === 2, 60_000), 'two sandboxes before the crash');
    const before = ownedObjects(instance);
    assert.equal(before.volumes.length, 2);
    const disksBefore = ownedDisks(instance);

    first.proc.kill('SIGKILL');
    await first.exited;
    assert.deepEqual(ownedObjects(instance), before, 'kill -9 leaves them behind (sessions were in memory)');
    assert.deepEqual(ownedDisks(instance), disksBefore);

    const second = await start({ LAB_WARM_POOL: '0' }, instance);
    // The restart reconciles before it listens: the old sandboxes and volumes are gone.
    const afterRestart = ownedObjects(instance);
    assert.deepEqual(afterRestart, { containers: [], volumes: [], networks: [] });
    // Loop-volume disks (when the host allows them) are freed too.
    assert.deepEqual(ownedDisks(instance), { devices: [], files: [] });
    assert.equal((await healthz(second)).status, 200);
    await second.stop();
  });

  test('an idle session is reaped after grace + idle timeout, and its cookie stops working', async () => {
    const server = await start({ LAB_IDLE_TIMEOUT: '2s', LAB_DETACH_GRACE: '1s' });
    const { cookie, term } = await openTerminal(server);
    assert.equal(ownedObjects(server.instance).containers.length, 1);
    // Attached: never idle, however long.
    await sleep(4000);
    assert.match(await term.run('echo still-here'), /^still-here\n/);
    await term.close();
    const closedAt = Date.now();
    assert.ok(await until(() => ownedObjects(server.instance).containers.length === 0, 20_000), 'sandbox removed');
    assert.ok(Date.now() - closedAt >= 2500, 'not before grace + idle');
    assert.deepEqual(ownedObjects(server.instance), { containers: [], volumes: [], networks: [] });
    // A page coming back with the old cookie learns why its session is gone.
    const stale = await LabTerminal.open(server, cookie);
    assert.equal(await stale.closed, CloseCode.Idle);
    assert.ok(stale.messages.some((m) => m.type === 'error' && m.code === 'session-expired'));
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    assert.match(metrics, /lab_sessions_ended_total\{reason="idle"\} 1/);
    // The page's answer to NoSuchSession: a new session.
    assert.equal((await newSession(server, server.origin, cookie)).status, 201);
    await server.stop();
  });

  test('the maximum lifetime ends even an attached session (CloseCode.Expired)', async () => {
    // Long enough for a boot on a loaded CI machine (3-6 s seen at load 20):
    // the session must expire while attached, not before its terminal opens.
    const server = await start({ LAB_MAX_LIFETIME: '20s' });
    const { term } = await openTerminal(server);
    const expiresAt = term.attached()!.sessionExpiresAt;
    assert.ok(expiresAt > Date.now() && expiresAt <= Date.now() + 20_000);
    assert.equal(await term.closed, CloseCode.Expired);
    assert.ok(await until(() => ownedObjects(server.instance).containers.length === 0, 20_000));
    await server.stop();
  });

  test('the warm pool serves the first session without a boot, and refills', async () => {
    const server = await start({ LAB_WARM_POOL: '1' });
    assert.ok(await until(() => ownedObjects(server.instance).containers.length === 1, 60_000), 'pool filled');
    const pooled = ownedObjects(server.instance).containers[0]!;
    assert.ok(await until(() => docker('inspect', '-f', '{{.State.Running}}', pooled) === 'true', 10_000));
    // Wait until it is ready (the pool logs it), then the session takes it.
    assert.ok(await until(() => server.logs.some((l) => l.includes('"sandbox booted"')), 60_000));
    // The log line is the proof (timings live in bench:terminal, not in tests).
    const { term } = await openTerminal(server);
    assert.ok(await server.logged('sandbox taken from the warm pool'));
    assert.match(await term.run('docker info --format "{{.ServerVersion}}"'), /rc=0$/);
    assert.ok(await until(() => ownedObjects(server.instance).containers.length === 2, 60_000), 'pool refilled');
    await term.close();
    await server.stop();
  });

  test('a pooled sandbox pulls the lesson images while it waits (LAB_PREPULL), so its reader finds them there', async () => {
    const server = await start({ LAB_WARM_POOL: '1', LAB_PREPULL: 'busybox:1.29' });
    assert.ok(await server.logged('lesson images pre-pulled', 120_000), 'the pooled sandbox pre-pulled');
    const { term } = await openTerminal(server);
    assert.ok(await server.logged('sandbox taken from the warm pool'));
    assert.match(await term.run('docker image inspect -f "{{.Id}}" busybox:1.29 >/dev/null'), /rc=0$/);
    // The inner engine's store is the sandbox's own: an image nobody pulled is not there.
    assert.match(await term.run('docker image inspect nginx >/dev/null 2>&1'), /rc=1$/);
    await term.close();
    await server.stop();
  });

  test('a sandbox removed while it still pre-pulls ends the pull with it, without a warning', async () => {
    // Two large images: the pull outlasts a reader who takes the sandbox and leaves at once.
    const server = await start({ LAB_WARM_POOL: '1', LAB_PREPULL: 'wordpress:5.0.0-php7.2-apache,nginx', LOG_LEVEL: 'debug' });
    assert.ok(await server.logged('"sandbox booted"', 120_000));
    const { cookie, term } = await openTerminal(server);
    const sandbox = (JSON.parse((await server.logged('sandbox taken from the warm pool'))!) as { sandbox: string }).sandbox;
    const pulledBefore = (l: string) => l.includes('lesson images pre-pulled') && l.includes(sandbox);
    assert.ok(!server.logs.some(pulledBefore), 'still pulling when the reader leaves');
    await term.close();
    assert.equal(await endSession(server, cookie), 204);
    const ended = await server.logged('pre-pull ended with its sandbox', 60_000);
    assert.ok(ended?.includes(sandbox), 'the pull ended with the sandbox');
    assert.ok(!server.logs.some((l) => l.includes('pre-pull failed')), 'no warning for it');
    await server.stop();
  });

  test('after a burst of session boots the warm pool is refilled (it was left empty before)', async () => {
    // One boot at a time, so the second and third session boots queue and refills are skipped meanwhile.
    const server = await start({ LAB_WARM_POOL: '1', LAB_BOOT_CONCURRENCY: '1' });
    const sessions = await Promise.all([newSession(server), newSession(server), newSession(server)]);
    assert.deepEqual(
      sessions.map((s) => s.status),
      [201, 201, 201],
    );
    const ready = async () => {
      const text = await (await fetch(new URL('/metrics', server.url))).text();
      return Number(/^lab_sandboxes\{state="ready"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    let pooled = 0;
    for (let i = 0; i < 240 && pooled < 1; i++) {
      await sleep(500);
      pooled = await ready();
    }
    assert.equal(pooled, 1, 'a sandbox is waiting in the pool again');
    // Three sessions' sandboxes plus the pooled one.
    assert.equal(ownedObjects(server.instance).containers.length, 4);
    await server.stop();
  });

  test('SIGTERM: sockets get ShuttingDown, healthz and new sessions say so, every sandbox is removed, exit within the bound', async () => {
    const server = await start({ LAB_WARM_POOL: '1', LAB_SHUTDOWN_TIMEOUT: '20s' });
    const { cookie, term } = await openTerminal(server);
    assert.ok(await until(() => ownedObjects(server.instance).containers.length === 2, 60_000));
    const t0 = Date.now();
    server.proc.kill('SIGTERM');
    assert.equal(await term.closed, CloseCode.ShuttingDown);
    const h = await healthz(server);
    assert.equal(h.status, 503);
    assert.deepEqual(h.body.reasons, ['shutting down']);
    const refused = await newSession(server);
    assert.equal(refused.status, 503);
    assert.equal((refused.body as { error: string }).error, 'shutting-down');
    const late = await LabTerminal.open(server, cookie);
    assert.equal(await late.closed, CloseCode.ShuttingDown);
    assert.equal(await server.exited, 0);
    assert.ok(Date.now() - t0 < 20_000, `exit took ${Date.now() - t0} ms`);
    assert.deepEqual(ownedObjects(server.instance), { containers: [], volumes: [], networks: [] });
    assert.deepEqual(ownedDisks(server.instance), { devices: [], files: [] });
  });
});
