import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { MountRefcounter } from '../../../src/core/mount-refcounter.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(MountRefcounter.name, () => {
  let harness: Harness<FakeMounter>;
  let device: string;

  beforeEach(async () => {
    harness = createHarness();
    device = join(harness.root, 'devices', 'shared');
    mkdirSync(device, { recursive: true });
    await harness.service.create('data', { device });
  });

  afterEach(() => {
    harness.close();
  });

  const mounts = (): number => harness.mounter.actions.filter((action) => action.op === 'mount').length;

  describe('having one volume', () => {
    it('mounts on the first reference and returns the same Mountpoint every time', async () => {
      const first = await harness.service.mount('data', 'A');
      const again = await harness.service.mount('data', 'B');
      expect(again).toBe(first);
      expect(mounts()).toBe(1);
      expect(harness.mounter.isMounted(first)).toBe(true);
      expect(harness.store.usage('data')).toEqual(expect.objectContaining({ references: 2, mountIds: 2 }));
    });

    it('counts the same ID twice and unmounts only after both Unmounts', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      await harness.service.mount('data', 'A');
      await harness.service.unmount('data', 'A');
      expect(harness.mounter.isMounted(mountpoint)).toBe(true);
      await harness.service.unmount('data', 'A');
      expect(harness.mounter.isMounted(mountpoint)).toBe(false);
      expect(existsSync(mountpoint)).toBe(false);
    });

    it('treats Unmount of an unknown ID as a quiet no-op', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      await harness.service.unmount('data', 'never-mounted');
      expect(harness.store.usage('data').references).toBe(1);
      expect(harness.mounter.isMounted(mountpoint)).toBe(true);
      await harness.service.unmount('data', 'never-mounted');
      expect(harness.mounter.actions.filter((action) => action.op === 'unmount')).toHaveLength(0);
    });

    it('keeps the counts across a restart', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      harness = harness.restart();
      expect(harness.store.usage('data').references).toBe(1);
      await harness.service.unmount('data', 'A');
      expect(harness.mounter.isMounted(mountpoint)).toBe(false);
    });

    it('refuses Remove while mounts are counted, allows it after', async () => {
      await harness.service.mount('data', 'A');
      await expect(harness.service.remove('data')).rejects.toThrow('remove data: volume is in use (1 mount(s) from 1 container mount point(s))');
      await harness.service.unmount('data', 'A');
      await harness.service.remove('data');
      expect(harness.store.getVolume('data')).toBeUndefined();
      expect(existsSync(device)).toBe(true);
    });
  });

  describe('when the mount fails', () => {
    it('leaves no count, no mount and no directory', async () => {
      harness.mounter.failNextMount(new VolplexError('System', '`mount ...` exited with status 32: boom'));
      await expect(harness.service.mount('data', 'A')).rejects.toThrow('mount data: `mount ...` exited with status 32: boom');
      expect(harness.store.usage('data')).toEqual({ references: 0, mountIds: 0, backendKey: null });
      expect(harness.mounter.mountCount).toBe(0);
      expect(readdirSync(harness.config.mountRoot)).toEqual([]);
    });

    it('succeeds on the next try with the same ID', async () => {
      harness.mounter.failNextMount(new Error('transient'));
      await expect(harness.service.mount('data', 'A')).rejects.toThrow('transient');
      await harness.service.mount('data', 'A');
      expect(harness.store.usage('data').references).toBe(1);
    });
  });

  describe('when the unmount fails', () => {
    it('detaches lazily and still releases the count', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      harness.mounter.failNextUnmount(new Error('target is busy'));
      await harness.service.unmount('data', 'A');
      expect(harness.mounter.actions.slice(-2)).toEqual([
        { op: 'unmount', target: mountpoint, lazy: false },
        { op: 'unmount', target: mountpoint, lazy: true },
      ]);
      expect(harness.store.usage('data').references).toBe(0);
    });

    it('always decrements, and reports the failure when even the lazy unmount fails', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      harness.mounter.failNextUnmount(new Error('busy'), new Error('invalid argument'));
      await expect(harness.service.unmount('data', 'A')).rejects.toThrow('unmount data: invalid argument');
      expect(harness.store.usage('data').references).toBe(0);
      // dockerd retries Mount with the same ID later: the leftover mount is adopted, not doubled.
      await expect(harness.service.mount('data', 'A')).resolves.toBe(mountpoint);
      expect(mounts()).toBe(1);
    });
  });

  describe('having two volumes on one backend', () => {
    beforeEach(async () => {
      await harness.service.create('data2', { device });
    });

    it('shares one real mount and unmounts it after the last volume lets go', async () => {
      const one = await harness.service.mount('data', 'A');
      const two = await harness.service.mount('data2', 'B');
      expect(two).toBe(one);
      expect(mounts()).toBe(1);
      expect(harness.service.get('data').status).toEqual(expect.objectContaining({ backendSharedBy: 2 }));
      await harness.service.unmount('data', 'A');
      expect(harness.mounter.isMounted(one)).toBe(true);
      await harness.service.unmount('data2', 'B');
      expect(harness.mounter.isMounted(one)).toBe(false);
    });

    it('never shares between read-only and read-write volumes', async () => {
      await harness.service.create('readonly', { device, ro: 'true' });
      const rw = await harness.service.mount('data', 'A');
      const ro = await harness.service.mount('readonly', 'B');
      expect(ro).not.toBe(rw);
      expect(harness.mounter.actions.flatMap((action) => (action.op === 'mount' ? [action.options] : []))).toEqual([['bind'], ['bind', 'ro']]);
    });
  });

  describe('when the backend mount went stale', () => {
    it('abandons it (lazy detach, client ended) and mounts again on the next Mount', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      harness.mounter.markStale(mountpoint);
      await harness.service.mount('data', 'B');
      expect(harness.mounter.actions.slice(-2)).toEqual([
        { op: 'abandon', target: mountpoint },
        expect.objectContaining({ op: 'mount', target: mountpoint }),
      ]);
      expect(harness.store.usage('data').references).toBe(2);
    });
  });

  describe('having 200 concurrent Mounts of one volume', () => {
    it('mounts exactly once and unmounts after the 200th Unmount', async () => {
      const ids = Array.from({ length: 200 }, (_, index) => `id-${index}`);
      const mountpoints = new Set(await Promise.all(ids.map((id) => harness.service.mount('data', id))));
      expect(mountpoints.size).toBe(1);
      expect(mounts()).toBe(1);
      await Promise.all(ids.slice(1).map((id) => harness.service.unmount('data', id)));
      expect(harness.mounter.mountCount).toBe(1);
      await harness.service.unmount('data', 'id-0');
      expect(harness.mounter.mountCount).toBe(0);
    });
  });
});
