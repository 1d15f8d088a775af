import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { explainFailure, GlusterfsDriver } from '../../../drivers/glusterfs.js';
import { VolplexError } from '../../../src/core/errors.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(GlusterfsDriver.name, () => {
  let harness: Harness<FakeMounter>;

  const withDefaults = (servers: string[] = ['gfs1', 'gfs2'], mountOptions: string[] = ['log-level=WARNING']): Harness<FakeMounter> =>
    createHarness({ config: { backends: { glusterfs: { servers, mountOptions } } } });

  afterEach(() => { harness.close(); });

  describe('.options', () => {
    it.each<{ desc: string; opts: Record<string, string>; expectedErr: string }>([
      { desc: '[Error] no volume', opts: { type: 'glusterfs' }, expectedErr: 'option "volume" is required for type glusterfs' },
      { desc: '[Error] unknown option', opts: { type: 'glusterfs', volume: 'gv0', bukcet: 'x' }, expectedErr: 'unknown option "bukcet" for type glusterfs; valid: volume, servers, subdir, createSubdir, ro, log-level, server-port' },
      { desc: '[Error] subdir climbing out', opts: { type: 'glusterfs', volume: 'gv0', subdir: '../x' }, expectedErr: 'option "subdir" for type glusterfs must not contain ".."' },
      { desc: '[Error] bad server', opts: { type: 'glusterfs', volume: 'gv0', servers: 'gfs1:bad host' }, expectedErr: 'option "servers" for type glusterfs names "bad host", which is not a host name or IPv4 address' },
      { desc: '[Error] bad volume name', opts: { type: 'glusterfs', volume: 'gv/0' }, expectedErr: 'option "volume" for type glusterfs must not contain "/" (character 3); valid: a gluster volume name' },
      { desc: '[Error] a volume name that would be an argv option', opts: { type: 'glusterfs', volume: '-f' }, expectedErr: 'option "volume" for type glusterfs must be a gluster volume name' },
      { desc: '[Error] bad mount option value', opts: { type: 'glusterfs', volume: 'gv0', 'log-level': 'LOUD' }, expectedErr: 'option "log-level" for type glusterfs must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, TRACE, NONE (got "LOUD")' },
      { desc: '[Error] a second mount option smuggled into a value', opts: { type: 'glusterfs', volume: 'gv0', 'log-level': 'INFO,log-file=/etc/passwd' }, expectedErr: 'option "log-level" for type glusterfs must not contain "," (character 5): the value goes into a comma-separated mount option list' },
      { desc: '[Error] a second mount option smuggled into the volume', opts: { type: 'glusterfs', volume: 'gv0,log-file=/etc/passwd' }, expectedErr: 'option "volume" for type glusterfs must not contain "," (character 4)' },
      { desc: '[Error] a mount option smuggled into the servers', opts: { type: 'glusterfs', volume: 'gv0', servers: 'gfs1,log-file=/etc/passwd' }, expectedErr: 'option "servers" for type glusterfs must not contain "=" (character 14)' },
      { desc: '[Error] a newline in the port', opts: { type: 'glusterfs', volume: 'gv0', 'server-port': '24007\nx' }, expectedErr: 'option "server-port" for type glusterfs must not contain "\\u000a" (character 6)' },
      { desc: '[Error] backup servers are not a free option', opts: { type: 'glusterfs', volume: 'gv0', 'backup-volfile-servers': 'x' }, expectedErr: 'unknown option "backup-volfile-servers"' },
    ])('$desc', async ({ opts, expectedErr }) => {
      harness = withDefaults();
      await expect(harness.service.create('db', opts)).rejects.toThrow(expectedErr);
    });

    it('needs servers from the volume or the configuration', async () => {
      harness = withDefaults([]);
      await expect(harness.service.create('db', { type: 'glusterfs', volume: 'gv0' })).rejects.toThrow(
        'create db: option "servers" is required for type glusterfs: no default is configured in backends.glusterfs.servers',
      );
    });
  });

  describe('.plan', () => {
    it('shares one backend between subdirs of one gluster volume, and separates read-only and other servers', async () => {
      harness = withDefaults();
      await harness.service.create('a', { type: 'glusterfs', volume: 'gv0', subdir: 'team-a/db' });
      await harness.service.create('b', { type: 'glusterfs', volume: 'gv0', subdir: './team-b/' });
      await harness.service.create('c', { type: 'glusterfs', volume: 'gv0', ro: 'true' });
      await harness.service.create('d', { type: 'glusterfs', volume: 'gv0', servers: 'gfs9,gfs10' });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => harness.service.get(name).mountpoint) as [string, string, string, string];
      expect(a.endsWith('/team-a/db')).toBe(true);
      expect(b.endsWith('/team-b')).toBe(true);
      expect(a.slice(0, -'/team-a/db'.length)).toBe(b.slice(0, -'/team-b'.length));
      expect(new Set([basename(c), basename(d), a.split('/').at(-3)]).size).toBe(3);
      expect(harness.service.get('a').status).toEqual(expect.objectContaining({ type: 'glusterfs', servers: 'gfs1,gfs2', glusterVolume: 'gv0', subdir: 'team-a/db', readOnly: 'false' }));
    });
  });

  describe('.mount', () => {
    it('mounts the first server with the rest as backup-volfile-servers, its options and a private log file', async () => {
      harness = withDefaults(['gfs1', 'gfs2', 'gfs3']);
      await harness.service.create('db', { type: 'glusterfs', volume: 'gv0', subdir: 'db', createSubdir: 'true', ro: 'true', 'server-port': '24008' });
      const mountpoint = await harness.service.mount('db', 'A');
      const target = mountpoint.slice(0, -'/db'.length);
      expect(harness.mounter.actions).toEqual([
        {
          op: 'mount',
          source: 'gfs1:/gv0',
          target,
          fstype: 'glusterfs',
          options: ['ro', 'log-level=WARNING', 'server-port=24008', 'backup-volfile-servers=gfs2:gfs3', `log-file=${join(harness.config.stateDir, 'run', `${basename(target)}.glusterfs.log`)}`],
        },
      ]);
    });

    it('refuses a missing subdir unless createSubdir, and leaves nothing mounted', async () => {
      harness = withDefaults();
      await harness.service.create('db', { type: 'glusterfs', volume: 'gv0', subdir: 'missing' });
      await expect(harness.service.mount('db', 'A')).rejects.toThrow('mount db: subdir "missing" does not exist on the backend');
      expect(harness.mounter.mountCount).toBe(0);
      mkdirSync(join(harness.config.mountRoot, 'unused'), { recursive: true });
    });
  });
});

