import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

/** Owner, group and the permission bits (with setuid, setgid, sticky) of a path. */
function ownerOf(path: string): { uid: number; gid: number; mode: string } {
  const found = statSync(path);
  return { uid: found.uid, gid: found.gid, mode: (found.mode & 0o7777).toString(8).padStart(4, '0') };
}

describe('uid, gid and mode options', () => {
  let harness: Harness<FakeMounter>;

  afterEach(() => { harness.close(); });

  describe('on a managed local volume', () => {
    it('are set on the directory volplex makes, once, at Create', async () => {
      harness = createHarness();
      await harness.service.create('owned', { uid: '1234', gid: '2345', mode: '2750' });
      const managed = join(harness.config.stateDir, 'volumes', 'owned');
      expect(ownerOf(managed)).toEqual({ uid: 1234, gid: 2345, mode: '2750' });
      expect(ownerOf(join(harness.config.stateDir, 'volumes'))).toEqual(expect.objectContaining({ uid: 0, mode: '0755' }));
      await harness.service.mount('owned', 'A');
      await harness.service.unmount('owned', 'A');
      expect(ownerOf(managed)).toEqual({ uid: 1234, gid: 2345, mode: '2750' });
    });

    it('leave the directory as before when none is given (0755, the daemon\'s owner)', async () => {
      harness = createHarness();
      await harness.service.create('plain', {});
      expect(ownerOf(join(harness.config.stateDir, 'volumes', 'plain'))).toEqual({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: '0755' });
    });

    it('make a re-Create with the same values succeed ("750" is "0750") and refuse one with other values', async () => {
      harness = createHarness();
      await harness.service.create('again', { uid: '1000', mode: '750' });
      await expect(harness.service.create('again', { uid: '1000', mode: '0750' })).resolves.toBeUndefined();
      const failure = await harness.service.create('again', { uid: '1001', mode: '0750' }).catch((error: unknown) => error);
      expect(VolplexError.is(failure, 'Conflict')).toBe(true);
      expect((failure as Error).message).toBe('create again: a volume with this name already exists with other options (type local); remove it first or choose another name');
    });

    it('are refused with a device: its owner is the user\'s to set on the host', async () => {
      harness = createHarness();
      const device = join(harness.root, 'devices', 'mine');
      mkdirSync(device, { recursive: true });
      await expect(harness.service.create('dev', { device, uid: '1000', mode: '0700' })).rejects.toThrow(
        `create dev: option(s) uid, mode for type local apply only to a managed volume (without device): volplex sets them on the directory it makes; change the owner of device "${device}" on the host instead`,
      );
    });
  });

  describe('checked by the option table', () => {
    it.each<{ desc: string; opts: Record<string, string>; expectedErr: string }>([
      { desc: '[Error] a negative uid', opts: { uid: '-1' }, expectedErr: 'option "uid" for type local must not contain "-" (character 1); valid: a whole number from 0 to 4294967294 (got "-1")' },
      { desc: '[Error] a uid past the largest', opts: { uid: '4294967295' }, expectedErr: 'option "uid" for type local must be a whole number from 0 to 4294967294 (got "4294967295")' },
      { desc: '[Error] a group name', opts: { gid: 'staff' }, expectedErr: 'option "gid" for type local must not contain "s" (character 1); valid: a whole number from 0 to 4294967294' },
      { desc: '[Error] a mode that is not octal', opts: { mode: '0789' }, expectedErr: 'option "mode" for type local must not contain "8" (character 3); valid: an octal mode from 0 to 7777, such as 0755' },
      { desc: '[Error] a mode past 7777', opts: { mode: '17777' }, expectedErr: 'option "mode" for type local must be at most 4 characters long (it has 5); valid: an octal mode from 0 to 7777, such as 0755' },
      { desc: '[Error] a symbolic mode', opts: { mode: 'u+rwx' }, expectedErr: 'option "mode" for type local must not contain "u" (character 1); valid: an octal mode from 0 to 7777' },
      { desc: '[Error] a mode on an object store past 0777 (its client sets no special bits)', opts: { type: 's3fs', bucket: 'media', mode: '1777' }, expectedErr: 'option "mode" for type s3fs must be an octal mode from 0 to 0777, such as 0755 (got "1777")' },
      { desc: '[Error] a subdir owner without createSubdir (gluster)', opts: { type: 'glusterfs', volume: 'gv0', servers: 'gfs1', subdir: 'team', uid: '1000' }, expectedErr: 'option(s) uid for type glusterfs need subdir and createSubdir=true: they apply to the subdir volplex creates' },
      { desc: '[Error] a subdir mode without a subdir (nfs)', opts: { type: 'nfs', server: 'nas', share: '/exports', createSubdir: 'true', mode: '0700' }, expectedErr: 'option(s) mode for type nfs need subdir and createSubdir=true' },
    ])('$desc', async ({ opts, expectedErr }) => {
      harness = createHarness();
      const failure = await harness.service.create('bad', opts).catch((error: unknown) => error);
      expect(VolplexError.is(failure, 'InvalidParameter')).toBe(true);
      expect((failure as Error).message).toContain(`create bad: ${expectedErr}`);
      expect(harness.store.getVolume('bad')).toBeUndefined();
    });
  });

  describe('on a gluster subdir volplex creates', () => {
    it('are set on the subdir at the first Mount, and an existing subdir is left as it is', async () => {
      harness = createHarness({ config: { backends: { glusterfs: { servers: ['gfs1'], mountOptions: [] } } } });
      await harness.service.create('team', { type: 'glusterfs', volume: 'gv0', subdir: 'teams/a', createSubdir: 'true', uid: '1500', gid: '1600', mode: '0770' });
      const mountpoint = await harness.service.mount('team', 'A');
      expect(ownerOf(mountpoint)).toEqual({ uid: 1500, gid: 1600, mode: '0770' });
      // Its parent was made for it, as mkdir -p makes it: not given the volume's owner.
      expect(ownerOf(join(mountpoint, '..')).uid).toBe(0);
      await harness.service.create('other', { type: 'glusterfs', volume: 'gv0', subdir: 'teams/a', createSubdir: 'true', uid: '9' });
      await harness.service.mount('other', 'B');
      expect(ownerOf(mountpoint).uid).toBe(1500);
      await harness.service.unmount('other', 'B');
      await harness.service.unmount('team', 'A');
    });
  });
});
