import { basename } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Census } from '../metrics/census.js';
import type { Store } from '../store/store.js';
import { backendTarget, typeOfBackendKey } from './backend-key.js';
import { DriverRegistry } from './driver-registry.js';
import { MountRefcounter } from './mount-refcounter.js';

/** What the gauges show, from the store and the last probes: two queries, no mount touched. */
@injectable()
export class VolumeCensus {
  readonly #store: Store;
  readonly #registry: DriverRegistry;
  readonly #refcounter: MountRefcounter;
  readonly #mountRoot: string;

  public constructor(@inject(TOKENS.store) store: Store, @inject(DriverRegistry) registry: DriverRegistry, @inject(MountRefcounter) refcounter: MountRefcounter, @inject(TOKENS.config) config: LiveConfig) {
    this.#store = store;
    this.#registry = registry;
    this.#refcounter = refcounter;
    // mountRoot is fixed at start (FIXED_SETTINGS).
    this.#mountRoot = config.current.mountRoot;
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
      return { type, key: basename(backendTarget(this.#mountRoot, key)), healthy: health === 'unknown' ? undefined : health === 'healthy' };
    });
    return { volumes, mounts, references: counts.references, backends };
  }
}
