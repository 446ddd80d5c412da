/**
 * The per-sandbox disk limit on the real engine. A reader filling the disk
 * must hit their own limit, not the host's: the sandbox's root filesystem is
 * read-only and every path the reader can write (the inner engine's data,
 * /root, /tmp, /var/tmp, /etc/docker) is on one size-limited loop volume
 * (hard limit, "No space left on device"); what is not hard-limited (the
 * data volume in LAB_DISK_MODE=watch) ends the session once over the limit.
 *
 * Issue 8, item 2, before the fix: `exec 7>/root/.h; rm /root/.h; dd
 * if=/dev/zero bs=1M count=5000 >&7` wrote 4.9 GiB against a 4 GiB limit
 * (the writable layer, checked through the engine's SizeRw, which cannot see
 * deleted-but-open files), and plain files there overshot by 1.3-2.9 GiB
 * before the 15 s check.
 */
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { SANDBOX_DISK_PATHS } from '../../lab-server/src/sandbox/spec.ts';
import { CloseCode } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { diskDir, newInstance, ownedDisks, ownedObjects, removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { openTerminal, stripEscapes } from '../support/terminal.ts';

const LIMIT = { LAB_SANDBOX_DISK: '512m', LAB_DISK_CHECK_INTERVAL: '1s' };
const MiB = 1024 * 1024;
/** Free bytes of the host filesystem holding the sandboxes' disk files. */
const hostFree = (dir: string) => {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
};

describe('sandbox disk limit', () => {
  const servers: LabServer[] = [];
  const start = async (env: Record<string, string>) => {
    const s = await startTestServer({ ...LIMIT, ...env }, newInstance('it-disk'));
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

  test('loop mode: every path the reader can write is on the limited disk; the root filesystem is read-only', async () => {
    const server = await start({ LAB_DISK_MODE: 'loop' });
    const { term } = await openTerminal(server);
    // One filesystem (the loop volume) under every writable path.
    const devs = await term.run(`stat -c %d ${SANDBOX_DISK_PATHS.join(' ')} | sort -u | wc -l`);
    assert.match(devs, /^1$/m, devs);
    const ro = await term.run('for p in / /usr /etc /var /opt /home /srv /var/log /var/cache; do touch "$p/.w" 2>&1; done');
    assert.equal((ro.match(/Read-only file system/g) ?? []).length, 9, ro);
    // Every mount point the reader can create a file in is the disk, or a
    // size-limited tmpfs (memory, charged to the sandbox), or mqueue.
    const sweep = await term.run(
      'disk=$(stat -c %d /var/lib/docker); while read -r _ _ _ _ mp _ rest; do fs=${rest##*- }; ' +
        'f="$mp/.lab-w$$"; if touch "$f" 2>/dev/null; then rm -f "$f"; d=$(stat -c %d "$mp"); ' +
        'if [ "$d" = "$disk" ]; then echo "DISK $mp"; else echo "OTHER $mp $fs"; fi; fi; ' +
        'done < /proc/self/mountinfo',
    );
    const other = sweep.split('\n').filter((l) => l.startsWith('OTHER '));
    for (const line of other) {
      const [, mp, fstype, , opts] = line.split(' ');
      const bounded = (fstype === 'tmpfs' && /(^|,)size=/.test(opts ?? '')) || fstype === 'mqueue';
      assert.ok(bounded, `writable and not on the limited disk: ${line}`);
      assert.ok(mp !== '/' && !mp!.startsWith('/root'), line);
    }
    for (const p of SANDBOX_DISK_PATHS) assert.match(sweep, new RegExp(`^DISK ${p}$`, 'm'), `${p} is on the disk:\n${sweep}`);
    await term.close();
  });

  test('loop mode: an unlinked file and a plain file in /root stop at the limit; the host keeps its free space', async () => {
    const server = await start({ LAB_DISK_MODE: 'loop' });
    const { term } = await openTerminal(server);
    const dir = diskDir(server.instance);
    const before = hostFree(dir);
    // The reproduction, at this test's 512 MiB limit.
    term.type('exec 7>/root/.h; rm /root/.h\r');
    const unlinked = await term.run('dd if=/dev/zero bs=1M count=1024 >&7', 120_000);
    assert.match(unlinked, /No space left on device/, unlinked);
    const copied = Number(/(\d+) bytes/.exec(unlinked)?.[1]);
    assert.ok(copied <= 512 * MiB, `dd wrote ${copied} bytes`);
    const during = hostFree(dir);
    assert.ok(before - during < (512 + 128) * MiB, `host lost ${((before - during) / MiB).toFixed(0)} MiB while the file was open`);
    // Closing the last descriptor frees the blocks; discard punches them out of the sparse file.
    await term.run('exec 7>&-; sync');
    let after = 0;
    for (let i = 0; i < 20; i++) {
      after = hostFree(dir);
      if (Math.abs(before - after) < 128 * MiB) break;
      await sleep(500);
    }
    assert.ok(Math.abs(before - after) < 128 * MiB, `host free space changed by ${((before - after) / MiB).toFixed(0)} MiB`);
    // A plain file in /root: the same hard limit, no 15 s overshoot.
    const plain = await term.run('dd if=/dev/zero of=/root/big bs=1M count=1024 status=none', 120_000);
    assert.match(plain, /No space left on device/);
    const size = Number((await term.run('stat -c %s /root/big')).split('\n')[0]);
    assert.ok(size <= 512 * MiB, `${size}`);
    // The session lives on; deleting frees the space.
    assert.match(await term.run('rm /root/big && echo freed'), /^freed\n/);
    await term.close();
  });

  test('watch mode (any engine): data volume usage over the limit ends the session', async () => {
    const server = await start({ LAB_DISK_MODE: 'watch' });
    const { term } = await openTerminal(server);
    assert.deepEqual(ownedDisks(server.instance).files, [], 'no loop disks in watch mode');
    term.type('dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=700 status=none\r');
    assert.equal(await term.closed, CloseCode.SandboxFailed);
  });
});
