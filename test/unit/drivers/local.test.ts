import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { LocalDriver } from '../../../drivers/local.js';
import { VolplexError } from '../../../src/core/errors.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(LocalDriver.name, () => {
  let harness: Harness<FakeMounter>;
  let devices: string;

  beforeEach(() => {
    harness = createHarness();
    devices = join(harness.root, 'devices');
    mkdirSync(join(devices, 'app'), { recursive: true });
    mkdirSync(join(harness.root, 'outside'));
    symlinkSync(join(harness.root, 'outside'), join(devices, 'escape'));
    symlinkSync(join(devices, 'app'), join(devices, 'alias'));
    writeFileSync(join(devices, 'file'), 'x');
  });

  afterEach(() => {
    harness.close();
  });

  describe('.prepare', () => {
    it.each<{ desc: string; device: () => string; create?: string; expectedErr: string }>([
      { desc: '[Error] outside the allowed roots', device: () => join(harness.root, 'outside'), expectedErr: 'is outside the allowed roots' },
      { desc: '[Error] a symlink escaping the allowed roots', device: () => join(devices, 'escape'), expectedErr: 'outside") is outside the allowed roots' },
      { desc: '[Error] a file', device: () => join(devices, 'file'), expectedErr: 'is not a directory' },
      { desc: '[Error] missing without create', device: () => join(devices, 'new'), expectedErr: 'does not exist; create it first or pass -o create=true' },
      { desc: '[Error] create through an escaping symlink', device: () => join(devices, 'escape', 'new'), create: 'true', expectedErr: 'is outside the allowed roots' },
      { desc: '[Error] volplex state directory', device: () => harness.config.stateDir, expectedErr: "overlaps volplex's own directories" },
      { desc: '[Error] a path through a file (ENOTDIR)', device: () => join(devices, 'file', 'sub'), expectedErr: 'option "device": "DEVICE" runs through something that is not a directory (ENOTDIR)' },
      { desc: '[Error] a symlink loop (ELOOP)', device: () => join(devices, 'loop', 'sub'), expectedErr: 'option "device": "DEVICE" runs through too many levels of symbolic links (ELOOP)' },
      { desc: '[Error] create below a file (ENOTDIR)', device: () => join(devices, 'file', 'new'), create: 'true', expectedErr: 'option "device": "DEVICE" runs through something that is not a directory (ENOTDIR)' },
      { desc: '[Error] a name too long for the filesystem', device: () => join(devices, 'n'.repeat(300)), create: 'true', expectedErr: 'option "device" for type local must not have a name longer than 255 bytes' },
    ])('$desc', async ({ device, create, expectedErr }) => {
      symlinkSync(join(devices, 'loop'), join(devices, 'loop'));
      const failure = await harness.service.create('v1', { device: device(), ...(create === undefined ? {} : { create }) }).catch((error: unknown) => error);
      expect(VolplexError.is(failure, 'InvalidParameter')).toBe(true);
      expect((failure as Error).message).toContain(expectedErr.replace('DEVICE', device()));
      expect(existsSync(join(harness.root, 'outside', 'new'))).toBe(false);
    });

    it('creates a missing device with create=true', async () => {
      await harness.service.create('v1', { device: join(devices, 'a', 'b'), create: 'true' });
      expect(existsSync(join(devices, 'a', 'b'))).toBe(true);
    });

    it('makes a managed directory when no device is given, and deletes it on Remove', async () => {
      await harness.service.create('scratch', {});
      const managed = join(harness.config.stateDir, 'volumes', 'scratch');
      expect(existsSync(managed)).toBe(true);
      await harness.service.remove('scratch');
      expect(existsSync(managed)).toBe(false);
    });

    it('never deletes data under a device on Remove', async () => {
      writeFileSync(join(devices, 'app', 'keep'), 'data');
      await harness.service.create('v1', { device: join(devices, 'app') });
      await harness.service.remove('v1');
      expect(existsSync(join(devices, 'app', 'keep'))).toBe(true);
    });
  });

  describe('.mount', () => {
    it('binds the resolved real path, read-only when asked', async () => {
      await harness.service.create('v1', { device: join(devices, 'alias'), ro: 'true' });
      const mountpoint = await harness.service.mount('v1', 'A');
      expect(harness.mounter.actions).toEqual([{ op: 'mount', source: join(devices, 'app'), target: mountpoint, fstype: '', options: ['bind', 'ro'] }]);
    });

    it('re-checks the device at mount time: a symlink swapped after Create is refused', async () => {
      const link = join(devices, 'swap');
      mkdirSync(link);
      await harness.service.create('v1', { device: link });
      rmSync(link, { recursive: true });
      symlinkSync(join(harness.root, 'outside'), link);
      await expect(harness.service.mount('v1', 'A')).rejects.toThrow('is outside the allowed roots');
      expect(harness.mounter.mountCount).toBe(0);
    });

    it('unmounts and refuses when a symlink is swapped in between the check and the bind', async () => {
      const swap = join(devices, 'swap');
      mkdirSync(swap);
      await harness.service.create('v1', { device: swap });
      harness.mounter.beforeNextMount(() => {
        renameSync(swap, `${swap}.away`);
        symlinkSync(join(harness.root, 'outside'), swap);
      });
      const failure = await harness.service.mount('v1', 'A').catch((error: unknown) => error);
      expect(VolplexError.is(failure, 'Conflict')).toBe(true);
      expect((failure as Error).message).toBe(`mount v1: device "${swap}" changed while it was being mounted (was a symlink swapped into its path?); nothing was mounted`);
      expect(harness.mounter.actions.map((action) => action.op)).toEqual(['mount', 'unmount', 'abandon']);
      expect(harness.mounter.mountCount).toBe(0);
      expect(harness.store.usage('v1').references).toBe(0);
    });
  });
});
