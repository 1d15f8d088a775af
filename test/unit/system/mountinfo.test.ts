import { describe, expect, it } from '@jest/globals';

import { listsMountPoint, parseMountinfo } from '../../../src/system/mountinfo.js';

describe(parseMountinfo.name, () => {
  it('reads mount point, device, root, type and source, decoding octal escapes', () => {
    const text = [
      '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
      '41 26 0:52 / /var/lib/volplex/mounts/glusterfs-ab rw,relatime shared:7 - fuse.glusterfs host:/gv0 rw,user_id=0',
      '42 26 0:53 / /x rw - nfs4 10.0.0.5:/data rw',
      'garbage line',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { device: '98:0', root: '/mnt1', mountPoint: '/mnt/with space', options: 'rw,noatime', fsType: 'ext3', source: '/dev/root' },
      { device: '0:52', root: '/', mountPoint: '/var/lib/volplex/mounts/glusterfs-ab', options: 'rw,relatime', fsType: 'fuse.glusterfs', source: 'host:/gv0' },
      { device: '0:53', root: '/', mountPoint: '/x', options: 'rw', fsType: 'nfs4', source: '10.0.0.5:/data' },
    ]);
  });
});

describe(listsMountPoint.name, () => {
  const text = '36 35 98:0 /a /mnt/with\\040space rw - ext3 /dev/root rw\n37 35 98:0 /mnt/x /other rw - ext3 /dev/root rw\n';

  it('finds an escaped mount point', () => {
    expect(listsMountPoint(text, '/mnt/with space')).toBe(true);
  });

  it('does not take a root field for a mount point', () => {
    expect(listsMountPoint(text, '/mnt/x')).toBe(false);
  });

  it('answers no for a path it does not list', () => {
    expect(listsMountPoint(text, '/mnt')).toBe(false);
  });
});
