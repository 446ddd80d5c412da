import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostVolumeUsage, type VolumeUsageDeps } from './volume-usage.ts';

const MP = '/var/lib/docker/volumes/lab-x-sbx-1-docker/_data';

/** A host where `mounted` paths have their own device and statfs answers for a 512 MiB ext4 with 100 MiB used. */
function host(opts: { mountpoint?: string; mounted?: boolean; missing?: boolean } = {}): VolumeUsageDeps & { statfsCalls: string[] } {
  const statfsCalls: string[] = [];
  return {
    statfsCalls,
    mountpoint: async () => opts.mountpoint ?? MP,
    stat: async (p) => {
      if (opts.missing) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return { dev: p === MP && opts.mounted !== false ? 1793n : 2049n };
    },
    statfs: async (p) => {
      statfsCalls.push(p);
      return { blocks: 131072, bfree: 131072 - 25600, bsize: 4096 };
    },
  };
}

test('a mounted loop volume is measured on the host: used and size as df counts them', async () => {
  const deps = host();
  assert.deepEqual(await hostVolumeUsage('lab-x-sbx-1-docker', deps), { used: 100 * 1024 ** 2, size: 512 * 1024 ** 2 });
  assert.deepEqual(deps.statfsCalls, [MP]);
});

test('a mount point not mounted in this namespace (same device as its parent) is not measured: the caller execs df', async () => {
  const deps = host({ mounted: false });
  assert.equal(await hostVolumeUsage('lab-x-sbx-1-docker', deps), undefined);
  assert.deepEqual(deps.statfsCalls, [], 'statfs would have described the engine’s own filesystem');
});

test('a mount point that does not exist here, or is not an absolute path, is not measured', async () => {
  assert.equal(await hostVolumeUsage('v', host({ missing: true })), undefined);
  assert.equal(await hostVolumeUsage('v', host({ mountpoint: 'relative/_data' })), undefined);
  assert.equal(await hostVolumeUsage('v', host({ mountpoint: '' })), undefined);
});
