import type { Store } from '../store/store.js';
import type { VolumeLocation } from '../system/holder-finder.js';
import { backendTarget } from './backend-key.js';
import type { DriverRegistry } from './driver-registry.js';
import { resolveOptions } from './option-table.js';

/** Where the named volumes are, for asking who holds them; volumes that hold no backend are left out. */
export function locateVolumes(store: Store, registry: DriverRegistry, mountRoot: string, names: readonly string[]): VolumeLocation[] {
  const locations: VolumeLocation[] = [];
  for (const name of names) {
    const { backendKey } = store.usage(name);
    if (backendKey !== null) {
      locations.push({ name, backendTarget: backendTarget(mountRoot, backendKey), subdir: subdirOf(store, registry, name) });
    }
  }
  return locations;
}

/** '' when the options no longer resolve: the whole backend mount, which can only find more holders. */
function subdirOf(store: Store, registry: DriverRegistry, name: string): string {
  const record = store.getVolume(name);
  try {
    const driver = registry.get(record?.type ?? '');
    return driver.plan({ name, type: driver.type, options: resolveOptions(driver.type, driver.options, record?.options ?? {}) }).subdir;
  } catch {
    return '';
  }
}
