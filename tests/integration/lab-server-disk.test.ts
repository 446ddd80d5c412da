/**
 * The per-sandbox disk limit on the real engine. A reader filling the disk
 * must hit their own limit, not the host's: the inner engine's data sits on
 * a size-limited loop volume (hard limit, "No space left on device"), and
 * whatever is not hard-limited (the sandbox's writable layer; the data
 * volume in LAB_DISK_MODE=watch) ends the session once over the limit.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CloseCode } from '../../lab-server/src/protocol.ts';
import { newInstance, openTerminal, ownedDisks, ownedObjects, removeOwned, sleep, startLabServer, stripEscapes, type LabServer } from './lab-server-harness.ts';

const LIMIT = { LAB_SANDBOX_DISK: '512m', LAB_DISK_CHECK_INTERVAL: '1s' };

describe('sandbox disk limit', () => {
  const servers: LabServer[] = [];
  const start = async (env: Record<string, string>) => {
    const s = await startLabServer({ ...LIMIT, ...env }, newInstance('it-disk'));
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) {
      await s.stop();
      removeOwned(s.instance);
    }
  });

  test('loop mode: the inner engine’s data volume is hard-limited; the reader is warned and can free space', async () => {
    const server = await start({ LAB_DISK_MODE: 'loop' });
    const { term } = await openTerminal(server);
    assert.equal(ownedDisks(server.instance).files.length, 1, 'one sparse disk file for the sandbox');
    const fill = await term.run('dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=1024 status=none', 60_000);
    assert.match(fill, /No space left on device/);
    assert.match(await term.run('df -kP /var/lib/docker | tail -1'), /\s(9[5-9]|100)%\s/);
    // The guard's warning shows up in the terminal itself.
    await term.waitFor(() => stripEscapes(term.text).includes('디스크 사용량이 한도에 가깝습니다'), 10_000, 'disk warning');
    // The session lives on, and deleting frees the space.
    assert.match(await term.run('rm /var/lib/docker/fill && docker run --rm busybox:1.29 echo after-cleanup', 60_000), /after-cleanup\n/);
    await term.close();
  });

  test('writing past the limit outside the hard-limited volume ends the session (CloseCode.SandboxFailed)', async () => {
    const server = await start({ LAB_DISK_MODE: 'loop' });
    const { term } = await openTerminal(server);
    term.type('dd if=/dev/zero of=/root/big bs=1M count=700 status=none\r');
    assert.equal(await term.closed, CloseCode.SandboxFailed);
    assert.match(stripEscapes(term.text), /디스크 한도\(0\.5 GiB\)를 넘어/);
    for (let i = 0; i < 40 && ownedObjects(server.instance).containers.length > 0; i++) await sleep(250);
    assert.deepEqual(ownedObjects(server.instance).containers, []);
  });

  test('watch mode (any engine): data volume usage over the limit ends the session', async () => {
    const server = await start({ LAB_DISK_MODE: 'watch' });
    const { term } = await openTerminal(server);
    assert.deepEqual(ownedDisks(server.instance).files, [], 'no loop disks in watch mode');
    term.type('dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=700 status=none\r');
    assert.equal(await term.closed, CloseCode.SandboxFailed);
  });
});
