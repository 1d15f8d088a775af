import { describe, expect, it } from '@jest/globals';

import { LiveConfig } from '../../../src/config/live-config.js';
import type { MountPlan, Volume, VolumeDriver } from '../../../src/core/driver.js';
import { DriverRegistry } from '../../../src/core/driver-registry.js';
import { ABSOLUTE_PATH } from '../../../src/core/option-checks.js';
import { VolumeCatalog } from '../../../src/core/volume-catalog.js';
import type { VolumeRecord } from '../../../src/store/store.js';
import { testConfig } from '../../support/harness.js';

/** A driver that counts how often its options are turned into a plan. */
class CountingDriver implements VolumeDriver {
  public readonly type = 'counted';
  public readonly aliases = [];
  public readonly options = [{ name: 'share', description: 'a share', grammar: ABSOLUTE_PATH, required: true }, { name: 'subdir', description: 'a subdir', grammar: ABSOLUTE_PATH }];
  public plans = 0;

  public plan(volume: Volume): MountPlan {
    this.plans += 1;
    return { key: volume.options.share ?? '', subdir: (volume.options.subdir ?? '').replace(/^\//, ''), createSubdir: false, details: {} };
  }

  public async prepare(): Promise<void> {}
  public async mount(): Promise<void> {}
  public async cleanup(): Promise<void> {}
  public async remove(): Promise<void> {}
}

const record = (options: Record<string, string>, type = 'counted'): VolumeRecord => ({ name: 'v', type, options, createdAt: '2026-01-01T00:00:00.000Z' });

describe(VolumeCatalog.name, () => {
  const setUp = (): { catalog: VolumeCatalog; driver: CountingDriver; config: LiveConfig } => {
    const driver = new CountingDriver();
    const config = new LiveConfig(testConfig('/tmp/volplex-catalog'));
    return { catalog: new VolumeCatalog(new DriverRegistry([driver]), config), driver, config };
  };

  describe('.resolve', () => {
    it('derives a record once: options, plan, backend key and Mountpoint', () => {
      const { catalog, driver } = setUp();
      const stored = record({ share: '/exports/a', subdir: '/team' });
      const first = catalog.resolve(stored);
      expect(catalog.resolve(stored)).toBe(first);
      expect(driver.plans).toBe(1);
      expect(first.placement).toEqual({ key: 'counted:/exports/a', target: expect.stringMatching(/^\/tmp\/volplex-catalog\/state\/mounts\/counted-[0-9a-f]{24}$/) as unknown, mountpoint: `${first.placement.target}/team` });
    });

    it('derives a new version of a record anew', () => {
      const { catalog, driver } = setUp();
      catalog.resolve(record({ share: '/exports/a' }));
      const changed = catalog.resolve(record({ share: '/exports/b' }));
      expect(driver.plans).toBe(2);
      expect(changed.placement.key).toBe('counted:/exports/b');
    });

    it('derives again after a configuration reload (plans may use configured defaults)', () => {
      const { catalog, driver, config } = setUp();
      const stored = record({ share: '/exports/a' });
      catalog.resolve(stored);
      config.replace({ ...config.current, defaultType: 'counted' });
      catalog.resolve(stored);
      expect(driver.plans).toBe(2);
    });

    it('throws, and keeps throwing, for a record whose options no longer resolve', () => {
      const { catalog } = setUp();
      const stale = record({ share: 'relative' });
      expect(() => catalog.resolve(stale)).toThrow('option "share" for type counted');
      expect(catalog.tryResolve(stale)).toBeUndefined();
      expect(() => catalog.resolve(record({}, 'ceph'))).toThrow('unknown type "ceph"');
    });
  });

  describe('.placement', () => {
    it('keeps a volume in use on the backend it holds, even when its plan now names another', () => {
      const { catalog } = setUp();
      const resolved = catalog.resolve(record({ share: '/exports/a', subdir: '/team' }));
      expect(catalog.placement(resolved, null)).toBe(resolved.placement);
      expect(catalog.placement(resolved, 'counted:/exports/a')).toBe(resolved.placement);
      const held = catalog.placement(resolved, 'counted:/exports/old');
      expect(held).toEqual({ key: 'counted:/exports/old', target: catalog.target('counted:/exports/old'), mountpoint: `${catalog.target('counted:/exports/old')}/team` });
    });
  });
});
