import type { Store } from '../store/store.js';
import type { VolumeLocation } from '../system/holder-finder.js';
import type { VolumeCatalog } from './volume-catalog.js';

/** Where the named volumes are, for asking who holds them; volumes that hold no backend are left out. */
export function locateVolumes(store: Store, catalog: VolumeCatalog, names: readonly string[]): VolumeLocation[] {
  const locations: VolumeLocation[] = [];
  for (const name of names) {
    const { backendKey } = store.usage(name);
    const record = store.getVolume(name);
    if (backendKey !== null && record !== undefined) {
      // '' when the options no longer resolve: the whole backend mount, which can only find more holders.
      const subdir = catalog.tryResolve(record)?.plan.subdir ?? '';
      locations.push({ name, backendTarget: catalog.target(backendKey), subdir });
    }
  }
  return locations;
}