describe(explainFailure.name, () => {
  const failed = new VolplexError('System', '`mount -t glusterfs ...` exited with status 1: Mounting glusterfs on /x failed.');

  it.each([
    { desc: 'a missing gluster volume', error: failed, log: '[t] E [glusterfsd-mgmt.c:2371:mgmt_getspec_cbk] 0-mgmt: failed to fetch volume file (key:/nope)', expected: 'gluster volume "gv0" does not exist on h1, h2 (or is not started)' },
    { desc: 'an unresolvable server', error: failed, log: '[t] E [name.c:267:af_inet_client_get_remote_sockaddr] 0-glusterfs: DNS resolution failed on host dead.invalid', expected: 'cannot resolve gluster server dead.invalid' },
    { desc: 'no server answering', error: failed, log: '[t] I [glusterfsd-mgmt.c:2712:mgmt_rpc_notify] 0-glusterfsd-mgmt: Exhausted all volfile servers', expected: 'no gluster server answered (tried h1, h2): is glusterd running and reachable?' },
    { desc: 'a timeout', error: new VolplexError('Unavailable', '`mount ...` did not finish within 3 s and was killed'), log: '', expected: 'no answer from gluster servers h1, h2 in time' },
    { desc: 'a missing client', error: new VolplexError('System', "mount: /x: unknown filesystem type 'glusterfs'."), log: '', expected: 'mount.glusterfs is not installed (install the Debian package glusterfs-client)' },
    { desc: 'anything else', error: failed, log: '[t] E [x.c:1:f] 0-x: something odd', expected: 'Mounting glusterfs on /x failed.; client log: [x.c:1:f] 0-x: something odd' },
  ])('explains $desc', ({ error, log, expected }) => {
    expect(explainFailure(error, log, ['h1', 'h2'], 'gv0').message).toContain(expected);
  });
});
