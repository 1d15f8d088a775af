import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { HolderReconciler } from '../../../src/core/holder-reconciler.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(HolderReconciler.name, () => {
  let harness: Harness<FakeMounter>;
  let device: string;
  const references = (name = 'data'): number => harness.store.usage(name).references;
  const status = (name = 'data'): Readonly<Record<string, unknown>> => harness.service.get(name).status;
  /** As after `kill -9` of dockerd and its restart: the next Activate begins a new lifetime. */
  const dockerdRestarts = (): void => {
    harness.service.activate();
  };

  beforeEach(async () => {
    harness = createHarness({ config: { docker: { socket: '', checkInterval: 60, staleGrace: 0, newLifetimeAtStart: false } } });
    device = join(harness.root, 'devices', 'shared');
    mkdirSync(device, { recursive: true });
    await harness.service.create('data', { device });
    harness.service.activate();
  });

  afterEach(() => {
    jest.useRealTimers();
    harness.close();
  });

  describe('.activated', () => {
    it('begins a new dockerd lifetime, durably', () => {
      expect(harness.store.dockerLifetime()).toBe(1);
      dockerdRestarts();
      harness = harness.restart();
      expect(harness.store.dockerLifetime()).toBe(2);
    });

    it('checks the volumes soon after, until the Docker API has answered', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
      const mountpoint = await harness.service.mount('data', 'A');
      harness.holderFinder.hold('data', 0);
      dockerdRestarts();
      expect(references()).toBe(1);
      await jest.advanceTimersByTimeAsync(1100);
      expect(references()).toBe(0);
      expect(harness.mounter.isMounted(mountpoint)).toBe(false);
      await jest.advanceTimersByTimeAsync(60_000);
      // Volumes with references only; the Docker API answered the first time, so no more checks.
      expect(harness.holderFinder.asked).toEqual([['data']]);
    });
  });

  describe('.checkAll', () => {
    describe('having a reference from before dockerd restarted', () => {
      let mountpoint: string;

      beforeEach(async () => {
        mountpoint = await harness.service.mount('data', 'A');
        dockerdRestarts();
      });

      it('drops it when no running container holds the volume, and unmounts the backend', async () => {
        harness.holderFinder.hold('data', 0);
        await harness.holders.checkAll('periodic');
        expect(references()).toBe(0);
        expect(harness.mounter.isMounted(mountpoint)).toBe(false);
        expect(status()).not.toHaveProperty('holders');
      });

      it('[never] drops it while a container holds the volume (live-restore)', async () => {
        harness.holderFinder.hold('data', 1);
        await harness.holders.checkAll('periodic');
        expect(references()).toBe(1);
        expect(harness.mounter.isMounted(mountpoint)).toBe(true);
        expect(status()).toEqual(expect.objectContaining({ holders: ['c1:/data'], staleReferences: 0, holdersFrom: 'docker' }));
      });

      it('[never] drops it when nothing can tell who holds the volume, and says so in Status', async () => {
        await harness.holders.checkAll('periodic');
        expect(references()).toBe(1);
        expect(status()).toEqual(expect.objectContaining({ holders: 'unknown', holdersUnknownBecause: 'fake: nothing can tell' }));
      });

      it('[never] drops it when the source cannot tell for this volume', async () => {
        harness.holderFinder.hold('data', 0).cannotTell('data');
        await harness.holders.checkAll('periodic');
        expect(references()).toBe(1);
      });

      it('[never] drops it within the grace after its last Mount', async () => {
        harness = harness.restart({ docker: { socket: '', checkInterval: 60, staleGrace: 600, newLifetimeAtStart: false } });
        harness.holderFinder.hold('data', 0);
        await harness.holders.checkAll('periodic');
        expect(references()).toBe(1);
      });
    });

    it('[never] drops a reference counted in this lifetime; Status shows it as stale until Remove drops it', async () => {
      await harness.service.mount('data', 'A');
      harness.holderFinder.hold('data', 0);
      await harness.holders.checkAll('periodic');
      expect(references()).toBe(1);
      expect(status()).toEqual(expect.objectContaining({ holders: [], staleReferences: 1 }));
      await harness.service.remove('data');
      expect(harness.store.getVolume('data')).toBeUndefined();
    });

    it('keeps a backend another volume still holds', async () => {
      await harness.service.create('other', { device });
      const mountpoint = await harness.service.mount('data', 'A');
      await harness.service.mount('other', 'B');
      dockerdRestarts();
      harness.holderFinder.hold('data', 0).hold('other', 1);
      await harness.holders.checkAll('periodic');
      expect([references('data'), references('other')]).toEqual([0, 1]);
      expect(harness.mounter.isMounted(mountpoint)).toBe(true);
    });

    it('asks nothing while no volume has references', async () => {
      await harness.holders.checkAll('periodic');
      expect(harness.holderFinder.asked).toEqual([]);
    });
  });

  describe('.beforeMount (Mount of an ID counted before dockerd restarted)', () => {
    it('does not count past what the live containers hold: two lost, one restarted with its old ID', async () => {
      await harness.service.mount('data', 'A');
      await harness.service.mount('data', 'B');
      dockerdRestarts();
      harness.holderFinder.hold('data', 0);
      await harness.service.mount('data', 'A');
      expect(references()).toBe(1);
      await harness.service.unmount('data', 'A');
      expect(references()).toBe(0);
      expect(harness.mounter.mountCount).toBe(0);
    });

    it('counts docker cp into a container that survived the restart as two, and Unmount as one', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      dockerdRestarts();
      harness.holderFinder.hold('data', 1);
      await harness.service.mount('data', 'A');
      expect(references()).toBe(2);
      await harness.service.unmount('data', 'A');
      expect(references()).toBe(1);
      expect(harness.mounter.isMounted(mountpoint)).toBe(true);
    });

    it('counts as today when nothing can tell', async () => {
      await harness.service.mount('data', 'A');
      dockerdRestarts();
      await harness.service.mount('data', 'A');
      expect(references()).toBe(2);
    });

    it('asks nothing for the same ID mounted twice in one lifetime (docker cp)', async () => {
      await harness.service.mount('data', 'A');
      await harness.service.mount('data', 'A');
      expect(references()).toBe(2);
      expect(harness.holderFinder.asked).toEqual([]);
    });
  });

  describe('.beforeRemove (Remove of a volume still counted as in use)', () => {
    beforeEach(async () => {
      await harness.service.mount('data', 'A');
    });

    it('removes it when no running container holds it, even a reference of this lifetime', async () => {
      harness.holderFinder.hold('data', 0);
      await harness.service.remove('data');
      expect(harness.store.getVolume('data')).toBeUndefined();
      expect(harness.mounter.mountCount).toBe(0);
    });

    it('refuses while a container holds it, naming the holder', async () => {
      harness.holderFinder.hold('data', 1);
      await expect(harness.service.remove('data')).rejects.toThrow('remove data: volume is in use (1 mount(s) from 1 container mount point(s)); stop the containers using it first; held by c1:/data');
    });

    it('refuses as today when nothing can tell, and says why', async () => {
      await expect(harness.service.remove('data')).rejects.toThrow('stop the containers using it first; volplex cannot tell which containers hold it (fake: nothing can tell)');
    });
  });

  describe('.inspect', () => {
    it('reports holders without changing anything', async () => {
      await harness.service.mount('data', 'A');
      dockerdRestarts();
      harness.holderFinder.hold('data', 0);
      const { report, volumes } = await harness.holders.inspect();
      expect(report.known).toBe(true);
      expect(volumes).toEqual([{ name: 'data', references: 1, holders: [] }]);
      expect(references()).toBe(1);
    });
  });
});
