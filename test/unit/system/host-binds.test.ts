import { describe, expect, it } from '@jest/globals';

import { pathsOnOwnRoot } from '../../../src/system/host-binds.js';
import { MountTable } from '../../../src/system/mount-table.js';

// /proc/self/mountinfo inside the docker-compose container on a vfs engine: the root and the
// host's binds come from the same ext4 device, so only the mount entries tell them apart.
const CONTAINER = [
  '812 700 254:0 /var/lib/docker/vfs/dir/9f3c / rw,relatime master:1 - ext4 /dev/vda rw',
  '813 812 0:90 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '820 812 254:0 /srv /srv rw,relatime shared:1 - ext4 /dev/vda rw',
  '821 812 254:0 /var/lib/volplex /var/lib/volplex rw,relatime shared:2 - ext4 /dev/vda rw',
  '822 821 0:95 / /var/lib/volplex/mounts/s3fs-1 rw - fuse.s3fs s3fs rw',
  '830 812 254:0 /etc/volplex /etc/volplex ro,relatime - ext4 /dev/vda rw',
  '',
].join('\n');
const table = (text: string): MountTable => new MountTable(() => Promise.resolve(text));

describe('the mount holding a path in a container', () => {
  it.each([
    { desc: 'a bound root itself', path: '/srv', expected: '/srv' },
    { desc: 'a device below a bound root', path: '/srv/app-data/x', expected: '/srv' },
    { desc: 'a path that does not exist yet, below a bind', path: '/srv/new/deep', expected: '/srv' },
    { desc: 'the deepest of nested mounts', path: '/var/lib/volplex/mounts/s3fs-1/a', expected: '/var/lib/volplex/mounts/s3fs-1' },
    { desc: 'an unbound root: the container root', path: '/data', expected: '/' },
    { desc: 'a sibling whose name starts like a mount point', path: '/srvx', expected: '/' },
  ])('$desc', async ({ path, expected }) => {
    expect((await table(CONTAINER).filesystemOf(path))?.mountPoint).toBe(expected);
  });

  it('takes the last of mounts stacked on one point', async () => {
    const stacked = '1 0 8:1 / / rw - ext4 /dev/a rw\n2 1 0:5 / /srv rw - tmpfs t rw\n3 1 8:1 /srv /srv rw - ext4 /dev/a rw\n';
    expect((await table(stacked).filesystemOf('/srv/x'))?.fsType).toBe('ext4');
  });
});

describe(pathsOnOwnRoot.name, () => {
  it('names the allowed roots that are not binds from the host', async () => {
    await expect(pathsOnOwnRoot(['/srv', '/data', '/etc/volplex/x', '/mnt'], table(CONTAINER))).resolves.toEqual(['/data', '/mnt']);
  });
});
