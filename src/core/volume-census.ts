import { basename } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { Census } from '../metrics/census.js';
import type { Store } from '../store/store.js';
import { typeOfBackendKey } from './backend-key.js';
import { DriverRegistry } from './driver-registry.js';
import { MountRefcounter } from './mount-refcounter.js';
import { VolumeCatalog } from './volume-catalog.js';

/** What the gauges show, from the store's memory and the last probes: no query, no mount touched. */
@injectable()
export class VolumeCensus {
  readonly #store: Store;
  readonly #registry: DriverRegistry;
  readonly #refcounter: MountRefcounter;
  readonly #catalog: VolumeCatalog;

  public constructor(@inject(TOKENS.store) store: Store, @inject(DriverRegistry) registry: DriverRegistry, @inject(MountRefcounter) refcounter: MountRefcounter, @inject(VolumeCatalog) catalog: VolumeCatalog) {
    this.#store = store;
    this.#registry = registry;
    this.#refcounter = refcounter;
    this.#catalog = catalog;
  }

  public take(): Census {
    const counts = this.#store.counts();
    const volumes = new Map(this.#registry.types().map((type) => [type, counts.volumesByType.get(type) ?? 0]));
    const mounts = new Map(this.#registry.types().map((type) => [type, 0]));
    const backends = [...this.#store.heldBackends().keys()].map((key) => {
      const type = typeOfBackendKey(key);
      mounts.set(type, (mounts.get(type) ?? 0) + 1);
      const health = this.#refcounter.healthOf(key).health;
      // The directory name: the key itself holds options (a bucket, an access key ID).
      return { type, key: basename(this.#catalog.target(key)), healthy: health === 'unknown' ? undefined : health === 'healthy' };
    });
    return { volumes, mounts, references: counts.references, backends };
  }
}
