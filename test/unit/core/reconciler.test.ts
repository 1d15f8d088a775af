import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { Reconciler } from '../../../src/core/reconciler.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(Reconciler.name, () => {
  let harness: Harness<FakeMounter>;

  beforeEach(async () => {
    harness = createHarness();
    await harness.service.create('data', {});
  });

  afterEach(() => {
    harness.close();
  });

  describe('having a counted mount the kernel still shows', () => {
    it('adopts it and keeps the counts', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      harness = harness.restart();
      await expect(harness.reconcile()).resolves.toEqual({ adopted: [mountpoint], dropped: [], unmounted: [] });
      expect(harness.store.usage('data').references).toBe(1);
      expect(harness.mounter.isMounted(mountpoint)).toBe(true);
    });
  });

  describe('having counts for a mount that is gone', () => {
    it('drops the counts (no container can use it) and leaves no directory', async () => {
      const mountpoint = await harness.service.mount('data', 'A');
      await harness.mounter.unmount(mountpoint, true);
      await expect(harness.reconcile()).resolves.toEqual({ adopted: [], dropped: ['data'], unmounted: [] });
      expect(harness.store.usage('data')).toEqual({ references: 0, mountIds: 0, backendKey: null });
      expect(readdirSync(harness.config.mountRoot)).toEqual([]);
    });
  });

  describe('having a mount under the mount root that nobody counts', () => {
    it('unmounts it, deepest first, and removes empty leftovers', async () => {
      const orphan = join(harness.config.mountRoot, 'local-0123456789abcdef01234567');
      mkdirSync(join(orphan, 'inner'), { recursive: true });
      harness.mounter.addExisting('/srv/x', orphan);
      harness.mounter.addExisting('/srv/y', join(orphan, 'inner'));
      mkdirSync(join(harness.config.mountRoot, 'half-made'));
      const report = await harness.reconcile();
      expect(report.unmounted).toEqual([join(orphan, 'inner'), orphan]);
      expect(harness.mounter.mountCount).toBe(0);
      expect(readdirSync(harness.config.mountRoot)).toEqual([]);
    });

    it('leaves mounts outside the mount root alone', async () => {
      harness.mounter.addExisting('/dev/vda', join(harness.root, 'elsewhere'));
      await expect(harness.reconcile()).resolves.toEqual({ adopted: [], dropped: [], unmounted: [] });
      expect(harness.mounter.mountCount).toBe(1);
    });
  });
});
